import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { POLICY_REGISTER_V2_2 } from '../../src/policy/register.js';
import {
  changedParameters,
  parameterProblems,
  withParameterValues,
} from '../../src/policy/register-versions.js';
import {
  WHAT_IF_OUTCOME_LABELS,
  WHAT_IF_OUTCOMES,
  whatIfDifferences,
  whatIfOutcomes,
  type WhatIfFacts,
} from '../../src/policy/what-if.js';

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

describe('what-if outcomes against the arithmetic (2.1.1, 2.3.3, 2.5.1)', () => {
  const to95 = withParameterValues(v22, { engagementThresholdBp: 9500 });

  it('each outcome is named in the words staff read', () => {
    expect(Object.fromEntries(WHAT_IF_OUTCOMES.map((o) => [o, WHAT_IF_OUTCOME_LABELS[o]]))).toEqual(
      {
        eligible: 'Eligible for the assessment',
        at_risk: 'At risk of missing the engagement threshold',
        deferral_allowed: 'A deferral allowed without an exception',
        attempts_left: 'Assessment attempts left',
      },
    );
  });

  // Under v2.2 (90%), out of a total weight of 10,000 unless said otherwise.
  it.each([
    [
      'no activities recorded: not eligible, at risk',
      { completed: 0, total: 0, still: 0, due: 0, completedDue: 0 },
      false,
      true,
    ],
    [
      'exactly 90% done: eligible, not at risk',
      { completed: 9000, total: 10_000, still: 0, due: 9000, completedDue: 9000 },
      true,
      false,
    ],
    [
      '90% still reachable but behind pace (62.5% of what is due): at risk',
      { completed: 5000, total: 10_000, still: 5000, due: 8000, completedDue: 5000 },
      false,
      true,
    ],
    [
      '90% still reachable and exactly on pace (90% of what is due): not at risk',
      { completed: 4500, total: 10_000, still: 5500, due: 5000, completedDue: 4500 },
      false,
      false,
    ],
    [
      '90% still reachable and nothing due yet: not at risk',
      { completed: 0, total: 10_000, still: 10_000, due: 0, completedDue: 0 },
      false,
      false,
    ],
    [
      'nothing due yet but at most 80% reachable: at risk',
      { completed: 0, total: 10_000, still: 8000, due: 0, completedDue: 0 },
      false,
      true,
    ],
    [
      'on pace (100% of what is due) and exactly 90% reachable: not at risk',
      { completed: 5000, total: 10_000, still: 4000, due: 5000, completedDue: 5000 },
      false,
      false,
    ],
    [
      'on pace (100% of what is due) but at most 89.99% reachable: at risk',
      { completed: 5000, total: 10_000, still: 3999, due: 5000, completedDue: 5000 },
      false,
      true,
    ],
  ])('%s', (_name, w, eligible, atRisk) => {
    const f = facts(w.completed, {
      totalWeight: w.total,
      stillPossibleWeight: w.still,
      dueWeight: w.due,
      completedDueWeight: w.completedDue,
    });
    expect(whatIfOutcomes(f, v22)).toEqual({
      eligible,
      at_risk: atRisk,
      deferral_allowed: true,
      attempts_left: 2,
    });
  });

  it('92.5% done, threshold 90% → 95%: both differences, in the words shown', () => {
    const d = whatIfDifferences(facts(9250), v22, to95);
    expect(d).toEqual([
      {
        outcome: 'eligible',
        from: true,
        to: false,
        clause: '2.1.1',
        parameter: 'engagementThresholdBp',
        explanation:
          'engaged with 92.5%; the engagement threshold changes from 90% to 95%, so eligible for the assessment: yes → no.',
      },
      {
        outcome: 'at_risk',
        from: false,
        to: true,
        clause: '2.1.1',
        parameter: 'engagementThresholdBp',
        explanation:
          'engaged with 92.5%, at most 92.5% reachable by the deadline; the engagement threshold changes from 90% to 95%, so at risk: no → yes.',
      },
    ]);
    expect(whatIfDifferences(facts(9250), to95, v22).map((x) => x.explanation)).toEqual([
      'engaged with 92.5%; the engagement threshold changes from 95% to 90%, so eligible for the assessment: no → yes.',
      'engaged with 92.5%, at most 92.5% reachable by the deadline; the engagement threshold changes from 95% to 90%, so at risk: yes → no.',
    ]);
  });

  it('80% done, 12% still possible, threshold 90% → 95%: at risk only, naming the 92% reachable', () => {
    const f = facts(8000, { stillPossibleWeight: 1200, dueWeight: 8000, completedDueWeight: 8000 });
    expect(whatIfDifferences(f, v22, to95)).toEqual([
      {
        outcome: 'at_risk',
        from: false,
        to: true,
        clause: '2.1.1',
        parameter: 'engagementThresholdBp',
        explanation:
          'engaged with 80%, at most 92% reachable by the deadline; the engagement threshold changes from 90% to 95%, so at risk: no → yes.',
      },
    ]);
  });

  /** Weights as the engagement query gives them: parts never exceed their whole. */
  const factsArb = fc
    .record({
      total: fc.integer({ min: 0, max: 20_000 }),
      a: fc.double({ min: 0, max: 1, noNaN: true }),
      b: fc.double({ min: 0, max: 1, noNaN: true }),
      c: fc.double({ min: 0, max: 1, noNaN: true }),
      d: fc.double({ min: 0, max: 1, noNaN: true }),
      deferralCount: fc.integer({ min: 0, max: 4 }),
      attemptsUsed: fc.integer({ min: 0, max: 5 }),
    })
    .map(({ total, a, b, c, d, deferralCount, attemptsUsed }): WhatIfFacts => {
      const completed = Math.floor(a * total);
      const due = Math.floor(c * total);
      return {
        completedWeight: completed,
        totalWeight: total,
        stillPossibleWeight: Math.floor(b * (total - completed)),
        dueWeight: due,
        completedDueWeight: Math.floor(d * Math.min(completed, due)),
        deferralCount,
        attemptsUsed,
        asOf: '2026-05-01',
      };
    });
  const bpArb = fc.integer({ min: 5000, max: 10_000 });
  /** 2.1.1 as arithmetic: met at completed × 10000 ≥ total × bp; at risk when not met and either the best possible or the pace of what is due falls short. */
  const expected = (f: WhatIfFacts, bp: number, deferralsAllowed: number, attempts: number) => {
    const meets = f.totalWeight > 0 && f.completedWeight * 10_000 >= f.totalWeight * bp;
    const reachable =
      f.totalWeight > 0 &&
      (f.completedWeight + f.stillPossibleWeight) * 10_000 >= f.totalWeight * bp;
    const onPace = f.dueWeight === 0 || f.completedDueWeight * 10_000 >= f.dueWeight * bp;
    return {
      eligible: meets,
      at_risk: !meets && !(reachable && onPace),
      deferral_allowed: f.deferralCount < deferralsAllowed,
      attempts_left: Math.max(0, attempts - f.attemptsUsed),
    };
  };

  it('property: the four outcomes are what the arithmetic says', () => {
    fc.assert(
      fc.property(
        factsArb,
        bpArb,
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 1, max: 4 }),
        (f, bp, deferralsAllowed, assessmentAttempts) => {
          const p = withParameterValues(v22, {
            engagementThresholdBp: bp,
            deferralsAllowed,
            assessmentAttempts,
          });
          expect(whatIfOutcomes(f, p)).toEqual(
            expected(f, bp, deferralsAllowed, assessmentAttempts),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('property: a draft changing only the threshold changes eligibility exactly for completed × 10000 in [lower bp × total, higher bp × total)', () => {
    fc.assert(
      fc.property(factsArb, bpArb, bpArb, (f, oldBp, newBp) => {
        const current = withParameterValues(v22, { engagementThresholdBp: oldBp });
        const draft = withParameterValues(v22, { engagementThresholdBp: newBp });
        const diffs = whatIfDifferences(f, current, draft);
        const [lo, hi] = [Math.min(oldBp, newBp), Math.max(oldBp, newBp)];
        const x = f.completedWeight * 10_000;
        const eligibleChanges =
          f.totalWeight > 0 && x >= lo * f.totalWeight && x < hi * f.totalWeight;
        const a = expected(f, oldBp, 1, 2);
        const b = expected(f, newBp, 1, 2);
        expect(diffs.map((d) => [d.outcome, d.from, d.to, d.clause, d.parameter])).toEqual([
          ...(eligibleChanges
            ? [['eligible', a.eligible, b.eligible, '2.1.1', 'engagementThresholdBp']]
            : []),
          ...(a.at_risk !== b.at_risk
            ? [['at_risk', a.at_risk, b.at_risk, '2.1.1', 'engagementThresholdBp']]
            : []),
        ]);
        for (const d of diffs)
          expect(d.explanation).toContain(`changes from ${oldBp / 100}% to ${newBp / 100}%`);
      }),
      { numRuns: 500 },
    );
  });

  it('property: a draft with no change gives no difference', () => {
    fc.assert(
      fc.property(factsArb, bpArb, fc.integer({ min: 0, max: 3 }), (f, bp, deferralsAllowed) => {
        const p = withParameterValues(v22, { engagementThresholdBp: bp, deferralsAllowed });
        expect(whatIfDifferences(f, p, withParameterValues(p, {}))).toEqual([]);
      }),
      { numRuns: 200 },
    );
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
