import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CLAUSE_NUMBERS,
  OUTCOMES,
  OUTCOME_MEANINGS,
  anyUnmet,
  decision,
  isClauseNumber,
  reason,
} from '../../src/policy/index.js';

describe('3.1.1 every decision has one shape: outcome, clause-cited reasons, policy version, details', () => {
  it('a reason carries its code, clause, whether it is met, the words and the facts', () => {
    expect(
      reason('DEFERRAL.ENGAGED', '2.3.2', true, 'You have engaged.', { modulesEngaged: 2 }),
    ).toEqual({
      code: 'DEFERRAL.ENGAGED',
      clause: '2.3.2',
      met: true,
      message: 'You have engaged.',
      evidence: { modulesEngaged: 2 },
    });
    // Evidence defaults to no facts, never to undefined (a stored decision must serialise).
    expect(reason('POLICY.X', '3.1.1', false, 'Words.').evidence).toEqual({});
  });

  it('3.1.1 a decision records the register version it was made under', () => {
    const reasons = [reason('POLICY.X', '3.1.1', true, 'Words.')];
    expect(decision('2.2', 'met', reasons, { n: 1 })).toEqual({
      outcome: 'met',
      reasons,
      policyVersion: '2.2',
      details: { n: 1 },
    });
  });

  it('every outcome has a meaning in words', () => {
    expect(Object.keys(OUTCOME_MEANINGS).sort()).toEqual([...OUTCOMES].sort());
    expect(OUTCOME_MEANINGS.needs_exception).toContain('programme team');
  });

  it.each([
    { mets: [], unmet: false },
    { mets: [true], unmet: false },
    { mets: [false], unmet: true },
    { mets: [true, true, false], unmet: true },
    { mets: [false, true], unmet: true },
    { mets: [true, true], unmet: false },
  ])('anyUnmet over $mets is $unmet', ({ mets, unmet }) => {
    expect(anyUnmet(mets.map((m) => reason('POLICY.X', '3.1.1', m, 'Words.')))).toBe(unmet);
  });

  it('property: anyUnmet is true exactly when some reason is not met, in any order', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean()), (mets) => {
        expect(anyUnmet(mets.map((m) => reason('POLICY.X', '3.1.1', m, 'Words.')))).toBe(
          mets.includes(false),
        );
      }),
    );
  });

  it("only the policy's own clause numbers are clause numbers", () => {
    for (const n of CLAUSE_NUMBERS) expect(isClauseNumber(n)).toBe(true);
    for (const n of ['', '2.3', '2.3.11', '2.2.1.6', '1.1.1 ', 'x']) {
      expect(isClauseNumber(n)).toBe(false);
    }
  });
});
