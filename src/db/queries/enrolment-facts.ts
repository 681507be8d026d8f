import { sql, type SQL } from 'drizzle-orm';
import type {
  CourseIdentifier,
  EnrolmentStatus,
  FundingRoute,
  WorkingPattern,
  ActivityKind,
} from '../../domain/catalogue.js';
import {
  datedActivities,
  type Cohort as PolicyCohort,
  type RequiredActivity,
  type StudyModule,
  type StudySession,
} from '../../policy/index.js';
import { arrayParam, queryRows, type Db } from '../client.js';

/**
 * Everything the policy needs to know about one enrolment, loaded in a handful of queries. Ids
 * become strings at this boundary because the policy keys activities by string.
 */
export interface EnrolmentFacts {
  enrolment: {
    id: number;
    status: EnrolmentStatus;
    deferralCount: number;
    assessmentAttemptsUsed: number;
    version: number;
    deliveryPartnerId: number;
    deliveryPartnerName: string;
    isNational: boolean;
    /** When the enrolment started (policy 2.3.2), as an ISO instant; null before it commences. */
    commencedAt: string | null;
  };
  participant: {
    id: number;
    fullName: string;
    email: string;
    dfeRegistrationConfirmed: boolean;
    employmentConfirmed: boolean;
    fundingRoute: FundingRoute;
    workingPattern: WorkingPattern;
    partTimeFraction: string | null;
    currentSchoolId: number | null;
  };
  cohort: CohortFacts;
  activities: RequiredActivity[];
  modules: StudyModule[];
  sessions: StudySession[];
  completedActivityIds: Set<string>;
  /**
   * The end of the cohort this enrolment re-joins (or has re-joined) after a deferral: content stays
   * open to then (policy 2.3.6). Null without such a deferral.
   */
  rejoinCohortEndsOn: string | null;
}

export interface CohortFacts {
  id: number;
  name: string;
  year: number;
  leadProviderId: number;
  programmeId: number;
  course: CourseIdentifier;
  startDate: string;
  engagementDeadline: string;
  endDate: string;
  isFinal: boolean;
  contractEndDate: string | null;
}

type Executor = Pick<Db, 'execute'>;

export interface FactsRow {
  id: number;
  status: EnrolmentStatus;
  deferral_count: number;
  assessment_attempts_used: number;
  version: number;
  delivery_partner_id: number;
  delivery_partner_name: string;
  is_national: boolean;
  commenced_at: string | Date | null;
  participant_id: number;
  full_name: string;
  email: string;
  dfe_registration_confirmed: boolean;
  employment_confirmed: boolean;
  funding_route: FundingRoute;
  working_pattern: WorkingPattern;
  part_time_fraction: string | null;
  current_school_id: number | null;
  cohort: CohortRow | null;
  activities: ActivityRow[] | null;
  booked: BookedRow[] | null;
  modules: ModuleRow[] | null;
  completed: number[] | null;
  rejoin_cohort_ends_on: string | null;
}

/**
 * Everything about one enrolment in ONE statement (issue 13): the enrolment, participant and
 * partner, the cohort, its dated plan (activities with their slots, the participant's bookings, the
 * module releases) and the activities completed. Each part is the same query as loadCohorts and
 * loadCohortPlan, nested as JSON, so the figures cannot differ from theirs.
 */
export async function loadEnrolmentFacts(
  db: Executor,
  enrolmentId: number,
): Promise<EnrolmentFacts | null> {
  const [row] = await queryRows<FactsRow>(db, enrolmentFactsStatement(enrolmentId));
  return row ? factsFromRow(row) : null;
}

/**
 * The facts statement, optionally with more columns and a further condition (a caller's snapshot
 * adds what its page shows and who may see it). In scope for both: the enrolment `e`, its
 * participant `p`, partner `dp` and cohort `c`.
 */
export function enrolmentFactsStatement(
  enrolmentId: number,
  more: { columns?: SQL; where?: SQL } = {},
): SQL {
  return sql`select e.id, e.status, e.deferral_count, e.assessment_attempts_used, e.version,
               e.delivery_partner_id, dp.name as delivery_partner_name, dp.is_national, e.commenced_at,
               p.id as participant_id, p.full_name, p.email, p.dfe_registration_confirmed, p.employment_confirmed,
               p.funding_route, p.working_pattern, p.part_time_fraction::text, p.current_school_id,
               (select row_to_json(x) from (${COHORT_SELECT} where c.id = e.cohort_id) x) as cohort,
               (select json_agg(x order by x.position) from (${ACTIVITIES_SELECT} where c.id = e.cohort_id) x) as activities,
               (select json_agg(x) from (${bookedSelect(sql`p.id`, sql`e.cohort_id`)}) x) as booked,
               (select json_agg(x order by x.position) from (${MODULES_SELECT} where c.id = e.cohort_id) x) as modules,
               (select array_agg(distinct r.activity_id) from engagement_record r where r.participant_id = p.id) as completed,
               (select c.end_date::text from deferral_case d join cohort c on c.id = d.target_cohort_id
                where d.enrolment_id = e.id
                  and d.status in ('approved', 'deferred', 'intent_contact_due', 'confirmed', 'resumed')
                order by d.id desc limit 1) as rejoin_cohort_ends_on
               ${more.columns ? sql`, ${more.columns}` : sql``}
        from enrolment e
        join participant p on p.id = e.participant_id
        join delivery_partner dp on dp.id = e.delivery_partner_id
        join cohort c on c.id = e.cohort_id
        where e.id = ${enrolmentId}${more.where ? sql` and (${more.where})` : sql``}`;
}

/** A row of the facts statement as the policy's facts; null without its cohort. */
export function factsFromRow(row: FactsRow): EnrolmentFacts | null {
  if (!row.cohort) return null;
  return {
    enrolment: {
      id: row.id,
      status: row.status,
      deferralCount: row.deferral_count,
      assessmentAttemptsUsed: row.assessment_attempts_used,
      version: row.version,
      deliveryPartnerId: row.delivery_partner_id,
      deliveryPartnerName: row.delivery_partner_name,
      isNational: row.is_national,
      commencedAt: row.commenced_at === null ? null : new Date(row.commenced_at).toISOString(),
    },
    participant: {
      id: row.participant_id,
      fullName: row.full_name,
      email: row.email,
      dfeRegistrationConfirmed: row.dfe_registration_confirmed,
      employmentConfirmed: row.employment_confirmed,
      fundingRoute: row.funding_route,
      workingPattern: row.working_pattern,
      partTimeFraction: row.part_time_fraction,
      currentSchoolId: row.current_school_id,
    },
    cohort: toCohortFacts(row.cohort),
    ...buildPlan(row.activities ?? [], row.booked ?? [], row.modules ?? []),
    completedActivityIds: new Set((row.completed ?? []).map((id) => String(id))),
    rejoinCohortEndsOn: row.rejoin_cohort_ends_on,
  };
}

/** A cohort's modules with their dates, from a facts row (the same rows the policy dated). */
export function moduleScheduleOf(row: FactsRow): ModuleSchedule[] {
  return (row.modules ?? []).map((m) => ({
    id: m.id,
    position: m.position,
    title: m.title,
    releaseDate: m.release_date,
    idealWindowStart: m.ideal_window_start,
    idealWindowEnd: m.ideal_window_end,
  }));
}

export interface ModuleSchedule {
  id: number;
  position: number;
  title: string;
  releaseDate: string;
  idealWindowStart: string;
  idealWindowEnd: string;
}

interface CohortRow {
  id: number;
  name: string;
  year: number;
  lead_provider_id: number;
  programme_id: number;
  course: CourseIdentifier;
  start_date: string;
  engagement_deadline: string;
  end_date: string;
  is_final: boolean;
  contract_end_date: string | null;
}

const COHORT_SELECT = sql`select c.id, c.name, c.year, c.lead_provider_id, c.programme_id, co.identifier as course,
               c.start_date::text, c.engagement_deadline::text, c.end_date::text, c.is_final, c.contract_end_date::text
        from cohort c join programme p on p.id = c.programme_id join course co on co.id = p.course_id`;

function toCohortFacts(r: CohortRow): CohortFacts {
  return {
    id: r.id,
    name: r.name,
    year: r.year,
    leadProviderId: r.lead_provider_id,
    programmeId: r.programme_id,
    course: r.course,
    startDate: r.start_date,
    engagementDeadline: r.engagement_deadline,
    endDate: r.end_date,
    isFinal: r.is_final,
    contractEndDate: r.contract_end_date,
  };
}

export async function loadCohorts(
  db: Executor,
  cohortIds: readonly number[],
): Promise<CohortFacts[]> {
  const rows = await queryRows<CohortRow>(
    db,
    sql`${COHORT_SELECT} where c.id = any(${arrayParam(cohortIds)}::int[]) order by c.start_date, c.id`,
  );
  return rows.map(toCohortFacts);
}

/**
 * A cohort's required activities in programme order, each with its own dates (datedActivities,
 * policy 2.1.1): study sessions from their module's release, due session by session across the
 * ideal window; clinics, community sessions, conferences and coaching on the slots the participant
 * booked (when a participant is given) or else the cohort's scheduled slots.
 */
interface ActivityRow {
  id: number;
  kind: ActivityKind;
  position: number;
  planned_minutes: number;
  weight: number | null;
  module_id: number | null;
  session_number: number | null;
  title: string;
  deadline: string;
  slot_days: string[] | null;
}

const ACTIVITIES_SELECT = sql`select a.id, a.kind, a.position, a.planned_minutes, a.weight, a.module_id, a.session_number, a.title,
               c.engagement_deadline::text as deadline,
               (select array_agg(distinct (e.starts_at at time zone 'Europe/London')::date::text)
                from cohort_event e where e.cohort_id = c.id and e.activity_id = a.id) as slot_days
        from cohort c
        join programme_activity a on a.programme_id = c.programme_id and a.required`;

interface BookedRow {
  activity_id: number;
  day: string;
}

function bookedSelect(participantId: SQL, cohortId: SQL): SQL {
  return sql`select ev.activity_id, (ev.starts_at at time zone 'Europe/London')::date::text as day
              from event_booking b join cohort_event ev on ev.id = b.cohort_event_id
              where b.participant_id = ${participantId} and ev.cohort_id = ${cohortId}
                and b.status in ('booked', 'attended')
              union
              select s.activity_id, (s.starts_at at time zone 'Europe/London')::date::text
              from coaching_session s
              where s.participant_id = ${participantId} and s.status in ('scheduled', 'attended')`;
}

interface ModuleRow {
  id: number;
  position: number;
  title: string;
  release_date: string;
  ideal_window_start: string;
  ideal_window_end: string;
}

const MODULES_SELECT = sql`select m.id, m.position, m.title, r.release_date::text, r.ideal_window_start::text, r.ideal_window_end::text
        from cohort c
        join programme_module m on m.programme_id = c.programme_id
        join cohort_module_release r on r.cohort_id = c.id and r.module_id = m.id`;

/**
 * A cohort's required activities in programme order, each with its own dates (datedActivities,
 * policy 2.1.1): study sessions from their module's release, due session by session across the
 * ideal window; clinics, community sessions, conferences and coaching on the slots the participant
 * booked (when a participant is given) or else the cohort's scheduled slots.
 */
export async function loadCohortPlan(
  db: Executor,
  cohortId: number,
  options: { participantId?: number } = {},
): Promise<Pick<EnrolmentFacts, 'activities' | 'modules' | 'sessions'>> {
  const activities = await queryRows<ActivityRow>(
    db,
    sql`${ACTIVITIES_SELECT} where c.id = ${cohortId} order by a.position`,
  );
  const booked =
    options.participantId === undefined
      ? []
      : await queryRows<BookedRow>(
          db,
          bookedSelect(sql`${options.participantId}`, sql`${cohortId}`),
        );
  const modules = await queryRows<ModuleRow>(
    db,
    sql`${MODULES_SELECT} where c.id = ${cohortId} order by m.position`,
  );
  return buildPlan(activities, booked, modules);
}

function buildPlan(
  activities: readonly ActivityRow[],
  booked: readonly BookedRow[],
  modules: readonly ModuleRow[],
): Pick<EnrolmentFacts, 'activities' | 'modules' | 'sessions'> {
  const studyModules: StudyModule[] = modules.map((m) => ({
    id: String(m.id),
    sequence: m.position,
    title: m.title,
    releasedOn: m.release_date,
    scheduledStartOn: m.ideal_window_start,
  }));
  const bookedDays: Record<string, string[]> = {};
  for (const b of booked) (bookedDays[String(b.activity_id)] ??= []).push(b.day);
  const slotDays: Record<string, string[]> = {};
  for (const a of activities) if (a.slot_days) slotDays[String(a.id)] = a.slot_days;
  const dated = datedActivities({
    activities: activities.map((a) => ({
      id: String(a.id),
      kind: a.kind,
      sequence: a.position,
      plannedMinutes: a.planned_minutes,
      ...(a.weight !== null ? { weight: a.weight } : {}),
      ...(a.module_id !== null ? { moduleId: String(a.module_id) } : {}),
      title: a.title,
    })),
    modules: studyModules,
    slotDays,
    bookedDays,
    deadline: activities[0]?.deadline ?? '9999-12-31',
  });
  return {
    activities: dated,
    modules: studyModules,
    sessions: activities
      .filter((a) => a.kind === 'study_session' && a.module_id !== null)
      .map((a) => ({
        id: String(a.id),
        moduleId: String(a.module_id),
        sequence: a.session_number ?? 0,
        title: a.title,
      })),
  };
}

/** A cohort as the deferral rules see it: its dates and when it does each activity. */
export function toPolicyCohort(
  cohort: CohortFacts,
  activities: readonly RequiredActivity[],
  delivery: PolicyCohort['delivery'],
  assessmentWindowOpensOn?: string,
): PolicyCohort {
  const schedule: Record<string, string> = {};
  for (const a of activities) if (a.scheduledOn) schedule[a.id] = a.scheduledOn;
  return {
    id: String(cohort.id),
    course: cohort.course,
    startsOn: cohort.startDate,
    endsOn: cohort.endDate,
    isFinal: cohort.isFinal,
    delivery,
    schedule,
    ...(assessmentWindowOpensOn ? { assessmentWindowOpensOn } : {}),
  };
}
