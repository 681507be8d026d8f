/**
 * The policy what-if: what each participant's outcomes would be under another version's parameters,
 * from the same facts (engagement weights, deferrals taken, attempts used), and which outcomes would
 * change, each difference explained by the clause and parameter that caused it. Pure: the facts
 * come from one set-based query; nothing is decided or stored.
 */
import type { ClauseNumber } from './clauses.js';
import { formatLongDate, type IsoDate } from './dates.js';
import { formatThreshold } from './engagement.js';
import type { RuleMetadata } from './decision.js';
import type { PolicyParameters } from './register.js';

/** The facts of one enrolment as of the what-if's date. */
export interface WhatIfFacts {
  readonly completedWeight: number;
  readonly totalWeight: number;
  /** Weight not yet done that can still be done before the engagement deadline. */
  readonly stillPossibleWeight: number;
  /** Weight due by the date, and how much of it was done (the pace projection). */
  readonly dueWeight: number;
  readonly completedDueWeight: number;
  /** Deferrals taken and attempts used as they stood at the end of `asOf`. */
  readonly deferralCount: number;
  readonly attemptsUsed: number;
  readonly asOf: IsoDate;
}

export const WHAT_IF_OUTCOMES = [
  'eligible',
  'at_risk',
  'deferral_allowed',
  'attempts_left',
] as const;
export type WhatIfOutcome = (typeof WHAT_IF_OUTCOMES)[number];

export const WHAT_IF_OUTCOME_LABELS: Readonly<Record<WhatIfOutcome, string>> = {
  eligible: 'Eligible for the assessment',
  at_risk: 'At risk of missing the engagement threshold',
  deferral_allowed: 'A deferral allowed without an exception',
  attempts_left: 'Assessment attempts left',
};

export interface WhatIfOutcomes {
  readonly eligible: boolean;
  readonly at_risk: boolean;
  readonly deferral_allowed: boolean;
  readonly attempts_left: number;
}

export interface WhatIfDifference {
  readonly outcome: WhatIfOutcome;
  readonly from: boolean | number;
  readonly to: boolean | number;
  readonly clause: ClauseNumber;
  /** The parameter whose change caused it. */
  readonly parameter: keyof PolicyParameters;
  readonly explanation: string;
}

const bpOf = (part: number, whole: number) =>
  // Stryker disable next-line ConditionalExpression: whole is 0 only with no weight at all (the dueWeight === 0 test below keeps a zero dueWeight out), where eligible and at risk are the same under any threshold above 0, so Infinity or NaN here is never compared nor shown; "true" (always 0), silenced too, fails the explanation tests
  whole === 0 ? 0 : Math.floor((part * 10_000) / whole);

/** The four outcomes, exactly as evaluateEngagement, evaluateDeferral and the attempt rules work them out. */
export function whatIfOutcomes(f: WhatIfFacts, p: PolicyParameters): WhatIfOutcomes {
  const bp = p.engagementThresholdBp;
  const meets = f.totalWeight > 0 && f.completedWeight * 10_000 >= f.totalWeight * bp;
  const best = f.completedWeight + f.stillPossibleWeight;
  // With a threshold above 0 (a draft is at least 50%), "not reachable" means bestBp < bp, so
  // projected < bp decides at_risk anyway: making `reachable` truer cannot change an outcome.
  const reachable =
    // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: "true", "||" and ">= 0" only make reachable truer (see above); "false" and "<= 0", silenced too, fail the at-risk rows
    f.totalWeight > 0 &&
    // Stryker disable next-line ConditionalExpression,ArithmeticOperator: "true" and "total / bp" only make reachable truer (see above); "false" and "best / 10_000", silenced too, fail the at-risk rows
    best * 10_000 >= f.totalWeight * bp;
  const bestBp = bpOf(best, f.totalWeight);
  const projected =
    f.dueWeight === 0 ? bestBp : Math.min(bestBp, bpOf(f.completedDueWeight, f.dueWeight));
  return {
    eligible: meets,
    at_risk: !meets && (!reachable || projected < bp),
    deferral_allowed: f.deferralCount < p.deferralsAllowed,
    attempts_left: Math.max(0, p.assessmentAttempts - f.attemptsUsed),
  };
}

const yesNo = (b: boolean) => (b ? 'yes' : 'no');
const deferred = (n: number) =>
  n === 0 ? 'had not deferred' : `had deferred ${n === 1 ? 'once' : `${n} times`}`;

/** The outcomes that differ between the version in force and the draft, each with its cause. */
export function whatIfDifferences(
  f: WhatIfFacts,
  current: PolicyParameters,
  draft: PolicyParameters,
): WhatIfDifference[] {
  const a = whatIfOutcomes(f, current);
  const b = whatIfOutcomes(f, draft);
  const out: WhatIfDifference[] = [];
  const byDate = `by ${formatLongDate(f.asOf)}`;
  const engaged = `engaged with ${formatThreshold(bpOf(f.completedWeight, f.totalWeight))}`;
  const threshold = `the engagement threshold changes from ${formatThreshold(current.engagementThresholdBp)} to ${formatThreshold(draft.engagementThresholdBp)}`;
  if (a.eligible !== b.eligible) {
    out.push({
      outcome: 'eligible',
      from: a.eligible,
      to: b.eligible,
      clause: '2.1.1',
      parameter: 'engagementThresholdBp',
      explanation: `${engaged}; ${threshold}, so eligible for the assessment: ${yesNo(a.eligible)} → ${yesNo(b.eligible)}.`,
    });
  }
  if (a.at_risk !== b.at_risk) {
    out.push({
      outcome: 'at_risk',
      from: a.at_risk,
      to: b.at_risk,
      clause: '2.1.1',
      parameter: 'engagementThresholdBp',
      explanation: `${engaged}, at most ${formatThreshold(bpOf(f.completedWeight + f.stillPossibleWeight, f.totalWeight))} reachable by the deadline; ${threshold}, so at risk: ${yesNo(a.at_risk)} → ${yesNo(b.at_risk)}.`,
    });
  }
  if (a.deferral_allowed !== b.deferral_allowed) {
    out.push({
      outcome: 'deferral_allowed',
      from: a.deferral_allowed,
      to: b.deferral_allowed,
      clause: '2.3.3',
      parameter: 'deferralsAllowed',
      explanation: `${deferred(f.deferralCount)} ${byDate}; deferrals allowed change from ${current.deferralsAllowed} to ${draft.deferralsAllowed}, so a further deferral ${b.deferral_allowed ? 'no longer needs' : 'would need'} an exception (2.3.9).`,
    });
  }
  if (a.attempts_left !== b.attempts_left) {
    out.push({
      outcome: 'attempts_left',
      from: a.attempts_left,
      to: b.attempts_left,
      clause: '2.5.1',
      parameter: 'assessmentAttempts',
      explanation: `had used ${f.attemptsUsed} of ${current.assessmentAttempts} attempts ${byDate}; attempts change to ${draft.assessmentAttempts}, so attempts left: ${a.attempts_left} → ${b.attempts_left}.`,
    });
  }
  return out;
}

export const WHAT_IF_RULES: readonly RuleMetadata[] = [
  {
    rule: 'whatIfDifferences',
    file: 'src/policy/what-if.ts',
    clauses: ['2.1.1', '2.3.3', '2.3.9', '2.5.1', '3.1.1'],
    summary:
      'Compares a participant’s outcomes (eligible for the assessment, at risk, deferral allowed, attempts left) under the version in force and a draft version, each difference with the clause and parameter that caused it; decides and stores nothing.',
  },
];
