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
