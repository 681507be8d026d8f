import { sql } from 'drizzle-orm';
import { arrayParam, queryRows } from '../db/client.js';
import type { Actor } from './actor.js';
import {
  coachingCoursesParam,
  OPEN_ENROLMENT_STATUSES,
  requireAssignmentManager,
  type ServiceDeps,
} from './assignments.js';
import { cohortVisibleTo } from './authorisation.js';
import { NotFoundError } from './errors.js';

/**
 * What the assignments pages list: each is one statement (the people assigned are gathered with
 * json_agg per row), so a page costs the same whatever its length.
 */

export interface Assignee {
  assignmentId: number;
  userId: number;
  name: string;
}

const ASSIGNEES = (where: ReturnType<typeof sql>, role: string) =>
  sql`coalesce((select json_agg(json_build_object('assignmentId', sa.id, 'userId', u.id, 'name', u.display_name)
                                order by u.display_name, sa.id)
                from staff_assignment sa join app_user u on u.id = sa.user_id
                where ${where} and u.role = ${role}), '[]'::json)`;

const openStatuses = () => sql`${arrayParam([...OPEN_ENROLMENT_STATUSES])}::text[]`;

export interface CohortOption {
  id: number;
  name: string;
}

/** Cohorts the manager can see, optionally only NPQEL and EHCO ones, newest first. */
export async function cohortOptions(
  { db }: ServiceDeps,
  actor: Actor,
  options: { coachingOnly?: boolean } = {},
): Promise<CohortOption[]> {
  requireAssignmentManager(actor);
  const coaching = options.coachingOnly
    ? sql`co.identifier = any(${coachingCoursesParam()})`
    : sql`true`;
  return queryRows(
    db,
    sql`select c.id, c.name from cohort c join programme pr on pr.id = c.programme_id
        join course co on co.id = pr.course_id
        where (${cohortVisibleTo(actor)}) and ${coaching}
        order by c.start_date desc, c.name, c.id`,
  );
}

export interface CoachingRow {
  participantId: number;
  fullName: string;
  enrolmentId: number;
  cohortId: number;
  cohortName: string;
  deliveryPartner: string;
  status: string;
  coaches: Assignee[];
}

/** Participants with a running NPQEL or EHCO enrolment, with their coach, by cohort then name. */
export async function coachingList(
  { db }: ServiceDeps,
  actor: Actor,
  query: { cohortId?: number | undefined; limit: number; offset: number },
): Promise<{ items: CoachingRow[]; total: number }> {
  requireAssignmentManager(actor);
  const rows = await queryRows<CoachingRow & { total: number }>(
    db,
    sql`select e.participant_id as "participantId", p.full_name as "fullName", e.id as "enrolmentId",
               c.id as "cohortId", c.name as "cohortName", dp.name as "deliveryPartner", e.status,
               ${ASSIGNEES(sql`sa.participant_id = e.participant_id`, 'coach')} as coaches,
               count(*) over ()::int as total
        from enrolment e join cohort c on c.id = e.cohort_id
        join programme pr on pr.id = c.programme_id join course co on co.id = pr.course_id
        join participant p on p.id = e.participant_id
        join delivery_partner dp on dp.id = e.delivery_partner_id
        where (${cohortVisibleTo(actor)}) and co.identifier = any(${coachingCoursesParam()})
          and e.status = any(${openStatuses()})
          ${query.cohortId === undefined ? sql`` : sql`and c.id = ${query.cohortId}`}
        order by c.start_date desc, c.name, p.full_name, e.id
        limit ${query.limit} offset ${query.offset}`,
  );
  return { items: rows.map(({ total: _, ...r }) => r), total: rows[0]?.total ?? 0 };
}

export interface AssessorCohortRow {
  cohortId: number;
  cohortName: string;
  startDate: string;
  endDate: string;
  participants: number;
  awaitingOutcome: number;
  assessors: Assignee[];
}

/** Every cohort the manager can see, with its assessors and how many submissions await an outcome. */
export async function assessorCohorts(
  { db }: ServiceDeps,
  actor: Actor,
  cohortId?: number,
): Promise<AssessorCohortRow[]> {
  requireAssignmentManager(actor);
  return queryRows(
    db,
    sql`select c.id as "cohortId", c.name as "cohortName", c.start_date::text as "startDate",
               c.end_date::text as "endDate",
               (select count(*)::int from enrolment e where e.cohort_id = c.id) as participants,
               (select count(*)::int from assessment_submission s join enrolment e on e.id = s.enrolment_id
                where e.cohort_id = c.id and s.outcome is null) as "awaitingOutcome",
               ${ASSIGNEES(sql`sa.cohort_id = c.id`, 'assessor')} as assessors
        from cohort c where (${cohortVisibleTo(actor)})
          ${cohortId === undefined ? sql`` : sql`and c.id = ${cohortId}`}
        order by c.start_date desc, c.name, c.id`,
  );
}

export interface FacilitatorEventRow {
  cohortEventId: number;
  cohortId: number;
  cohortName: string;
  title: string;
  kind: string;
  startsAt: string;
  location: string;
  facilitators: Assignee[];
}

const EVENT_COLUMNS = sql`ce.id as "cohortEventId", c.id as "cohortId", c.name as "cohortName",
  a.title, a.kind, ce.starts_at as "startsAt", ce.location,
  ${ASSIGNEES(sql`sa.cohort_event_id = ce.id`, 'facilitator')} as facilitators`;

/** Events still to come (or running now), soonest first, with who facilitates each. */
export async function facilitatorEvents(
  { db, clock }: ServiceDeps,
  actor: Actor,
  query: { cohortId?: number | undefined; limit: number; offset: number },
): Promise<{ items: FacilitatorEventRow[]; total: number }> {
  requireAssignmentManager(actor);
  const rows = await queryRows<FacilitatorEventRow & { total: number }>(
    db,
    sql`select ${EVENT_COLUMNS}, count(*) over ()::int as total
        from cohort_event ce join cohort c on c.id = ce.cohort_id
        join programme_activity a on a.id = ce.activity_id
        where (${cohortVisibleTo(actor)}) and ce.ends_at >= ${clock.now()}
          ${query.cohortId === undefined ? sql`` : sql`and c.id = ${query.cohortId}`}
        order by ce.starts_at, ce.id
        limit ${query.limit} offset ${query.offset}`,
  );
  return {
    items: rows.map(({ total: _, ...r }) => ({
      ...r,
      startsAt: new Date(r.startsAt).toISOString(),
    })),
    total: rows[0]?.total ?? 0,
  };
}

/** One participant for the change-coach form: their NPQEL/EHCO enrolments and current coach. */
export async function coachingTarget(
  { db }: ServiceDeps,
  actor: Actor,
  participantId: number,
): Promise<{ participantId: number; fullName: string; cohorts: string[]; coaches: Assignee[] }> {
  requireAssignmentManager(actor);
  const [row] = await queryRows<{ full_name: string; cohorts: string[]; coaches: Assignee[] }>(
    db,
    sql`select p.full_name,
               array(select c.name from enrolment e join cohort c on c.id = e.cohort_id
                     where e.participant_id = p.id and (${cohortVisibleTo(actor)}) order by c.start_date) as cohorts,
               ${ASSIGNEES(sql`sa.participant_id = p.id`, 'coach')} as coaches
        from participant p
        where p.id = ${participantId}
          and exists (select 1 from enrolment e join cohort c on c.id = e.cohort_id
                      where e.participant_id = p.id and (${cohortVisibleTo(actor)}))`,
  );
  if (!row) throw new NotFoundError('Participant not found');
  return { participantId, fullName: row.full_name, cohorts: row.cohorts, coaches: row.coaches };
}

/** One cohort for the add-assessor form. */
export async function assessorTarget(
  deps: ServiceDeps,
  actor: Actor,
  cohortId: number,
): Promise<AssessorCohortRow> {
  const [found] = await assessorCohorts(deps, actor, cohortId);
  if (!found) throw new NotFoundError('Cohort not found');
  return found;
}

/** One event (past or to come) for the add-facilitator form. */
export async function facilitatorTarget(
  { db }: ServiceDeps,
  actor: Actor,
  cohortEventId: number,
): Promise<FacilitatorEventRow> {
  requireAssignmentManager(actor);
  const [row] = await queryRows<FacilitatorEventRow>(
    db,
    sql`select ${EVENT_COLUMNS}
        from cohort_event ce join cohort c on c.id = ce.cohort_id
        join programme_activity a on a.id = ce.activity_id
        where ce.id = ${cohortEventId} and (${cohortVisibleTo(actor)})`,
  );
  if (!row) throw new NotFoundError('Event not found');
  return { ...row, startsAt: new Date(row.startsAt).toISOString() };
}
