import { sql, type SQL } from 'drizzle-orm';
import { queryRows } from '../db/client.js';
import type { Actor } from './actor.js';
import { enrolmentVisibleTo, requireEnrolment, requireParticipant } from './authorisation.js';
import { NotFoundError } from './errors.js';
import type { ServiceDeps } from './participants.js';

/**
 * Reading the audit trail. Audit events name their subject by table (subject_type) and id; this
 * maps every subject that belongs to a participant back to them, so a participant's log shows
 * their enrolments, bookings, cases, moves and withdrawals together.
 */
const SUBJECTS_OF_PARTICIPANT = (participantId: number, actor: Actor): SQL => sql`
  with visible as (
    -- Only the enrolments this actor may see: a participant enrolled with two partners shows each
    -- partner its own records, never the other's.
    select e.id from enrolment e join cohort c on c.id = e.cohort_id
    where e.participant_id = ${participantId} and (${enrolmentVisibleTo(actor)})
  )
  select 'participant' as t, ${participantId}::text as sid
  union all select 'enrolment', v.id::text from visible v
  union all select 'event_booking', b.id::text from event_booking b join visible v on v.id = b.enrolment_id
  union all select 'coaching_session', s.id::text from coaching_session s join visible v on v.id = s.enrolment_id
  union all select 'deferral_case', d.id::text from deferral_case d join visible v on v.id = d.enrolment_id
  union all select 'school_move', m.id::text from school_move m join visible v on v.id = m.enrolment_id
  union all select 'transfer_case', tc.id::text from transfer_case tc join visible v on v.id = tc.enrolment_id
  union all select 'withdrawal', w.id::text from withdrawal w join visible v on v.id = w.enrolment_id
  union all select 'assessment_submission', a.id::text from assessment_submission a join visible v on v.id = a.enrolment_id
  union all select 'assessment_deferral_case', a.id::text from assessment_deferral_case a join visible v on v.id = a.enrolment_id`;

/** The enrolment a case-like subject belongs to, for the authorisation check. */
const ENROLMENT_OF_SUBJECT: Record<string, (id: number) => SQL> = {
  enrolment: (id) => sql`select id as enrolment_id from enrolment where id = ${id}`,
  deferral_case: (id) => sql`select enrolment_id from deferral_case where id = ${id}`,
  assessment_deferral_case: (id) =>
    sql`select enrolment_id from assessment_deferral_case where id = ${id}`,
  assessment_submission: (id) =>
    sql`select enrolment_id from assessment_submission where id = ${id}`,
  school_move: (id) => sql`select enrolment_id from school_move where id = ${id}`,
  transfer_case: (id) => sql`select enrolment_id from transfer_case where id = ${id}`,
  withdrawal: (id) => sql`select enrolment_id from withdrawal where id = ${id}`,
  event_booking: (id) => sql`select enrolment_id from event_booking where id = ${id}`,
  coaching_session: (id) => sql`select enrolment_id from coaching_session where id = ${id}`,
};

export const AUDITABLE_CASE_TYPES = Object.keys(ENROLMENT_OF_SUBJECT);

const AUDIT_READERS: readonly Actor['role'][] = [
  'admin',
  'programme_team',
  'delivery_partner_staff',
];

export interface AuditEventView {
  id: number;
  what: string;
  who: string;
  /** Who, for people: the user's name, or "the daily job" for the system. */
  whoName: string;
  subjectType: string;
  subjectId: string;
  occurredAt: string;
  details: unknown;
  correlationId: string | null;
}

interface AuditRow {
  id: number;
  what: string;
  who: string;
  subject_type: string;
  subject_id: string;
  occurred_at: string | Date;
  details: unknown;
  correlation_id: string | null;
}

const toView = (r: AuditRow & { who_name: string | null }): AuditEventView => ({
  id: Number(r.id),
  what: r.what,
  who: r.who,
  whoName: r.who === 'system' ? 'the daily job' : (r.who_name ?? 'a member of staff'),
  subjectType: r.subject_type,
  subjectId: r.subject_id,
  occurredAt: new Date(r.occurred_at).toISOString(),
  details: r.details,
  correlationId: r.correlation_id,
});

function requireAuditReader(actor: Actor, notFound: string): void {
  // Coaches, assessors, facilitators and participants work from the records themselves; the log is for staff who run cases.
  if (!AUDIT_READERS.includes(actor.role)) throw new NotFoundError(notFound);
}

export async function participantAuditLog(
  { db }: ServiceDeps,
  actor: Actor,
  participantId: number,
): Promise<AuditEventView[]> {
  requireAuditReader(actor, 'Participant not found');
  await requireParticipant(db, actor, participantId);
  const rows = await queryRows<AuditRow & { who_name: string | null }>(
    db,
    sql`with subjects as (${SUBJECTS_OF_PARTICIPANT(participantId, actor)})
        select ae.id, ae.what, ae.who, u.display_name as who_name, ae.subject_type, ae.subject_id, ae.occurred_at,
               ae.details, ae.correlation_id
        from audit_event ae join subjects s on ae.subject_type = s.t and ae.subject_id = s.sid
        left join app_user u on ae.who = 'user:' || u.id
        order by ae.occurred_at, ae.id`,
  );
  return rows.map(toView);
}

export async function subjectAuditLog(
  { db }: ServiceDeps,
  actor: Actor,
  subjectType: string,
  subjectId: number,
): Promise<AuditEventView[]> {
  requireAuditReader(actor, 'Not found');
  const enrolmentOf = ENROLMENT_OF_SUBJECT[subjectType];
  if (!enrolmentOf) throw new NotFoundError('Not found');
  const [owner] = await queryRows<{ enrolment_id: number }>(db, enrolmentOf(subjectId));
  if (!owner) throw new NotFoundError('Not found');
  await requireEnrolment(db, actor, owner.enrolment_id);
  const rows = await queryRows<AuditRow & { who_name: string | null }>(
    db,
    sql`select ae.id, ae.what, ae.who, u.display_name as who_name, ae.subject_type, ae.subject_id, ae.occurred_at,
               ae.details, ae.correlation_id
        from audit_event ae left join app_user u on ae.who = 'user:' || u.id
        where ae.subject_type = ${subjectType} and ae.subject_id = ${String(subjectId)}
        order by ae.occurred_at, ae.id`,
  );
  return rows.map(toView);
}
