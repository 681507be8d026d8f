import { sql } from 'drizzle-orm';
import { queryRows } from '../db/client.js';
import type { Actor } from './actor.js';
import type { ServiceDeps } from './assignments.js';
import { enrolmentVisibleTo } from './authorisation.js';
import { NotFoundError } from './errors.js';

/**
 * The work assigned to one person: a coach's participants and coaching sessions, an assessor's
 * cohorts and the submissions they mark. Each list is one statement.
 */

export interface CoachParticipant {
  participantId: number;
  fullName: string;
  email: string;
  enrolmentId: number | null;
  cohortName: string | null;
  deliveryPartner: string | null;
  status: string | null;
  attended: number;
  scheduled: number;
}

export interface CoachSession {
  id: number;
  enrolmentId: number;
  participantId: number;
  fullName: string;
  title: string;
  startsAt: string;
  endsAt: string;
  status: 'scheduled' | 'cancelled' | 'attended' | 'did_not_attend';
  /** Scheduled, started, and the participant is still theirs: the coach can record it. */
  canRecord: boolean;
  /** Still to come (scheduled and not started). */
  upcoming: boolean;
  /** The coach's note, if one was written. */
  note: string | null;
}

export async function coachWork(
  { db, clock }: ServiceDeps,
  actor: Actor,
): Promise<{ participants: CoachParticipant[]; sessions: CoachSession[] }> {
  if (actor.role !== 'coach') throw new NotFoundError('Coaching');
  const now = clock.now();
  const participants = await queryRows<CoachParticipant>(
    db,
    sql`select p.id as "participantId", p.full_name as "fullName", p.email,
               cur.id as "enrolmentId", cur.cohort_name as "cohortName", cur.partner as "deliveryPartner",
               cur.status,
               (select count(*)::int from coaching_session s where s.participant_id = p.id
                  and s.coach_user_id = ${actor.userId} and s.status = 'attended') as attended,
               (select count(*)::int from coaching_session s where s.participant_id = p.id
                  and s.coach_user_id = ${actor.userId} and s.status = 'scheduled') as scheduled
        from staff_assignment sa join participant p on p.id = sa.participant_id
        left join lateral (
          select e.id, c.name as cohort_name, dp.name as partner, e.status
          from enrolment e join cohort c on c.id = e.cohort_id
          join delivery_partner dp on dp.id = e.delivery_partner_id
          where e.participant_id = p.id order by c.start_date desc, e.id desc limit 1
        ) cur on true
        where sa.user_id = ${actor.userId}
        order by p.full_name, p.id`,
  );
  const sessions = await queryRows<
    CoachSession & { startsAt: Date | string; endsAt: Date | string }
  >(
    db,
    sql`select s.id, s.enrolment_id as "enrolmentId", s.participant_id as "participantId",
               p.full_name as "fullName", a.title, s.starts_at as "startsAt", s.ends_at as "endsAt", s.status,
               s.note, (s.status = 'scheduled' and s.starts_at > ${now}) as upcoming,
               (s.status = 'scheduled' and s.starts_at <= ${now}
                and exists (select 1 from staff_assignment sa where sa.user_id = ${actor.userId}
                            and sa.participant_id = s.participant_id)) as "canRecord"
        from coaching_session s join participant p on p.id = s.participant_id
        join programme_activity a on a.id = s.activity_id
        where s.coach_user_id = ${actor.userId}
        order by s.starts_at desc, s.id desc
        limit 500`,
  );
  return {
    participants,
    sessions: sessions.map((s) => ({
      ...s,
      startsAt: new Date(s.startsAt).toISOString(),
      endsAt: new Date(s.endsAt).toISOString(),
    })),
  };
}

export interface AssessorCohort {
  cohortId: number;
  cohortName: string;
  participants: number;
  awaitingOutcome: number;
}

export interface SubmissionToMark {
  id: number;
  enrolmentId: number;
  participantId: number;
  fullName: string;
  cohortId: number;
  cohortName: string;
  windowNumber: number;
  windowOpensOn: string;
  windowClosesOn: string;
  attemptNumber: number;
  submittedAt: string;
  outcome: 'passed' | 'failed' | null;
  assessedAt: string | null;
}

/**
 * An assessor's cohorts, and every submission they may mark (their cohorts' and their assigned
 * participants'), awaiting an outcome first.
 */
export async function assessorWork(
  { db }: ServiceDeps,
  actor: Actor,
  query: { awaitingOnly: boolean; limit: number; offset: number },
): Promise<{ cohorts: AssessorCohort[]; submissions: SubmissionToMark[]; total: number }> {
  if (actor.role !== 'assessor') throw new NotFoundError('Assessments');
  const cohorts = await queryRows<AssessorCohort>(
    db,
    sql`select c.id as "cohortId", c.name as "cohortName",
               (select count(*)::int from enrolment e where e.cohort_id = c.id) as participants,
               (select count(*)::int from assessment_submission s join enrolment e on e.id = s.enrolment_id
                where e.cohort_id = c.id and s.outcome is null) as "awaitingOutcome"
        from staff_assignment sa join cohort c on c.id = sa.cohort_id
        where sa.user_id = ${actor.userId}
        order by c.start_date desc, c.name`,
  );
  const rows = await queryRows<
    SubmissionToMark & {
      submittedAt: Date | string;
      assessedAt: Date | string | null;
      total: number;
    }
  >(
    db,
    sql`select s.id, s.enrolment_id as "enrolmentId", e.participant_id as "participantId",
               p.full_name as "fullName", c.id as "cohortId", c.name as "cohortName",
               w.sequence_number as "windowNumber", w.opens_on::text as "windowOpensOn",
               w.closes_on::text as "windowClosesOn", s.attempt_number as "attemptNumber",
               s.submitted_at as "submittedAt", s.outcome, s.assessed_at as "assessedAt",
               count(*) over ()::int as total
        from assessment_submission s join enrolment e on e.id = s.enrolment_id
        join cohort c on c.id = e.cohort_id join participant p on p.id = e.participant_id
        join assessment_window w on w.id = s.window_id
        where (${enrolmentVisibleTo(actor)}) ${query.awaitingOnly ? sql`and s.outcome is null` : sql``}
        order by (s.outcome is null) desc, s.submitted_at, s.id
        limit ${query.limit} offset ${query.offset}`,
  );
  return {
    cohorts,
    submissions: rows.map(({ total: _, ...r }) => ({
      ...r,
      submittedAt: new Date(r.submittedAt).toISOString(),
      assessedAt: r.assessedAt === null ? null : new Date(r.assessedAt).toISOString(),
    })),
    total: rows[0]?.total ?? 0,
  };
}
