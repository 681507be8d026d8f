/**
 * Subject access: everything npq-ops holds about the signed-in participant, for them to download
 * (JSON) or read (/my-data). Only for participants, about themselves: staff read a participant's
 * record through the participant record pages. One set-based query per kind of record; each
 * builds its JSON in the database so both engines give the same text for dates and times.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { queryRows } from '../../db/client.js';
import {
  hideAccountLinks,
  renderEmail,
  EMAIL_TEMPLATE_KEYS,
  type EmailTemplateKey,
} from '../../domain/email-templates.js';
import { retentionSchedule, type RetentionRule } from '../../policy/retention.js';
import type { Actor } from '../actor.js';
import { NotFoundError } from '../errors.js';
import { subjectsOfParticipants } from './subjects.js';

export type DataRow = Record<string, unknown>;

export interface SubjectAccessRecord {
  generatedAt: string;
  profile: DataRow;
  accounts: DataRow[];
  employment: DataRow[];
  enrolments: DataRow[];
  engagement: DataRow[];
  bookings: DataRow[];
  coaching: DataRow[];
  deferralCases: DataRow[];
  assessmentSubmissions: DataRow[];
  assessmentResults: DataRow[];
  assessmentDeferralCases: DataRow[];
  schoolMoves: DataRow[];
  transferCases: DataRow[];
  withdrawals: DataRow[];
  emails: DataRow[];
  auditTrail: DataRow[];
  retention: RetentionRule[];
}

async function rows(db: Db, query: SQL): Promise<DataRow[]> {
  const [row] = await queryRows<{ rows: DataRow[] | string }>(db, query);
  const value = row?.rows ?? [];
  return typeof value === 'string' ? (JSON.parse(value) as DataRow[]) : value;
}

/** jsonb_agg over `from`, ordered, as one row: '[]' when there is nothing. */
const agg = (object: SQL, from: SQL, order: SQL) =>
  sql`select coalesce(jsonb_agg(${object} order by ${order}), '[]'::jsonb) as rows ${from}`;

export async function mySubjectAccessRecord(
  deps: { db: Db; clock: { now(): Date } },
  actor: Actor,
  options: { retentionYearsAfterEnd: number },
): Promise<SubjectAccessRecord> {
  // Participants only, about themselves: for anyone else there is nothing here.
  if (actor.role !== 'participant' || actor.participantId === null)
    throw new NotFoundError('Not found');
  const { db } = deps;
  const pid = actor.participantId;
  const enrol = sql`(select id from enrolment where participant_id = ${pid})`;

  const [profile] = await rows(
    db,
    agg(
      sql`jsonb_build_object('id', p.id, 'fullName', p.full_name, 'email', p.email, 'trn', p.trn,
            'dfeRegistrationId', p.dfe_registration_id, 'dfeRegistrationConfirmed', p.dfe_registration_confirmed,
            'employmentConfirmed', p.employment_confirmed, 'fundingRoute', p.funding_route,
            'workingPattern', p.working_pattern, 'partTimeFraction', p.part_time_fraction,
            'currentSchool', s.name, 'currentSchoolUrn', s.urn, 'createdAt', p.created_at)`,
      sql`from participant p left join school s on s.id = p.current_school_id where p.id = ${pid}`,
      sql`p.id`,
    ),
  );
  if (!profile) throw new NotFoundError('Not found');

  const [
    accounts,
    employment,
    enrolments,
    engagement,
    bookings,
    coaching,
    deferralCases,
    assessmentSubmissions,
    assessmentResults,
    assessmentDeferralCases,
    schoolMoves,
    transferCases,
    withdrawals,
    emailRows,
    auditTrail,
  ] = [
    await rows(
      db,
      agg(
        sql`jsonb_build_object('id', u.id, 'email', u.email, 'displayName', u.display_name, 'role', u.role,
              'createdAt', u.created_at, 'deactivatedAt', u.deactivated_at)`,
        sql`from app_user u where u.participant_id = ${pid}`,
        sql`u.id`,
      ),
    ),
    await rows(
      db,
      agg(
        sql`jsonb_build_object('school', s.name, 'urn', s.urn, 'startedOn', pe.started_on, 'endedOn', pe.ended_on)`,
        sql`from participant_employment pe join school s on s.id = pe.school_id where pe.participant_id = ${pid}`,
        sql`pe.started_on, pe.id`,
      ),
    ),
    await rows(
      db,
      agg(
        sql`jsonb_build_object('id', e.id, 'cohort', c.name, 'programme', pr.name, 'course', co.name,
              'deliveryPartner', dp.name, 'status', e.status, 'deferralCount', e.deferral_count,
              'assessmentAttemptsUsed', e.assessment_attempts_used, 'statusChangedAt', e.status_changed_at,
              'commencedAt', e.commenced_at, 'createdAt', e.created_at)`,
        sql`from enrolment e join cohort c on c.id = e.cohort_id join programme pr on pr.id = c.programme_id
            join course co on co.id = pr.course_id join delivery_partner dp on dp.id = e.delivery_partner_id
            where e.participant_id = ${pid}`,
        sql`e.created_at, e.id`,
      ),
    ),
    await rows(
      db,
      agg(
        sql`jsonb_build_object('id', r.id, 'activity', a.title, 'kind', r.kind, 'occurredAt', r.occurred_at,
              'source', r.source, 'recordedAt', r.recorded_at)`,
        sql`from engagement_record r join programme_activity a on a.id = r.activity_id where r.participant_id = ${pid}`,
        sql`r.occurred_at, r.id`,
      ),
    ),
    await rows(
      db,
      agg(
        sql`jsonb_build_object('id', b.id, 'enrolmentId', b.enrolment_id, 'event', a.title, 'startsAt', ev.starts_at,
              'endsAt', ev.ends_at, 'location', ev.location, 'status', b.status, 'accommodation', b.accommodation,
              'bookedAt', b.booked_at, 'cancelledAt', b.cancelled_at)`,
        sql`from event_booking b join cohort_event ev on ev.id = b.cohort_event_id
            join programme_activity a on a.id = ev.activity_id where b.participant_id = ${pid}`,
        sql`ev.starts_at, b.id`,
      ),
    ),
    await rows(
      db,
      agg(
        sql`jsonb_build_object('id', s.id, 'enrolmentId', s.enrolment_id, 'activity', a.title, 'startsAt', s.starts_at,
              'endsAt', s.ends_at, 'status', s.status, 'coachNote', s.note)`,
        sql`from coaching_session s join programme_activity a on a.id = s.activity_id where s.participant_id = ${pid}`,
        sql`s.starts_at, s.id`,
      ),
    ),
    await rows(
      db,
      agg(
        sql`jsonb_build_object('id', d.id, 'enrolmentId', d.enrolment_id, 'status', d.status,
              'circumstance', d.circumstance, 'description', d.description, 'dfeReason', d.dfe_reason,
              'requestedOn', d.requested_on, 'alternativesOffered', d.alternatives_offered,
              'participantChoice', d.participant_choice, 'isException', d.is_exception,
              'rejoinDate', d.rejoin_date, 'rejoinPlan', d.rejoin_plan, 'intentContactDueOn', d.intent_contact_due_on,
              'reasonableAdjustments', d.reasonable_adjustments, 'decision', d.decision, 'decidedAt', d.decided_at,
              'createdAt', d.created_at)`,
        sql`from deferral_case d where d.participant_id = ${pid}`,
        sql`d.created_at, d.id`,
      ),
    ),
    await rows(
      db,
      agg(
        sql`jsonb_build_object('id', s.id, 'enrolmentId', s.enrolment_id, 'attemptNumber', s.attempt_number,
              'windowOpensOn', w.opens_on, 'windowClosesOn', w.closes_on, 'submittedAt', s.submitted_at,
              'outcome', s.outcome, 'assessedAt', s.assessed_at)`,
        sql`from assessment_submission s join assessment_window w on w.id = s.window_id where s.enrolment_id in ${enrol}`,
        sql`s.submitted_at, s.id`,
      ),
    ),
    await rows(
      db,
      agg(
        sql`jsonb_build_object('enrolmentId', r.enrolment_id, 'windowOpensOn', w.opens_on, 'windowClosesOn', w.closes_on,
              'result', r.result, 'decision', r.decision, 'processedAt', r.processed_at)`,
        sql`from assessment_window_result r join assessment_window w on w.id = r.window_id where r.enrolment_id in ${enrol}`,
        sql`r.processed_at, r.window_id`,
      ),
    ),
    await rows(
      db,
      agg(
        sql`jsonb_build_object('id', a.id, 'enrolmentId', a.enrolment_id, 'status', a.status,
              'circumstance', a.circumstance, 'description', a.description, 'requestedAt', a.requested_at,
              'evidenceRequest', a.evidence_request, 'evidenceNote', a.evidence_note, 'decision', a.decision,
              'decidedAt', a.decided_at)`,
        sql`from assessment_deferral_case a where a.enrolment_id in ${enrol}`,
        sql`a.requested_at, a.id`,
      ),
    ),
    await rows(
      db,
      agg(
        sql`jsonb_build_object('id', m.id, 'enrolmentId', m.enrolment_id, 'fromSchool', fs.name, 'toSchool', ts.name,
              'movedOn', m.moved_on, 'insideNetwork', m.inside_network, 'decision', m.decision, 'createdAt', m.created_at)`,
        sql`from school_move m left join school fs on fs.id = m.from_school_id join school ts on ts.id = m.to_school_id
            where m.participant_id = ${pid}`,
        sql`m.moved_on, m.id`,
      ),
    ),
    await rows(
      db,
      agg(
        sql`jsonb_build_object('id', t.id, 'enrolmentId', t.enrolment_id, 'schoolMoveId', t.school_move_id, 'status', t.status,
              'receivingLeadProvider', t.receiving_lead_provider, 'dataSharingConsent', t.data_sharing_consent,
              'consentRecordedAt', t.consent_recorded_at, 'exportPackage', t.export_package,
              'confirmedAt', t.confirmed_at, 'createdAt', t.created_at)`,
        sql`from transfer_case t where t.enrolment_id in ${enrol}`,
        sql`t.created_at, t.id`,
      ),
    ),
    await rows(
      db,
      agg(
        sql`jsonb_build_object('id', w.id, 'enrolmentId', w.enrolment_id, 'reason', w.reason,
              'withdrawnOn', w.withdrawn_on, 'note', w.note, 'createdAt', w.created_at)`,
        sql`from withdrawal w where w.enrolment_id in ${enrol}`,
        sql`w.withdrawn_on, w.id`,
      ),
    ),
    await rows(
      db,
      agg(
        sql`jsonb_build_object('id', m.id, 'template', m.template, 'to', m.to_email, 'personalisation', m.personalisation,
              'status', m.status, 'createdAt', m.created_at, 'sentAt', m.sent_at)`,
        sql`from email_message m
            where lower(m.to_email) = (select lower(email) from participant where id = ${pid})
               or lower(m.to_email) in (select lower(email) from app_user where participant_id = ${pid})
               or (m.subject_type = 'participant' and m.subject_id = ${String(pid)})
               or (m.subject_type = 'app_user' and m.subject_id in (select id::text from app_user where participant_id = ${pid}))`,
        sql`m.created_at, m.id`,
      ),
    ),
    await rows(
      db,
      agg(
        sql`jsonb_build_object('id', ae.id, 'what', ae.what,
              'who', case when ae.who = 'system' then 'the daily job'
                          when ae.who in (select 'user:' || id from app_user where participant_id = ${pid}) then 'you'
                          else 'staff' end,
              'subjectType', ae.subject_type, 'subjectId', ae.subject_id, 'occurredAt', ae.occurred_at,
              'details', ae.details)`,
        sql`from audit_event ae join (${subjectsOfParticipants([pid])}) s on ae.subject_type = s.t and ae.subject_id = s.sid`,
        sql`ae.occurred_at, ae.id`,
      ),
    ),
  ];

  return {
    generatedAt: deps.clock.now().toISOString(),
    profile,
    accounts,
    employment,
    enrolments,
    engagement,
    bookings,
    coaching,
    deferralCases,
    assessmentSubmissions,
    assessmentResults,
    assessmentDeferralCases,
    schoolMoves,
    transferCases,
    withdrawals,
    emails: emailRows.map(readableEmail),
    auditTrail,
    retention: retentionSchedule(options.retentionYearsAfterEnd),
  };
}

/**
 * An email as it was sent, with the secret of any invitation or reset link hidden: a downloaded
 * file lying about must not let anyone into the account.
 */
function readableEmail(row: DataRow): DataRow {
  const { personalisation, template, ...rest } = row;
  let subject: string | null = null;
  let body: string | null = null;
  if (EMAIL_TEMPLATE_KEYS.includes(template as EmailTemplateKey)) {
    try {
      const rendered = renderEmail(
        template as EmailTemplateKey,
        (personalisation ?? {}) as Record<string, string>,
      );
      subject = rendered.subject;
      body = hideAccountLinks(rendered.body);
    } catch {
      // A message written before its template gained a placeholder: say what it was, not its text.
    }
  }
  return { ...rest, template, subject, body };
}
