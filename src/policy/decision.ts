/**
 * The one shape every policy rule answers in, so staff screens, participant letters and the audit
 * log can show any decision the same way: what the answer is, which clause of the policy each part
 * of it comes from, and the facts it was based on.
 */
import type { ClauseNumber } from './clauses.js';

/**
 * A small, fixed set of answers.
 * - allowed / refused: a request or action the policy permits or does not.
 * - needs_exception: only possible as an exception recorded and approved by the programme team.
 * - needs_review: the policy lets staff decide (for example, after asking for evidence).
 * - met / not_met: a requirement checked against the facts (engagement, notice, review dates).
 * The outcome is the answer; a reason with `met: false` under an allowed or met outcome is advice.
 */
export const OUTCOMES = [
  'allowed',
  'refused',
  'needs_exception',
  'needs_review',
  'met',
  'not_met',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** What each outcome means, in words a programme manager or participant would use. */
export const OUTCOME_MEANINGS: Readonly<Record<Outcome, string>> = {
  allowed: 'The policy permits the request or action.',
  refused: 'The policy does not permit it; the unmet reasons say why and which clause applies.',
  needs_exception:
    'Only possible as an exception recorded and approved by the programme team (for example a second deferral).',
  needs_review: 'Staff must decide, for example once requested evidence arrives.',
  met: 'The requirement is satisfied.',
  not_met: 'The requirement is not satisfied.',
};

export const POLICY_AREAS = [
  'ENGAGEMENT',
  'ACCESS',
  'CALENDAR',
  'CLINIC',
  'COACHING',
  'ASSESSMENT',
  'DEFERRAL',
  'FUNDING',
  'PORTABILITY',
  'POLICY',
] as const;
export type PolicyArea = (typeof POLICY_AREAS)[number];

/** e.g. 'DEFERRAL.NOT_COMMENCED': the area, then what was found. */
export type ReasonCode = `${PolicyArea}.${string}`;

/** Plain, serialisable facts so a decision can be stored and shown later exactly as made. */
export type EvidenceValue = string | number | boolean | null | readonly (string | number)[];
export type Evidence = Readonly<Record<string, EvidenceValue>>;

export interface Reason {
  readonly code: ReasonCode;
  readonly clause: ClauseNumber;
  /** Whether this part of the policy is satisfied. */
  readonly met: boolean;
  /** Plain English, written to the participant. */
  readonly message: string;
  readonly evidence: Evidence;
}

export interface Decision<O extends Outcome = Outcome, D = unknown> {
  readonly outcome: O;
  readonly reasons: readonly Reason[];
  /** The register version the decision was made under (policy 3.1.1). */
  readonly policyVersion: string;
  /** What the rule worked out (dates, plans, counts), for the caller to act on. */
  readonly details: D;
}

/** What a rule declares about itself, so docs/policy.md can show which rule implements which clause. */
export interface RuleMetadata {
  /** The exported function name. */
  readonly rule: string;
  /** The file, relative to the repository root. */
  readonly file: string;
  readonly clauses: readonly ClauseNumber[];
  readonly summary: string;
}

export function reason(
  code: ReasonCode,
  clause: ClauseNumber,
  met: boolean,
  message: string,
  evidence: Evidence = {},
): Reason {
  return { code, clause, met, message, evidence };
}

export function decision<O extends Outcome, D>(
  policyVersion: string,
  outcome: O,
  reasons: readonly Reason[],
  details: D,
): Decision<O, D> {
  return { outcome, reasons, policyVersion, details };
}

/** True when some reason is unmet; rules use it to turn their checks into an outcome. */
export function anyUnmet(reasons: readonly Reason[]): boolean {
  return reasons.some((r) => !r.met);
}
