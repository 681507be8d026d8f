/**
 * The DfE's milestone dates per cohort year and schedule: read by the programme team, admins and
 * delivery-partner staff (they decide when declarations fall due); entered or corrected by the
 * programme team and admins from the DfE's published schedules. Each change is audited and takes
 * effect at the next declarations run (dates already declared are not moved).
 */
import { sql } from 'drizzle-orm';
import type { Clock } from '../../../clock.js';
import { queryRows, type Db } from '../../../db/client.js';
import {
  groupOfSchedule,
  milestoneProblems,
  SCHEDULE_IDENTIFIERS,
  type ScheduleIdentifier,
  type ScheduleMilestones,
} from '../../../domain/dfe-declarations.js';
import { SYSTEM, type Actor } from '../../actor.js';
import { audit } from '../../audit.js';
import { ForbiddenError, ValidationError } from '../../errors.js';

const READERS: readonly Actor['role'][] = ['admin', 'programme_team', 'delivery_partner_staff'];
const EDITORS: readonly Actor['role'][] = ['admin', 'programme_team'];

/** Staff through the pages and API; SYSTEM is the command line (whoever runs the server). */
type Who = Actor | typeof SYSTEM;

export const mayEditMilestones = (actor: Who): boolean =>
  actor === SYSTEM || EDITORS.includes(actor.role);

export interface MilestoneScheduleView extends ScheduleMilestones {
  /** When the dates were last entered, and by whom (null: added with the catalogue). */
  updatedAt: string;
  updatedBy: string | null;
}

/** Every schedule's dates, newest cohort year first, schedules in their usual order. */
export async function listMilestoneSchedules(
  { db }: { db: Db },
  actor: Who,
): Promise<MilestoneScheduleView[]> {
  if (actor !== SYSTEM && !READERS.includes(actor.role)) throw new ForbiddenError();
  const rows = await queryRows<MilestoneScheduleView & { schedule: ScheduleIdentifier }>(
    db,
    sql`select ms.cohort_year::int as "cohortYear", ms.schedule_identifier as schedule,
               to_char(ms.started_on, 'YYYY-MM-DD') as "startedOn",
               to_char(ms.retained_1_on, 'YYYY-MM-DD') as "retained1On",
               to_char(ms.retained_2_on, 'YYYY-MM-DD') as "retained2On",
               to_char(ms.completed_on, 'YYYY-MM-DD') as "completedOn",
               to_char(ms.updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as "updatedAt",
               u.display_name as "updatedBy"
        from dfe_milestone_schedule ms left join app_user u on u.id = ms.updated_by_user_id
        order by ms.cohort_year desc`,
  );
  const order = (s: string) => SCHEDULE_IDENTIFIERS.indexOf(s as ScheduleIdentifier);
  return rows.sort((a, b) => b.cohortYear - a.cohortYear || order(a.schedule) - order(b.schedule));
}

export interface MilestoneInput {
  startedOn: string;
  retained1On: string;
  retained2On?: string | null | undefined;
  completedOn: string;
}

/**
 * Enters (or corrects) one cohort year's dates for a schedule. Refused field by field when a date
 * is not real, falls outside the cohort's span, is out of milestone order, or retained-2 is given
 * for a schedule without it (or missing for a leadership one).
 */
export async function setMilestoneSchedule(
  { db, clock }: { db: Db; clock: Clock },
  actor: Who,
  cohortYear: number,
  schedule: string,
  input: MilestoneInput,
): Promise<{ created: boolean; dates: ScheduleMilestones }> {
  if (!mayEditMilestones(actor)) throw new ForbiddenError();
  const problems: { path: string; message: string }[] = [];
  if (!Number.isInteger(cohortYear) || cohortYear < 2021 || cohortYear > 2100)
    problems.push({ path: 'cohortYear', message: 'Enter a cohort year from 2021' });
  if (!SCHEDULE_IDENTIFIERS.includes(schedule as ScheduleIdentifier))
    problems.push({
      path: 'schedule',
      message: `Choose one of the DfE's schedules: ${SCHEDULE_IDENTIFIERS.join(', ')}`,
    });
  if (problems.length) throw new ValidationError(problems);
  const dates: ScheduleMilestones = {
    cohortYear,
    schedule: schedule as ScheduleIdentifier,
    startedOn: input.startedOn.trim(),
    retained1On: input.retained1On.trim(),
    retained2On: input.retained2On?.trim() ? input.retained2On.trim() : null,
    completedOn: input.completedOn.trim(),
  };
  const wrong = milestoneProblems(dates);
  if (wrong.length)
    throw new ValidationError(wrong.map((p) => ({ path: p.field, message: p.message })));
  const at = clock.now();
  return db.transaction(async (tx) => {
    const [before] = await queryRows<{ started_on: string }>(
      tx,
      sql`select to_char(started_on, 'YYYY-MM-DD') as started_on from dfe_milestone_schedule
          where cohort_year = ${cohortYear} and schedule_identifier = ${schedule} for update`,
    );
    await tx.execute(sql`
      insert into dfe_milestone_schedule
        (cohort_year, schedule_identifier, started_on, retained_1_on, retained_2_on, completed_on,
         updated_by_user_id, updated_at)
      values (${cohortYear}, ${schedule}, ${dates.startedOn}::date, ${dates.retained1On}::date,
              ${dates.retained2On}::date, ${dates.completedOn}::date, ${actor === SYSTEM ? null : actor.userId}, ${at})
      on conflict (cohort_year, schedule_identifier) do update set
        started_on = excluded.started_on, retained_1_on = excluded.retained_1_on,
        retained_2_on = excluded.retained_2_on, completed_on = excluded.completed_on,
        updated_by_user_id = excluded.updated_by_user_id, updated_at = excluded.updated_at`);
    await audit(tx, {
      what: before ? 'dfe_milestones.changed' : 'dfe_milestones.entered',
      who: actor,
      subjectType: 'dfe_milestone_schedule',
      subjectId: `${cohortYear}:${schedule}`,
      details: { ...dates, group: groupOfSchedule(dates.schedule) },
      at,
    });
    return { created: !before, dates };
  });
}
