import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  POLICY_REGISTER,
  evaluateEngagement,
  formatBasisPoints,
  meetsEngagementThreshold,
  requiredWeightFor,
} from '../../src/policy/index.js';
import type { PolicyRegister, RequiredActivity } from '../../src/policy/index.js';
import { programmeActivities } from './fixtures.js';

const TODAY = '2026-01-10';
const DEADLINE = '2026-03-31';

function acts(
  weights: readonly number[],
  kind: RequiredActivity['kind'] = 'study_session',
): RequiredActivity[] {
  return weights.map((w, i) => ({ id: `a${i}`, kind, sequence: i, plannedMinutes: w }));
}

function engagement(
  activities: RequiredActivity[],
  completed: string[],
  register?: PolicyRegister,
) {
  return evaluateEngagement(
    {
      course: 'npq-senior-leadership',
      activities,
      completedActivityIds: completed,
      deadline: DEADLINE,
      today: TODAY,
    },
    register,
  );
}

describe('2.1.1 engage with at least 90% of the programme content to sit the assessment and complete', () => {
  it.each([
    {
      name: 'exactly 90% of ten equal sessions',
      weights: [10, 10, 10, 10, 10, 10, 10, 10, 10, 10],
      done: 9,
      outcome: 'met',
    },
    {
      name: '8 of 10 equal sessions',
      weights: [10, 10, 10, 10, 10, 10, 10, 10, 10, 10],
      done: 8,
      outcome: 'not_met',
    },
    { name: 'all done', weights: [50, 60], done: 2, outcome: 'met' },
    { name: 'nothing done', weights: [50, 60], done: 0, outcome: 'not_met' },
    { name: '900 of 1000 minutes', weights: [900, 100], done: 1, outcome: 'met' },
    { name: '899 of 1000 minutes', weights: [899, 101], done: 1, outcome: 'not_met' },
    { name: '63 of 70 (exactly 90%)', weights: [63, 7], done: 1, outcome: 'met' },
    {
      name: '899999999 of 1000000000',
      weights: [899_999_999, 100_000_001],
      done: 1,
      outcome: 'not_met',
    },
  ])('2.1.1 $name -> $outcome', ({ weights, done, outcome }) => {
    const activities = acts(weights);
    const d = engagement(
      activities,
      activities.slice(0, done).map((a) => a.id),
    );
    expect(d.outcome).toBe(outcome);
    expect(d.details.meetsThreshold).toBe(outcome === 'met');
    expect(d.reasons[0]?.clause).toBe('2.1.1');
    expect(d.policyVersion).toBe('2.2');
  });

  it('2.1.1 counts every kind of activity, weighted by planned minutes', () => {
    const activities = programmeActivities('2025-09-01');
    const d = engagement(activities, []);
    // Conference 300, 18 sessions x 50, 3 clinics x 60, 3 community sessions x 60; no coaching on NPQSL.
    expect(d.details.totalWeight).toBe(300 + 18 * 50 + 3 * 60 + 3 * 60);
    expect(d.details.requiredWeight).toBe(1404);
    expect(d.details.excludedActivityIds).toEqual(['coach-1', 'coach-2']);
  });

  it('2.1.1 counts coaching only where the course includes it (2.2.1.3)', () => {
    const activities = programmeActivities('2025-09-01');
    const d = evaluateEngagement({
      course: 'npq-executive-leadership',
      activities,
      completedActivityIds: [],
      deadline: DEADLINE,
      today: TODAY,
    });
    expect(d.details.totalWeight).toBe(1560 + 120);
    expect(d.details.excludedActivityIds).toEqual([]);
  });

  it('2.1.1 uses the programme weight where one is given instead of minutes', () => {
    const activities: RequiredActivity[] = [
      { id: 'big', kind: 'conference', sequence: 1, plannedMinutes: 300, weight: 1 },
      { id: 'small', kind: 'clinic', sequence: 2, plannedMinutes: 60, weight: 9 },
    ];
    expect(engagement(activities, ['small']).outcome).toBe('met');
    expect(engagement(activities, ['big']).outcome).toBe('not_met');
  });

  it('2.1.1 reports the percentage rounded down, so 89.99% never shows as 90.0%', () => {
    const d = engagement(acts([8999, 1001]), ['a0']);
    expect(d.details.basisPoints).toBe(8999);
    expect(d.details.percentage).toBe('89.9%');
    expect(formatBasisPoints(9000)).toBe('90.0%');
    expect(d.reasons[0]?.message).toContain('89.9%');
    expect(d.reasons[0]?.message).toContain('90%');
  });

  it('2.1.1 integer arithmetic agrees with exact rational comparison', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        (total, bp) => {
          const required = requiredWeightFor(total, bp);
          expect(meetsEngagementThreshold(required, total, bp)).toBe(true);
          if (required > 0) expect(meetsEngagementThreshold(required - 1, total, bp)).toBe(false);
          expect(BigInt(required) * 10000n >= BigInt(total) * BigInt(bp)).toBe(true);
        },
      ),
    );
  });

  it('2.1.1 reads the threshold from the register, so a new version can change it', () => {
    const register: PolicyRegister = {
      ...POLICY_REGISTER,
      version: '9.9-test',
      parameters: { ...POLICY_REGISTER.parameters, engagementThresholdBp: 8000 },
    };
    const activities = acts([10, 10, 10, 10, 10]);
    expect(engagement(activities, ['a0', 'a1', 'a2', 'a3']).outcome).toBe('not_met');
    const d = engagement(activities, ['a0', 'a1', 'a2', 'a3'], register);
    expect(d.outcome).toBe('met');
    expect(d.policyVersion).toBe('9.9-test');
  });

  it('2.1.1 with no required activities engagement cannot be met', () => {
    const d = engagement([], []);
    expect(d.outcome).toBe('not_met');
    expect(d.reasons[0]?.code).toBe('ENGAGEMENT.NO_REQUIRED_ACTIVITIES');
  });

  it('2.1.1 rejects weights that are not whole numbers, to keep the comparison exact', () => {
    expect(() => engagement(acts([10.5]), [])).toThrow(RangeError);
    expect(() => engagement([...acts([10]), ...acts([10])], [])).toThrow(/Duplicate/);
  });
});

describe('2.1.1 projection to the 90% deadline', () => {
  const dated = (
    id: string,
    kind: RequiredActivity['kind'],
    on: string,
    minutes: number,
    seq: number,
  ): RequiredActivity => ({
    id,
    kind,
    sequence: seq,
    plannedMinutes: minutes,
    scheduledOn: on,
  });

  it.each([
    {
      name: 'future clinic can still be attended: reachable',
      activities: [
        dated('s', 'study_session', '2025-12-01', 90, 1),
        dated('c', 'clinic', '2026-02-01', 10, 2),
      ],
      completed: ['s'],
      outcome: 'met',
      reachable: true,
    },
    {
      name: 'missed clinic, sessions left: study sessions stay open so still reachable',
      activities: [
        dated('c', 'clinic', '2025-12-01', 10, 1),
        dated('s1', 'study_session', '2025-11-01', 45, 2),
        dated('s2', 'study_session', '2025-11-02', 45, 3),
      ],
      completed: ['s1'],
      outcome: 'not_met',
      reachable: true,
    },
    {
      name: 'missed two clinics worth more than 10%: no longer reachable',
      activities: [
        dated('c1', 'clinic', '2025-12-01', 10, 1),
        dated('c2', 'clinic', '2025-12-15', 10, 2),
        dated('s', 'study_session', '2025-11-01', 80, 3),
      ],
      completed: [],
      outcome: 'not_met',
      reachable: false,
    },
    {
      name: 'event scheduled after the deadline does not help',
      activities: [
        dated('s', 'study_session', '2025-11-01', 50, 1),
        dated('f', 'conference', '2026-04-15', 50, 2),
      ],
      completed: ['s'],
      outcome: 'not_met',
      reachable: false,
    },
    {
      name: 'event today can still be attended',
      activities: [
        dated('s', 'study_session', '2025-11-01', 50, 1),
        dated('f', 'conference', TODAY, 50, 2),
      ],
      completed: ['s'],
      outcome: 'not_met',
      reachable: true,
    },
  ])('2.1.1 $name', ({ activities, completed, outcome, reachable }) => {
    const d = engagement(activities, completed);
    expect(d.outcome).toBe(outcome);
    expect(d.details.projection.reachable).toBe(reachable);
    if (outcome === 'not_met') {
      expect(d.reasons.map((r) => r.code)).toContain(
        reachable ? 'ENGAGEMENT.STILL_REACHABLE' : 'ENGAGEMENT.NOT_REACHABLE',
      );
    }
  });

  it('2.1.1 says 90% is no longer reachable, with the best possible figure, and lists the missed events', () => {
    const activities: RequiredActivity[] = [
      dated('c1', 'clinic', '2025-12-01', 10, 1),
      dated('c2', 'clinic', '2025-12-15', 10, 2),
      dated('s', 'study_session', '2025-11-01', 80, 3),
    ];
    const d = engagement(activities, []);
    expect(d.details.projection.bestPossibleBasisPoints).toBe(8000);
    expect(d.details.projection.missedActivityIds).toEqual(['c1', 'c2']);
    expect(d.details.projection.shortfallWeight).toBe(90);
    const notReachable = d.reasons.find((r) => r.code === 'ENGAGEMENT.NOT_REACHABLE');
    expect(notReachable?.message).toContain('no longer reachable');
    expect(notReachable?.message).toContain('80.0%');
  });

  it('2.1.1 after the deadline nothing more can be done', () => {
    const activities = [
      dated('s', 'study_session', '2025-11-01', 50, 1),
      dated('t', 'study_session', '2025-11-02', 50, 2),
    ];
    const d = evaluateEngagement({
      course: 'npq-senior-leadership',
      activities,
      completedActivityIds: ['s'],
      deadline: DEADLINE,
      today: '2026-04-01',
    });
    expect(d.details.projection.reachable).toBe(false);
    expect(d.details.projection.stillPossibleActivityIds).toEqual([]);
  });
});

describe('2.1.1 properties of the engagement measure', () => {
  const programme = fc
    .array(
      fc.record({
        w: fc.integer({ min: 0, max: 500 }),
        kind: fc.constantFrom(
          'study_session',
          'clinic',
          'community_session',
          'conference',
          'coaching' as const,
        ),
      }),
      {
        minLength: 1,
        maxLength: 30,
      },
    )
    .map((rows) =>
      rows.map((r, i): RequiredActivity => ({
        id: `a${i}`,
        kind: r.kind,
        sequence: i,
        plannedMinutes: r.w,
      })),
    );

  it('2.1.1 engagement is monotone: completing one more activity never lowers it or un-meets the bar', () => {
    fc.assert(
      fc.property(programme, fc.array(fc.nat()), fc.nat(), (activities, picks, extra) => {
        const ids = activities.map((a) => a.id);
        const done = [...new Set(picks.map((p) => ids[p % ids.length] as string))];
        const more = [...new Set([...done, ids[extra % ids.length] as string])];
        const before = engagement(activities, done);
        const after = engagement(activities, more);
        expect(after.details.completedWeight).toBeGreaterThanOrEqual(
          before.details.completedWeight,
        );
        expect(after.details.basisPoints).toBeGreaterThanOrEqual(before.details.basisPoints);
        if (before.outcome === 'met') expect(after.outcome).toBe('met');
      }),
    );
  });

  it('2.1.1 engagement does not depend on the order completions were recorded in', () => {
    fc.assert(
      fc.property(
        programme,
        fc.array(fc.nat()),
        fc.func(fc.integer()),
        (activities, picks, key) => {
          const ids = activities.map((a) => a.id);
          const done = picks.map((p) => ids[p % ids.length] as string);
          const shuffled = [...done].sort((a, b) => key(a) - key(b) || (a < b ? -1 : 1));
          const a = engagement(activities, done);
          const b = engagement([...activities].reverse(), shuffled);
          expect(b.outcome).toBe(a.outcome);
          expect(b.details.completedWeight).toBe(a.details.completedWeight);
          expect(b.details.basisPoints).toBe(a.details.basisPoints);
        },
      ),
    );
  });
});

describe('2.1.1 the engagement decision is right, not only well formed', () => {
  it.each([
    { weights: [900, 100], done: ['a0'], code: 'ENGAGEMENT.THRESHOLD_MET', pct: '90.0%' },
    { weights: [899, 101], done: ['a0'], code: 'ENGAGEMENT.BELOW_THRESHOLD', pct: '89.9%' },
    { weights: [1, 0], done: ['a0'], code: 'ENGAGEMENT.THRESHOLD_MET', pct: '100.0%' },
    { weights: [0, 1], done: ['a0'], code: 'ENGAGEMENT.BELOW_THRESHOLD', pct: '0.0%' },
  ])('2.1.1 weights $weights, done $done -> $code at $pct', ({ weights, done, code, pct }) => {
    const d = engagement(acts(weights), done);
    const r = d.reasons[0];
    expect(r?.code).toBe(code);
    expect(r?.clause).toBe('2.1.1');
    expect(r?.met).toBe(code === 'ENGAGEMENT.THRESHOLD_MET');
    expect(d.outcome).toBe(code === 'ENGAGEMENT.THRESHOLD_MET' ? 'met' : 'not_met');
    expect(d.details.percentage).toBe(pct);
    expect(r?.message).toContain(`You have engaged with ${pct} of your programme`);
    if (code === 'ENGAGEMENT.THRESHOLD_MET') {
      // Someone at 90% is told they meet it, never that they "need at least 90%".
      expect(r?.message).not.toContain('You need at least');
      expect(d.reasons).toHaveLength(1);
    }
  });

  it.each([
    { weight: -1, ok: false },
    { weight: -1000, ok: false },
    { weight: 0.5, ok: false },
    { weight: 0, ok: true },
    { weight: 7, ok: true },
  ])('2.1.1 an activity weight of $weight is accepted: $ok', ({ weight, ok }) => {
    const activities: RequiredActivity[] = [
      { id: 'w', kind: 'study_session', sequence: 1, plannedMinutes: 50, weight },
      { id: 'x', kind: 'study_session', sequence: 2, plannedMinutes: 50 },
    ];
    if (ok) {
      const d = engagement(activities, ['x']);
      expect(d.details.totalWeight).toBe(50 + weight);
      expect(d.reasons[0]?.clause).toBe('2.1.1');
    } else {
      expect(() => engagement(activities, ['x'])).toThrow(RangeError);
    }
  });

  it('2.1.1 property: never above 100%, and meets the bar exactly where completed x 10000 >= total x 9000', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ w: fc.integer({ min: 0, max: 500 }), done: fc.boolean() }), {
          minLength: 1,
          maxLength: 25,
        }),
        (rows) => {
          const activities = acts(rows.map((r) => r.w));
          const done = activities.filter((_, i) => rows[i]?.done).map((a) => a.id);
          const d = engagement(activities, done);
          const total = rows.reduce((s, r) => s + r.w, 0);
          const completed = rows.reduce((s, r) => s + (r.done ? r.w : 0), 0);
          expect(d.details.totalWeight).toBe(total);
          expect(d.details.completedWeight).toBe(completed);
          expect(d.details.basisPoints).toBeLessThanOrEqual(10000);
          expect(d.details.basisPoints).toBeGreaterThanOrEqual(0);
          const expectedBp = total === 0 ? 0 : Math.floor((completed * 10000) / total);
          expect(d.details.basisPoints).toBe(expectedBp);
          const meets = total > 0 && completed * 10 >= total * 9;
          expect(d.details.meetsThreshold).toBe(meets);
          expect(d.outcome).toBe(meets ? 'met' : 'not_met');
          expect(d.reasons[0]?.clause).toBe('2.1.1');
          expect(d.reasons[0]?.met).toBe(meets);
          // The smallest completed weight that meets the bar, and the shortfall to it.
          const required = Math.ceil((total * 9) / 10);
          expect(d.details.requiredWeight).toBe(required);
          expect(d.details.projection.shortfallWeight).toBe(Math.max(0, required - completed));
          expect(meetsEngagementThreshold(required, total, 9000)).toBe(total > 0);
          if (required > 0) expect(meetsEngagementThreshold(required - 1, total, 9000)).toBe(false);
        },
      ),
    );
  });

  it('2.1.1 property: the percentage shown never rounds up', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10000 }), (bp) => {
        const shown = formatBasisPoints(bp);
        expect(shown).toBe(`${Math.floor(bp / 100)}.${Math.floor(bp / 10) % 10}%`);
        expect(Number.parseFloat(shown) * 100).toBeLessThanOrEqual(bp + 1e-9);
      }),
    );
  });
});
