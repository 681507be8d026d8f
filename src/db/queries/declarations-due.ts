import { sql, type SQL } from 'drizzle-orm';
import type { DeclarationType } from '../../domain/dfe-declarations.js';
import { queryRows, type Db } from '../client.js';

/**
 * The DfE schedule of a cohort (alias c) of a course (alias co), as scheduleFor in
 * src/domain/dfe-declarations.ts works it out from the course group and the start month (a test
 * holds the two equal for every month and group).
 */
export const SCHEDULE_OF_COHORT = sql`(case
  when co.course_group = 'ehco' then
    case when extract(month from c.start_date) <= 4 then 'npq-ehco-march'
         when extract(month from c.start_date) <= 8 then 'npq-ehco-june'
         when extract(month from c.start_date) <= 11 then 'npq-ehco-november'
         else 'npq-ehco-december' end
  else 'npq-' || co.course_group ||
       case when extract(month from c.start_date) <= 6 then '-spring' else '-autumn' end
  end)`;

/** Declarations in milestone order, so one enrolment's requests go to the DfE in that order. */
const MILESTONE_ORDER = sql`array_position(array['started', 'retained-1', 'retained-2', 'completed'], declaration_type)`;

export interface DueDeclarationRow {
  enrolment_id: number;
  participant_id: number;
  course_identifier: string;
  declaration_type: DeclarationType;
  declaration_date: Date;
  has_passed: boolean | null;
}

/**
 * The rules of src/domain/dfe-declarations.ts (`declarationsDue`) for every enrolment at once, in
 * one statement: the milestone dates come from dfe_milestone_schedule, engagement evidence is
 * reduced with one grouped join, and declarations already live are left out. `scope` narrows the
 * enrolments (alias e), e.g. to one enrolment or to what an actor may see.
 */
interface CohortWindows {
  cohort_id: number;
  s_open: string;
  s_close: string;
  r1_open: string;
  r1_close: string;
  r2_open: string | null;
  r2_close: string | null;
  c_open: string;
}

/**
 * Each cohort's milestone windows, from the DfE dates entered for its year and schedule (a cohort
 * whose dates are missing has no row, so nothing is declared for it: see countWithoutMilestones).
 * A milestone closes when the next one opens, as milestoneWindows says. One small statement (a
 * row per cohort); the big one gets them as a VALUES list joined on the cohort id, which keeps
 * the planner's row estimates right (a join on the computed schedule made it expect a handful of
 * enrolments instead of 100,000 and choose a plan that spilled to disk).
 */
async function cohortWindows(db: Pick<Db, 'execute'>): Promise<CohortWindows[]> {
  return queryRows<CohortWindows>(
    db,
    sql`select c.id as cohort_id,
               to_char(ms.started_on, 'YYYY-MM-DD') as s_open,
               to_char(ms.retained_1_on, 'YYYY-MM-DD') as s_close,
               to_char(ms.retained_1_on, 'YYYY-MM-DD') as r1_open,
               to_char(coalesce(ms.retained_2_on, ms.completed_on), 'YYYY-MM-DD') as r1_close,
               to_char(ms.retained_2_on, 'YYYY-MM-DD') as r2_open,
               to_char(case when ms.retained_2_on is not null then ms.completed_on end, 'YYYY-MM-DD') as r2_close,
               to_char(ms.completed_on, 'YYYY-MM-DD') as c_open
        from cohort c join programme p on p.id = c.programme_id join course co on co.id = p.course_id
        join dfe_milestone_schedule ms
          on ms.cohort_year = c.year and ms.schedule_identifier = ${SCHEDULE_OF_COHORT}`,
  );
}

function dueCte(today: string, scope: SQL, windows: readonly CohortWindows[]): SQL {
  const rows = windows.map(
    (w) => sql`(${w.cohort_id}::int, ${w.s_open}::date, ${w.s_close}::date, ${w.r1_open}::date,
      ${w.r1_close}::date, ${w.r2_open}::date, ${w.r2_close}::date, ${w.c_open}::date)`,
  );
  const values = rows.length
    ? sql`select * from (values ${sql.join(rows, sql`, `)})
            as w(cohort_id, s_open, s_close, r1_open, r1_close, r2_open, r2_close, c_open)`
    : sql`select null::int as cohort_id, null::date as s_open, null::date as s_close,
                 null::date as r1_open, null::date as r1_close, null::date as r2_open,
                 null::date as r2_close, null::date as c_open where false`;
  // The commenced enrolments within scope, with their cohort's windows and withdrawal date:
  // read twice (base and retained), so written once here (add `where ${enrolmentsWhere}`).
  const enrolmentsFrom = sql`
      from enrolment e
      join cohort c on c.id = e.cohort_id
      join programme p on p.id = c.programme_id
      join course co on co.id = p.course_id
      join wp on wp.cohort_id = e.cohort_id
      left join withdrawal wd on wd.enrolment_id = e.id
      cross join lateral (
        select case when e.status = 'withdrawn' then wd.withdrawn_on
                    when e.status = 'transferred_out' then (e.status_changed_at at time zone 'UTC')::date
               end as withdrawn_on) x`;
  const enrolmentsWhere = sql`e.commenced_at is not null and (${scope})`;
  return sql`
    wp as (${values}),
    base as materialized (
      select e.id as enrolment_id, e.participant_id, e.delivery_partner_id, c.programme_id,
             co.identifier as course_identifier, e.commenced_at,
             case when e.status in ('completed_passed', 'completed_failed')
                  then e.status_changed_at end as outcome_at,
             e.status = 'completed_passed' as passed,
             x.withdrawn_on, wp.s_open, wp.s_close, wp.c_open
      ${enrolmentsFrom}
      where ${enrolmentsWhere}
    ),
    retained as (
      -- The first evidence within each retained milestone, per enrolment: two probes of the
      -- (participant, occurred_at) index each, so the cost follows the enrolments, not the
      -- millions of records (one pass over every record took seconds at 100,000 participants).
      select e.id as enrolment_id, r1.at as r1, r2.at as r2
      ${enrolmentsFrom}
      cross join lateral (
        select (wp.r1_open::timestamp at time zone 'UTC') as r1_from,
               (wp.r1_close::timestamp at time zone 'UTC') as r1_to,
               (wp.r2_open::timestamp at time zone 'UTC') as r2_from,
               (wp.r2_close::timestamp at time zone 'UTC') as r2_to,
               ((x.withdrawn_on + 1)::timestamp at time zone 'UTC') as until) w
      left join lateral (
        select er.occurred_at as at
        from engagement_record er join programme_activity pa on pa.id = er.activity_id
        where er.participant_id = e.participant_id and pa.programme_id = c.programme_id
          and er.occurred_at >= w.r1_from and er.occurred_at < w.r1_to
          and (w.until is null or er.occurred_at < w.until)
        order by er.occurred_at limit 1) r1 on true
      left join lateral (
        select er.occurred_at as at
        from engagement_record er join programme_activity pa on pa.id = er.activity_id
        where w.r2_from is not null
          and er.participant_id = e.participant_id and pa.programme_id = c.programme_id
          and er.occurred_at >= w.r2_from and er.occurred_at < w.r2_to
          and (w.until is null or er.occurred_at < w.until)
        order by er.occurred_at limit 1) r2 on true
      where ${enrolmentsWhere} and (r1.at is not null or r2.at is not null)
    ),
    candidates as (
      select b.enrolment_id, 'started' as type, b.commenced_at as declaration_date, null::boolean as has_passed
      from base b
      where (b.commenced_at at time zone 'UTC')::date >= b.s_open
        and (b.commenced_at at time zone 'UTC')::date < b.s_close
      union all
      select r.enrolment_id, 'retained-1', r.r1, null::boolean from retained r where r.r1 is not null
      union all
      select r.enrolment_id, 'retained-2', r.r2, null::boolean from retained r where r.r2 is not null
      union all
      select b.enrolment_id, 'completed', b.outcome_at, b.passed
      from base b
      where b.outcome_at is not null and (b.outcome_at at time zone 'UTC')::date >= b.c_open
    ),
    due as (
      select b.enrolment_id, b.participant_id, b.delivery_partner_id, b.course_identifier, k.type as declaration_type,
             k.declaration_date, k.has_passed
      from candidates k join base b on b.enrolment_id = k.enrolment_id
      where (k.declaration_date at time zone 'UTC')::date <= ${today}::date
        and (b.withdrawn_on is null or (k.declaration_date at time zone 'UTC')::date <= b.withdrawn_on)
        and not exists (select 1 from dfe_declaration d
                        where d.enrolment_id = k.enrolment_id and d.declaration_type = k.type
                          and d.status <> 'voided')
    )`;
}

/** Every declaration due today within `scope`, in enrolment and milestone order. */
export async function findDueDeclarations(
  db: Pick<Db, 'execute'>,
  today: string,
  scope: SQL = sql`true`,
): Promise<DueDeclarationRow[]> {
  return queryRows<DueDeclarationRow>(
    db,
    sql`with ${dueCte(today, scope, await cohortWindows(db))}
        select enrolment_id::int as enrolment_id, participant_id::int as participant_id,
               course_identifier, declaration_type, declaration_date, has_passed
        from due
        order by enrolment_id, ${MILESTONE_ORDER}`,
  );
}

/** How many declarations are due today within `scope`, by type (the bench and the report). */
export async function countDueDeclarations(
  db: Pick<Db, 'execute'>,
  today: string,
  scope: SQL = sql`true`,
): Promise<Record<string, number>> {
  const rows = await queryRows<{ declaration_type: string; n: number }>(
    db,
    sql`with ${dueCte(today, scope, await cohortWindows(db))}
        select declaration_type, count(*)::int as n from due group by declaration_type`,
  );
  return Object.fromEntries(rows.map((r) => [r.declaration_type, r.n]));
}

/**
 * Enqueues every declaration due today within `scope`, set-based: one insert of the declarations,
 * one insert of their outbox requests. Returns how many were queued. Safe to run at any time and
 * twice at once: the live-declaration unique index and the request key keep one of each.
 */
export async function queueDueDeclarations(
  db: Pick<Db, 'execute'>,
  today: string,
  at: Date,
  scope: SQL = sql`true`,
): Promise<number> {
  const rows = await queryRows<{ n: number }>(
    db,
    sql`with ${dueCte(today, scope, await cohortWindows(db))},
        inserted as (
          insert into dfe_declaration (enrolment_id, participant_id, declaration_type, declaration_date,
                                       course_identifier, has_passed, status, created_at, updated_at)
          select enrolment_id, participant_id, declaration_type, declaration_date, course_identifier,
                 has_passed, 'queued', ${at}, ${at}
          from due
          order by enrolment_id, ${MILESTONE_ORDER}
          on conflict do nothing
          returning id, enrolment_id, participant_id, declaration_type, declaration_date,
                    course_identifier, has_passed
        ),
        queued as (
          insert into dfe_outbox (request_key, action, enrolment_id, participant_id, declaration_id,
                                  attributes, next_attempt_at, created_at)
          select 'declare:' || i.id, 'declare', i.enrolment_id, i.participant_id, i.id,
                 jsonb_strip_nulls(jsonb_build_object(
                   'declaration_type', i.declaration_type,
                   'declaration_date', to_char(i.declaration_date at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                   'course_identifier', i.course_identifier,
                   'has_passed', i.has_passed)),
                 ${at}, ${at}
          from inserted i
          order by i.id
          returning 1
        )
        select count(*)::int as n from queued`,
  );
  return rows[0]?.n ?? 0;
}

export interface MissingMilestonesRow {
  cohort_year: number;
  schedule_identifier: string;
  enrolments: number;
}

/**
 * Commenced enrolments within `scope` whose cohort year and schedule have no DfE milestone dates:
 * nothing is declared for them until the dates are entered.
 */
export async function countWithoutMilestones(
  db: Pick<Db, 'execute'>,
  scope: SQL,
): Promise<MissingMilestonesRow[]> {
  return queryRows<MissingMilestonesRow>(
    db,
    sql`select c.year::int as cohort_year, ${SCHEDULE_OF_COHORT} as schedule_identifier,
               count(*)::int as enrolments
        from enrolment e join cohort c on c.id = e.cohort_id
        join programme p on p.id = c.programme_id join course co on co.id = p.course_id
        where e.commenced_at is not null and (${scope})
          and not exists (select 1 from dfe_milestone_schedule ms
                          where ms.cohort_year = c.year and ms.schedule_identifier = ${SCHEDULE_OF_COHORT})
        group by 1, 2 order by 1, 2`,
  );
}

/** Declarations due today within `scope`, counted by delivery partner, course and type. */
export async function countDueByPartnerAndCourse(
  db: Pick<Db, 'execute'>,
  today: string,
  scope: SQL,
): Promise<
  { delivery_partner_id: number; course_identifier: string; declaration_type: string; n: number }[]
> {
  return queryRows(
    db,
    sql`with ${dueCte(today, scope, await cohortWindows(db))}
        select delivery_partner_id, course_identifier, declaration_type, count(*)::int as n
        from due group by delivery_partner_id, course_identifier, declaration_type`,
  );
}
