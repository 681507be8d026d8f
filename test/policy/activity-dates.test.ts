import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  addDays,
  datedActivities,
  dueDateOf,
  evaluateEngagement,
  isOnOrBefore,
  sessionDueOn,
  type StudyModule,
  type UndatedActivity,
} from '../../src/policy/index.js';
import type { ActivityKind } from '../../src/domain/catalogue.js';

const START = '2025-10-06';
const DEADLINE = '2026-05-15';

/** Two modules of six 50-minute sessions, a 60-minute clinic per module, and an opening conference. */
function programme(): UndatedActivity[] {
  const out: UndatedActivity[] = [
    { id: 'conf', kind: 'conference', sequence: 0, plannedMinutes: 300 },
  ];
  for (const m of [1, 2]) {
    for (let s = 1; s <= 6; s += 1) {
      out.push({
        id: `m${m}s${s}`,
        kind: 'study_session',
        sequence: m * 10 + s,
        plannedMinutes: 50,
        moduleId: `m${m}`,
      });
    }
    out.push({ id: `clinic${m}`, kind: 'clinic', sequence: m * 10 + 7, plannedMinutes: 60 });
  }
  return out;
}

const MODULES: StudyModule[] = [
  { id: 'm1', sequence: 1, releasedOn: START, scheduledStartOn: START },
  { id: 'm2', sequence: 2, releasedOn: '2025-10-27', scheduledStartOn: '2025-11-03' },
];
const SLOTS = {
  conf: [START],
  clinic1: ['2025-10-28', '2025-10-29', '2025-10-30'],
  clinic2: ['2025-11-25', '2025-11-26', '2026-06-01'],
};

describe('every activity has its own dates (2.1.1, 2.2.1.1, 2.2.1.2)', () => {
  const dated = datedActivities({
    activities: programme(),
    modules: MODULES,
    slotDays: SLOTS,
    bookedDays: { clinic1: ['2025-10-29'] },
    deadline: DEADLINE,
  });
  const byId = new Map(dated.map((a) => [a.id, a]));

  it('study sessions open on their module release and are due slice by slice across the ideal window', () => {
    expect(byId.get('m2s1')).toMatchObject({ scheduledOn: '2025-10-27', dueOn: '2025-11-05' });
    expect(byId.get('m2s3')).toMatchObject({ dueOn: '2025-11-09' });
    // The last session is due on the window's last day (start + 13).
    expect(byId.get('m2s6')).toMatchObject({ dueOn: '2025-11-16' });
    expect(sessionDueOn('2025-11-03', 6, 6)).toBe(addDays('2025-11-03', 13));
  });

  it('a booked clinic is on its booked day; an unbooked one from the first slot to the last by the deadline', () => {
    expect(byId.get('clinic1')).toMatchObject({ scheduledOn: '2025-10-29', dueOn: '2025-10-29' });
    expect(byId.get('clinic2')).toMatchObject({ scheduledOn: '2025-11-25', dueOn: '2025-11-26' });
  });

  it('a participant on track the day after a release is not at risk (the whole module is not due on release day)', () => {
    const done = dated.filter(
      (a) => a.id === 'conf' || a.id.startsWith('m1') || a.id === 'clinic1',
    );
    const d = evaluateEngagement({
      course: 'npq-senior-leadership',
      activities: dated,
      completedActivityIds: done.map((a) => a.id),
      deadline: DEADLINE,
      today: '2025-10-31',
    });
    expect(d.details.projection.atRisk).toBe(false);
    expect(d.details.projection.projectedBasisPoints).toBe(10_000);
    // Module 2 is released and open, but nothing of it is due yet: expected = what is done.
    expect(d.details.projection.expectedBasisPoints).toBe(d.details.basisPoints);
  });

  it('the same participant, having done nothing of module 2, is a little behind when its first session is due and at risk by the end of its window', () => {
    const done = dated.filter(
      (a) => a.id === 'conf' || a.id.startsWith('m1') || a.id === 'clinic1',
    );
    const d = evaluateEngagement({
      course: 'npq-senior-leadership',
      activities: dated,
      completedActivityIds: done.map((a) => a.id),
      deadline: DEADLINE,
      today: '2025-11-05',
    });
    const doneWeight = done.reduce((w, a) => w + a.plannedMinutes, 0);
    expect(d.details.projection.dueWeight).toBe(doneWeight + 50);
    expect(d.details.projection.expectedBasisPoints).toBeGreaterThan(d.details.basisPoints);
    // 660 of 710 due is 92.9%: one session behind is not yet at risk.
    expect(d.details.projection.atRisk).toBe(false);
    const later = evaluateEngagement({
      course: 'npq-senior-leadership',
      activities: dated,
      completedActivityIds: done.map((a) => a.id),
      deadline: DEADLINE,
      today: '2025-11-16',
    });
    expect(later.details.projection.dueWeight).toBe(doneWeight + 300);
    expect(later.details.projection.projectedBasisPoints).toBe(6875);
    expect(later.details.projection.atRisk).toBe(true);
  });

  it('a clinic whose booked day passed unattended is missed; an unbooked one with a slot ahead is not', () => {
    const d = evaluateEngagement({
      course: 'npq-senior-leadership',
      activities: dated,
      completedActivityIds: [],
      deadline: DEADLINE,
      today: '2025-11-26',
    });
    expect(d.details.projection.missedActivityIds).toContain('clinic1');
    expect(d.details.projection.missedActivityIds).not.toContain('clinic2');
    expect(d.details.projection.stillPossibleActivityIds).toContain('clinic2');
  });
});

const KINDS: ActivityKind[] = ['clinic', 'community_session', 'conference', 'coaching'];

const generatedProgramme = fc
  .record({
    modules: fc.array(
      fc.record({
        release: fc.integer({ min: 0, max: 150 }),
        lead: fc.integer({ min: 0, max: 14 }),
        sessions: fc.integer({ min: 1, max: 6 }),
      }),
      { minLength: 1, maxLength: 6 },
    ),
    events: fc.array(
      fc.record({
        kind: fc.constantFrom(...KINDS),
        module: fc.nat(),
        minutes: fc.integer({ min: 1, max: 300 }),
        slots: fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 3 }),
        booked: fc.option(fc.nat(), { nil: undefined }),
      }),
      { maxLength: 12 },
    ),
    today: fc.integer({ min: -10, max: 240 }),
    extra: fc.array(fc.nat(), { maxLength: 5 }),
  })
  .map((g) => {
    const activities: UndatedActivity[] = [];
    const modules: StudyModule[] = g.modules.map((m, i) => ({
      id: `m${i}`,
      sequence: i,
      releasedOn: addDays(START, m.release),
      scheduledStartOn: addDays(START, m.release + m.lead),
    }));
    g.modules.forEach((m, i) => {
      for (let s = 1; s <= m.sessions; s += 1) {
        activities.push({
          id: `m${i}s${s}`,
          kind: 'study_session',
          sequence: i * 100 + s,
          plannedMinutes: 50,
          moduleId: `m${i}`,
        });
      }
    });
    const slotDays: Record<string, string[]> = {};
    const bookedDays: Record<string, string[]> = {};
    g.events.forEach((e, i) => {
      const id = `e${i}`;
      activities.push({
        id,
        kind: e.kind,
        sequence: 1000 + i,
        plannedMinutes: e.minutes,
        moduleId: `m${e.module % g.modules.length}`,
      });
      slotDays[id] = e.slots.map((d) => addDays(START, d));
      if (e.booked !== undefined && e.slots.length > 0) {
        bookedDays[id] = [addDays(START, e.slots[e.booked % e.slots.length]!)];
      }
    });
    return {
      activities,
      modules,
      slotDays,
      bookedDays,
      today: addDays(START, g.today),
      extra: g.extra,
    };
  });

describe('a participant who keeps to the windows is never at risk (property)', () => {
  it('doing everything due by each day (and perhaps more) is never "at risk"', () => {
    fc.assert(
      fc.property(generatedProgramme, (p) => {
        const dated = datedActivities({ ...p, deadline: DEADLINE });
        // Every activity is dated within the programme (an event never scheduled can never be kept to).
        expect(dated.every((a) => isOnOrBefore(dueDateOf(a)!, DEADLINE))).toBe(true);
        const due = dated.filter((a) => {
          const on = dueDateOf(a);
          return on !== undefined && isOnOrBefore(on, p.today);
        });
        const extra = p.extra.map((i) => dated[i % dated.length]!.id);
        const d = evaluateEngagement({
          course: 'npq-executive-leadership',
          activities: dated,
          completedActivityIds: [...due.map((a) => a.id), ...extra],
          deadline: DEADLINE,
          today: p.today,
        });
        expect(d.details.projection.atRisk).toBe(false);
        expect(d.details.basisPoints).toBeGreaterThanOrEqual(
          d.details.projection.expectedBasisPoints,
        );
      }),
      { numRuns: 500 },
    );
  });

  it('but one due activity left undone is projected below 100% once it is due', () => {
    fc.assert(
      fc.property(generatedProgramme, (p) => {
        const dated = datedActivities({ ...p, deadline: DEADLINE });
        const due = dated.filter((a) => {
          const on = dueDateOf(a);
          return on !== undefined && isOnOrBefore(on, p.today);
        });
        fc.pre(due.length > 0);
        const d = evaluateEngagement({
          course: 'npq-executive-leadership',
          activities: dated,
          completedActivityIds: due.slice(1).map((a) => a.id),
          deadline: DEADLINE,
          today: p.today,
        });
        expect(d.details.projection.projectedBasisPoints).toBeLessThan(10_000);
      }),
      { numRuns: 300 },
    );
  });
});

/** Every order of `xs` (for inputs arriving shuffled). */
function permutations<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [[...xs]];
  return xs.flatMap((x, i) =>
    permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]),
  );
}

describe('the dates follow programme order and the ideal window exactly (2.2.1.1, 2.2.1.3)', () => {
  const MX: StudyModule = {
    id: 'mx',
    sequence: 1,
    releasedOn: '2025-10-01',
    scheduledStartOn: START,
  };
  const session = (id: string, sequence: number): UndatedActivity => ({
    id,
    kind: 'study_session',
    sequence,
    plannedMinutes: 50,
    moduleId: 'mx',
  });
  // Programme order: by sequence (s-b before s-a), then by id among equal sequences.
  const SESSIONS = [
    session('t-c', 3),
    session('s-a', 2),
    session('t-a', 3),
    session('s-b', 1),
    session('t-b', 3),
  ];
  // Five sessions over 14 days: slice ends 3, 6, 9, 12 and 14 days in.
  const EXPECTED_DUE = { 's-b': 2, 's-a': 5, 't-a': 8, 't-b': 11, 't-c': 13 };

  it('session k of n is due at the end of slice k in sequence-then-id order, whatever order the sessions arrive in', () => {
    for (const order of permutations(SESSIONS)) {
      const dated = datedActivities({
        activities: order,
        modules: [MX],
        slotDays: {},
        deadline: DEADLINE,
      });
      expect(Object.fromEntries(dated.map((a) => [a.id, a.dueOn]))).toEqual(
        Object.fromEntries(Object.entries(EXPECTED_DUE).map(([id, d]) => [id, addDays(START, d)])),
      );
      expect(dated.every((a) => a.scheduledOn === MX.releasedOn)).toBe(true);
    }
  });

  it("coaching and events of a module do not count among its sessions; unbooked coaching is open from the release and due on the window's last day", () => {
    const coaching: UndatedActivity = {
      id: 'coach',
      kind: 'coaching',
      sequence: 0,
      plannedMinutes: 60,
      moduleId: 'mx',
    };
    const clinic: UndatedActivity = {
      id: 'clin',
      kind: 'clinic',
      sequence: 4,
      plannedMinutes: 60,
      moduleId: 'mx',
    };
    const orphan: UndatedActivity = {
      id: 'orphan',
      kind: 'coaching',
      sequence: 5,
      plannedMinutes: 60,
    };
    const dated = datedActivities({
      activities: [coaching, session('only', 1), clinic, orphan],
      modules: [MX],
      slotDays: { clin: [] },
      deadline: DEADLINE,
    });
    const lastDay = addDays(START, 13);
    expect(dated).toEqual([
      { ...coaching, scheduledOn: '2025-10-01', dueOn: lastDay },
      // The module's only session is due on the window's last day, as is the coaching.
      { ...session('only', 1), scheduledOn: '2025-10-01', dueOn: lastDay },
      // A clinic with no slot and no booking, and coaching with no module, have no dates.
      clinic,
      orphan,
    ]);
    expect(sessionDueOn(START, 1, 1)).toBe(lastDay);
  });

  it("slot and booked days may arrive in any order and are not reordered in the caller's hands", () => {
    const slots = Object.freeze(['2025-11-26', '2026-06-01', '2025-11-25'] as const);
    const booked = Object.freeze(['2025-10-30', '2025-10-29'] as const);
    const dated = datedActivities({
      activities: [
        { id: 'c1', kind: 'clinic', sequence: 1, plannedMinutes: 60 },
        { id: 'c2', kind: 'clinic', sequence: 2, plannedMinutes: 60 },
      ],
      modules: [],
      slotDays: { c1: slots, c2: slots },
      bookedDays: Object.freeze({ c1: booked }),
      deadline: DEADLINE,
    });
    expect(dated.map((a) => [a.scheduledOn, a.dueOn])).toEqual([
      ['2025-10-30', '2025-10-30'],
      ['2025-11-25', '2025-11-26'],
    ]);
    expect(slots).toEqual(['2025-11-26', '2026-06-01', '2025-11-25']);
    expect(booked).toEqual(['2025-10-30', '2025-10-29']);
  });
});
