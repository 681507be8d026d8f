/**
 * The retention schedule, applied by the daily job: participants whose last enrolment ended more
 * than RETENTION_YEARS_AFTER_END years ago are anonymised. Their enrolments, engagement, bookings,
 * results and decisions stay (funding and statistics need them) but nothing left says who they
 * were. Set-based: one statement per kind of record, however many participants are due. Idempotent:
 * an anonymised participant carries dfe_registration_id 'erased-<id>' and is never picked again.
 */
import { sql } from 'drizzle-orm';
import { arrayParam, queryRows } from '../../db/client.js';
import {
  ENDED_ENROLMENT_STATUSES,
  erasedRegistrationId,
  retentionCutoff,
} from '../../policy/retention.js';
import { SYSTEM } from '../actor.js';
import { audit } from '../audit.js';
import type { Tx } from '../withdrawals.js';
import { anonymiseParticipants } from './anonymise.js';

export interface RetentionReport {
  participantsErased: number;
  auditEventsRedacted: number;
  emailsDeleted: number;
}

const textArray = (values: readonly string[]) => sql`${arrayParam(values)}::text[]`;

/** Participants past their retention on `today`, not yet anonymised, locked for this transaction. */
async function dueParticipants(
  tx: Tx,
  today: string,
  years: number,
): Promise<{ id: number; last_ended_on: string }[]> {
  const cutoff = retentionCutoff(today, years);
  const cutoffStart = sql`(${cutoff}::date::timestamp at time zone 'Europe/London')`;
  const ended = textArray(ENDED_ENROLMENT_STATUSES);
  return queryRows(
    tx,
    sql`select p.id, ends.last_ended_on::text as last_ended_on
        from participant p
        cross join lateral (
          select coalesce(
                   (max(e.status_changed_at) at time zone 'Europe/London')::date,
                   (p.created_at at time zone 'Europe/London')::date) as last_ended_on,
                 count(*) filter (where e.status <> all(${ended})) as open_enrolments
          from enrolment e where e.participant_id = p.id
        ) ends
        where p.dfe_registration_id is distinct from 'erased-' || p.id::text
          and ends.open_enrolments = 0
          and ends.last_ended_on < ${cutoff}::date
          -- Only those who can be due (issue 13: a run with nothing to do reads next to nothing):
          -- a last end before the cutoff means an enrolment whose status changed before it, or,
          -- with no enrolment, a record created before it (both found by an index).
          and p.id in (select e.participant_id from enrolment e where e.status_changed_at < ${cutoffStart}
                       union all
                       select c.id from participant c where c.created_at < ${cutoffStart})
        order by p.id
        for update of p`,
  );
}

/** Anonymises every participant past their retention, in the caller's transaction. */
export async function applyRetention(
  tx: Tx,
  options: { today: string; at: Date; yearsAfterEnd: number },
): Promise<RetentionReport> {
  const { today, at, yearsAfterEnd } = options;
  const due = await dueParticipants(tx, today, yearsAfterEnd);
  if (due.length === 0) return { participantsErased: 0, auditEventsRedacted: 0, emailsDeleted: 0 };
  const ids = due.map((d) => d.id);

  const { auditEventsRedacted, emailsDeleted } = await anonymiseParticipants(tx, ids, at);

  await audit(
    tx,
    ...due.map((d) => ({
      what: 'PARTICIPANT_ERASED',
      who: SYSTEM as typeof SYSTEM,
      subjectType: 'participant',
      subjectId: d.id,
      details: {
        redacted: 'retention',
        lastEndedOn: d.last_ended_on,
        retentionYearsAfterEnd: yearsAfterEnd,
        dfeRegistrationId: erasedRegistrationId(d.id),
      },
      at,
    })),
  );
  return {
    participantsErased: due.length,
    auditEventsRedacted,
    emailsDeleted,
  };
}
