import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  POLICY_REGISTER,
  addDays,
  evaluateProgrammeAccess,
  evaluateStudySessionAccess,
  sessionsInOrder,
} from '../../src/policy/index.js';
import type {
  AccessInput,
  PolicyRegister,
  StudyModule,
  StudySession,
} from '../../src/policy/index.js';
import { studyModules, studySessions } from './fixtures.js';
import { expectOutcome } from './expect-outcome.js';

const START = '2025-09-01';
const END = '2026-06-30';

function input(overrides: Partial<AccessInput> = {}): AccessInput {
  return {
    modules: studyModules(START),
    sessions: studySessions(),
    completedSessionIds: [],
    today: START,
    enrolmentStatus: 'active',
    programmeEndsOn: END,
    ...overrides,
  };
}

function state(i: AccessInput, id: string, register?: PolicyRegister) {
  return evaluateStudySessionAccess(i, id, register);
}

describe('2.2.1.1 online self-study materials must be accessed in sequence', () => {
  it.each([
    {
      name: 'first session of a released module',
      completed: [],
      session: 'm1-s1',
      expected: 'open',
      code: 'ACCESS.OPEN',
    },
    {
      name: 'second session before the first is done',
      completed: [],
      session: 'm1-s2',
      expected: 'locked',
      code: 'ACCESS.PREVIOUS_SESSION_INCOMPLETE',
    },
    {
      name: 'second session after the first is done',
      completed: ['m1-s1'],
      session: 'm1-s2',
      expected: 'open',
      code: 'ACCESS.OPEN',
    },
    {
      name: 'a completed session',
      completed: ['m1-s1'],
      session: 'm1-s1',
      expected: 'done',
      code: 'ACCESS.DONE',
    },
    {
      name: 'skipping a session keeps the later one locked',
      completed: ['m1-s1', 'm1-s3'],
      session: 'm1-s4',
      expected: 'locked',
      code: 'ACCESS.PREVIOUS_SESSION_INCOMPLETE',
    },
  ])('2.2.1.1 $name -> $expected', ({ completed, session, expected, code }) => {
    const d = state(input({ completedSessionIds: completed }), session);
    expect(d.details.state).toBe(expected);
    expect(d.outcome).toBe(expected === 'locked' ? 'refused' : 'allowed');
    expect(d.reasons[0]?.code).toBe(code);
    expect(d.reasons[0]?.clause).toBe('2.2.1.1');
  });

  it('2.2.1.1 the sequence runs across modules: module 2 session 1 follows module 1 session 6', () => {
    const today = addDays(START, 42);
    const m1 = ['m1-s1', 'm1-s2', 'm1-s3', 'm1-s4', 'm1-s5'];
    expect(state(input({ today, completedSessionIds: m1 }), 'm2-s1').details.state).toBe('locked');
    expect(
      state(input({ today, completedSessionIds: [...m1, 'm1-s6'] }), 'm2-s1').details.state,
    ).toBe('open');
  });

  it('2.2.1.1 the order comes from the module and session sequence, not the order of the input list', () => {
    const reversed = input({
      sessions: [...studySessions()].reverse(),
      modules: [...studyModules(START)].reverse(),
    });
    const ids = evaluateProgrammeAccess(reversed).map((d) => d.details.sessionId);
    expect(ids.slice(0, 3)).toEqual(['m1-s1', 'm1-s2', 'm1-s3']);
  });
});

describe('2.2.1.1 modules can be completed at any point, though ideally within a 2-week window (advice, never a lock)', () => {
  it.each([
    { name: 'before the module starts', offset: -3, advice: 'before_ideal_window' },
    { name: 'first day of the window', offset: 0, advice: 'within_ideal_window' },
    { name: 'last day of the 14-day window', offset: 13, advice: 'within_ideal_window' },
    { name: 'the day after the window', offset: 14, advice: 'behind_ideal_window' },
    { name: 'months later', offset: 200, advice: 'behind_ideal_window' },
  ])('2.2.1.1 $name -> $advice, and the session is still open', ({ offset, advice }) => {
    const d = state(input({ today: addDays(START, offset) }), 'm1-s1');
    expect(d.details.advice).toBe(advice);
    expect(d.details.state).toBe('open');
    expect(d.outcome).toBe('allowed');
    const behind = d.reasons.find((r) => r.code === 'ACCESS.BEHIND_IDEAL_WINDOW');
    expect(behind !== undefined).toBe(advice === 'behind_ideal_window');
    if (behind) expect(behind.message).toContain('advice only');
  });

  it('2.2.1.1 the ideal window length comes from the register', () => {
    const register: PolicyRegister = {
      ...POLICY_REGISTER,
      parameters: { ...POLICY_REGISTER.parameters, idealModuleWindowDays: 21 },
    };
    const d = state(input({ today: addDays(START, 14) }), 'm1-s1', register);
    expect(d.details.advice).toBe('within_ideal_window');
    expect(d.details.idealWindowEndsOn).toBe(addDays(START, 20));
  });
});

describe('2.2.1.1 content is released ahead of schedule and remains available for the duration of the programme', () => {
  it('2.1.3 course release is staggered: a module not yet released is locked until its release date', () => {
    const modules = studyModules(START);
    const m2Release = modules[1]?.releasedOn as string;
    const m1 = studySessions()
      .filter((s) => s.moduleId === 'm1')
      .map((s) => s.id);
    const before = state(
      input({ today: addDays(m2Release, -1), completedSessionIds: m1 }),
      'm2-s1',
    );
    expect(before.details.state).toBe('locked');
    expect(before.reasons[0]?.code).toBe('ACCESS.NOT_RELEASED');
    expect(before.reasons[0]?.clause).toBe('2.1.3');
    const on = state(input({ today: m2Release, completedSessionIds: m1 }), 'm2-s1');
    expect(on.details.state).toBe('open');
  });

  it('2.2.1.1 released content can be opened before its scheduled start (released ahead of schedule)', () => {
    const d = state(input({ today: addDays(START, -7) }), 'm1-s1');
    expect(d.details.state).toBe('open');
  });

  it.each([
    { name: 'on the last day of the programme', today: END, expected: 'open' },
    { name: 'the day after the programme ends', today: addDays(END, 1), expected: 'locked' },
  ])(
    '2.2.1.1 released content stays open for the duration of the programme: $name',
    ({ today, expected }) => {
      const d = state(input({ today }), 'm1-s1');
      expect(d.details.state).toBe(expected);
      if (expected === 'locked') expect(d.reasons[0]?.code).toBe('ACCESS.PROGRAMME_ENDED');
    },
  );

  it('2.2.1 2.2.1.1 a part-time participant coming back after weeks away finds every released session still open in order', () => {
    const today = addDays(START, 120);
    const decisions = evaluateProgrammeAccess(input({ today, completedSessionIds: ['m1-s1'] }));
    expect(decisions.find((d) => d.details.sessionId === 'm1-s2')?.details.state).toBe('open');
    expect(decisions.filter((d) => d.details.state === 'open')).toHaveLength(1);
    expect(decisions.every((d) => d.reasons[0]?.code !== 'ACCESS.NOT_RELEASED')).toBe(true);
    // 2.2.1: the programme is accessible to someone working part-time: the next session is open.
    const next = decisions.find((d) => d.details.sessionId === 'm1-s2');
    expectOutcome(next ?? { outcome: 'missing' }, '2.2.1', 'allowed');
    expect(next?.reasons[0]?.clause).toBe('2.2.1.1');
  });
});

describe('2.3.6 after a deferral all content stays accessible to revisit', () => {
  it('2.3.6 a deferred participant can still open and revisit released content', () => {
    const d = state(
      input({ enrolmentStatus: 'deferred', completedSessionIds: ['m1-s1'] }),
      'm1-s1',
    );
    expect(d.details.state).toBe('done');
    expect(d.reasons.map((r) => r.code)).toContain('ACCESS.OPEN_DURING_DEFERRAL');
  });

  it('2.3.6 content stays open past the original end date until the re-joined cohort ends', () => {
    const today = addDays(END, 100);
    const rejoined = input({
      today,
      enrolmentStatus: 'deferred',
      rejoinCohortEndsOn: addDays(END, 365),
    });
    expect(state(rejoined, 'm1-s1').details.state).toBe('open');
    expect(state(input({ today }), 'm1-s1').details.state).toBe('locked');
  });

  it.each([
    { status: 'withdrawn' as const },
    { status: 'transferred_out' as const },
    { status: 'applied' as const },
  ])('2.2.1.1 an enrolment that is $status has no access', ({ status }) => {
    const d = state(input({ enrolmentStatus: status }), 'm1-s1');
    expect(d.details.state).toBe('locked');
    expect(d.reasons[0]?.code).toBe('ACCESS.NOT_ENROLLED');
  });
});

describe('2.2.1.1 2.1.3 access decisions in full: state, advice and the words the participant reads', () => {
  const OPEN_M1S1 =
    'Module 1, session 1 is open. You can do it at a time that suits you, until 30 June 2026.';
  const BEHIND =
    'Ideally this module is finished within 14 days of its start (by 14 September 2025). That is advice only: the session stays open for you.';
  it.each([
    {
      name: 'open, within the ideal window',
      change: {},
      session: 'm1-s1',
      outcome: 'allowed',
      state: 'open',
      advice: 'within_ideal_window',
      reasons: [['ACCESS.OPEN', '2.2.1.1', true, OPEN_M1S1]],
    },
    {
      name: 'open on the last day of the ideal window',
      change: { today: '2025-09-14' },
      session: 'm1-s1',
      outcome: 'allowed',
      state: 'open',
      advice: 'within_ideal_window',
      reasons: [['ACCESS.OPEN', '2.2.1.1', true, OPEN_M1S1]],
    },
    {
      name: 'open the day after the ideal window: advice only',
      change: { today: '2025-09-15' },
      session: 'm1-s1',
      outcome: 'allowed',
      state: 'open',
      advice: 'behind_ideal_window',
      reasons: [
        ['ACCESS.OPEN', '2.2.1.1', true, OPEN_M1S1],
        ['ACCESS.BEHIND_IDEAL_WINDOW', '2.2.1.1', false, BEHIND],
      ],
    },
    {
      name: 'locked until every earlier session is done',
      change: { completedSessionIds: ['m1-s1'] },
      session: 'm1-s3',
      outcome: 'refused',
      state: 'locked',
      advice: 'within_ideal_window',
      reasons: [
        [
          'ACCESS.PREVIOUS_SESSION_INCOMPLETE',
          '2.2.1.1',
          false,
          'Self-study sessions are done in order: Module 1, session 3 opens once every session before it is complete. Next to do: Module 1, session 2.',
        ],
      ],
    },
    {
      name: 'locked when a session further back is missing, even if the one before is done',
      change: { completedSessionIds: ['m1-s2'] },
      session: 'm1-s3',
      outcome: 'refused',
      state: 'locked',
      advice: 'within_ideal_window',
      reasons: [
        [
          'ACCESS.PREVIOUS_SESSION_INCOMPLETE',
          '2.2.1.1',
          false,
          'Self-study sessions are done in order: Module 1, session 3 opens once every session before it is complete. Next to do: Module 1, session 1.',
        ],
      ],
    },
    {
      name: 'done, and no pace advice',
      change: { completedSessionIds: ['m1-s1'], today: '2025-10-01' },
      session: 'm1-s1',
      outcome: 'allowed',
      state: 'done',
      advice: null,
      reasons: [
        [
          'ACCESS.DONE',
          '2.2.1.1',
          true,
          'You have completed Module 1, session 1. You can revisit it at any time until 30 June 2026.',
        ],
      ],
    },
    {
      name: 'not yet released (staggered release)',
      change: {},
      session: 'm2-s1',
      outcome: 'refused',
      state: 'locked',
      advice: 'before_ideal_window',
      reasons: [
        [
          'ACCESS.NOT_RELEASED',
          '2.1.3',
          false,
          'Content is released in stages; Module 2, session 1 opens on 6 October 2025.',
        ],
      ],
    },
    {
      name: 'open on the day it is released, before its scheduled start',
      change: {
        today: '2025-10-06',
        completedSessionIds: studySessions()
          .slice(0, 6)
          .map((s) => s.id),
      },
      session: 'm2-s1',
      outcome: 'allowed',
      state: 'open',
      advice: 'before_ideal_window',
      reasons: [
        [
          'ACCESS.OPEN',
          '2.2.1.1',
          true,
          'Module 2, session 1 is open. You can do it at a time that suits you, until 30 June 2026.',
        ],
      ],
    },
    {
      name: 'still open on the last day of the programme',
      change: { today: END },
      session: 'm1-s1',
      outcome: 'allowed',
      state: 'open',
      advice: 'behind_ideal_window',
      reasons: [
        ['ACCESS.OPEN', '2.2.1.1', true, OPEN_M1S1],
        ['ACCESS.BEHIND_IDEAL_WINDOW', '2.2.1.1', false, BEHIND],
      ],
    },
    {
      name: 'locked the day after the programme ends',
      change: { today: '2026-07-01' },
      session: 'm1-s1',
      outcome: 'refused',
      state: 'locked',
      advice: 'behind_ideal_window',
      reasons: [
        [
          'ACCESS.PROGRAMME_ENDED',
          '2.2.1.1',
          false,
          'Content stays available for the duration of your programme, which ended on 30 June 2026.',
        ],
      ],
    },
    ...(['applied', 'withdrawn', 'transferred_out'] as const).map((enrolmentStatus) => ({
      name: `not enrolled (${enrolmentStatus}), and no pace advice`,
      change: { enrolmentStatus },
      session: 'm1-s1',
      outcome: 'refused',
      state: 'locked',
      advice: null,
      reasons: [
        [
          'ACCESS.NOT_ENROLLED',
          '2.2.1.1',
          false,
          'You cannot open Module 1, session 1 because you are not currently enrolled on the programme.',
        ],
      ],
    })),
    {
      name: 'deferred: released content stays open',
      change: { enrolmentStatus: 'deferred', today: '2025-09-20' },
      session: 'm1-s1',
      outcome: 'allowed',
      state: 'open',
      advice: 'behind_ideal_window',
      reasons: [
        ['ACCESS.OPEN', '2.2.1.1', true, OPEN_M1S1],
        ['ACCESS.BEHIND_IDEAL_WINDOW', '2.2.1.1', false, BEHIND],
        [
          'ACCESS.OPEN_DURING_DEFERRAL',
          '2.3.6',
          true,
          'While you are deferred, all released content stays open so you can revisit learning at your own pace.',
        ],
      ],
    },
    {
      name: 'deferred: a locked session gets no deferral note',
      change: { enrolmentStatus: 'deferred' },
      session: 'm1-s2',
      outcome: 'refused',
      state: 'locked',
      advice: 'within_ideal_window',
      reasons: [
        [
          'ACCESS.PREVIOUS_SESSION_INCOMPLETE',
          '2.2.1.1',
          false,
          'Self-study sessions are done in order: Module 1, session 2 opens once every session before it is complete. Next to do: Module 1, session 1.',
        ],
      ],
    },
    {
      name: 'a session without a title is named by its id',
      change: { sessions: studySessions().map((s) => ({ ...s, title: undefined })) },
      session: 'm1-s1',
      outcome: 'allowed',
      state: 'open',
      advice: 'within_ideal_window',
      reasons: [
        [
          'ACCESS.OPEN',
          '2.2.1.1',
          true,
          'This session (m1-s1) is open. You can do it at a time that suits you, until 30 June 2026.',
        ],
      ],
    },
  ] as {
    name: string;
    change: Partial<AccessInput>;
    session: string;
    outcome: string;
    state: string;
    advice: string | null;
    reasons: [string, string, boolean, string][];
  }[])(
    '2.2.1.1 $name -> $outcome',
    ({ change, session, outcome, state: expectedState, advice, reasons }) => {
      const d = state(input(change), session);
      expect(d.outcome).toBe(outcome);
      expect(d.details.state).toBe(expectedState);
      expect(d.details.advice).toBe(advice);
      expect(d.reasons.map((r) => [r.code, r.clause, r.met, r.message])).toEqual(reasons);
    },
  );

  it('2.2.1.1 the evidence records the session, its release, the access end and the status', () => {
    const d = state(input({ completedSessionIds: ['m1-s1'] }), 'm1-s3');
    expect(d.reasons[0]?.clause).toBe('2.2.1.1');
    expect(d.reasons[0]?.evidence).toEqual({
      sessionId: 'm1-s3',
      moduleId: 'm1',
      today: START,
      releasedOn: '2025-08-25',
      accessEndsOn: END,
      enrolmentStatus: 'active',
      previousSessionId: 'm1-s2',
    });
    expect(d.details).toMatchObject({ idealWindowEndsOn: '2025-09-14', accessEndsOn: END });
  });

  it.each([
    { rejoinCohortEndsOn: '2027-06-30', accessEndsOn: '2027-06-30' },
    { rejoinCohortEndsOn: '2026-01-31', accessEndsOn: END },
  ])(
    '2.3.6 a re-joined cohort ending $rejoinCohortEndsOn keeps content open until $accessEndsOn',
    ({ rejoinCohortEndsOn, accessEndsOn }) => {
      const d = state(input({ rejoinCohortEndsOn, today: '2026-03-01' }), 'm1-s1');
      expect(d.details.accessEndsOn).toBe(accessEndsOn);
      expect(d.reasons[0]?.clause).toBe('2.2.1.1');
      expect(d.outcome).toBe('allowed');
    },
  );

  it('2.2.1.1 sessions of a module not in the programme are a programming error', () => {
    expect(() =>
      evaluateProgrammeAccess(input({ sessions: [{ id: 'x', moduleId: 'nope', sequence: 1 }] })),
    ).toThrow(RangeError);
    expect(() => state(input(), 'no-such-session')).toThrow(RangeError);
  });

  it('2.2.1.1 order: module sequence, then session sequence, then id', () => {
    const modules = [
      { ...studyModules(START)[0]!, id: 'b', sequence: 2 },
      { ...studyModules(START)[0]!, id: 'a', sequence: 1 },
    ];
    const sessions = [
      { id: 'b1', moduleId: 'b', sequence: 1 },
      { id: 'a2', moduleId: 'a', sequence: 2 },
      { id: 'a1y', moduleId: 'a', sequence: 1 },
      { id: 'a1x', moduleId: 'a', sequence: 1 },
    ];
    const all = evaluateProgrammeAccess(input({ modules, sessions }));
    expect(all.map((d) => d.details.sessionId)).toEqual(['a1x', 'a1y', 'a2', 'b1']);
    expect(all.map((d) => d.details.state)).toEqual(['open', 'locked', 'locked', 'locked']);
    expect(all[1]?.reasons[0]?.clause).toBe('2.2.1.1');
  });
});

describe('2.2.1.1 the order sessions must be done in, and what is open, whatever order the records come in', () => {
  it('2.2.1.1 order: module sequence first, then session sequence, then id, even where the ids sort the other way', () => {
    // Ids chosen so that sorting by id alone, by session sequence alone, or by module then id each
    // gives a different (wrong) order.
    const modules: StudyModule[] = [
      { ...studyModules(START)[0]!, id: 'intro', sequence: 1 },
      { ...studyModules(START)[0]!, id: 'core', sequence: 2 },
    ];
    const sessions: StudySession[] = [
      { id: 'a', moduleId: 'core', sequence: 1 },
      { id: 'b', moduleId: 'intro', sequence: 2 },
      { id: 'c', moduleId: 'intro', sequence: 1 },
    ];
    expect(sessionsInOrder(modules, sessions).map((s) => s.id)).toEqual(['c', 'b', 'a']);
    const all = evaluateProgrammeAccess(input({ modules, sessions, completedSessionIds: ['c'] }));
    expect(all.map((d) => [d.details.sessionId, d.details.state])).toEqual([
      ['c', 'done'],
      ['b', 'open'],
      ['a', 'locked'],
    ]);
    expect(all[2]?.reasons[0]).toMatchObject({
      code: 'ACCESS.PREVIOUS_SESSION_INCOMPLETE',
      clause: '2.2.1.1',
      met: false,
      evidence: { previousSessionId: 'b' },
    });
  });

  it('2.2.1.1 a session of a module that is not in the programme is a programming error, named in the message', () => {
    expect(() =>
      sessionsInOrder(studyModules(START), [{ id: 'x', moduleId: 'nope', sequence: 1 }]),
    ).toThrow(new RangeError('Session x has unknown module nope'));
    expect(() => state(input(), 'no-such-session')).toThrow(
      new RangeError('Unknown session no-such-session'),
    );
  });

  it('2.2.1.1 the advice that a module is behind its ideal window records the day the window ended', () => {
    const d = state(input({ today: '2025-09-15' }), 'm1-s1');
    const behind = d.reasons.find((r) => r.code === 'ACCESS.BEHIND_IDEAL_WINDOW');
    expect(behind?.clause).toBe('2.2.1.1');
    expect(behind?.met).toBe(false);
    expect(behind?.evidence).toEqual({
      sessionId: 'm1-s1',
      moduleId: 'm1',
      today: '2025-09-15',
      releasedOn: '2025-08-25',
      accessEndsOn: END,
      enrolmentStatus: 'active',
      idealWindowEndsOn: '2025-09-14',
    });
  });

  // Generated programmes: up to 3 modules, sessions with repeated sequence numbers (so the id
  // decides), any set of completed sessions, and the lists shuffled.
  const programme = fc
    .record({
      moduleSequences: fc.shuffledSubarray([1, 2, 3], { minLength: 1 }),
      sessions: fc.uniqueArray(
        fc.record({
          id: fc.stringMatching(/^[a-z]{1,3}$/),
          module: fc.nat(2),
          sequence: fc.integer({ min: 1, max: 3 }),
          completed: fc.boolean(),
        }),
        { selector: (s) => s.id, minLength: 1, maxLength: 12 },
      ),
      seed: fc.nat(),
    })
    .map(({ moduleSequences, sessions, seed }) => {
      const modules: StudyModule[] = moduleSequences.map((sequence, i) => ({
        id: `mod-${i}`,
        sequence,
        releasedOn: '2025-08-25',
        scheduledStartOn: START,
      }));
      const all: (StudySession & { completed: boolean })[] = sessions.map((s) => ({
        id: s.id,
        moduleId: modules[s.module % modules.length]!.id,
        sequence: s.sequence,
        completed: s.completed,
      }));
      return { modules, sessions: all, seed };
    });

  function shuffle<T>(items: readonly T[], seed: number): T[] {
    const out = [...items];
    let x = seed + 1;
    for (let i = out.length - 1; i > 0; i -= 1) {
      x = (x * 1103515245 + 12345) % 2147483648;
      const j = x % (i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  it('2.2.1.1 property: sessions come out by module sequence, session sequence and id, whatever order they go in', () => {
    fc.assert(
      fc.property(programme, ({ modules, sessions, seed }) => {
        const moduleSeq = new Map(modules.map((m) => [m.id, m.sequence]));
        const key = (s: StudySession) =>
          `${moduleSeq.get(s.moduleId)}|${s.sequence}|${s.id.padEnd(3, ' ')}`;
        const expected = [...sessions].map(key).sort();
        const shuffled = shuffle(sessions, seed);
        expect(sessionsInOrder(shuffle(modules, seed), shuffled).map(key)).toEqual(expected);
        expect(sessionsInOrder(modules, [...shuffled].reverse()).map(key)).toEqual(expected);
      }),
    );
  });

  it('2.2.1.1 property: a session is done when completed, open when every session before it is complete, otherwise locked', () => {
    fc.assert(
      fc.property(programme, ({ modules, sessions, seed }) => {
        const moduleSeq = new Map(modules.map((m) => [m.id, m.sequence]));
        const ordered = [...sessions].sort(
          (a, b) =>
            moduleSeq.get(a.moduleId)! - moduleSeq.get(b.moduleId)! ||
            a.sequence - b.sequence ||
            (a.id < b.id ? -1 : 1),
        );
        const completed = sessions.filter((s) => s.completed).map((s) => s.id);
        const decisions = evaluateProgrammeAccess(
          input({
            modules: shuffle(modules, seed),
            sessions: shuffle(sessions, seed),
            completedSessionIds: shuffle(completed, seed + 7),
            today: '2025-09-05',
          }),
        );
        expect(decisions.map((d) => d.details.sessionId)).toEqual(ordered.map((s) => s.id));
        ordered.forEach((s, i) => {
          const allBeforeDone = ordered.slice(0, i).every((e) => e.completed);
          const expectedState = s.completed ? 'done' : allBeforeDone ? 'open' : 'locked';
          const d = decisions[i]!;
          expect(d.details.state).toBe(expectedState);
          expect(d.outcome).toBe(expectedState === 'locked' ? 'refused' : 'allowed');
          expect(d.reasons[0]?.clause).toBe('2.2.1.1');
          expect(d.reasons[0]?.met).toBe(expectedState !== 'locked');
          if (expectedState === 'locked') {
            const firstMissing = ordered.slice(0, i).find((e) => !e.completed);
            expect(d.reasons[0]?.evidence['previousSessionId']).toBe(firstMissing?.id);
          }
        });
      }),
    );
  });
});
