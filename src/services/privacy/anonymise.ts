/**
 * Anonymising participants, shared by the retention schedule (retention.ts) and erasure on request
 * (erasure.ts). Their enrolments, engagement, bookings, results and decisions stay (funding and
 * statistics need them) but nothing left says who they were. Set-based: one statement per kind of
 * record, however many participants. The caller locks the participants and writes its own
 * PARTICIPANT_ERASED audit event.
 */
import { sql } from 'drizzle-orm';
import { arrayParam, queryRows } from '../../db/client.js';
import { REDACTED, redactAuditDetails } from '../../policy/retention.js';
import type { Tx } from '../withdrawals.js';
import { subjectsOfParticipants } from './subjects.js';

const intArray = (values: readonly number[]) => sql`${arrayParam(values)}::int[]`;
const textArray = (values: readonly string[]) => sql`${arrayParam(values)}::text[]`;

export async function anonymiseParticipants(
  tx: Tx,
  ids: readonly number[],
  at: Date,
): Promise<{ auditEventsRedacted: number; emailsDeleted: number }> {
  if (ids.length === 0) return { auditEventsRedacted: 0, emailsDeleted: 0 };
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
  // The coach's notes about them are free text about a person (2.2.1.3 coaching).
  await tx.execute(
    sql`update coaching_session set note = null where participant_id = any(${pids})`,
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
  // Their assessment files (kept in stored_object by the default store; an S3 deployment keeps the
  // key, so its objects can still be found and removed) and the feedback written about their work.
  await tx.execute(
    sql`delete from stored_object where key in (
          select file_key from assessment_submission
          where enrolment_id in ${enrol} and file_key is not null)`,
  );
  await tx.execute(
    sql`update assessment_submission
        set file_name = null, feedback = null, first_feedback = null, second_feedback = null
        where enrolment_id in ${enrol}`,
  );
  await tx.execute(
    sql`update transfer_case set export_package = null where enrolment_id in ${enrol}`,
  );

  const auditEventsRedacted = await redactAuditEvents(
    tx,
    ids,
    deletedEmails.map((e) => e.id),
  );
  return { auditEventsRedacted, emailsDeleted: deletedEmails.length };
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
