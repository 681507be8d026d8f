/**
 * What the daily job's incremental steps look at (issue 13: "the daily job looks only at what
 * changed or fell due since its last run").
 *
 * Two things make a participant's result change from one run to the next: something about them
 * was written (evidence, a booking, their enrolment, their preferences...), or a date fell due.
 * Statement triggers (drizzle/0025_daily_incremental.sql) note the first in daily_change, in the
 * transaction of the change, per participant or per cohort ("everything" for the catalogue); each
 * step works out the second itself from the day it last ran (daily_step_run) and today. A step
 * does everything on its first run, for a day before its last, when told to, or when its key
 * changed: a fingerprint of the rules it applies (the policy version in force and the text of its
 * statements), so a new policy version or a deployment that changes the arithmetic is never
 * applied to only some participants.
 */
import { createHash } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { arrayParam, queryRows } from '../db/client.js';
import type { Tx } from './withdrawals.js';

/** The steps that read daily_change (the migration's daily_change_steps() lists the same). */
export type IncrementalStep = 'engagement_alerts' | 'behind_window';

/** What a step must look at on this run. */
export type Scope =
  | { everything: true }
  | {
      everything: false;
      /** The London day the step last ran for (before or equal to today). */
      lastRunDay: string;
      participantIds: number[];
      cohortIds: number[];
    };

const dialect = new PgDialect();

/** A statement's text (parameters left as $n), for a step's key. */
export function statementText(statement: SQL): string {
  return dialect.sqlToQuery(statement).sql;
}

/** A short, stable fingerprint of what a step's result depends on besides the data. */
export function fingerprint(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

/**
 * Takes the step's changes (deleting the rows it reads: a change committed meanwhile stays for the
 * next run) and decides what the step looks at: everything, or the participants and cohorts noted
 * since its last run (to which the step adds those where a date fell due).
 */
export async function takeScope(
  tx: Tx,
  step: IncrementalStep,
  options: { today: string; key: string; everything?: boolean },
): Promise<Scope> {
  const [changes] = await queryRows<{
    everything: boolean | null;
    participants: number[] | null;
    cohorts: number[] | null;
  }>(
    tx,
    sql`with taken as (delete from daily_change where step = ${step} returning participant_id, cohort_id)
        select bool_or(participant_id is null and cohort_id is null) as everything,
               array_agg(distinct participant_id) filter (where participant_id is not null) as participants,
               array_agg(distinct cohort_id) filter (where cohort_id is not null) as cohorts
        from taken`,
  );
  const [last] = await queryRows<{ last_run_day: string; register_key: string }>(
    tx,
    sql`select last_run_day::text, register_key from daily_step_run where step = ${step}`,
  );
  if (
    options.everything === true ||
    !last ||
    last.last_run_day > options.today ||
    last.register_key !== options.key ||
    changes?.everything === true
  ) {
    return { everything: true };
  }
  return {
    everything: false,
    lastRunDay: last.last_run_day,
    participantIds: changes?.participants ?? [],
    cohortIds: changes?.cohorts ?? [],
  };
}

/** Records the run in the step's transaction, so a step that fails leaves its last run as it was. */
export async function recordRun(
  tx: Tx,
  step: IncrementalStep,
  today: string,
  key: string,
): Promise<void> {
  await tx.execute(
    sql`insert into daily_step_run (step, last_run_day, last_run_at, register_key)
        values (${step}, ${today}::date, now(), ${key})
        on conflict (step) do update
          set last_run_day = excluded.last_run_day, last_run_at = excluded.last_run_at,
              register_key = excluded.register_key`,
  );
}

/** True when a partial scope names nobody: the step has nothing to do. */
export function isEmpty(scope: Scope): boolean {
  return !scope.everything && scope.participantIds.length === 0 && scope.cohortIds.length === 0;
}

/** The scope as a condition over enrolment `e` (true for everything). */
export function enrolmentsIn(scope: Scope): SQL {
  if (scope.everything) return sql`true`;
  return sql`(e.participant_id = any(${arrayParam(scope.participantIds)}::int[])
              or e.cohort_id = any(${arrayParam(scope.cohortIds)}::int[]))`;
}

/** The scope with more participants and cohorts (a date fell due for them). */
export function widened(scope: Scope, participantIds: number[], cohortIds: number[]): Scope {
  if (scope.everything) return scope;
  return {
    ...scope,
    participantIds: [...new Set([...scope.participantIds, ...participantIds])],
    cohortIds: [...new Set([...scope.cohortIds, ...cohortIds])],
  };
}

/** The instant a London day starts, as SQL (for index-friendly ranges over timestamps). */
export function londonDayStart(day: string): SQL {
  return sql`(${day}::date::timestamp at time zone 'Europe/London')`;
}
