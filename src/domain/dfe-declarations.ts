/**
 * DfE declarations: which one is due for an enrolment, from its engagement evidence and its
 * schedule's milestone dates. These are the DfE's rules (the lead provider API v3 and its
 * schedules, see docs/guides/dfe-changes-and-declarations.md); where the lead provider's own policy decides a fact they
 * rely on, the clause is cited. Pure: the caller gives the facts and "today".
 *
 * The same rules run set-based in SQL for every enrolment at once (src/db/queries/declarations-due.ts);
 * a test checks the two agree.
 */

export const DECLARATION_TYPES = ['started', 'retained-1', 'retained-2', 'completed'] as const;
export type DeclarationType = (typeof DECLARATION_TYPES)[number];

export type CourseGroup = 'leadership' | 'specialist' | 'ehco';

export type ScheduleIdentifier =
  | 'npq-leadership-autumn'
  | 'npq-leadership-spring'
  | 'npq-specialist-autumn'
  | 'npq-specialist-spring'
  | 'npq-ehco-march'
  | 'npq-ehco-june'
  | 'npq-ehco-november'
  | 'npq-ehco-december';

/**
 * The DfE schedule an enrolment is on, from its course group and its cohort's start month:
 * leadership and specialist cohorts starting January to June are on the spring schedule, July to
 * December the autumn one; EHCO has four schedules named after their start month.
 */
export function scheduleFor(group: CourseGroup, cohortStartDate: string): ScheduleIdentifier {
  const month = Number(cohortStartDate.slice(5, 7));
  if (group === 'ehco') {
    if (month <= 4) return 'npq-ehco-march';
    if (month <= 8) return 'npq-ehco-june';
    if (month <= 11) return 'npq-ehco-november';
    return 'npq-ehco-december';
  }
  return `npq-${group}-${month <= 6 ? 'spring' : 'autumn'}`;
}

export const SCHEDULE_IDENTIFIERS: readonly ScheduleIdentifier[] = [
  'npq-leadership-autumn',
  'npq-leadership-spring',
  'npq-specialist-autumn',
  'npq-specialist-spring',
  'npq-ehco-march',
  'npq-ehco-june',
  'npq-ehco-november',
  'npq-ehco-december',
];

/** The course group a schedule is for (its name says so). */
export function groupOfSchedule(schedule: ScheduleIdentifier): CourseGroup {
  return schedule.startsWith('npq-leadership')
    ? 'leadership'
    : schedule.startsWith('npq-specialist')
      ? 'specialist'
      : 'ehco';
}

/** A milestone opens on this date: a declaration of its type is dated on or after it. */
export interface Milestone {
  readonly type: DeclarationType;
  readonly opensOn: string;
}

/**
 * The milestone dates the DfE publishes for one cohort year's schedule, as kept in the
 * `dfe_milestone_schedule` table (Administration → DfE milestone dates, the API or
 * `npx npq-ops dfe milestones set`). retained-2 exists on leadership schedules only.
 */
export interface ScheduleMilestones {
  readonly cohortYear: number;
  readonly schedule: ScheduleIdentifier;
  readonly startedOn: string;
  readonly retained1On: string;
  readonly retained2On: string | null;
  readonly completedOn: string;
}

/**
 * The DfE's published 2025 cohort dates (domain facts guide): started 30 May 2025, retained-1
 * 19 Dec 2025, retained-2 (leadership only) 24 Jul 2026, completed 21 Aug 2026 (specialist, EHCO)
 * or 25 Feb 2027 (leadership). A fresh database holds these for every 2025 schedule; any other
 * year's dates are entered by staff from the DfE's schedule before anything is declared for it.
 */
export const DFE_2025_MILESTONES: readonly ScheduleMilestones[] = SCHEDULE_IDENTIFIERS.map(
  (schedule) => {
    const leadership = groupOfSchedule(schedule) === 'leadership';
    return {
      cohortYear: 2025,
      schedule,
      startedOn: '2025-05-30',
      retained1On: '2025-12-19',
      retained2On: leadership ? '2026-07-24' : null,
      completedOn: leadership ? '2027-02-25' : '2026-08-21',
    };
  },
);

/** The milestones of one schedule's dates, in order. */
export function milestonesOf(dates: ScheduleMilestones): Milestone[] {
  return [
    { type: 'started' as const, opensOn: dates.startedOn },
    { type: 'retained-1' as const, opensOn: dates.retained1On },
    ...(dates.retained2On ? [{ type: 'retained-2' as const, opensOn: dates.retained2On }] : []),
    { type: 'completed' as const, opensOn: dates.completedOn },
  ];
}

export type MilestoneProblem = { field: keyof ScheduleMilestones; message: string };

/**
 * What is wrong with a schedule's dates as typed by a person, field by field: each a real date
 * within the cohort's plausible span (the year before the cohort to four years after), in
 * milestone order, and retained-2 given exactly when the schedule is a leadership one.
 */
export function milestoneProblems(dates: ScheduleMilestones): MilestoneProblem[] {
  const problems: MilestoneProblem[] = [];
  const isDate = (v: string) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
    const d = new Date(`${v}T00:00:00Z`);
    // "2026-02-30" rolls over to March and "2026-13-45" is no date at all: both are refused.
    return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(v);
  };
  const from = `${dates.cohortYear - 1}-01-01`;
  const to = `${dates.cohortYear + 4}-12-31`;
  const leadership = groupOfSchedule(dates.schedule) === 'leadership';
  const fields: [keyof ScheduleMilestones, string | null, string][] = [
    ['startedOn', dates.startedOn, 'started'],
    ['retained1On', dates.retained1On, 'retained-1'],
    ['retained2On', dates.retained2On, 'retained-2'],
    ['completedOn', dates.completedOn, 'completed'],
  ];
  let previous: { value: string; label: string } | null = null;
  for (const [field, value, label] of fields) {
    if (field === 'retained2On') {
      if (!leadership) {
        if (value !== null)
          problems.push({
            field,
            message: 'Only leadership schedules have a retained-2 milestone',
          });
        continue;
      }
      if (value === null) {
        problems.push({ field, message: 'Enter the date the retained-2 milestone opens' });
        continue;
      }
    }
    if (value === null || !isDate(value)) {
      problems.push({
        field,
        message: `Enter the date the ${label} milestone opens as a real date`,
      });
      continue;
    }
    if (value < from || value > to) {
      problems.push({
        field,
        message: `The ${label} milestone must open between ${from} and ${to} for the ${dates.cohortYear} cohort`,
      });
      continue;
    }
    if (previous && value <= previous.value) {
      problems.push({
        field,
        message: `The ${label} milestone must open after the ${previous.label} milestone (${previous.value})`,
      });
    }
    previous = { value, label };
  }
  return problems;
}

/** Every milestone of one schedule with the date its window closes (the next one opens). */
export interface MilestoneWindow {
  readonly type: DeclarationType;
  readonly opensOn: string;
  /** Exclusive; null for 'completed' (open until the outcome is recorded). */
  readonly closesOn: string | null;
}

export function milestoneWindows(dates: ScheduleMilestones): MilestoneWindow[] {
  const ms = milestonesOf(dates);
  return ms.map((m, i) => {
    const next = ms[i + 1];
    return {
      type: m.type,
      opensOn: m.opensOn,
      closesOn: next && m.type !== 'completed' ? next.opensOn : null,
    };
  });
}

/** What the rules need to know about one enrolment. Timestamps are ISO strings (UTC). */
export interface DeclarationFacts {
  /**
   * The milestone dates of the enrolment's schedule and cohort year; null when the DfE's dates for
   * that year have not been entered: then nothing is declared (the report says why).
   */
  readonly milestones: ScheduleMilestones | null;
  /** Formally commenced (policy 2.3.2): when the enrolment became active; null if never. */
  readonly commencedAt: string | null;
  /** When each piece of engagement evidence happened (policy 2.1.1), any order. */
  readonly engagementAt: readonly string[];
  /** The recorded assessment outcome that ends the programme (policy 2.5.1), if any. */
  readonly outcome: { readonly hasPassed: boolean; readonly recordedAt: string } | null;
  /** The withdrawal date (or the date of a transfer out, 2.6.4), if the enrolment was withdrawn. */
  readonly withdrawnOn: string | null;
  /** Declarations already live (queued, submitted or refused: anything not voided) for this enrolment. */
  readonly live: readonly DeclarationType[];
}

export interface DueDeclaration {
  readonly type: DeclarationType;
  /** The evidence's own date and time: what the declaration is dated. */
  readonly declarationDate: string;
  readonly hasPassed: boolean | null;
}

/**
 * The declarations due for an enrolment today:
 * - started: once formally commenced (2.3.2), dated when they commenced, if that falls within the
 *   started milestone (on or after it opens, before retained-1 opens);
 * - retained-1 / retained-2: when there is engagement evidence within that milestone (on or after
 *   it opens, before the next one opens) — the participant is still in training there; dated at the
 *   first such evidence;
 * - completed: once the assessment outcome is recorded (2.5.1), with has_passed, dated when it was
 *   recorded, and only once the completed milestone has opened;
 * - never dated after the withdrawal date: a declaration dated before it still counts (DfE);
 * - never one already live, and never one whose date is after today.
 * The result is in milestone order.
 */
export function declarationsDue(facts: DeclarationFacts, today: string): DueDeclaration[] {
  const due: DueDeclaration[] = [];
  const dayOf = (ts: string) => ts.slice(0, 10);
  const withdrawnOk = (ts: string) => facts.withdrawnOn === null || dayOf(ts) <= facts.withdrawnOn;
  const notFuture = (ts: string) => dayOf(ts) <= today;
  if (facts.milestones === null) return due;
  const windows = milestoneWindows(facts.milestones);
  const inWindow = (ts: string, w: MilestoneWindow) =>
    dayOf(ts) >= w.opensOn && (w.closesOn === null || dayOf(ts) < w.closesOn);
  const evidence = [...facts.engagementAt].sort();
  // Nothing is declared for someone who never formally commenced (2.3.2).
  if (facts.commencedAt === null) return due;
  for (const w of windows) {
    if (facts.live.includes(w.type)) continue;
    let date: string | null = null;
    let hasPassed: boolean | null = null;
    if (w.type === 'started') {
      if (facts.commencedAt && inWindow(facts.commencedAt, w)) date = facts.commencedAt;
    } else if (w.type === 'completed') {
      if (facts.outcome && dayOf(facts.outcome.recordedAt) >= w.opensOn) {
        date = facts.outcome.recordedAt;
        hasPassed = facts.outcome.hasPassed;
      }
    } else {
      date = evidence.find((ts) => inWindow(ts, w) && withdrawnOk(ts)) ?? null;
    }
    if (date !== null && withdrawnOk(date) && notFuture(date)) {
      due.push({ type: w.type, declarationDate: date, hasPassed });
    }
  }
  return due;
}
