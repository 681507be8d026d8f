/**
 * Engagement (policy 2.1.1): the DfE require at least 90% engagement with the programme content to
 * sit the assessment and complete. Engagement is measured over every required activity, weighted by
 * the programme (by default its planned minutes), and compared in whole numbers so that exactly 90%
 * meets the bar and 89.99...% never rounds up to it.
 */
import type { ActivityKind, CourseIdentifier } from '../domain/catalogue.js';
import { decision, reason } from './decision.js';
import type { Decision, Reason, RuleMetadata } from './decision.js';
import { formatLongDate, isBefore, isOnOrBefore } from './dates.js';
import type { IsoDate } from './dates.js';
import { POLICY_REGISTER } from './register.js';
import type { PolicyRegister } from './register.js';

/** One required activity of a programme, as planned for a cohort. */
export interface RequiredActivity {
  /** Stable across cohorts of the same programme, so a participant's record follows them on deferral. */
  readonly id: string;
  readonly kind: ActivityKind;
  /** Position in the programme journey; lower comes first. */
  readonly sequence: number;
  readonly plannedMinutes: number;
  /** The programme's weight for this activity; planned minutes when not given. Whole numbers only. */
  readonly weight?: number;
  readonly moduleId?: string;
  /** For messages, e.g. 'Module 3, session 2'. */
  readonly title?: string;
  /**
   * The day an event takes place (the booked slot, else the cohort's first slot), or the day
   * flexible content becomes available (a study session's module release).
   */
  readonly scheduledOn?: IsoDate;
  /**
   * The day it is due at the ideal pace: a study session's slice of its module's ideal window; for
   * an event, the booked slot or the last slot on or before the deadline (its last chance). Falls
   * back to scheduledOn. See datedActivities (activity-dates.ts).
   */
  readonly dueOn?: IsoDate;
}

export interface EngagementInput {
  readonly course: CourseIdentifier;
  readonly activities: readonly RequiredActivity[];
  readonly completedActivityIds: Iterable<string>;
  /** The pre-communicated deadline for meeting the engagement requirement. */
  readonly deadline: IsoDate;
  readonly today: IsoDate;
}

export interface EngagementProjection {
  /** Weight still possible before the deadline if the participant does everything left. */
  readonly stillPossibleWeight: number;
  readonly bestPossibleWeight: number;
  readonly bestPossibleBasisPoints: number;
  readonly reachable: boolean;
  /** Weight still needed to reach the threshold (0 when met). */
  readonly shortfallWeight: number;
  readonly stillPossibleActivityIds: readonly string[];
  /** Fixed-date events that have passed without being attended. */
  readonly missedActivityIds: readonly string[];
  /** Weight due by today at the ideal pace, session by session (what should be done by now). */
  readonly dueWeight: number;
  /** Of that, what the participant has done. */
  readonly completedDueWeight: number;
  /** Where the participant would ideally be today: due / total, in basis points. */
  readonly expectedBasisPoints: number;
  /**
   * At the participant's pace so far (done-of-due), where they would be at the deadline; never above
   * the best still possible; the best still possible when nothing is due yet.
   */
  readonly projectedBasisPoints: number;
  /** Not met, and either no longer reachable or projected below the threshold at this pace. */
  readonly atRisk: boolean;
}

export interface EngagementDetails {
  readonly completedWeight: number;
  readonly totalWeight: number;
  /** The smallest completed weight that meets the threshold. */
  readonly requiredWeight: number;
  /** Engagement in basis points, rounded down (8999 is 89.99%). */
  readonly basisPoints: number;
  /** Rounded down to one decimal place, so it never shows 90.0% for less than 90%. */
  readonly percentage: string;
  readonly meetsThreshold: boolean;
  readonly projection: EngagementProjection;
  /** Coaching on a course without coaching (policy 2.2.1.3) does not count either way. */
  readonly excludedActivityIds: readonly string[];
}

/** Integer weight of an activity; the programme's weight, else its planned minutes. */
export function activityWeight(activity: RequiredActivity): number {
  const weight = activity.weight ?? activity.plannedMinutes;
  if (!Number.isSafeInteger(weight) || weight < 0) {
    throw new RangeError(
      `Activity ${activity.id} needs a whole, non-negative weight; got ${weight}`,
    );
  }
  return weight;
}

/** The completed weight needed to meet the threshold: ceil(total x bp / 10000), exactly. */
export function requiredWeightFor(totalWeight: number, thresholdBp: number): number {
  const needed = (BigInt(totalWeight) * BigInt(thresholdBp) + 9999n) / 10000n;
  return Number(needed);
}

/** completed / total >= threshold, in whole numbers. */
export function meetsEngagementThreshold(
  completedWeight: number,
  totalWeight: number,
  thresholdBp: number,
): boolean {
  if (totalWeight <= 0) return false;
  return BigInt(completedWeight) * 10000n >= BigInt(totalWeight) * BigInt(thresholdBp);
}

/** completed / total in basis points, rounded down. */
export function engagementBasisPoints(completedWeight: number, totalWeight: number): number {
  if (totalWeight <= 0) return 0;
  return Number((BigInt(completedWeight) * 10000n) / BigInt(totalWeight));
}

/** 9000 -> '90.0%', 8999 -> '89.9%'. */
export function formatBasisPoints(bp: number): string {
  const tenths = Math.floor(bp / 10);
  return `${Math.floor(tenths / 10)}.${tenths % 10}%`;
}

/** 9000 -> '90%', 8750 -> '87.5%': for thresholds, which are exact. */
export function formatThreshold(bp: number): string {
  return `${bp / 100}%`;
}

/**
 * Study sessions are asynchronous (2.1.3, 2.2.1.1) and coaching is booked around the participant
 * (2.2.1.3), so both can still be done on any day up to the deadline. Clinics, community sessions
 * and conferences happen on their date only.
 */
export function isFlexibleActivity(kind: ActivityKind): boolean {
  return kind === 'study_session' || kind === 'coaching';
}

/** Activities that count for this course: coaching counts only where the course includes it. */
export function countedActivities(
  course: CourseIdentifier,
  activities: readonly RequiredActivity[],
  register: PolicyRegister = POLICY_REGISTER,
): { counted: RequiredActivity[]; excluded: RequiredActivity[] } {
  const ids = new Set<string>();
  for (const a of activities) {
    if (ids.has(a.id)) throw new RangeError(`Duplicate activity id ${a.id}`);
    ids.add(a.id);
  }
  const coaching = register.parameters.coachingCourses.includes(course);
  const counted = activities.filter((a) => a.kind !== 'coaching' || coaching);
  const excluded = activities.filter((a) => a.kind === 'coaching' && !coaching);
  return { counted, excluded };
}

/** Programme order: sequence, then id so the order never depends on how the list was built. */
export function inProgrammeOrder<T extends { readonly sequence: number; readonly id: string }>(
  items: readonly T[],
): T[] {
  return [...items].sort(
    (a, b) =>
      a.sequence - b.sequence ||
      // Stryker disable next-line EqualityOperator: ids in a programme are unique (countedActivities rejects duplicates), so a.id <= b.id and a.id < b.id agree; a.id >= b.id fails the programme-order tests
      (a.id < b.id
        ? -1
        : // Stryker disable next-line all: V8's sort only asks whether compare(a, b) < 0, so 1 and 0 here order alike (checked on random arrays, duplicate ids too)
          a.id > b.id
          ? 1
          : 0),
  );
}

/** The day it is due at the ideal pace (for an event, its last chance); undefined when undated. */
export function dueDateOf(activity: RequiredActivity): IsoDate | undefined {
  return activity.dueOn ?? activity.scheduledOn;
}

function stillPossible(activity: RequiredActivity, today: IsoDate, deadline: IsoDate): boolean {
  if (isBefore(deadline, today)) return false;
  if (isFlexibleActivity(activity.kind)) {
    // Available from its date (or not yet scheduled: assume it can still happen) to the deadline.
    return activity.scheduledOn === undefined || isOnOrBefore(activity.scheduledOn, deadline);
  }
  const lastChance = dueDateOf(activity);
  if (lastChance === undefined) return true;
  return isOnOrBefore(lastChance, deadline) && isOnOrBefore(today, lastChance);
}

export function evaluateEngagement(
  input: EngagementInput,
  register: PolicyRegister = POLICY_REGISTER,
): Decision<'met' | 'not_met', EngagementDetails> {
  const bp = register.parameters.engagementThresholdBp;
  const completed = new Set(input.completedActivityIds);
  const { counted, excluded } = countedActivities(input.course, input.activities, register);

  let totalWeight = 0;
  let completedWeight = 0;
  let stillPossibleWeight = 0;
  const stillPossibleIds: string[] = [];
  const missedIds: string[] = [];
  let dueWeight = 0;
  let completedDueWeight = 0;
  for (const activity of inProgrammeOrder(counted)) {
    const weight = activityWeight(activity);
    totalWeight += weight;
    const dueOn = dueDateOf(activity);
    const due = dueOn !== undefined && isOnOrBefore(dueOn, input.today);
    if (due) dueWeight += weight;
    if (completed.has(activity.id)) {
      completedWeight += weight;
      if (due) completedDueWeight += weight;
    } else if (stillPossible(activity, input.today, input.deadline)) {
      stillPossibleWeight += weight;
      stillPossibleIds.push(activity.id);
    } else if (
      dueOn !== undefined &&
      !isFlexibleActivity(activity.kind) &&
      isBefore(dueOn, input.today)
    ) {
      missedIds.push(activity.id);
    }
  }

  const requiredWeight = requiredWeightFor(totalWeight, bp);
  const meets = meetsEngagementThreshold(completedWeight, totalWeight, bp);
  const bestPossibleWeight = completedWeight + stillPossibleWeight;
  const reachable = meetsEngagementThreshold(bestPossibleWeight, totalWeight, bp);
  const basisPoints = engagementBasisPoints(completedWeight, totalWeight);
  const bestPossibleBasisPoints = engagementBasisPoints(bestPossibleWeight, totalWeight);
  const expectedBasisPoints = engagementBasisPoints(dueWeight, totalWeight);
  // With nothing due yet there is no pace to extrapolate: assume the participant keeps up.
  const projectedBasisPoints =
    dueWeight === 0
      ? bestPossibleBasisPoints
      : Math.min(bestPossibleBasisPoints, engagementBasisPoints(completedDueWeight, dueWeight));
  const atRisk = !meets && (!reachable || projectedBasisPoints < bp);
  const threshold = formatThreshold(bp);
  const deadline = formatLongDate(input.deadline);
  const evidence = {
    completedWeight,
    totalWeight,
    requiredWeight,
    thresholdBp: bp,
    basisPoints,
    deadline: input.deadline,
    today: input.today,
  };

  const reasons: Reason[] = [];
  if (totalWeight === 0) {
    reasons.push(
      reason(
        'ENGAGEMENT.NO_REQUIRED_ACTIVITIES',
        '2.1.1',
        false,
        'Your programme has no required activities recorded yet, so your engagement cannot be measured.',
        evidence,
      ),
    );
  } else if (meets) {
    reasons.push(
      reason(
        'ENGAGEMENT.THRESHOLD_MET',
        '2.1.1',
        true,
        `You have engaged with ${formatBasisPoints(basisPoints)} of your programme, which meets the ${threshold} needed to sit the assessment and complete the programme.`,
        evidence,
      ),
    );
  } else {
    reasons.push(
      reason(
        'ENGAGEMENT.BELOW_THRESHOLD',
        '2.1.1',
        false,
        `You have engaged with ${formatBasisPoints(basisPoints)} of your programme. You need at least ${threshold} by ${deadline} to sit the assessment and complete the programme.`,
        evidence,
      ),
    );
    reasons.push(
      reachable
        ? reason(
            'ENGAGEMENT.STILL_REACHABLE',
            '2.1.1',
            true,
            `You can still reach ${threshold} by ${deadline} if you complete the activities still to come (${stillPossibleIds.length} left before the deadline).`,
            { ...evidence, bestPossibleBasisPoints, stillPossibleActivityIds: stillPossibleIds },
          )
        : reason(
            'ENGAGEMENT.NOT_REACHABLE',
            '2.1.1',
            false,
            `${threshold} is no longer reachable by ${deadline}: even if you complete everything still scheduled before then, you would reach ${formatBasisPoints(bestPossibleBasisPoints)}. Please talk to your Delivery Partner about your options.`,
            { ...evidence, bestPossibleBasisPoints, missedActivityIds: missedIds },
          ),
    );
  }

  return decision(register.version, meets ? 'met' : 'not_met', reasons, {
    completedWeight,
    totalWeight,
    requiredWeight,
    basisPoints,
    percentage: formatBasisPoints(basisPoints),
    meetsThreshold: meets,
    projection: {
      stillPossibleWeight,
      bestPossibleWeight,
      bestPossibleBasisPoints,
      reachable,
      shortfallWeight: Math.max(0, requiredWeight - completedWeight),
      stillPossibleActivityIds: stillPossibleIds,
      missedActivityIds: missedIds,
      dueWeight,
      completedDueWeight,
      expectedBasisPoints,
      projectedBasisPoints,
      atRisk,
    },
    excludedActivityIds: excluded.map((a) => a.id),
  });
}

export const ENGAGEMENT_RULES: readonly RuleMetadata[] = [
  {
    rule: 'evaluateEngagement',
    file: 'src/policy/engagement.ts',
    clauses: ['2.1.1'],
    summary:
      'Engagement = completed required weight / total required weight over all activity kinds; exactly the threshold (90% in v2.2) meets the bar; projects whether the threshold is still reachable by the deadline (events on their booked or scheduled slots) and where the participant would be at their pace (study sessions due session by session across the ideal window).',
  },
];
