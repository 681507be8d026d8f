import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { deferralCase, withdrawal } from '../db/schema.js';
import { DFE_WITHDRAWAL_REASONS, type DfeWithdrawalReason } from '../domain/catalogue.js';
import { isBefore, isIsoDate, londonDateOf } from '../policy/index.js';
import { actorLabel, type Actor, type SYSTEM } from './actor.js';
import { audit } from './audit.js';
import { requireEnrolment } from './authorisation.js';
import { changeEnrolmentStatus } from './enrolment-status.js';
import { ConflictError, NotFoundError, ValidationError } from './errors.js';
import type { ServiceDeps } from './participants.js';

export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export interface Withdrawal {
  id: number;
  enrolmentId: number;
  reason: string;
  withdrawnOn: string;
  recordedBy: string;
  note: string | null;
  createdAt: Date;
}

/** Deferral cases still in progress; a withdrawal ends them (policy 2.3.8). */
const OPEN_DEFERRAL_STATUSES = [
  'requested',
  'discussed',
  'approved',
  'deferred',
  'intent_contact_due',
  'confirmed',
];

export function isDfeWithdrawalReason(value: string): value is DfeWithdrawalReason {
  return (DFE_WITHDRAWAL_REASONS as readonly string[]).includes(value);
}

export interface WithdrawEnrolmentInput {
  enrolmentId: number;
  reason: DfeWithdrawalReason;
  withdrawnOn: string;
  note?: string | null | undefined;
  who: Actor | typeof SYSTEM;
  at: Date;
  /** The enrolment version the caller read; a different one is a 409. */
  expectedVersion?: number | undefined;
  details?: Record<string, unknown>;
  correlationId?: string | undefined;
}

/**
 * Withdraws an enrolment inside the caller's transaction: the status change through the lifecycle,
 * the withdrawal with its DfE reason, and any deferral case still open closed as withdrawn. The
 * daily job calls this for participants who did not return from a deferral (2.3.8).
 */
export async function withdrawEnrolment(
  tx: Tx,
  input: WithdrawEnrolmentInput,
): Promise<Withdrawal> {
  await changeEnrolmentStatus(tx, {
    enrolmentId: input.enrolmentId,
    event: 'withdraw',
    who: input.who,
    at: input.at,
    ...(input.expectedVersion !== undefined ? { expectedVersion: input.expectedVersion } : {}),
    details: { reason: input.reason, withdrawnOn: input.withdrawnOn, ...input.details },
    dfeReason: input.reason,
    correlationId: input.correlationId,
  });
  const [row] = await tx
    .insert(withdrawal)
    .values({
      enrolmentId: input.enrolmentId,
      reason: input.reason,
      withdrawnOn: input.withdrawnOn,
      recordedBy: actorLabel(input.who),
      note: input.note ?? null,
    })
    .onConflictDoNothing({ target: withdrawal.enrolmentId })
    .returning();
  // One withdrawal per enrolment: a reinstated participant's earlier withdrawal stays the record.
  if (!row) throw new ConflictError('A withdrawal is already recorded for this enrolment.');
  const closed = await tx
    .update(deferralCase)
    .set({ status: 'withdrawn', version: sql`${deferralCase.version} + 1`, updatedAt: input.at })
    .where(
      and(
        eq(deferralCase.enrolmentId, input.enrolmentId),
        inArray(deferralCase.status, OPEN_DEFERRAL_STATUSES),
      ),
    )
    .returning({ id: deferralCase.id });
  await audit(
    tx,
    {
      what: 'WITHDRAWAL_RECORDED',
      who: input.who,
      subjectType: 'enrolment',
      subjectId: input.enrolmentId,
      details: {
        withdrawalId: row.id,
        reason: input.reason,
        withdrawnOn: input.withdrawnOn,
        note: input.note ?? null,
      },
      correlationId: input.correlationId,
      at: input.at,
    },
    ...closed.map((c) => ({
      what: 'DEFERRAL_CASE_WITHDRAWN',
      who: input.who,
      subjectType: 'deferral_case',
      subjectId: c.id,
      details: { enrolmentId: input.enrolmentId, withdrawalId: row.id },
      correlationId: input.correlationId,
      at: input.at,
    })),
  );
  return row;
}

export interface RecordWithdrawalInput {
  enrolmentId: number;
  reason: string;
  withdrawnOn: string;
  note?: string | undefined;
  expectedVersion?: number | undefined;
}

/** Staff record a withdrawal with one of the DfE API v3 reasons. */
export async function recordWithdrawal(
  { db, clock }: ServiceDeps,
  actor: Actor,
  input: RecordWithdrawalInput,
): Promise<Withdrawal> {
  const at = clock.now();
  const today = londonDateOf(at);
  return db.transaction(async (tx) => {
    await requireEnrolment(tx, actor, input.enrolmentId, 'write');
    const errors = [];
    if (!isDfeWithdrawalReason(input.reason)) {
      errors.push({
        path: 'reason',
        message: `Choose one of the DfE withdrawal reasons: ${DFE_WITHDRAWAL_REASONS.join(', ')}`,
      });
    }
    if (!isIsoDate(input.withdrawnOn)) {
      errors.push({ path: 'withdrawnOn', message: 'Give the date as YYYY-MM-DD' });
    } else if (isBefore(today, input.withdrawnOn)) {
      errors.push({ path: 'withdrawnOn', message: 'The withdrawal date cannot be in the future' });
    }
    if (errors.length > 0) throw new ValidationError(errors);
    return withdrawEnrolment(tx, {
      enrolmentId: input.enrolmentId,
      reason: input.reason as DfeWithdrawalReason,
      withdrawnOn: input.withdrawnOn,
      note: input.note,
      who: actor,
      at,
      expectedVersion: input.expectedVersion,
    });
  });
}

export async function getWithdrawal(
  { db }: ServiceDeps,
  actor: Actor,
  enrolmentId: number,
): Promise<Withdrawal> {
  await requireEnrolment(db, actor, enrolmentId);
  const [row] = await db.select().from(withdrawal).where(eq(withdrawal.enrolmentId, enrolmentId));
  if (!row) throw new NotFoundError('No withdrawal is recorded for this enrolment');
  return row;
}
