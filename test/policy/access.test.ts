import { describe, expect, it } from 'vitest';
import {
  POLICY_REGISTER,
  addDays,
  evaluateProgrammeAccess,
  evaluateStudySessionAccess,
} from '../../src/policy/index.js';
import type { AccessInput, PolicyRegister } from '../../src/policy/index.js';
import { studyModules, studySessions } from './fixtures.js';

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
