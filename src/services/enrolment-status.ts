import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { enrolment } from '../db/schema.js';
import type { EnrolmentStatus } from '../domain/catalogue.js';
import {
  transition,
  type LifecycleEvent,
  type TransitionResult,
} from '../domain/participant-lifecycle.js';
import type { Actor, SYSTEM } from './actor.js';
import { audit } from './audit.js';
import { enqueueLifecycleReport, TRANSFER_OUT_WITHDRAWAL_REASON } from './dfe/outbox/enqueue.js';
import { ConflictError, ValidationError } from './errors.js';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export interface StatusChange {
  enrolmentId: number;
  event: LifecycleEvent;
  who: Actor | typeof SYSTEM;
  at: Date;
  /** The version the caller read; a different one means someone else changed it first (409). */
  expectedVersion?: number;
  /** Further columns to set in the same update (e.g. cohort_id on resuming in a new cohort). */
  set?: Partial<typeof enrolment.$inferInsert>;
  details?: Record<string, unknown>;
  correlationId?: string | undefined;
  /** The DfE deferral or withdrawal reason, reported with a defer or withdraw. */
  dfeReason?: string | undefined;
}

/**
 * Every enrolment status change goes through the lifecycle state machine, bumps the version and is
 * audited with the DfE training status it maps to, in the caller's transaction. A change the DfE
 * must know (defer, resume, withdraw; a transfer out is a withdrawal; a resume into a later cohort
 * adds a change-schedule) is written to the DfE outbox in the same transaction.
 */
export async function changeEnrolmentStatus(
  tx: Tx,
  change: StatusChange,
): Promise<Extract<TransitionResult, { ok: true }>> {
  const [current] = await tx
    .select({ status: enrolment.status, version: enrolment.version, cohortId: enrolment.cohortId })
    .from(enrolment)
    .where(eq(enrolment.id, change.enrolmentId))
    .for('update');
  if (!current) throw new ValidationError([{ path: 'enrolmentId', message: 'No such enrolment' }]);
  if (change.expectedVersion !== undefined && current.version !== change.expectedVersion)
    throw new ConflictError();
  const result = transition(current.status as EnrolmentStatus, change.event);
  if (!result.ok) throw new ValidationError([{ path: 'status', message: result.reason }]);
  const updated = await tx
    .update(enrolment)
    .set({
      ...change.set,
      status: result.to,
      statusChangedAt: change.at,
      version: sql`${enrolment.version} + 1`,
    })
    .where(and(eq(enrolment.id, change.enrolmentId), eq(enrolment.version, current.version)))
    .returning({ id: enrolment.id });
  if (updated.length === 0) throw new ConflictError();
  await audit(tx, {
    what: `ENROLMENT_${change.event.toUpperCase()}`,
    who: change.who,
    subjectType: 'enrolment',
    subjectId: change.enrolmentId,
    details: {
      from: result.from,
      to: result.to,
      trainingStatus: result.trainingStatus,
      dfeAction: result.dfeAction,
      ...change.details,
    },
    correlationId: change.correlationId,
    at: change.at,
  });
  if (result.dfeAction) {
    await enqueueLifecycleReport(tx, {
      enrolmentId: change.enrolmentId,
      action: result.dfeAction,
      reason:
        change.dfeReason ??
        (change.event === 'transfer_out' ? TRANSFER_OUT_WITHDRAWAL_REASON : undefined),
      previousCohortId: current.cohortId,
      changeKey: `${change.enrolmentId}:${current.version + 1}`,
      at: change.at,
    });
  }
  return result;
}
