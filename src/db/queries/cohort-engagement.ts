import { sql, type SQL } from 'drizzle-orm';
import { POLICY_REGISTER, type PolicyRegister } from '../../policy/index.js';
import { arrayParam, queryRows, type Db } from '../client.js';
import { countersAsOf } from './counters-as-of.js';

/**
 * Engagement (policy 2.1.1) for every enrolment of a cohort in one set-based statement, computed
 * exactly as evaluateEngagement over datedActivities does (a property test holds the two together):
 * weights are the programme's weight or planned minutes; coaching counts only on coaching courses;
 * every activity has its own dates for each participant (study sessions from their module's
 * release, due session by session across the ideal window; events on the slot the participant
 * booked, else the cohort's slots, the last one by the deadline being the last chance; coaching on
 * the booked day, else from its module's release to the end of its window). An activity is still
 * possible before the deadline if it is flexible (study sessions, coaching) or its last chance has
 * not passed. Whole numbers throughout, so 90.0% meets the bar and 89.99% does not.
 *
 * Built so its work grows with what was done and booked, not with enrolments × activities: each
 * activity's figures are worked out once per cohort (everyone who booked nothing of it shares
 * them), an enrolment's totals are its cohort's plus what its bookings change, and what each
 * participant has done is read from engagement_completion (one row per activity done, with the
 * London day of its first evidence; triggers keep it equal to engagement_record).
 *
 * The pace projection assumes a participant keeps their pace: someone who has done 80% of the
 * work due so far is projected at 80% at the deadline (never above what is still possible).
 */
export interface EnrolmentEngagementRow {
  enrolmentId: number;
  participantId: number;
  fullName: string;
  deliveryPartner: string;
  status: string;
  completedWeight: number;
  totalWeight: number;
  /** Weight not yet done that can still be done before the deadline. */
  stillPossibleWeight: number;
  /** Weight scheduled on or before today (what should have been done by now). */
  dueWeight: number;
  completedDueWeight: number;
  basisPoints: number;
  bestPossibleBasisPoints: number;
  projectedBasisPoints: number;
  /** Where the participant would ideally be today at the pace of the ideal windows: due / total. */
  expectedBasisPoints: number;
  meetsThreshold: boolean;
  reachable: boolean;
  atRisk: boolean;
}

export interface Row {
  enrolment_id: number;
  cohort_id: number;
  deferral_count: number;
  assessment_attempts_used: number;
  participant_id: number;
  full_name: string;
  delivery_partner: string;
  status: string;
  completed: number;
  total: number;
  still_possible: number;
  due: number;
  completed_due: number;
}

export interface EngagementSqlOptions {
  /** Which cohorts (a condition over cohort `c`). */
  cohorts: SQL;
  today: string;
  /** Which enrolments (a condition over enrolment `e` and cohort `c`). */
  visibleTo: SQL;
  register?: PolicyRegister;
  /** Count only what was completed on or before this day (engagement as it stood at the deadline). */
  completedBy?: string;
  /**
   * Deferrals taken and attempts used as they stood at the end of this day, and only enrolments
   * that existed then (see countersAsOf); without it, as recorded today.
   */
  countersAsOf?: string;
}

/** The cohorts chosen (`cohorts`, a condition over cohort `c`), as the CTE body `c`. */
function cohortsCte(cohorts: SQL, register: PolicyRegister): SQL {
  const coachingCourses = [...register.parameters.coachingCourses];
  return sql`select c.id, c.programme_id, c.engagement_deadline as deadline, c.lead_provider_id,
                 co.identifier = any(${arrayParam(coachingCourses)}::text[]) as coaching_counts
          from cohort c join programme p on p.id = c.programme_id join course co on co.id = p.course_id
          where (${cohorts})`;
}

/**
 * The CTEs `slotted`, `dated` and `act`: every required activity of the cohorts in `c` with the
 * dates it has for a participant who booked nothing of it, and whether it is still possible and due
 * on `today`. The only place `today` enters the figures besides the days of a participant's own
 * bookings (see `rebooked`): the daily job relies on this to know when a date fell due.
 */
function activityCtes(today: string, register: PolicyRegister): SQL {
  const windowDays = register.parameters.idealModuleWindowDays;
  return sql`slotted as (
          select c.id as cohort_id, c.deadline, a.id, a.kind, coalesce(a.weight, a.planned_minutes)::bigint as w,
                 r.release_date, r.ideal_window_start,
                 row_number() over (partition by c.id, a.kind, a.module_id order by a.position, a.id::text) as k,
                 count(*) over (partition by c.id, a.kind, a.module_id) as n,
                 slots.first_day,
                 coalesce(slots.last_by_deadline, slots.first_day) as last_chance
          from c
          join programme_activity a on a.programme_id = c.programme_id and a.required
          left join cohort_module_release r on r.cohort_id = c.id and r.module_id = a.module_id
          left join lateral (
            select min(d) as first_day, max(d) filter (where d <= c.deadline) as last_by_deadline
            from (select (ev.starts_at at time zone 'Europe/London')::date as d
                  from cohort_event ev where ev.cohort_id = c.id and ev.activity_id = a.id) s
          ) slots on true
          where a.kind <> 'coaching' or c.coaching_counts
        ),
        -- Each activity's dates for a participant who booked nothing of it: the same for everyone
        -- in the cohort (study sessions are never booked, so theirs are everyone's).
        dated as (
          select s.*,
                 case
                   when s.kind = 'study_session' then s.release_date
                   when s.first_day is not null then s.first_day
                   when s.kind = 'coaching' then s.release_date
                 end as on_day,
                 case
                   when s.kind = 'study_session'
                     then s.ideal_window_start + ((s.k * ${windowDays}::int + s.n - 1) / s.n)::int - 1
                   when s.first_day is not null then s.last_chance
                   when s.kind = 'coaching' then s.ideal_window_start + ${windowDays - 1}::int
                 end as due_on
          from slotted s
        ),
        act as (
          select d.cohort_id, d.id, d.kind, d.w, d.deadline, coalesce(d.due_on, d.on_day) as day,
                 case
                   when d.deadline < ${today}::date then false
                   when d.kind in ('study_session', 'coaching')
                     then d.on_day is null or d.on_day <= d.deadline
                   when coalesce(d.due_on, d.on_day) is null then true
                   else coalesce(d.due_on, d.on_day) <= d.deadline
                        and coalesce(d.due_on, d.on_day) >= ${today}::date
                 end as possible,
                 coalesce(coalesce(d.due_on, d.on_day) <= ${today}::date, false) as due
          from dated d
        )`;
}

/**
 * Every required activity of the cohorts chosen, one row each, as it stands on `today` for a
 * participant who booked nothing of it: its weight, and whether it is still possible and due. The
 * daily job compares two days' rows to find the cohorts where a date fell due in between.
 */
export function cohortActivitiesSql(options: {
  cohorts: SQL;
  today: string;
  register: PolicyRegister;
}): SQL {
  return sql`with c as (${cohortsCte(options.cohorts, options.register)}),
        ${activityCtes(options.today, options.register)}
        select cohort_id, id, kind, w, deadline, possible, due from act`;
}

/**
 * The register parameters the figures depend on (the ideal window and the coaching courses): a
 * stored figure (enrolment_engagement) is read only under the same parameters it was worked out with.
 */
export function engagementRegisterKey(register: PolicyRegister): string {
  const { idealModuleWindowDays, coachingCourses } = register.parameters;
  return `${idealModuleWindowDays}|${[...coachingCourses].sort().join(',')}`;
}

/**
 * The CTEs from `act` on, over the cohorts `c` and the enrolments `e` defined before them:
 * `stored`, the enrolments whose figures enrolment_engagement holds for `today` (none when
 * `stored` is false); `le`, the rest, whose figures `live` works out; and, for the refresh,
 * `next_change`, the first day after `today` on which an enrolment of `le`'s figures can change.
 */
function figureCtes(options: {
  today: string;
  register: PolicyRegister;
  completedBy?: string | undefined;
  stored: boolean;
}): SQL {
  const { today, register, completedBy } = options;
  return sql`stored as materialized (
          select s.enrolment_id, s.completed, s.total, s.still_possible, s.due, s.completed_due
          from enrolment_engagement s join e on e.id = s.enrolment_id and e.cohort_id = s.cohort_id
          where ${options.stored ? sql`true` : sql`false`}
            and s.cohort_id in (select id from c) and s.register_key = ${engagementRegisterKey(register)}
            and s.valid_from <= ${today}::date and s.valid_until > ${today}::date
        ),
        le as (select e.* from e where not exists (select 1 from stored s where s.enrolment_id = e.id)),
        ${activityCtes(today, register)},
        cohort_totals as (
          select cohort_id, sum(w) as total,
                 coalesce(sum(w) filter (where possible), 0) as possible,
                 coalesce(sum(w) filter (where due), 0) as due
          from act group by cohort_id
        ),
        booked as (
          select participant_id, cohort_id, activity_id, max(d) as d from (
            select b.participant_id, ev.cohort_id, ev.activity_id, (ev.starts_at at time zone 'Europe/London')::date as d
            from event_booking b join cohort_event ev on ev.id = b.cohort_event_id
            where b.participant_id in (select participant_id from le)
              and ev.cohort_id in (select id from c) and b.status in ('booked', 'attended')
            union all
            -- Coaching belongs to no cohort's events: it counts for each enrolment of the participant.
            select s.participant_id, null::int, s.activity_id, (s.starts_at at time zone 'Europe/London')::date
            from coaching_session s
            where s.participant_id in (select participant_id from le) and s.status in ('scheduled', 'attended')
          ) x group by participant_id, cohort_id, activity_id
        ),
        -- What each participant has done: one row per activity done (engagement_completion), read
        -- participant by participant before anything is joined to it.
        done_pairs as materialized (
          select le.id as enrolment_id, le.cohort_id, r.activity_id
          from le join engagement_completion r on r.participant_id = le.participant_id
          ${completedBy ? sql`where r.first_completed_on <= ${completedBy}::date` : sql``}
        ),
        -- An activity the participant booked is on the booked day instead (its only day and due
        -- day): what that changes, booking by booking, done or not.
        rebooked as (
          select le.id as enrolment_id, act.w, bk.d,
                 (case
                    when act.deadline < ${today}::date then false
                    when act.kind = 'coaching' then bk.d <= act.deadline
                    else bk.d <= act.deadline and bk.d >= ${today}::date
                  end)::int - act.possible::int as possible_change,
                 (bk.d <= ${today}::date)::int - act.due::int as due_change,
                 exists (select 1 from engagement_completion r
                         where r.participant_id = le.participant_id and r.activity_id = act.id
                         ${completedBy ? sql`and r.first_completed_on <= ${completedBy}::date` : sql``}) as done
          from booked bk
          join le on le.participant_id = bk.participant_id and (bk.cohort_id is null or bk.cohort_id = le.cohort_id)
          join act on act.cohort_id = le.cohort_id and act.id = bk.activity_id and act.kind <> 'study_session'
        ),
        -- Each enrolment's figures: the cohort's, what its bookings change, and what was done.
        figures as (
          select enrolment_id, sum(total) as total, sum(possible) as possible, sum(due) as due,
                 sum(completed) as completed, sum(completed_possible) as completed_possible,
                 sum(completed_due) as completed_due
          from (
            select le.id as enrolment_id, t.total::bigint, t.possible::bigint, t.due::bigint,
                   0::bigint as completed, 0::bigint as completed_possible, 0::bigint as completed_due
            from le join cohort_totals t on t.cohort_id = le.cohort_id
            union all
            select rb.enrolment_id, 0, rb.w * rb.possible_change, rb.w * rb.due_change, 0,
                   case when rb.done then rb.w * rb.possible_change else 0 end,
                   case when rb.done then rb.w * rb.due_change else 0 end
            from rebooked rb
            union all
            select dp.enrolment_id, 0, 0, 0, act.w,
                   case when act.possible then act.w else 0 end,
                   case when act.due then act.w else 0 end
            from done_pairs dp join act on act.cohort_id = dp.cohort_id and act.id = dp.activity_id
          ) x group by enrolment_id
        ),
        live as (
          select le.id as enrolment_id, coalesce(f.completed, 0)::bigint as completed,
                 coalesce(f.total, 0)::bigint as total,
                 coalesce(f.possible - f.completed_possible, 0)::bigint as still_possible,
                 coalesce(f.due, 0)::bigint as due, coalesce(f.completed_due, 0)::bigint as completed_due
          from le left join figures f on f.enrolment_id = le.id
        ),
        -- The figures change only when today reaches an activity's day (it falls due), the day
        -- after it (it stops being possible), or the day after the deadline; a booked activity's
        -- day likewise. The first such day after today, for each enrolment of le.
        cohort_next as (
          select cohort_id, min(x) as x from (
            select cohort_id, day as x from act
            union all select cohort_id, day + 1 from act
            union all select cohort_id, deadline + 1 from act
          ) y where x > ${today}::date group by cohort_id
        ),
        booking_next as (
          select enrolment_id, min(x) as x from (
            select enrolment_id, d as x from rebooked union all select enrolment_id, d + 1 from rebooked
          ) y where x > ${today}::date group by enrolment_id
        ),
        next_change as (
          select le.id as enrolment_id,
                 coalesce(least(cn.x, bn.x), 'infinity'::date) as valid_until
          from le left join cohort_next cn on cn.cohort_id = le.cohort_id
          left join booking_next bn on bn.enrolment_id = le.id
        )`;
}

/**
 * The engagement figures of every enrolment visible in the cohorts chosen, one row each (see Row),
 * with the enrolment's cohort, deferrals and attempts used: one statement however many cohorts.
 * An enrolment's figures are read from enrolment_engagement while its row holds for `today` and
 * the register, else worked out (never stored figures with `completedBy`, or with `live`).
 */
export function engagementSql(options: EngagementSqlOptions & { live?: boolean }): SQL {
  const register = options.register ?? POLICY_REGISTER;
  const counters = options.countersAsOf ? countersAsOf(options.countersAsOf) : null;
  return sql`with c as (${cohortsCte(options.cohorts, register)}),
        e as (
          select e.id, e.participant_id, e.status, e.delivery_partner_id, e.cohort_id,
                 ${counters ? counters.columns : sql`e.deferral_count, e.assessment_attempts_used`}
          from enrolment e join c on c.id = e.cohort_id
          ${counters ? counters.joins : sql``}
          where (${options.visibleTo}) ${counters ? sql`and ${counters.existed}` : sql``}
        ),
        ${figureCtes({
          today: options.today,
          register,
          completedBy: options.completedBy,
          stored: !options.completedBy && !options.live,
        })}
        select e.id as enrolment_id, e.participant_id, p.full_name, dp.name as delivery_partner, e.status,
               e.cohort_id, e.deferral_count, e.assessment_attempts_used,
               f.completed, f.total, f.still_possible, f.due, f.completed_due
        from e join (select * from live union all select * from stored) f on f.enrolment_id = e.id
        join participant p on p.id = e.participant_id
        join delivery_partner dp on dp.id = e.delivery_partner_id
        order by p.full_name, e.id`;
}

/**
 * The enrolments of the cohorts chosen that have no row of enrolment_engagement holding for
 * `today` under `register`: at most `limit` of them, in enrolment order.
 */
export function staleEnrolmentsSql(options: {
  cohorts: SQL;
  today: string;
  register: PolicyRegister;
  limit: number;
}): SQL {
  const { today, register } = options;
  return sql`select e.id from enrolment e join cohort c on c.id = e.cohort_id
          where (${options.cohorts})
            and not exists (select 1 from enrolment_engagement s
                            where s.enrolment_id = e.id and s.register_key = ${engagementRegisterKey(register)}
                              and s.valid_from <= ${today}::date and s.valid_until > ${today}::date)
          order by e.id limit ${options.limit}`;
}

/**
 * Works out and stores the figures of these enrolments (see staleEnrolmentsSql), each valid until
 * the first day they can change. Returns how many were stored. The enrolments are given by id,
 * so the planner knows how many there are: estimated from the summary's statistics instead, a
 * batch of thousands planned as a handful took seconds.
 */
export function engagementRefreshSql(options: {
  enrolmentIds: readonly number[];
  today: string;
  register: PolicyRegister;
}): SQL {
  const { today, register } = options;
  const key = engagementRegisterKey(register);
  const ids = sql`${arrayParam(options.enrolmentIds)}::int[]`;
  return sql`with c as (${cohortsCte(
    sql`c.id in (select cohort_id from enrolment where id = any(${ids}))`,
    register,
  )}),
        e as (
          select e.id, e.participant_id, e.status, e.delivery_partner_id, e.cohort_id
          from enrolment e join c on c.id = e.cohort_id
          where e.id = any(${ids})
        ),
        ${figureCtes({ today, register, stored: false })},
        written as (
          insert into enrolment_engagement (enrolment_id, cohort_id, register_key, valid_from, valid_until,
                                            completed, total, still_possible, due, completed_due)
          select l.enrolment_id, le.cohort_id, ${key}, ${today}::date, n.valid_until,
                 l.completed, l.total, l.still_possible, l.due, l.completed_due
          from live l join next_change n on n.enrolment_id = l.enrolment_id
          join le on le.id = l.enrolment_id
          on conflict (enrolment_id) do update
            set cohort_id = excluded.cohort_id, register_key = excluded.register_key,
                valid_from = excluded.valid_from,
                valid_until = excluded.valid_until, completed = excluded.completed,
                total = excluded.total, still_possible = excluded.still_possible,
                due = excluded.due, completed_due = excluded.completed_due
          returning 1
        )
        select count(*)::int as stored from written`;
}

export async function cohortEngagement(
  db: Pick<Db, 'execute'>,
  options: {
    cohortId: number;
    today: string;
    visibleTo: SQL;
    register?: PolicyRegister;
    /** Count only what was completed on or before this day (engagement as it stood at the deadline). */
    completedBy?: string;
  },
): Promise<EnrolmentEngagementRow[]> {
  const register = options.register ?? POLICY_REGISTER;
  const { cohortId, ...rest } = options;
  const rows = await queryRows<Row>(
    db,
    engagementSql({ ...rest, register, cohorts: sql`c.id = ${cohortId}` }),
  );
  return rows.map((r) => toEngagementRow(r, register));
}

/** One statement row as the figures the pages show (the same arithmetic as engagementFigures). */
export function toEngagementRow(
  r: Pick<
    Row,
    | 'enrolment_id'
    | 'participant_id'
    | 'full_name'
    | 'delivery_partner'
    | 'status'
    | 'completed'
    | 'total'
    | 'still_possible'
    | 'due'
    | 'completed_due'
  >,
  register: PolicyRegister = POLICY_REGISTER,
): EnrolmentEngagementRow {
  const bp = register.parameters.engagementThresholdBp;
  const completed = Number(r.completed);
  const total = Number(r.total);
  const stillPossible = Number(r.still_possible);
  const due = Number(r.due);
  const completedDue = Number(r.completed_due);
  const basisPoints = toBasisPoints(completed, total);
  const bestPossibleBasisPoints = toBasisPoints(completed + stillPossible, total);
  // With nothing due yet there is no pace to extrapolate: assume the participant keeps up.
  const projectedBasisPoints =
    due === 0
      ? bestPossibleBasisPoints
      : Math.min(bestPossibleBasisPoints, toBasisPoints(completedDue, due));
  const expectedBasisPoints = toBasisPoints(due, total);
  const meetsThreshold = total > 0 && completed * 10_000 >= total * bp;
  const reachable = total > 0 && (completed + stillPossible) * 10_000 >= total * bp;
  return {
    enrolmentId: r.enrolment_id,
    participantId: r.participant_id,
    fullName: r.full_name,
    deliveryPartner: r.delivery_partner,
    status: r.status,
    completedWeight: completed,
    totalWeight: total,
    stillPossibleWeight: stillPossible,
    dueWeight: due,
    completedDueWeight: completedDue,
    basisPoints,
    bestPossibleBasisPoints,
    projectedBasisPoints,
    expectedBasisPoints,
    meetsThreshold,
    reachable,
    atRisk: !meetsThreshold && (!reachable || projectedBasisPoints < bp),
  };
}

function toBasisPoints(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.floor((part * 10_000) / whole);
}

/* ---------------------------------------------------------------------------------------------
 * The dashboard a page at a time: the figures of every enrolment in SQL (the same arithmetic as
 * toEngagementRow), so the totals are one aggregate and the table is one page of rows.
 * ------------------------------------------------------------------------------------------- */

/** Statuses still working towards the deadline; only these are "at risk" on the dashboard. */
export const IN_PROGRESS_STATUSES: readonly string[] = ['active', 'accepted'];

/** Engagement bands of the dashboard, in basis points: [min, max). */
export const ENGAGEMENT_BANDS = [
  { key: 'below-50', label: 'Below 50%', min: 0, max: 5000 },
  { key: '50-75', label: '50% to 74.9%', min: 5000, max: 7500 },
  { key: '75-90', label: '75% to 89.9%', min: 7500, max: 9000 },
  { key: '90-plus', label: '90% or more', min: 9000, max: null },
] as const;

interface CohortPageOptions {
  cohortId: number;
  today: string;
  visibleTo: SQL;
  register: PolicyRegister;
  /** Only participants at risk (in progress, projected or certain to miss the bar). */
  atRiskOnly: boolean;
}

/** engagementSql's rows with basis points, projection and at-risk worked out in SQL. */
function figuresSql(options: CohortPageOptions): SQL {
  const bp = options.register.parameters.engagementThresholdBp;
  const inner = engagementSql({
    today: options.today,
    register: options.register,
    visibleTo: options.visibleTo,
    cohorts: sql`c.id = ${options.cohortId}`,
  });
  return sql`select r.*, f1.bp, f2.projected_bp,
                    (not f2.meets and (not f2.reachable or f2.projected_bp < ${bp}::bigint)
                     and r.status = any(${arrayParam([...IN_PROGRESS_STATUSES])}::text[])) as at_risk
             from (${inner}) r
             cross join lateral (
               select case when r.total = 0 then 0::bigint else r.completed * 10000 / r.total end as bp,
                      case when r.total = 0 then 0::bigint
                           else (r.completed + r.still_possible) * 10000 / r.total end as best_bp
             ) f1
             cross join lateral (
               select case when r.due = 0 then f1.best_bp
                           else least(f1.best_bp, r.completed_due * 10000 / r.due) end as projected_bp,
                      r.total > 0 and r.completed * 10000 >= r.total * ${bp}::bigint as meets,
                      r.total > 0 and (r.completed + r.still_possible) * 10000 >= r.total * ${bp}::bigint as reachable
             ) f2`;
}

export interface CohortEngagementSummary {
  /** Participants matching the filters (every page together). */
  participants: number;
  /** Of them, at risk. */
  atRisk: number;
  /** Mean engagement in basis points (rounded down), 0 with nobody. */
  averageBasisPoints: number;
  bands: { key: string; label: string; count: number }[];
  /** The gravest at risk (lowest projection first), at most `atRiskShown`. */
  atRiskRows: EnrolmentEngagementRow[];
}

/**
 * The cohort's totals over everyone matching the filters, and its gravest at-risk participants:
 * one aggregate statement (the engagement of each enrolment is worked out once, in the database).
 */
export async function cohortEngagementSummary(
  db: Pick<Db, 'execute'>,
  options: CohortPageOptions & { atRiskShown: number },
): Promise<CohortEngagementSummary> {
  const band = (b: (typeof ENGAGEMENT_BANDS)[number]) =>
    b.max === null
      ? sql`count(*) filter (where f.bp >= ${b.min})::int`
      : sql`count(*) filter (where f.bp >= ${b.min} and f.bp < ${b.max})::int`;
  const [row] = await queryRows<{
    participants: number;
    at_risk: number;
    average_bp: number | string;
    bands: number[];
    at_risk_rows: Row[] | null;
  }>(
    db,
    sql`with f as materialized (
          select * from (${figuresSql(options)}) x ${options.atRiskOnly ? sql`where x.at_risk` : sql``}
        )
        select count(*)::int as participants,
               count(*) filter (where f.at_risk)::int as at_risk,
               coalesce(floor(avg(f.bp)), 0)::int as average_bp,
               array[${sql.join(ENGAGEMENT_BANDS.map(band), sql`, `)}] as bands,
               (select json_agg(g order by g.projected_bp, g.enrolment_id) from (
                  select * from f where f.at_risk order by f.projected_bp, f.enrolment_id
                  limit ${options.atRiskShown}) g) as at_risk_rows
        from f`,
  );
  return {
    participants: row?.participants ?? 0,
    atRisk: row?.at_risk ?? 0,
    averageBasisPoints: Number(row?.average_bp ?? 0),
    bands: ENGAGEMENT_BANDS.map((b, i) => ({
      key: b.key,
      label: b.label,
      count: Number(row?.bands[i] ?? 0),
    })),
    atRiskRows: (row?.at_risk_rows ?? []).map((r) => toEngagementRow(r, options.register)),
  };
}

/**
 * One page of the cohort's participants, by name then enrolment (a stable order). Without the
 * at-risk filter only the page's enrolments are worked out; with it, everyone then the page.
 */
export async function cohortEngagementPage(
  db: Pick<Db, 'execute'>,
  options: CohortPageOptions & { limit: number; offset: number },
): Promise<EnrolmentEngagementRow[]> {
  if (!options.atRiskOnly) {
    const pageOnly = sql`(${options.visibleTo}) and e.id in (
        select e.id from enrolment e join cohort c on c.id = e.cohort_id
        join participant p on p.id = e.participant_id
        where e.cohort_id = ${options.cohortId} and (${options.visibleTo})
        order by p.full_name, e.id limit ${options.limit} offset ${options.offset})`;
    return cohortEngagement(db, { ...options, visibleTo: pageOnly });
  }
  const rows = await queryRows<Row>(
    db,
    sql`select x.* from (${figuresSql(options)}) x where x.at_risk
        order by x.full_name, x.enrolment_id limit ${options.limit} offset ${options.offset}`,
  );
  return rows.map((r) => toEngagementRow(r, options.register));
}
