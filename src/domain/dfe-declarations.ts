/**
 * DfE declarations: which one is due for an enrolment, from its engagement evidence and its
 * schedule's milestone dates. These are the DfE's rules (the lead provider API v3 and its
 * schedules, see docs/readme/dfe-out.md); where the lead provider's own policy decides a fact they
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

/** A milestone opens on this date: a declaration of its type is dated on or after it. */
export interface Milestone {
  readonly type: DeclarationType;
  readonly opensOn: string;
}

/**
 * The 2025 cohort's milestone dates (DfE, see the domain facts guide): started 30 May 2025,
 * retained-1 19 Dec 2025, retained-2 (leadership only) 24 Jul 2026, completed 21 Aug 2026
 * (specialist) or 25 Feb 2027 (leadership). Other cohort years use the same days shifted by whole
 * years until the DfE's own dates for them are entered; EHCO follows the specialist pattern
 * (started, retained-1, completed).
 */
const MILESTONES_2025: Readonly<Record<CourseGroup, readonly Milestone[]>> = {
  leadership: [
    { type: 'started', opensOn: '2025-05-30' },
    { type: 'retained-1', opensOn: '2025-12-19' },
    { type: 'retained-2', opensOn: '2026-07-24' },
    { type: 'completed', opensOn: '2027-02-25' },
  ],
  specialist: [
    { type: 'started', opensOn: '2025-05-30' },
    { type: 'retained-1', opensOn: '2025-12-19' },
    { type: 'completed', opensOn: '2026-08-21' },
  ],
  ehco: [
    { type: 'started', opensOn: '2025-05-30' },
    { type: 'retained-1', opensOn: '2025-12-19' },
    { type: 'completed', opensOn: '2026-08-21' },
  ],
};

function shiftYears(isoDate: string, years: number): string {
  return `${Number(isoDate.slice(0, 4)) + years}${isoDate.slice(4)}`;
}

/** The milestones of a cohort year's schedule for a course group, in order. */
export function milestonesFor(group: CourseGroup, cohortYear: number): readonly Milestone[] {
  return MILESTONES_2025[group].map((m) => ({
    type: m.type,
    opensOn: shiftYears(m.opensOn, cohortYear - 2025),
  }));
}

/** Every (group, year, type) milestone with the date its window closes (the next one opens). */
export interface MilestoneWindow {
  readonly group: CourseGroup;
  readonly cohortYear: number;
  readonly type: DeclarationType;
  readonly opensOn: string;
  /** Exclusive; null for 'completed' (open until the outcome is recorded). */
  readonly closesOn: string | null;
}

export function milestoneWindows(cohortYears: readonly number[]): MilestoneWindow[] {
  const out: MilestoneWindow[] = [];
  for (const year of cohortYears) {
    for (const group of ['leadership', 'specialist', 'ehco'] as const) {
      const ms = milestonesFor(group, year);
      ms.forEach((m, i) => {
        const next = ms[i + 1];
        out.push({
          group,
          cohortYear: year,
          type: m.type,
          opensOn: m.opensOn,
          closesOn: next && m.type !== 'completed' ? next.opensOn : null,
        });
      });
    }
  }
  return out;
}

/** What the rules need to know about one enrolment. Timestamps are ISO strings (UTC). */
export interface DeclarationFacts {
  readonly group: CourseGroup;
  readonly cohortYear: number;
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
  const windows = milestoneWindows([facts.cohortYear]).filter((w) => w.group === facts.group);
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
