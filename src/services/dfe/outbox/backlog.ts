/**
 * The DfE outbox as staff see it (participant changes, declarations and application decisions):
 * what waits (and why: sync off, no DfE id yet, an earlier request held back), what the DfE refused
 * with its own words, answers parked for breaking the contract, and retry or dismiss for those.
 * Programme team and admins only.
 */
import { sql } from 'drizzle-orm';
import type { Clock } from '../../../clock.js';
import { queryRows, type Db } from '../../../db/client.js';
import type { Actor } from '../../actor.js';
import { audit } from '../../audit.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../../errors.js';

const ACTORS: readonly Actor['role'][] = ['admin', 'programme_team'];

export interface OutboxRequestView {
  id: number;
  action: string;
  status: string;
  /** 'no DfE id' when the participant has none yet. */
  waitingFor: string | null;
  participantId: number | null;
  applicationId: number | null;
  /** The participant's record, or the application's page for a decision about an applicant. */
  href: string;
  fullName: string;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  nextAttemptAt: Date;
}

export interface OutboxSummary {
  counts: Record<string, number>;
  noDfeId: number;
  attention: OutboxRequestView[];
  waiting: OutboxRequestView[];
}

/** Admins see all; the programme team their lead provider's (and every application decision). */
function scopeOf(actor: Actor) {
  return actor.role === 'admin'
    ? sql`true`
    : sql`(o.enrolment_id is null or c.lead_provider_id = ${actor.leadProviderId ?? -1})`;
}

const FROM = sql`from dfe_outbox o left join enrolment e on e.id = o.enrolment_id
  left join cohort c on c.id = e.cohort_id left join participant p on p.id = o.participant_id
  left join dfe_application a on a.id = o.application_id`;

export async function outboxSummary({ db }: { db: Db }, actor: Actor): Promise<OutboxSummary> {
  if (!ACTORS.includes(actor.role)) throw new ForbiddenError();
  const scope = scopeOf(actor);
  const list = (where: ReturnType<typeof sql>) =>
    queryRows<OutboxRequestView>(
      db,
      sql`select o.id::int as id, o.action, o.status,
                 case when o.application_id is null and p.dfe_participant_id is null then 'no DfE id' end as "waitingFor",
                 p.id as "participantId", o.application_id as "applicationId",
                 case when o.application_id is not null then '/dfe/applications/' || o.application_id
                      else '/participants/' || p.id end as href,
                 coalesce(p.full_name, a.full_name) as "fullName", o.attempts,
                 o.last_error as "lastError", o.created_at as "createdAt", o.next_attempt_at as "nextAttemptAt"
          ${FROM}
          where ${scope} and ${where}
          order by o.id limit 200`,
    );
  const [counts, noId, attention, waiting] = await Promise.all([
    queryRows<{ status: string; n: number }>(
      db,
      sql`select o.status, count(*)::int as n ${FROM} where ${scope} group by o.status`,
    ),
    queryRows<{ n: number }>(
      db,
      sql`select count(*)::int as n ${FROM}
          where ${scope} and o.status = 'pending' and o.application_id is null and p.dfe_participant_id is null`,
    ),
    list(sql`o.status in ('refused', 'failed', 'parked')`),
    list(sql`o.status in ('pending', 'sending')`),
  ]);
  return {
    counts: Object.fromEntries(counts.map((c) => [c.status, c.n])),
    noDfeId: noId[0]?.n ?? 0,
    attention,
    waiting,
  };
}

/**
 * Retry (after fixing the cause, e.g. at the DfE) or dismiss (the DfE already has it right) a
 * refused, failed or parked request; its staff task is done either way. A parked request (the DfE
 * took it but its answer broke the contract) is not sent again: it is reconciled first, by asking
 * the DfE what it now has. A request waiting for its next attempt is brought forward (retry only).
 */
export async function resolveOutboxRequest(
  { db, clock }: { db: Db; clock: Clock },
  actor: Actor,
  id: number,
  how: 'retry' | 'dismiss',
): Promise<{ applicationId: number | null }> {
  if (!ACTORS.includes(actor.role)) throw new ForbiddenError();
  const at = clock.now();
  return db.transaction(async (tx) => {
    const [row] = await queryRows<{
      status: string;
      enrolment_id: number | null;
      application_id: number | null;
      declaration_id: number | null;
    }>(
      tx,
      sql`select o.status, o.enrolment_id, o.application_id, o.declaration_id::int as declaration_id
          ${FROM} where o.id = ${id} and ${scopeOf(actor)} for update of o`,
    );
    if (!row) throw new NotFoundError('No such request');
    const waiting = row.status === 'pending' && how === 'retry';
    if (!waiting && !['refused', 'failed', 'parked'].includes(row.status))
      throw new ConflictError(
        'Only a refused, failed or parked request can be sent again or dismissed.',
      );
    await tx.execute(
      how === 'dismiss'
        ? sql`update dfe_outbox set status = 'dismissed' where id = ${id}`
        : waiting
          ? sql`update dfe_outbox set next_attempt_at = ${at} where id = ${id}`
          : row.status === 'parked'
            ? sql`update dfe_outbox set status = 'sending', next_attempt_at = ${at} where id = ${id}`
            : sql`update dfe_outbox set status = 'pending', attempts = 0, next_attempt_at = ${at} where id = ${id}`,
    );
    if (how === 'retry' && row.declaration_id !== null) {
      await tx.execute(
        sql`update dfe_declaration set status = 'queued', refusal = null, updated_at = ${at}
            where id = ${row.declaration_id} and status = 'refused'`,
      );
    }
    await tx.execute(
      sql`update staff_task set status = 'done', completed_at = ${at}
          where kind = 'dfe_refused' and dfe_outbox_id = ${id} and status = 'open'`,
    );
    await audit(tx, {
      what: how === 'retry' ? 'DFE_REQUEST_RETRIED' : 'DFE_REQUEST_DISMISSED',
      who: actor,
      ...(row.enrolment_id !== null
        ? { subjectType: 'enrolment', subjectId: row.enrolment_id }
        : { subjectType: 'dfe_application', subjectId: row.application_id ?? 0 }),
      details: { outboxId: id },
      at,
    });
    return { applicationId: row.application_id };
  });
}
