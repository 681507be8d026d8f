import { describe, expect, it } from 'vitest';
import { POLICY_REGISTER_V2_2 } from '../../src/policy/register.js';
import {
  changedParameters,
  parameterProblems,
  withParameterValues,
} from '../../src/policy/register-versions.js';
import { whatIfDifferences, whatIfOutcomes, type WhatIfFacts } from '../../src/policy/what-if.js';

const v22 = POLICY_REGISTER_V2_2.parameters;
const facts = (completed: number, extra: Partial<WhatIfFacts> = {}): WhatIfFacts => ({
  completedWeight: completed,
  totalWeight: 10_000,
  stillPossibleWeight: 0,
  dueWeight: 10_000,
  completedDueWeight: completed,
  deferralCount: 0,
  attemptsUsed: 0,
  asOf: '2026-05-01',
  ...extra,
});

describe('what-if outcomes (2.1.1, 2.3.3, 2.5.1)', () => {
  const to95 = withParameterValues(v22, { engagementThresholdBp: 9500 });

  it('exactly 90% is eligible under v2.2; 95% needs exactly 95%', () => {
    expect(whatIfOutcomes(facts(9000), v22).eligible).toBe(true);
    expect(whatIfOutcomes(facts(8999), v22).eligible).toBe(false);
    expect(whatIfOutcomes(facts(9499), to95).eligible).toBe(false);
    expect(whatIfOutcomes(facts(9500), to95).eligible).toBe(true);
  });

  it('a 95% draft changes those from 90% up to (not including) 95%, and no one else', () => {
    const changed = [8999, 9000, 9250, 9499, 9500, 10_000].filter((c) =>
      whatIfDifferences(facts(c), v22, to95).some((d) => d.outcome === 'eligible'),
    );
    expect(changed).toEqual([9000, 9250, 9499]);
    const [d] = whatIfDifferences(facts(9250), v22, to95);
    expect(d).toMatchObject({
      outcome: 'eligible',
      from: true,
      to: false,
      clause: '2.1.1',
      parameter: 'engagementThresholdBp',
    });
    expect(d!.explanation).toContain('from 90% to 95%');
  });

  it('someone short of 90% who can reach 92% becomes at risk at 95%', () => {
    const f = facts(8000, { stillPossibleWeight: 1200, dueWeight: 8000, completedDueWeight: 8000 });
    expect(whatIfOutcomes(f, v22).at_risk).toBe(false);
    expect(whatIfOutcomes(f, to95).at_risk).toBe(true);
  });

  it('no parameter changed: no difference, whatever the facts', () => {
    const same = withParameterValues(v22, {});
    expect(changedParameters(v22, same)).toEqual([]);
    for (const c of [0, 5000, 8999, 9000, 9500, 10_000])
      for (const deferralCount of [0, 1, 2])
        for (const attemptsUsed of [0, 1, 2])
          expect(whatIfDifferences(facts(c, { deferralCount, attemptsUsed }), v22, same)).toEqual(
            [],
          );
  });

  it('a second deferral without an exception, and a third attempt', () => {
    const draft = withParameterValues(v22, { deferralsAllowed: 2, assessmentAttempts: 3 });
    const diffs = whatIfDifferences(facts(9500, { deferralCount: 1, attemptsUsed: 2 }), v22, draft);
    expect(diffs.map((d) => [d.outcome, d.from, d.to, d.clause, d.parameter])).toEqual([
      ['deferral_allowed', false, true, '2.3.3', 'deferralsAllowed'],
      ['attempts_left', 0, 1, '2.5.1', 'assessmentAttempts'],
    ]);
  });

  it('the explanation names the counts as of the date', () => {
    const draft = withParameterValues(v22, { deferralsAllowed: 3, assessmentAttempts: 3 });
    const explain = (deferralCount: number, attemptsUsed: number) =>
      whatIfDifferences(
        facts(9500, { deferralCount, attemptsUsed, asOf: '2026-09-30' }),
        v22,
        draft,
      ).map((d) => d.explanation);
    expect(explain(1, 1)).toEqual([
      'had deferred once by 30 September 2026; deferrals allowed change from 1 to 3, so a further deferral no longer needs an exception (2.3.9).',
      'had used 1 of 2 attempts by 30 September 2026; attempts change to 3, so attempts left: 1 → 2.',
    ]);
    expect(explain(2, 0)[0]).toBe(
      'had deferred 2 times by 30 September 2026; deferrals allowed change from 1 to 3, so a further deferral no longer needs an exception (2.3.9).',
    );
    const none = whatIfDifferences(
      facts(9500, { asOf: '2026-03-19' }),
      v22,
      withParameterValues(v22, { deferralsAllowed: 0 }),
    );
    expect(none.map((d) => d.explanation)).toEqual([
      'had not deferred by 19 March 2026; deferrals allowed change from 1 to 0, so a further deferral would need an exception (2.3.9).',
    ]);
  });
});

describe('draft parameters are checked field by field', () => {
  it('v2.2 is valid; out-of-range values name their field', () => {
    const values = {
      engagementThresholdBp: 9000,
      assessmentWindowDays: 8,
      assessmentAttempts: 2,
      deferralsAllowed: 1,
      intentContactLeadDays: 28,
      moduleReleaseLeadDays: 7,
      'eventNoticeDays.clinic': 42,
      'eventNoticeDays.community_session': 14,
      'eventNoticeDays.conference': 42,
      'eventNoticeDays.assessment_window': 42,
    };
    expect(parameterProblems(values)).toEqual([]);
    expect(
      parameterProblems({ ...values, engagementThresholdBp: 4999, assessmentAttempts: 0 }).map(
        (p) => p.field,
      ),
    ).toEqual(['engagementThresholdBp', 'assessmentAttempts']);
  });
});
