/**
 * For clauses that set a purpose rather than a test of their own (1.1.1, 1.1.2, 2.2.1): a test
 * asserts the outcome the clause is there to produce. docs/policy.md counts a call to a helper whose
 * name starts with `expect` and names the clause as covering it (scripts/policy-test-assertions.ts).
 */
import { expect } from 'vitest';
import { POLICY_RULES } from '../../src/policy/index.js';
import type { ClauseNumber } from '../../src/policy/index.js';

export function expectOutcome(
  decision: { readonly outcome: string },
  clause: ClauseNumber,
  outcome: string,
): void {
  expect(decision.outcome, `outcome for ${clause}`).toBe(outcome);
  // The clause is implemented by at least one rule, so a decision can speak for it.
  expect(
    POLICY_RULES.some((r) => r.clauses.includes(clause)),
    `a rule for ${clause}`,
  ).toBe(true);
}
