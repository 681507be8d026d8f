/**
 * A cohort after set-up, for the programme team: its settings and schedule (read), the release
 * lead time changed (2.2.1.1), and set-up in one step for the API and the command line (the same
 * generation and save as the set-up pages: generateCohortDraft, then createCohort).
 *
 * The lead time is the least number of days each module's content must be released before its
 * ideal window starts. Changing it moves no dates: it is checked against the cohort's scheduled
 * releases and windows by the same policy rule set-up uses (evaluateModuleReleaseSchedule), so a
 * lead time the schedule does not keep is refused with the modules and dates named.
 */
import { sql } from 'drizzle-orm';
import { queryRows } from '../db/client.js';
import type { Decision } from '../policy/index.js';
import type { Actor } from './actor.js';
import { audit } from './audit.js';
import { cohortVisibleTo } from './authorisation.js';
import {
  createCohort,
  generateCohortDraft,
  MAX_RELEASE_LEAD_DAYS,
  releaseScheduleDecision,
  requireCohortSetup,
  type GenerateInput,
} from './cohort-setup.js';
import { NotFoundError, PolicyRefusalError, ValidationError } from './errors.js';
import type { ServiceDeps } from './participants.js';

export interface CohortSettings {
  id: number;
  name: string;
  year: number;
  programmeId: number;
  course: string;
  startDate: string;
  engagementDeadline: string;
  endDate: string;
  isFinal: boolean;
  contractEndDate: string | null;
  releaseLeadDays: number;
  modules: {
    moduleId: number;
    position: number;
    title: string;
    releaseDate: string;
    idealWindowStart: string;
    idealWindowEnd: string;
  }[];
  assessmentWindows: { sequenceNumber: number; opensOn: string; closesOn: string }[];
  events: number;
}

type Executor = ServiceDeps['db'];

const LEAD_DAYS_MESSAGE = `Enter how many days ahead modules are released, from 0 to ${MAX_RELEASE_LEAD_DAYS}`;

/** A lead time a person typed makes sense: whole days, 0 to 28. */
export function releaseLeadDaysProblem(value: unknown): string | null {
  return typeof value === 'number' &&
    Number.isInteger(value) &&
    value >= 0 &&
    value <= MAX_RELEASE_LEAD_DAYS
    ? null
    : LEAD_DAYS_MESSAGE;
}

async function loadSettings(
  db: Executor,
  actor: Actor,
  cohortId: number,
  lock = false,
): Promise<CohortSettings> {
  const [row] = await queryRows<{
    id: number;
    name: string;
    year: number;
    programme_id: number;
    course: string;
    start_date: string;
    engagement_deadline: string;
    end_date: string;
    is_final: boolean;
    contract_end_date: string | null;
    release_lead_days: number;
    events: number;
  }>(
    db,
    sql`select c.id, c.name, c.year, c.programme_id, co.name as course, c.start_date::text,
               c.engagement_deadline::text, c.end_date::text, c.is_final, c.contract_end_date::text,
               c.release_lead_days,
               (select count(*)::int from cohort_event ev where ev.cohort_id = c.id) as events
        from cohort c join programme p on p.id = c.programme_id join course co on co.id = p.course_id
        where c.id = ${cohortId} and (${cohortVisibleTo(actor)})
        ${lock ? sql`for update of c` : sql``}`,
  );
  if (!row) throw new NotFoundError('Cohort not found');
  const [modules, windows] = await Promise.all([
    queryRows<{
      module_id: number;
      position: number;
      title: string;
      release_date: string;
      ideal_window_start: string;
      ideal_window_end: string;
    }>(
      db,
      sql`select r.module_id, m.position, m.title, r.release_date::text, r.ideal_window_start::text,
                 r.ideal_window_end::text
          from cohort_module_release r join programme_module m on m.id = r.module_id
          where r.cohort_id = ${cohortId} order by m.position`,
    ),
    queryRows<{ sequence_number: number; opens_on: string; closes_on: string }>(
      db,
      sql`select sequence_number, opens_on::text, closes_on::text from assessment_window
          where cohort_id = ${cohortId} order by sequence_number`,
    ),
  ]);
  return {
    id: row.id,
    name: row.name,
    year: row.year,
    programmeId: row.programme_id,
    course: row.course,
    startDate: row.start_date,
    engagementDeadline: row.engagement_deadline,
    endDate: row.end_date,
    isFinal: row.is_final,
    contractEndDate: row.contract_end_date,
    releaseLeadDays: row.release_lead_days,
    modules: modules.map((m) => ({
      moduleId: m.module_id,
      position: m.position,
      title: m.title,
      releaseDate: m.release_date,
      idealWindowStart: m.ideal_window_start,
      idealWindowEnd: m.ideal_window_end,
    })),
    assessmentWindows: windows.map((w) => ({
      sequenceNumber: w.sequence_number,
      opensOn: w.opens_on,
      closesOn: w.closes_on,
    })),
    events: row.events,
  };
}

/** The cohort's settings and schedule, for those who set cohorts up (others: not found). */
export async function getCohortSettings(
  { db }: Pick<ServiceDeps, 'db'>,
  actor: Actor,
  cohortId: number,
): Promise<CohortSettings> {
  try {
    requireCohortSetup(actor);
  } catch {
    // A read that is not allowed answers as if the record did not exist.
    throw new NotFoundError('Cohort not found');
  }
  return loadSettings(db, actor, cohortId);
}

/** Released ahead of schedule (2.2.1.1): the cohort's releases against their windows and a lead time. */
export function checkReleaseLeadDays(cohort: CohortSettings, releaseLeadDays: number): Decision {
  return releaseScheduleDecision(cohort.modules, releaseLeadDays);
}

function requireLeadDays(value: unknown): number {
  const problem = releaseLeadDaysProblem(value);
  if (problem) throw new ValidationError([{ path: 'releaseLeadDays', message: problem }]);
  return value as number;
}

/** What a change would do, for the check page: nothing is saved. */
export async function previewReleaseLeadDays(
  { db }: Pick<ServiceDeps, 'db'>,
  actor: Actor,
  cohortId: number,
  releaseLeadDays: unknown,
): Promise<{ cohort: CohortSettings; releaseLeadDays: number; decision: Decision }> {
  requireCohortSetup(actor);
  const lead = requireLeadDays(releaseLeadDays);
  const cohort = await loadSettings(db, actor, cohortId);
  return { cohort, releaseLeadDays: lead, decision: checkReleaseLeadDays(cohort, lead) };
}

/**
 * Changes the lead time when the cohort's schedule keeps it (else PolicyRefusalError naming the
 * modules released later than that); audited with the old and new values. The same value again
 * changes nothing and writes nothing.
 */
export async function changeReleaseLeadDays(
  { db, clock }: Pick<ServiceDeps, 'db' | 'clock'>,
  actor: Actor,
  cohortId: number,
  input: { releaseLeadDays: unknown },
): Promise<{ cohort: CohortSettings; changed: boolean; decision: Decision }> {
  requireCohortSetup(actor);
  const lead = requireLeadDays(input.releaseLeadDays);
  return db.transaction(async (tx) => {
    const before = await loadSettings(tx, actor, cohortId, true);
    const decision = checkReleaseLeadDays(before, lead);
    if (decision.outcome !== 'met') throw new PolicyRefusalError(decision);
    if (before.releaseLeadDays === lead) return { cohort: before, changed: false, decision };
    await tx.execute(sql`update cohort set release_lead_days = ${lead} where id = ${cohortId}`);
    await audit(tx, {
      what: 'COHORT_RELEASE_LEAD_DAYS_CHANGED',
      who: actor,
      subjectType: 'cohort',
      subjectId: cohortId,
      details: {
        from: before.releaseLeadDays,
        to: lead,
        modules: before.modules.length,
        policyVersion: decision.policyVersion,
      },
      at: clock.now(),
    });
    return { cohort: { ...before, releaseLeadDays: lead }, changed: true, decision };
  });
}

/**
 * Sets a cohort up in one step, as the set-up pages do without the edits: the schedule generated
 * from the start date (module 1's ideal window), checked by the policy and saved; audited.
 */
export async function setUpCohort(
  deps: ServiceDeps,
  actor: Actor,
  input: GenerateInput & { name?: string | undefined },
): Promise<CohortSettings> {
  requireCohortSetup(actor);
  const draft = await generateCohortDraft(deps, actor, input);
  const { id } = await createCohort(deps, actor, {
    ...draft,
    ...(input.name !== undefined ? { name: input.name } : {}),
  });
  return loadSettings(deps.db, actor, id);
}
