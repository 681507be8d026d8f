import { sql, type SQL } from 'drizzle-orm';
import { milestoneWindows, type DeclarationType } from '../../domain/dfe-declarations.js';
import { queryRows, type Db } from '../client.js';

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
 * one statement: the milestone dates come from the domain as a VALUES list, engagement evidence is reduced
 * with one grouped join, and declarations already live are left out. `scope` narrows the
 * enrolments (alias e), e.g. to one enrolment or to what an actor may see.
 */
function dueCte(today: string, scope: SQL): SQL {
  // One row per course group with its 2025 milestone dates; SQL shifts them by the cohort's year
  // as milestonesFor does. A three-row VALUES list keeps the planner's row estimates right (a JSON
  // recordset joined on group and year made it expect a few hundred enrolments, not 100,000).
  const groups = (['leadership', 'specialist', 'ehco'] as const).map((group) => {
    const ws = milestoneWindows([2025]).filter((w) => w.group === group);
    const at = (type: string, end: 'opensOn' | 'closesOn') =>
      ws.find((w) => w.type === type)?.[end] ?? null;
    return sql`(${group}, ${at('started', 'opensOn')}::date, ${at('started', 'closesOn')}::date,
      ${at('retained-1', 'opensOn')}::date, ${at('retained-1', 'closesOn')}::date,
      ${at('retained-2', 'opensOn')}::date, ${at('retained-2', 'closesOn')}::date,
      ${at('completed', 'opensOn')}::date)`;
  });
  return sql`
    m as (
      select * from (values ${sql.join(groups, sql`, `)})
        as m(grp, s_open, s_close, r1_open, r1_close, r2_open, r2_close, c_open)
    ),
    wp as (
      select c.id as cohort_id, m.grp,
             (m.s_open + make_interval(years => c.year - 2025))::date as s_open,
             (m.s_close + make_interval(years => c.year - 2025))::date as s_close,
             (m.r1_open + make_interval(years => c.year - 2025))::date as r1_open,
             (m.r1_close + make_interval(years => c.year - 2025))::date as r1_close,
             (m.r2_open + make_interval(years => c.year - 2025))::date as r2_open,
             (m.r2_close + make_interval(years => c.year - 2025))::date as r2_close,
             (m.c_open + make_interval(years => c.year - 2025))::date as c_open
      from cohort c join programme p on p.id = c.programme_id join course co on co.id = p.course_id
      join m on m.grp = co.course_group
    ),
    base as materialized (
      select e.id as enrolment_id, e.participant_id, e.delivery_partner_id, c.programme_id,
             co.identifier as course_identifier, e.commenced_at,
             case when e.status in ('completed_passed', 'completed_failed')
                  then e.status_changed_at end as outcome_at,
             e.status = 'completed_passed' as passed,
             x.withdrawn_on, wp.s_open, wp.s_close, wp.c_open,
             (wp.r1_open::timestamp at time zone 'UTC') as r1_from,
             (wp.r1_close::timestamp at time zone 'UTC') as r1_to,
             (wp.r2_open::timestamp at time zone 'UTC') as r2_from,
             (wp.r2_close::timestamp at time zone 'UTC') as r2_to,
             ((x.withdrawn_on + 1)::timestamp at time zone 'UTC') as withdrawn_until
      from enrolment e
      join cohort c on c.id = e.cohort_id
      join programme p on p.id = c.programme_id
      join course co on co.id = p.course_id
      join wp on wp.cohort_id = c.id
      left join withdrawal wd on wd.enrolment_id = e.id
      cross join lateral (
        select case when e.status = 'withdrawn' then wd.withdrawn_on
                    when e.status = 'transferred_out' then (e.status_changed_at at time zone 'UTC')::date
               end as withdrawn_on) x
      where e.commenced_at is not null and (${scope})
    ),
    retained as (
      -- One pass over the evidence: the first record within each retained milestone.
      select b.enrolment_id,
             min(er.occurred_at) filter (where er.occurred_at >= b.r1_from and er.occurred_at < b.r1_to) as r1,
             min(er.occurred_at) filter (where er.occurred_at >= b.r2_from and er.occurred_at < b.r2_to) as r2
      from base b
      -- Evidence with its programme first (OFFSET 0 keeps it apart), then one hash join to the
      -- enrolments: joining enrolments to every programme activity first made millions of rows.
      join (select er.participant_id, er.occurred_at, pa.programme_id
            from engagement_record er join programme_activity pa on pa.id = er.activity_id
            offset 0) er on er.participant_id = b.participant_id and er.programme_id = b.programme_id
      where er.occurred_at >= b.r1_from and er.occurred_at < coalesce(b.r2_to, b.r1_to)
        and (b.withdrawn_until is null or er.occurred_at < b.withdrawn_until)
      group by b.enrolment_id
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
    sql`with ${dueCte(today, scope)}
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
    sql`with ${dueCte(today, scope)}
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
    sql`with ${dueCte(today, scope)},
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
    sql`with ${dueCte(today, scope)}
        select delivery_partner_id, course_identifier, declaration_type, count(*)::int as n
        from due group by delivery_partner_id, course_identifier, declaration_type`,
  );
}
