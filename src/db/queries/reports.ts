import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from '../client.js';

/**
 * Set-based SQL for the programme reports (issue 16). Every figure is a count of enrolments in
 * `base`: the accepted enrolments (anything past 'applied') the actor may see, narrowed by the
 * report's filters. A figure's drill-down lists the same enrolments by the same predicate
 * (`figurePredicate`), so a count and the participants behind it cannot disagree.
 */

export const REPORT_DIMENSIONS = ['cohort', 'course', 'partner', 'pattern'] as const;
export type ReportDimension = (typeof REPORT_DIMENSIONS)[number];

export interface ReportFilters {
  cohortId?: number;
  course?: string;
  deliveryPartnerId?: number;
  workingPattern?: 'full_time' | 'part_time';
}

export const FUNNEL_STEPS = [
  'accepted',
  'commenced',
  'retained_1',
  'retained_2',
  'completed',
  'passed',
] as const;
export type FunnelStep = (typeof FUNNEL_STEPS)[number];

/** A figure whose participants can be listed: a funnel step, or one cell of a breakdown. */
export type Figure =
  | { kind: FunnelStep }
  | { kind: 'deferral' | 'assessment_deferral'; circumstance: string; outcome: string }
  | { kind: 'withdrawal'; reason: string }
  | { kind: 'at_risk'; on: string; alert?: 'engagement_behind' | 'engagement_unreachable' }
  | { kind: 'school_move'; insideNetwork: boolean }
  | { kind: 'transfer'; status: string };

type Executor = Pick<Db, 'execute'>;

/**
 * The enrolments a report counts, as a CTE. `visibleTo` is enrolmentVisibleTo(actor) over `e`/`c`.
 * Commenced: formally commenced (commenced_at, 2.3.2), or in a status only reached after starting.
 * Retained (with `milestones`): a DfE retained-1/retained-2 declaration that stands (queued or
 * accepted, not refused or voided), joined once as a grouped set rather than probed per enrolment:
 * at 100,000 enrolments the probes' estimated cost switched on PostgreSQL's JIT, which took 3 s to
 * compile a 0.3 s query.
 */
function baseCte(
  visibleTo: SQL,
  filters: ReportFilters,
  { milestones = false, people = false }: { milestones?: boolean; people?: boolean } = {},
): SQL {
  // The participant row only when a filter, the breakdown or a list needs it.
  const withPeople = people || filters.workingPattern !== undefined;
  const where: SQL[] = [sql`e.status <> 'applied'`, sql`(${visibleTo})`];
  if (filters.cohortId !== undefined) where.push(sql`e.cohort_id = ${filters.cohortId}`);
  if (filters.course !== undefined) where.push(sql`co.identifier = ${filters.course}`);
  if (filters.deliveryPartnerId !== undefined) {
    where.push(sql`e.delivery_partner_id = ${filters.deliveryPartnerId}`);
  }
  if (filters.workingPattern !== undefined) {
    where.push(sql`p.working_pattern = ${filters.workingPattern}`);
  }
  // Not materialised: each use is planned on its own, so a breakdown starts from its few cases and
  // looks their enrolments up by key instead of building every enrolment first.
  return sql`base as not materialized (
    select e.id as enrolment_id, e.participant_id, e.status,
           ${withPeople ? sql`p.full_name, p.working_pattern` : sql`null::text as full_name, null::text as working_pattern`},
           c.id as cohort_id, c.name as cohort_name, co.identifier as course, co.name as course_name,
           dp.id as partner_id, dp.name as partner_name,
           (e.commenced_at is not null
             or e.status in ('active', 'deferred', 'transferred_out', 'completed_passed', 'completed_failed')) as commenced,
           ${milestones ? sql`coalesce(m.retained_1, false)` : sql`null::boolean`} as retained_1,
           ${milestones ? sql`coalesce(m.retained_2, false)` : sql`null::boolean`} as retained_2,
           e.status in ('completed_passed', 'completed_failed') as completed,
           e.status = 'completed_passed' as passed
    from enrolment e
    join cohort c on c.id = e.cohort_id
    join programme pr on pr.id = c.programme_id
    join course co on co.id = pr.course_id
    join delivery_partner dp on dp.id = e.delivery_partner_id
    ${withPeople ? sql`join participant p on p.id = e.participant_id` : sql``}
    ${
      milestones
        ? sql`left join (
              select d.enrolment_id, bool_or(d.declaration_type = 'retained-1') as retained_1,
                     bool_or(d.declaration_type = 'retained-2') as retained_2
              from dfe_declaration d
              where d.declaration_type in ('retained-1', 'retained-2') and d.status in ('queued', 'submitted')
              group by d.enrolment_id
            ) m on m.enrolment_id = e.id`
        : sql``
    }
    where ${sql.join(where, sql` and `)}
  )`;
}

const DIMENSION_SQL: Record<ReportDimension, { key: SQL; label: SQL }> = {
  cohort: { key: sql`b.cohort_id::text`, label: sql`b.cohort_name` },
  course: { key: sql`b.course`, label: sql`b.course_name` },
  partner: { key: sql`b.partner_id::text`, label: sql`b.partner_name` },
  pattern: {
    key: sql`b.working_pattern`,
    label: sql`case b.working_pattern when 'part_time' then 'Part time' else 'Full time' end`,
  },
};

export interface FunnelRow {
  key: string;
  label: string;
  accepted: number;
  commenced: number;
  retained_1: number;
  retained_2: number;
  completed: number;
  passed: number;
}

/** The funnel from accepted to passed, one row per value of the dimension. */
export async function funnelBy(
  db: Executor,
  visibleTo: SQL,
  filters: ReportFilters,
  by: ReportDimension,
): Promise<FunnelRow[]> {
  const d = DIMENSION_SQL[by];
  return queryRows<FunnelRow>(
    db,
    sql`with ${baseCte(visibleTo, filters, { milestones: true, people: by === 'pattern' })}
        select ${d.key} as key, ${d.label} as label, count(*)::int as accepted,
               count(*) filter (where b.commenced)::int as commenced,
               count(*) filter (where b.retained_1)::int as retained_1,
               count(*) filter (where b.retained_2)::int as retained_2,
               count(*) filter (where b.completed)::int as completed,
               count(*) filter (where b.passed)::int as passed
        from base b group by 1, 2 order by 2, 1`,
  );
}

export interface BreakdownRow {
  key: string;
  outcome: string;
  participants: number;
}

/**
 * The breakdowns: deferrals and assessment deferrals by circumstance and outcome (the case's
 * status), withdrawals by DfE reason, school moves by network and transfers by status. Each counts
 * enrolments (participants), not cases, so it matches its drill-down list.
 */
export async function breakdowns(
  db: Executor,
  visibleTo: SQL,
  filters: ReportFilters,
): Promise<
  Record<'deferral' | 'assessment_deferral' | 'withdrawal' | 'move' | 'transfer', BreakdownRow[]>
> {
  const rows = await queryRows<BreakdownRow & { section: string }>(
    db,
    sql`with ${baseCte(visibleTo, filters)}
        select 'deferral' as section, x.circumstance as key, x.status as outcome,
               count(distinct x.enrolment_id)::int as participants
        from deferral_case x join base b on b.enrolment_id = x.enrolment_id group by 2, 3
        union all
        select 'assessment_deferral', x.circumstance, x.status, count(distinct x.enrolment_id)::int
        from assessment_deferral_case x join base b on b.enrolment_id = x.enrolment_id group by 2, 3
        union all
        select 'withdrawal', x.reason, '', count(distinct x.enrolment_id)::int
        from withdrawal x join base b on b.enrolment_id = x.enrolment_id group by 2
        union all
        select 'move', case when x.inside_network then 'inside' else 'outside' end, '',
               count(distinct x.enrolment_id)::int
        from school_move x join base b on b.enrolment_id = x.enrolment_id group by 2
        union all
        select 'transfer', x.status, '', count(distinct x.enrolment_id)::int
        from transfer_case x join base b on b.enrolment_id = x.enrolment_id group by 2
        order by 1, 2, 3`,
  );
  const of = (section: string) =>
    rows
      .filter((r) => r.section === section)
      .map(({ key, outcome, participants }) => ({ key, outcome, participants }));
  return {
    deferral: of('deferral'),
    assessment_deferral: of('assessment_deferral'),
    withdrawal: of('withdrawal'),
    move: of('move'),
    transfer: of('transfer'),
  };
}

export interface AtRiskPoint {
  on: string;
  behind: number;
  unreachable: number;
  total: number;
}

/** An alert open on a day: raised on or before it and not cleared by then. */
const openOn = (day: SQL) =>
  sql`a.raised_on <= ${day} and (a.cleared_on is null or a.cleared_on > ${day})`;

/**
 * Participants at risk (an engagement alert open) at the end of each of the last `weeks` weeks up
 * to `today`. An alert is one row per kind and enrolment, reopened by a later raise, so a period
 * between an earlier clearing and a re-raise counts as at risk throughout.
 */
export async function atRiskSeries(
  db: Executor,
  visibleTo: SQL,
  filters: ReportFilters,
  today: string,
  weeks: number,
): Promise<AtRiskPoint[]> {
  return queryRows<AtRiskPoint>(
    db,
    sql`with ${baseCte(visibleTo, filters)},
        days as (select (${today}::date - 7 * g)::date as on_day from generate_series(0, ${weeks - 1}) g),
        alerts as materialized (select a.* from engagement_alert a join base b on b.enrolment_id = a.enrolment_id)
        select d.on_day::text as "on",
               count(distinct a.enrolment_id) filter (where a.kind = 'engagement_behind')::int as behind,
               count(distinct a.enrolment_id) filter (where a.kind = 'engagement_unreachable')::int as unreachable,
               count(distinct a.enrolment_id)::int as total
        from days d left join alerts a on ${openOn(sql`d.on_day`)}
        group by d.on_day order by d.on_day`,
  );
}

/** The condition over `b` (a row of base) for a figure's participants. */
export function figurePredicate(figure: Figure): SQL {
  switch (figure.kind) {
    case 'accepted':
      return sql`true`;
    case 'commenced':
    case 'retained_1':
    case 'retained_2':
    case 'completed':
    case 'passed':
      return sql.raw(`b.${figure.kind}`);
    case 'deferral':
      return sql`exists (select 1 from deferral_case x where x.enrolment_id = b.enrolment_id
                          and x.circumstance = ${figure.circumstance} and x.status = ${figure.outcome})`;
    case 'assessment_deferral':
      return sql`exists (select 1 from assessment_deferral_case x where x.enrolment_id = b.enrolment_id
                          and x.circumstance = ${figure.circumstance} and x.status = ${figure.outcome})`;
    case 'withdrawal':
      return sql`exists (select 1 from withdrawal x where x.enrolment_id = b.enrolment_id and x.reason = ${figure.reason})`;
    case 'at_risk':
      return sql`exists (select 1 from engagement_alert a where a.enrolment_id = b.enrolment_id
                          and ${openOn(sql`${figure.on}::date`)}
                          ${figure.alert ? sql`and a.kind = ${figure.alert}` : sql``})`;
    case 'school_move':
      return sql`exists (select 1 from school_move x where x.enrolment_id = b.enrolment_id
                          and x.inside_network = ${figure.insideNetwork})`;
    case 'transfer':
      return sql`exists (select 1 from transfer_case x where x.enrolment_id = b.enrolment_id and x.status = ${figure.status})`;
  }
}

const needsMilestones = (figure: Figure) =>
  figure.kind === 'retained_1' || figure.kind === 'retained_2';

export interface FigureParticipant {
  participantId: number;
  enrolmentId: number;
  fullName: string;
  cohort: string;
  course: string;
  deliveryPartner: string;
  workingPattern: string;
  status: string;
}

/** The participants behind a figure, in name order, and how many there are (one query). */
export async function figureParticipants(
  db: Executor,
  visibleTo: SQL,
  filters: ReportFilters,
  figure: Figure,
  page: { limit: number | null; offset: number },
): Promise<{ rows: FigureParticipant[]; total: number }> {
  const rows = await queryRows<FigureParticipant & { total: number }>(
    db,
    sql`with ${baseCte(visibleTo, filters, { milestones: needsMilestones(figure), people: true })}
        select b.participant_id as "participantId", b.enrolment_id as "enrolmentId",
               b.full_name as "fullName", b.cohort_name as cohort, b.course_name as course,
               b.partner_name as "deliveryPartner", b.working_pattern as "workingPattern", b.status,
               (count(*) over ())::int as total
        from base b where ${figurePredicate(figure)}
        order by b.full_name, b.enrolment_id
        ${page.limit === null ? sql`` : sql`limit ${page.limit}`} offset ${page.offset}`,
  );
  let total = rows[0]?.total ?? 0;
  if (rows.length === 0 && page.offset > 0) {
    const [row] = await queryRows<{ n: number }>(
      db,
      sql`with ${baseCte(visibleTo, filters, { milestones: needsMilestones(figure), people: true })} select count(*)::int as n from base b where ${figurePredicate(figure)}`,
    );
    total = row?.n ?? 0;
  }
  return { rows: rows.map(({ total: _t, ...r }) => r), total };
}
