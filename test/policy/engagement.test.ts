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

describe('2.1.1 each engagement reason, in the words the participant reads', () => {
  const evidence = (completedWeight: number, totalWeight: number, basisPoints: number) => ({
    completedWeight,
    totalWeight,
    requiredWeight: Math.ceil((totalWeight * 9) / 10),
    thresholdBp: 9000,
    basisPoints,
    deadline: DEADLINE,
    today: TODAY,
  });
  const clinic = (id: string, on: string, minutes: number, seq: number): RequiredActivity => ({
    id,
    kind: 'clinic',
    sequence: seq,
    plannedMinutes: minutes,
    scheduledOn: on,
  });

  it.each([
    {
      name: 'no required activities',
      activities: [] as RequiredActivity[],
      done: [] as string[],
      outcome: 'not_met',
      reasons: [
        {
          code: 'ENGAGEMENT.NO_REQUIRED_ACTIVITIES',
          clause: '2.1.1',
          met: false,
          message:
            'Your programme has no required activities recorded yet, so your engagement cannot be measured.',
          evidence: evidence(0, 0, 0),
        },
      ],
    },
    {
      name: 'exactly 90%',
      activities: acts([900, 100]),
      done: ['a0'],
      outcome: 'met',
      reasons: [
        {
          code: 'ENGAGEMENT.THRESHOLD_MET',
          clause: '2.1.1',
          met: true,
          message:
            'You have engaged with 90.0% of your programme, which meets the 90% needed to sit the assessment and complete the programme.',
          evidence: evidence(900, 1000, 9000),
        },
      ],
    },
    {
      name: 'half done, two study sessions still to come',
      activities: acts([50, 25, 25]),
      done: ['a0'],
      outcome: 'not_met',
      reasons: [
        {
          code: 'ENGAGEMENT.BELOW_THRESHOLD',
          clause: '2.1.1',
          met: false,
          message:
            'You have engaged with 50.0% of your programme. You need at least 90% by 31 March 2026 to sit the assessment and complete the programme.',
          evidence: evidence(50, 100, 5000),
        },
        {
          code: 'ENGAGEMENT.STILL_REACHABLE',
          clause: '2.1.1',
          met: true,
          message:
            'You can still reach 90% by 31 March 2026 if you complete the activities still to come (2 left before the deadline).',
          evidence: {
            ...evidence(50, 100, 5000),
            bestPossibleBasisPoints: 10000,
            stillPossibleActivityIds: ['a1', 'a2'],
          },
        },
      ],
    },
    {
      name: 'two clinics missed, worth 20%',
      activities: [
        clinic('c1', '2025-12-01', 10, 1),
        clinic('c2', '2025-12-15', 10, 2),
        { id: 's', kind: 'study_session', sequence: 3, plannedMinutes: 80 } as RequiredActivity,
      ],
      done: [] as string[],
      outcome: 'not_met',
      reasons: [
        {
          code: 'ENGAGEMENT.BELOW_THRESHOLD',
          clause: '2.1.1',
          met: false,
          message:
            'You have engaged with 0.0% of your programme. You need at least 90% by 31 March 2026 to sit the assessment and complete the programme.',
          evidence: evidence(0, 100, 0),
        },
        {
          code: 'ENGAGEMENT.NOT_REACHABLE',
          clause: '2.1.1',
          met: false,
          message:
            '90% is no longer reachable by 31 March 2026: even if you complete everything still scheduled before then, you would reach 80.0%. Please talk to your Delivery Partner about your options.',
          evidence: {
            ...evidence(0, 100, 0),
            bestPossibleBasisPoints: 8000,
            missedActivityIds: ['c1', 'c2'],
          },
        },
      ],
    },
  ])(
    '2.1.1 $name -> $outcome, every reason with its evidence',
    ({ activities, done, outcome, reasons }) => {
      const d = engagement(activities, done);
      expect(d.outcome).toBe(outcome);
      for (const r of d.reasons) expect(r.clause).toBe('2.1.1');
      expect(d.reasons).toEqual(reasons);
    },
  );

  it.each([
    { weight: -1, plannedMinutes: 50, shown: '-1' },
    { weight: 2.5, plannedMinutes: 50, shown: '2.5' },
    { weight: undefined, plannedMinutes: Number.NaN, shown: 'NaN' },
  ])(
    '2.1.1 an activity weighted $weight (planned minutes $plannedMinutes) is refused, naming the activity and the weight',
    ({ weight, plannedMinutes, shown }) => {
      const activity: RequiredActivity = {
        id: 'm2s3',
        kind: 'study_session',
        sequence: 1,
        plannedMinutes,
        ...(weight === undefined ? {} : { weight }),
      };
      expect(() => engagement([activity], [])).toThrow(
        new RangeError(`Activity m2s3 needs a whole, non-negative weight; got ${shown}`),
      );
    },
  );
});

describe('2.1.1 what can still be done before the deadline, kind by kind', () => {
  // One activity not done (weight 20) next to 80 done: reachable exactly when it can still be done.
  const rows: {
    why: string;
    kind: RequiredActivity['kind'];
    scheduledOn?: string;
    dueOn?: string;
    stillPossible: boolean;
    missed: boolean;
  }[] = [
    {
      why: 'a study session released before today stays open',
      kind: 'study_session',
      scheduledOn: '2025-11-01',
      stillPossible: true,
      missed: false,
    },
    {
      why: 'a study session released on the deadline',
      kind: 'study_session',
      scheduledOn: DEADLINE,
      stillPossible: true,
      missed: false,
    },
    {
      why: 'a study session released after the deadline',
      kind: 'study_session',
      scheduledOn: '2026-04-01',
      stillPossible: false,
      missed: false,
    },
    {
      why: 'a study session with no release date yet',
      kind: 'study_session',
      stillPossible: true,
      missed: false,
    },
    {
      why: 'coaching booked before today is booked around the participant (2.2.1.3)',
      kind: 'coaching',
      scheduledOn: '2025-12-01',
      stillPossible: true,
      missed: false,
    },
    {
      why: 'coaching first possible after the deadline',
      kind: 'coaching',
      scheduledOn: '2026-04-01',
      stillPossible: false,
      missed: false,
    },
    {
      why: 'a clinic before today was missed',
      kind: 'clinic',
      scheduledOn: '2025-12-01',
      stillPossible: false,
      missed: true,
    },
    {
      why: 'a clinic today',
      kind: 'clinic',
      scheduledOn: TODAY,
      stillPossible: true,
      missed: false,
    },
    {
      why: 'a clinic on the deadline',
      kind: 'clinic',
      scheduledOn: DEADLINE,
      stillPossible: true,
      missed: false,
    },
    {
      why: 'a clinic after the deadline has not happened yet',
      kind: 'clinic',
      scheduledOn: '2026-04-15',
      stillPossible: false,
      missed: false,
    },
    { why: 'a clinic not yet scheduled', kind: 'clinic', stillPossible: true, missed: false },
    {
      why: 'a conference first held before today with a last chance to come',
      kind: 'conference',
      scheduledOn: '2025-12-01',
      dueOn: '2026-02-01',
      stillPossible: true,
      missed: false,
    },
    {
      why: 'a community session after the deadline',
      kind: 'community_session',
      scheduledOn: '2026-04-01',
      stillPossible: false,
      missed: false,
    },
  ];

  it.each(rows)('2.1.1 $why: still possible $stillPossible, missed $missed', (row) => {
    const activity: RequiredActivity = {
      id: 'x',
      kind: row.kind,
      sequence: 2,
      plannedMinutes: 20,
      ...(row.scheduledOn === undefined ? {} : { scheduledOn: row.scheduledOn }),
      ...(row.dueOn === undefined ? {} : { dueOn: row.dueOn }),
    };
    const d = evaluateEngagement({
      course: 'npq-executive-leadership', // includes coaching, so coaching counts
      activities: [
        { id: 'done', kind: 'study_session', sequence: 1, plannedMinutes: 80 },
        activity,
      ],
      completedActivityIds: ['done'],
      deadline: DEADLINE,
      today: TODAY,
    });
    expect(d.outcome).toBe('not_met');
    expect(d.details.projection).toMatchObject({
      reachable: row.stillPossible,
      stillPossibleActivityIds: row.stillPossible ? ['x'] : [],
      missedActivityIds: row.missed ? ['x'] : [],
      bestPossibleBasisPoints: row.stillPossible ? 10000 : 8000,
    });
    const second = d.reasons[1];
    expect(second?.clause).toBe('2.1.1');
    expect(second?.code).toBe(
      row.stillPossible ? 'ENGAGEMENT.STILL_REACHABLE' : 'ENGAGEMENT.NOT_REACHABLE',
    );
    expect(second?.met).toBe(row.stillPossible);
    expect(second?.evidence).toMatchObject(
      row.stillPossible
        ? { stillPossibleActivityIds: ['x'] }
        : { missedActivityIds: row.missed ? ['x'] : [] },
    );
  });
});

describe('2.1.1 at risk: below the bar and not on pace to reach it', () => {
  const session = (id: string, dueOn: string, w: number, seq: number): RequiredActivity => ({
    id,
    kind: 'study_session',
    sequence: seq,
    plannedMinutes: w,
    scheduledOn: '2025-09-01',
    dueOn,
  });
  const PAST = '2026-01-05';
  const LATER = '2026-02-15';
  const tenDue = Array.from({ length: 10 }, (_, i) => session(`d${i}`, PAST, 10, i));
  const tenLater = Array.from({ length: 10 }, (_, i) => session(`l${i}`, LATER, 10, 10 + i));

  it.each([
    {
      name: '9 of the 10 due done (pace exactly 90%), the rest to come: not at risk',
      activities: [...tenDue, ...tenLater],
      done: tenDue.slice(0, 9).map((a) => a.id),
      projection: {
        dueWeight: 100,
        completedDueWeight: 90,
        expectedBasisPoints: 5000,
        projectedBasisPoints: 9000,
        atRisk: false,
      },
    },
    {
      name: '8,999 of 10,000 due done (pace 89.99%): at risk',
      activities: [
        session('d0', PAST, 8999, 0),
        session('d1', PAST, 1001, 1),
        session('l0', LATER, 10000, 2),
      ],
      done: ['d0'],
      projection: {
        dueWeight: 10000,
        completedDueWeight: 8999,
        expectedBasisPoints: 5000,
        projectedBasisPoints: 8999,
        atRisk: true,
      },
    },
    {
      name: '8 of the 10 due done, and one not yet due done early: the pace counts only what was due',
      activities: [...tenDue, session('f1', LATER, 100, 10), session('f2', LATER, 100, 11)],
      done: [...tenDue.slice(0, 8).map((a) => a.id), 'f1'],
      projection: {
        dueWeight: 100,
        completedDueWeight: 80,
        expectedBasisPoints: 3333,
        projectedBasisPoints: 8000,
        atRisk: true,
      },
    },
    {
      name: 'nothing due yet: the best still possible, not at risk',
      activities: tenLater,
      done: [] as string[],
      projection: {
        dueWeight: 0,
        completedDueWeight: 0,
        expectedBasisPoints: 0,
        projectedBasisPoints: 10000,
        atRisk: false,
      },
    },
  ])('2.1.1 pace and risk: $name', ({ activities, done, projection }) => {
    const d = engagement(activities, done);
    expect(d.outcome).toBe('not_met');
    expect(d.reasons[0]?.clause).toBe('2.1.1');
    expect(d.details.projection).toMatchObject({ reachable: true, ...projection });
  });
});

describe('2.1.1 the projection follows the arithmetic, whatever order the activities come in', () => {
  const KINDS = ['study_session', 'coaching', 'clinic', 'community_session', 'conference'] as const;
  // Dates either side of today (2026-01-10) and the deadline (2026-03-31), and undated.
  const DATES = ['2025-11-01', TODAY, '2026-02-15', DEADLINE, '2026-04-15', undefined];
  const row = fc.record({
    kind: fc.constantFrom(...KINDS),
    w: fc.integer({ min: 0, max: 500 }),
    sameSequenceAsPrevious: fc.boolean(),
    scheduledOn: fc.constantFrom(...DATES),
    dueOn: fc.constantFrom(...DATES),
    done: fc.boolean(),
  });
  // Built in programme order (sequence, then id), then shuffled.
  const programme = fc.array(row, { minLength: 1, maxLength: 25 }).chain((rows) => {
    let sequence = 0;
    const ordered = rows.map((r, i) => {
      if (!r.sameSequenceAsPrevious) sequence += 1;
      const activity: RequiredActivity = {
        id: `a${String(i).padStart(2, '0')}`,
        kind: r.kind,
        sequence,
        plannedMinutes: r.w,
        ...(r.scheduledOn === undefined ? {} : { scheduledOn: r.scheduledOn }),
        ...(r.dueOn === undefined ? {} : { dueOn: r.dueOn }),
      };
      return { activity, done: r.done };
    });
    return fc
      .tuple(
        fc.shuffledSubarray(ordered, { minLength: ordered.length, maxLength: ordered.length }),
        fc.constantFrom(TODAY, '2026-04-01'),
      )
      .map(([given, today]) => ({ ordered, given, today }));
  });

  it('2.1.1 property: what is still possible, what was missed, and the pace, in programme order', () => {
    fc.assert(
      fc.property(programme, ({ ordered, given, today }) => {
        const d = evaluateEngagement({
          course: 'npq-executive-leadership',
          activities: given.map((g) => g.activity),
          completedActivityIds: given.filter((g) => g.done).map((g) => g.activity.id),
          deadline: DEADLINE,
          today,
        });
        // ISO dates compare as strings.
        const possible = ({ activity: a }: (typeof ordered)[number]): boolean => {
          if (today > DEADLINE) return false;
          if (a.kind === 'study_session' || a.kind === 'coaching')
            return a.scheduledOn === undefined || a.scheduledOn <= DEADLINE;
          const last = a.dueOn ?? a.scheduledOn;
          return last === undefined || (last <= DEADLINE && today <= last);
        };
        const isDue = ({ activity: a }: (typeof ordered)[number]): boolean => {
          const on = a.dueOn ?? a.scheduledOn;
          return on !== undefined && on <= today;
        };
        const weight = (rows: typeof ordered) =>
          rows.reduce((s, r) => s + r.activity.plannedMinutes, 0);
        const notDone = ordered.filter((r) => !r.done);
        const stillPossible = notDone.filter(possible);
        const missed = notDone.filter(
          (r) =>
            !possible(r) &&
            r.activity.kind !== 'study_session' &&
            r.activity.kind !== 'coaching' &&
            (r.activity.dueOn ?? r.activity.scheduledOn ?? '9999-12-31') < today,
        );
        const total = weight(ordered);
        const completed = weight(ordered.filter((r) => r.done));
        const best = completed + weight(stillPossible);
        const due = weight(ordered.filter(isDue));
        const completedDue = weight(ordered.filter((r) => r.done && isDue(r)));
        const bestBp = total === 0 ? 0 : Math.floor((best * 10000) / total);
        const projected =
          due === 0 ? bestBp : Math.min(bestBp, Math.floor((completedDue * 10000) / due));
        const meets = total > 0 && completed * 10 >= total * 9;
        const reachable = total > 0 && best * 10 >= total * 9;

        expect(d.details.projection).toEqual({
          stillPossibleWeight: weight(stillPossible),
          bestPossibleWeight: best,
          bestPossibleBasisPoints: bestBp,
          reachable,
          shortfallWeight: Math.max(0, Math.ceil((total * 9) / 10) - completed),
          stillPossibleActivityIds: stillPossible.map((r) => r.activity.id),
          missedActivityIds: missed.map((r) => r.activity.id),
          dueWeight: due,
          completedDueWeight: completedDue,
          expectedBasisPoints: total === 0 ? 0 : Math.floor((due * 10000) / total),
          projectedBasisPoints: projected,
          atRisk: !meets && (!reachable || projected < 9000),
        });
        expect(d.outcome).toBe(meets ? 'met' : 'not_met');
        expect(d.reasons[0]?.clause).toBe('2.1.1');
      }),
    );
  });
});

describe('2.1.1 programme order: sequence, then id, whatever order the activities are given in', () => {
  const clinic = (id: string, sequence: number, scheduledOn?: string): RequiredActivity => ({
    id,
    kind: 'clinic',
    sequence,
    plannedMinutes: 10,
    ...(scheduledOn === undefined ? {} : { scheduledOn }),
  });
  // Two missed clinics and three still to come, two of each at the same point in the programme.
  const programme = [
    clinic('m-b', 1, '2025-12-01'),
    clinic('m-a', 1, '2025-12-01'),
    clinic('m-c', 2, '2025-12-15'),
    clinic('s-c', 3),
    clinic('s-b', 3),
    clinic('s-a', 3),
  ];
  it.each([
    { given: 'as listed', activities: programme },
    { given: 'reversed', activities: [...programme].reverse() },
    { given: 'by id', activities: [...programme].sort((a, b) => (a.id < b.id ? -1 : 1)) },
    {
      given: 'interleaved',
      activities: [2, 5, 0, 3, 1, 4].map((i) => programme[i] as RequiredActivity),
    },
  ])(
    '2.1.1 given $given: the missed and still-possible lists are in programme order',
    ({ activities }) => {
      const d = engagement(activities, []);
      expect(d.reasons[1]).toMatchObject({
        code: 'ENGAGEMENT.NOT_REACHABLE',
        clause: '2.1.1',
        met: false,
      });
      expect(d.details.projection.missedActivityIds).toEqual(['m-a', 'm-b', 'm-c']);
      expect(d.details.projection.stillPossibleActivityIds).toEqual(['s-a', 's-b', 's-c']);
      expect(d.reasons[1]?.evidence).toMatchObject({ missedActivityIds: ['m-a', 'm-b', 'm-c'] });
    },
  );
});
