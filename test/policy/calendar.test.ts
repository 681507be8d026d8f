import { describe, expect, it } from 'vitest';
import {
  POLICY_REGISTER,
  addDays,
  evaluateEventNotice,
  evaluateModuleReleaseSchedule,
} from '../../src/policy/index.js';
import type { NoticeEventKind, PolicyRegister } from '../../src/policy/index.js';
import { studyModules } from './fixtures.js';

const EVENT = '2026-03-02';
const notice = POLICY_REGISTER.parameters.eventNoticeDays;

describe('2.1.3 dates of synchronous events, online or in-person, are communicated in advance', () => {
  it.each([
    { kind: 'clinic', clause: '2.2.1.2' },
    { kind: 'community_session', clause: '2.1.3' },
    { kind: 'conference', clause: '2.2.1.4' },
    { kind: 'assessment_window', clause: '2.2.1.5' },
  ] as { kind: NoticeEventKind; clause: string }[])(
    '2.1.3 2.2.1.2 2.2.1.4 2.2.1.5 a $kind published exactly the minimum notice ahead is met, one day less is not',
    ({ kind, clause }) => {
      const days = notice[kind];
      const onTime = evaluateEventNotice({
        kind,
        eventOn: EVENT,
        publishedOn: addDays(EVENT, -days),
      });
      expect(onTime.outcome).toBe('met');
      expect(onTime.reasons[0]?.clause).toBe(clause);
      const late = evaluateEventNotice({
        kind,
        eventOn: EVENT,
        publishedOn: addDays(EVENT, -days + 1),
      });
      expect(late.outcome).toBe('not_met');
      expect(late.reasons[0]?.code).toBe('CALENDAR.NOTICE_TOO_SHORT');
      expect(late.details.publishBy).toBe(addDays(EVENT, -days));
    },
  );

  it('2.1.3 an in-person event needs the same notice as an online one', () => {
    const d = evaluateEventNotice({
      kind: 'conference',
      eventOn: EVENT,
      publishedOn: addDays(EVENT, -10),
      inPerson: true,
    });
    expect(d.outcome).toBe('not_met');
    expect(d.reasons.find((r) => r.clause === '2.1.3')?.message).toContain('In-person');
  });

  it('2.2.1.4 a conference whose date has not been communicated is not met, and says when it must be', () => {
    const d = evaluateEventNotice({ kind: 'conference', eventOn: EVENT });
    expect(d.outcome).toBe('not_met');
    expect(d.details.noticeDays).toBeNull();
    expect(d.reasons[0]?.message).toContain('has not been shared yet');
  });

  it('2.2.1.2 clinic dates are shared far in advance: the register sets a longer minimum than community sessions', () => {
    expect(notice.clinic).toBeGreaterThan(notice.community_session);
    const register: PolicyRegister = {
      ...POLICY_REGISTER,
      parameters: { ...POLICY_REGISTER.parameters, eventNoticeDays: { ...notice, clinic: 90 } },
    };
    const d = evaluateEventNotice(
      { kind: 'clinic', eventOn: EVENT, publishedOn: addDays(EVENT, -60) },
      register,
    );
    expect(d.outcome).toBe('not_met');
    expect(d.details.requiredDays).toBe(90);
  });
});

describe('2.2.1.1 module content is released ahead of schedule; 2.1.3 release is staggered', () => {
  it('2.2.1.1 2.1.3 modules released before their scheduled start, in order, meet the schedule', () => {
    expect(evaluateModuleReleaseSchedule(studyModules('2025-09-01')).outcome).toBe('met');
  });

  it('2.2.1.1 a module released after its scheduled start is flagged', () => {
    const modules = studyModules('2025-09-01').map((m) =>
      m.id === 'm2' ? { ...m, releasedOn: addDays(m.scheduledStartOn, 1) } : m,
    );
    const d = evaluateModuleReleaseSchedule(modules);
    expect(d.outcome).toBe('not_met');
    expect(d.details.lateModuleIds).toEqual(['m2']);
    expect(d.reasons[0]?.clause).toBe('2.2.1.1');
  });

  it('2.1.3 modules released out of programme order are flagged', () => {
    const modules = studyModules('2025-09-01').map((m) =>
      m.id === 'm3' ? { ...m, releasedOn: '2025-08-01' } : m,
    );
    const d = evaluateModuleReleaseSchedule(modules);
    expect(d.outcome).toBe('not_met');
    expect(d.reasons.find((r) => r.clause === '2.1.3')?.code).toBe('CALENDAR.RELEASE_OUT_OF_ORDER');
  });
});

describe('2.1.3 2.2.1.1 the calendar decisions in full, with the words participants read', () => {
  it.each([
    {
      name: 'a clinic shared 50 days ahead',
      input: { kind: 'clinic' as const, eventOn: EVENT, publishedOn: addDays(EVENT, -50) },
      outcome: 'met',
      reasons: [
        [
          'CALENDAR.NOTICE_GIVEN',
          '2.2.1.2',
          true,
          'The date of this clinic (2 March 2026) was shared 50 days ahead, so you can plan around it.',
        ],
        [
          'CALENDAR.DATES_IN_ADVANCE',
          '2.1.3',
          true,
          'Event dates are communicated in advance to help you manage your time.',
        ],
      ],
      details: { requiredDays: 42, noticeDays: 50, publishBy: '2026-01-19' },
    },
    {
      name: 'an in-person conference shared 41 days ahead',
      input: {
        kind: 'conference' as const,
        eventOn: EVENT,
        publishedOn: addDays(EVENT, -41),
        inPerson: true,
      },
      outcome: 'not_met',
      reasons: [
        [
          'CALENDAR.NOTICE_TOO_SHORT',
          '2.2.1.4',
          false,
          'The date of this conference (2 March 2026) was shared only 41 days ahead; at least 42 days are needed.',
        ],
        [
          'CALENDAR.DATES_IN_ADVANCE',
          '2.1.3',
          false,
          'In-person events have their dates communicated in advance, just like online ones.',
        ],
      ],
      details: { requiredDays: 42, noticeDays: 41, publishBy: '2026-01-19' },
    },
    {
      name: 'a community session not shared yet',
      input: { kind: 'community_session' as const, eventOn: EVENT },
      outcome: 'not_met',
      reasons: [
        [
          'CALENDAR.NOTICE_TOO_SHORT',
          '2.1.3',
          false,
          'The date of this community session (2 March 2026) has not been shared yet; it must be shared by 16 February 2026.',
        ],
        [
          'CALENDAR.DATES_IN_ADVANCE',
          '2.1.3',
          false,
          'Event dates are communicated in advance to help you manage your time.',
        ],
      ],
      details: { requiredDays: 14, noticeDays: null, publishBy: '2026-02-16' },
    },
    {
      name: 'an assessment window shared after it opened',
      input: {
        kind: 'assessment_window' as const,
        eventOn: EVENT,
        publishedOn: addDays(EVENT, 3),
      },
      outcome: 'not_met',
      reasons: [
        [
          'CALENDAR.NOTICE_TOO_SHORT',
          '2.2.1.5',
          false,
          'The date of this assessment window (2 March 2026) was shared only -3 days ahead; at least 42 days are needed.',
        ],
        [
          'CALENDAR.DATES_IN_ADVANCE',
          '2.1.3',
          false,
          'Event dates are communicated in advance to help you manage your time.',
        ],
      ],
      details: { requiredDays: 42, noticeDays: -3, publishBy: '2026-01-19' },
    },
  ])('2.1.3 $name -> $outcome', ({ input, outcome, reasons, details }) => {
    const d = evaluateEventNotice(input);
    expect(d.outcome).toBe(outcome);
    expect(d.details).toEqual(details);
    expect(d.reasons.map((r) => [r.code, r.clause, r.met, r.message])).toEqual(reasons);
    expect(d.reasons[0]?.evidence).toEqual({
      kind: input.kind,
      eventOn: EVENT,
      publishedOn: input.publishedOn ?? null,
      requiredDays: details.requiredDays,
      noticeDays: details.noticeDays,
      inPerson: input.inPerson ?? false,
    });
  });

  const m = (id: string, sequence: number, releasedOn: string, scheduledStartOn: string) => ({
    id,
    sequence,
    releasedOn,
    scheduledStartOn,
  });
  it.each([
    {
      name: 'released ahead and in order',
      modules: [m('a', 1, '2025-08-25', '2025-09-01'), m('b', 2, '2025-10-06', '2025-10-13')],
      outcome: 'met',
      reasons: [
        ['CALENDAR.RELEASED_AHEAD', '2.2.1.1', true, { moduleCount: 2, leadDays: 0 }],
        ['CALENDAR.STAGGERED_RELEASE', '2.1.3', true, { moduleCount: 2 }],
      ],
      late: [],
    },
    {
      name: 'released on the scheduled start day, and two modules released the same day',
      modules: [m('a', 1, '2025-09-01', '2025-09-01'), m('b', 2, '2025-09-01', '2025-10-13')],
      outcome: 'met',
      reasons: [
        ['CALENDAR.RELEASED_AHEAD', '2.2.1.1', true, { moduleCount: 2, leadDays: 0 }],
        ['CALENDAR.STAGGERED_RELEASE', '2.1.3', true, { moduleCount: 2 }],
      ],
      late: [],
    },
    {
      name: 'one module released a day after its start',
      modules: [m('a', 1, '2025-09-02', '2025-09-01'), m('b', 2, '2025-10-06', '2025-10-13')],
      outcome: 'not_met',
      reasons: [
        ['CALENDAR.RELEASED_LATE', '2.2.1.1', false, { lateModuleIds: ['a'], leadDays: 0 }],
        ['CALENDAR.STAGGERED_RELEASE', '2.1.3', true, { moduleCount: 2 }],
      ],
      late: ['a'],
    },
    {
      name: 'a later module released before an earlier one (listed in any order)',
      modules: [
        m('c', 3, '2025-09-15', '2025-11-20'),
        m('a', 1, '2025-09-01', '2025-09-20'),
        m('b', 2, '2025-10-01', '2025-10-13'),
      ],
      outcome: 'not_met',
      reasons: [
        ['CALENDAR.RELEASED_AHEAD', '2.2.1.1', true, { moduleCount: 3, leadDays: 0 }],
        ['CALENDAR.RELEASE_OUT_OF_ORDER', '2.1.3', false, { outOfOrderModuleIds: ['c'] }],
      ],
      late: [],
    },
  ])('2.2.1.1 2.1.3 modules $name -> $outcome', ({ modules, outcome, reasons, late }) => {
    const d = evaluateModuleReleaseSchedule(modules);
    expect(d.outcome).toBe(outcome);
    expect(d.details.lateModuleIds).toEqual(late);
    expect(d.reasons.map((r) => [r.code, r.clause, r.met, r.evidence])).toEqual(reasons);
  });

  it('2.2.1.1 the late-release message counts the late modules', () => {
    const d = evaluateModuleReleaseSchedule([
      m('a', 1, '2025-09-02', '2025-09-01'),
      m('b', 2, '2025-10-14', '2025-10-13'),
    ]);
    expect(d.reasons[0]?.clause).toBe('2.2.1.1');
    expect(d.reasons[0]?.message).toBe(
      'Module content must be released ahead of schedule, at least 0 days before its ideal window starts; 2 module(s) are released later than that: module 1 is released on 2 September 2025 for a window starting 1 September 2025; module 2 is released on 14 October 2025 for a window starting 13 October 2025.',
    );
    expect(d.reasons[1]?.message).toBe(
      'Modules are released in programme order, in manageable chunks.',
    );
    const fine = evaluateModuleReleaseSchedule([m('a', 1, '2025-09-01', '2025-09-01')]);
    expect(fine.reasons[0]?.clause).toBe('2.2.1.1');
    expect(fine.reasons[0]?.message).toBe(
      'Every module is released on or before the start of its ideal window.',
    );
    // With the cohort's lead time (2.2.1.1, a week by default) a release on the window's first day is late.
    const week = evaluateModuleReleaseSchedule([m('a', 1, '2025-09-01', '2025-09-01')], undefined, {
      leadDays: 7,
    });
    expect(week.outcome).toBe('not_met');
    expect(week.details.lateModuleIds).toEqual(['a']);
    const ahead = evaluateModuleReleaseSchedule(
      [m('a', 1, '2025-08-25', '2025-09-01')],
      undefined,
      {
        leadDays: 7,
      },
    );
    expect(ahead.outcome).toBe('met');
    expect(ahead.reasons[0]?.message).toBe(
      'Every module is released at least 7 days before its ideal window starts.',
    );
    const swapped = evaluateModuleReleaseSchedule([
      m('a', 1, '2025-09-10', '2025-09-20'),
      m('b', 2, '2025-09-01', '2025-10-13'),
    ]);
    expect(swapped.reasons[1]?.clause).toBe('2.1.3');
    expect(swapped.reasons[1]?.message).toBe(
      'Modules must be released in programme order, one chunk at a time.',
    );
  });
});
