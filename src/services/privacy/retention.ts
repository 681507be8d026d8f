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
  REDACTED,
  redactAuditDetails,
  retentionCutoff,
} from '../../policy/retention.js';
import { SYSTEM } from '../actor.js';
import { audit } from '../audit.js';
import type { Tx } from '../withdrawals.js';
import { subjectsOfParticipants } from './subjects.js';

export interface RetentionReport {
  participantsErased: number;
  auditEventsRedacted: number;
  emailsDeleted: number;
}

const intArray = (values: readonly number[]) => sql`${arrayParam(values)}::int[]`;
const textArray = (values: readonly string[]) => sql`${arrayParam(values)}::text[]`;

/** Participants past their retention on `today`, not yet anonymised, locked for this transaction. */
async function dueParticipants(
  tx: Tx,
  today: string,
  years: number,
): Promise<{ id: number; last_ended_on: string }[]> {
  const cutoff = retentionCutoff(today, years);
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
  const pids = intArray(ids);

  const users = (
    await queryRows<{ id: number }>(
      tx,
      sql`select id from app_user where participant_id = any(${pids})`,
    )
  ).map((u) => u.id);
  const uids = intArray(users);

  // Emails to them or about them: the outbox holds addresses, names and links in the clear.
  const deletedEmails = await queryRows<{ id: string }>(
    tx,
    sql`delete from email_message
        where lower(to_email) in (select lower(email) from participant where id = any(${pids}))
           or lower(to_email) in (select lower(email) from app_user where id = any(${uids}))
           or (subject_type = 'participant' and subject_id = any(${textArray(ids.map(String))}))
           or (subject_type = 'app_user' and subject_id = any(${textArray(users.map(String))}))
        returning id::text as id`,
  );

  await tx.execute(
    sql`update participant set
          full_name = 'Former participant ' || id::text,
          email = 'erased-participant-' || id::text || '@erased.invalid',
          trn = null,
          dfe_registration_id = 'erased-' || id::text,
          version = version + 1
        where id = any(${pids})`,
  );
  // The account closes: no address, no password, no session, token, link or calendar feed works.
  await tx.execute(
    sql`update app_user set
          email = 'erased-user-' || id::text || '@erased.invalid',
          display_name = 'Former participant ' || participant_id::text,
          password_hash = null,
          deactivated_at = coalesce(deactivated_at, ${at}),
          version = version + 1
        where id = any(${uids})`,
  );
  await tx.execute(
    sql`update user_session set revoked_at = ${at} where user_id = any(${uids}) and revoked_at is null`,
  );
  await tx.execute(
    sql`update api_token set revoked_at = ${at} where user_id = any(${uids}) and revoked_at is null`,
  );
  await tx.execute(
    sql`update account_link set used_at = ${at} where user_id = any(${uids}) and used_at is null`,
  );
  await tx.execute(
    sql`update calendar_feed set revoked_at = ${at} where participant_id = any(${pids}) and revoked_at is null`,
  );
  // Replayed API responses may quote their record.
  await tx.execute(sql`delete from idempotency_key where user_id = any(${uids})`);

  // Free text they or staff wrote about them.
  const enrol = sql`(select id from enrolment where participant_id = any(${pids}))`;
  await tx.execute(
    sql`update deferral_case set description = ${REDACTED}, reasonable_adjustments = null
        where participant_id = any(${pids})`,
  );
  await tx.execute(
    sql`update assessment_deferral_case set description = ${REDACTED}, evidence_request = null, evidence_note = null
        where enrolment_id in ${enrol}`,
  );
  await tx.execute(sql`update withdrawal set note = null where enrolment_id in ${enrol}`);
  await tx.execute(
    sql`update transfer_case set export_package = null where enrolment_id in ${enrol}`,
  );

  const auditEventsRedacted = await redactAuditEvents(
    tx,
    ids,
    deletedEmails.map((e) => e.id),
  );

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
    emailsDeleted: deletedEmails.length,
  };
}

/**
 * Redacts the details of every audit event about these participants (and the emails deleted for
 * them), keeping the events. The append-only trigger lets this one kind of update through when the
 * transaction sets npq.redaction (migration 0006_privacy).
 */
async function redactAuditEvents(
  tx: Tx,
  participantIds: readonly number[],
  emailIds: readonly string[],
): Promise<number> {
  const events = await queryRows<{ id: string; details: unknown }>(
    tx,
    sql`with subjects as (${subjectsOfParticipants(participantIds)}
          union all select 'email_message', unnest(${textArray(emailIds)}))
        select ae.id::text as id, ae.details from audit_event ae
        join subjects s on ae.subject_type = s.t and ae.subject_id = s.sid
        where not (ae.details ? 'redacted')`,
  );
  if (events.length === 0) return 0;
  await tx.execute(sql`select set_config('npq.redaction', 'on', true)`);
  await tx.execute(
    sql`update audit_event ae set details = r.details::jsonb
        from unnest(${arrayParam(events.map((e) => e.id))}::bigint[],
                    ${arrayParam(events.map((e) => JSON.stringify(redactAuditDetails(e.details))))}::text[])
          as r(id, details)
        where ae.id = r.id`,
  );
  await tx.execute(sql`select set_config('npq.redaction', 'off', true)`);
  return events.length;
}
