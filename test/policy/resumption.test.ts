import { describe, expect, it } from 'vitest';
import {
  evaluateAgreedRejoinDate,
  evaluateProgrammeAccess,
  evaluateResumeTiming,
} from '../../src/policy/index.js';

describe('completed work after re-joining a later cohort (2.3.6)', () => {
  it('stays done, never "opens on" the new cohort’s release date', () => {
    // Re-joined the 2027 cohort: module 1 is released there on 11 October 2027, but the
    // participant completed both its sessions before deferring.
    const decisions = evaluateProgrammeAccess({
      modules: [
        { id: 'm1', sequence: 1, releasedOn: '2027-10-11', scheduledStartOn: '2027-10-11' },
      ],
      sessions: [
        { id: 's1', moduleId: 'm1', sequence: 1 },
        { id: 's2', moduleId: 'm1', sequence: 2 },
        { id: 's3', moduleId: 'm1', sequence: 3 },
      ],
      completedSessionIds: ['s1', 's2'],
      today: '2026-11-02',
      enrolmentStatus: 'active',
      programmeEndsOn: '2028-12-31',
    });
    expect(decisions.map((d) => d.details.state)).toEqual(['done', 'done', 'locked']);
    expect(decisions[0]!.reasons.map((r) => r.message).join(' ')).not.toContain('opens on');
    expect(decisions[2]!.reasons[0]!.message).toContain('opens on 11 October 2027');
  });
});

describe('evaluateResumeTiming (2.3.5)', () => {
  it('allows the agreed day and later, refuses earlier unless staff record why', () => {
    expect(evaluateResumeTiming({ rejoinOn: '2027-01-10', today: '2027-01-10' }).outcome).toBe(
      'allowed',
    );
    const early = evaluateResumeTiming({ rejoinOn: '2027-01-10', today: '2026-01-09' });
    expect(early.outcome).toBe('refused');
    expect(early.reasons[0]).toMatchObject({
      code: 'DEFERRAL.BEFORE_REJOIN_DATE',
      clause: '2.3.5',
    });
    expect(
      evaluateResumeTiming({ rejoinOn: '2027-01-10', today: '2027-01-09', earlyReturnReason: '  ' })
        .outcome,
    ).toBe('refused');
    const covered = evaluateResumeTiming({
      rejoinOn: '2027-01-10',
      today: '2026-12-01',
      earlyReturnReason: 'Module 2 missed',
    });
    expect(covered.outcome).toBe('allowed');
    expect(covered.details.early).toBe(true);
  });
});

describe('evaluateAgreedRejoinDate (2.3.5)', () => {
  const base = {
    provisionalOn: '2027-01-10',
    cohortStartsOn: '2026-10-01',
    cohortDeadline: '2027-09-10',
    cohortName: 'NPQSL 2026',
    reason: '',
  };
  it('keeps to the new cohort’s timeline, inclusive at both ends', () => {
    expect(evaluateAgreedRejoinDate({ ...base, rejoinOn: '1900-01-01', reason: 'x' }).outcome).toBe(
      'refused',
    );
    expect(evaluateAgreedRejoinDate({ ...base, rejoinOn: '2026-09-30', reason: 'x' }).outcome).toBe(
      'refused',
    );
    expect(evaluateAgreedRejoinDate({ ...base, rejoinOn: '2026-10-01', reason: 'x' }).outcome).toBe(
      'allowed',
    );
    expect(evaluateAgreedRejoinDate({ ...base, rejoinOn: '2027-09-10', reason: 'x' }).outcome).toBe(
      'allowed',
    );
    expect(evaluateAgreedRejoinDate({ ...base, rejoinOn: '2027-09-11', reason: 'x' }).outcome).toBe(
      'refused',
    );
  });
  it('needs a reason only when the date differs from the provisional one', () => {
    expect(evaluateAgreedRejoinDate({ ...base, rejoinOn: '2027-01-10' }).outcome).toBe('allowed');
    const changed = evaluateAgreedRejoinDate({ ...base, rejoinOn: '2027-01-17' });
    expect(changed.outcome).toBe('refused');
    expect(changed.reasons[0]!.code).toBe('DEFERRAL.REJOIN_DATE_REASON_REQUIRED');
  });
});
