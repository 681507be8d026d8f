import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  POLICY_REGISTER,
  addDays,
  evaluateAgreedRejoinDate,
  evaluateProgrammeAccess,
  evaluateResumeTiming,
} from '../../src/policy/index.js';
import type { Reason } from '../../src/policy/index.js';

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

  // 2.3.5-2.3.6: every decision with its reason and evidence.
  const rejoinOn = '2027-01-10';
  const reached = (today: string, earlyReturnReason: string | null): Reason => ({
    code: 'DEFERRAL.REJOIN_DATE_REACHED',
    clause: '2.3.6',
    met: true,
    message:
      'Your agreed re-join date, 10 January 2027, has come: you restart with your new cohort at the point you last engaged.',
    evidence: { rejoinOn, today, earlyReturnReason },
  });
  const notYet = (today: string): Reason => ({
    code: 'DEFERRAL.BEFORE_REJOIN_DATE',
    clause: '2.3.5',
    met: false,
    message:
      'Your agreed re-join date is 10 January 2027. You can return sooner only to cover content you missed before your deferral was agreed, and staff must record that.',
    evidence: { rejoinOn, today, earlyReturnReason: null },
  });
  it.each([
    {
      name: 'on the agreed day',
      today: '2027-01-10',
      earlyReturnReason: undefined,
      outcome: 'allowed',
      early: false,
      reason: reached('2027-01-10', null),
    },
    {
      name: 'a month after it, with an early-return reason recorded all the same',
      today: '2027-02-10',
      earlyReturnReason: '  Module 2 missed ',
      outcome: 'allowed',
      early: false,
      reason: reached('2027-02-10', 'Module 2 missed'),
    },
    {
      name: 'the day before, to cover content missed before the deferral',
      today: '2027-01-09',
      earlyReturnReason: ' Module 2 sessions 3-6 missed in June ',
      outcome: 'allowed',
      early: true,
      reason: {
        code: 'DEFERRAL.EARLY_RETURN_TO_COVER_CONTENT',
        clause: '2.3.5',
        met: true,
        message:
          'You are returning before your agreed re-join date, 10 January 2027, to cover content you missed before your deferral was agreed: Module 2 sessions 3-6 missed in June',
        evidence: {
          rejoinOn,
          today: '2027-01-09',
          earlyReturnReason: 'Module 2 sessions 3-6 missed in June',
        },
      },
    },
    {
      name: 'the day before, no reason recorded',
      today: '2027-01-09',
      earlyReturnReason: undefined,
      outcome: 'refused',
      early: false,
      reason: notYet('2027-01-09'),
    },
    {
      name: 'the day before, an empty reason',
      today: '2027-01-09',
      earlyReturnReason: '',
      outcome: 'refused',
      early: false,
      reason: notYet('2027-01-09'),
    },
    {
      name: 'a year before, a whitespace-only reason',
      today: '2026-01-10',
      earlyReturnReason: ' \t\n ',
      outcome: 'refused',
      early: false,
      reason: notYet('2026-01-10'),
    },
  ])('2.3.5 resuming $name -> $outcome', ({ today, earlyReturnReason, outcome, early, reason }) => {
    const d = evaluateResumeTiming({ rejoinOn, today, earlyReturnReason });
    expect(d).toEqual({
      outcome,
      reasons: [reason],
      policyVersion: POLICY_REGISTER.version,
      details: { early },
    });
  });

  it('2.3.5-2.3.6 property: allowed from the re-join date on, earlier only with a recorded reason', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -400, max: 400 }),
        fc.option(fc.oneof(fc.string(), fc.constantFrom('', ' ', '\t\n', ' Module 1 ')), {
          nil: undefined,
        }),
        (offset, why) => {
          const today = addDays(rejoinOn, offset);
          const d = evaluateResumeTiming({ rejoinOn, today, earlyReturnReason: why });
          const recorded = (why ?? '').trim();
          const onOrAfter = offset >= 0;
          const early = !onOrAfter && recorded !== '';
          expect(d.outcome).toBe(onOrAfter || early ? 'allowed' : 'refused');
          expect(d.details).toEqual({ early });
          expect(d.reasons).toHaveLength(1);
          const [r] = d.reasons;
          expect(r!.code).toBe(
            onOrAfter
              ? 'DEFERRAL.REJOIN_DATE_REACHED'
              : early
                ? 'DEFERRAL.EARLY_RETURN_TO_COVER_CONTENT'
                : 'DEFERRAL.BEFORE_REJOIN_DATE',
          );
          expect(r!.clause).toBe(onOrAfter ? '2.3.6' : '2.3.5');
          expect(r!.met).toBe(onOrAfter || early);
          expect(r!.message).toContain('10 January 2027');
          expect(r!.evidence).toEqual({
            rejoinOn,
            today,
            earlyReturnReason: recorded === '' ? null : recorded,
          });
        },
      ),
    );
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

  // 2.3.5: every decision with its reason and evidence.
  const evidence = (rejoinOn: string) => ({
    rejoinOn,
    provisionalOn: base.provisionalOn,
    cohortStartsOn: base.cohortStartsOn,
    cohortDeadline: base.cohortDeadline,
  });
  const outside = (rejoinOn: string): Reason => ({
    code: 'DEFERRAL.REJOIN_DATE_OUTSIDE_COHORT',
    clause: '2.3.5',
    met: false,
    message:
      "The re-join date must fall within NPQSL 2026's timeline, from 1 October 2026 to its engagement deadline, 10 September 2027.",
    evidence: evidence(rejoinOn),
  });
  const reasonRequired = (rejoinOn: string): Reason => ({
    code: 'DEFERRAL.REJOIN_DATE_REASON_REQUIRED',
    clause: '2.3.5',
    met: false,
    message: 'Record why the re-join date differs from the provisional one, 10 January 2027.',
    evidence: evidence(rejoinOn),
  });
  const agreed = (rejoinOn: string, message: string): Reason => ({
    code: 'DEFERRAL.REJOIN_DATE_AGREED',
    clause: '2.3.5',
    met: true,
    message,
    evidence: evidence(rejoinOn),
  });
  it.each([
    {
      name: 'the day before the cohort starts, with a reason',
      rejoinOn: '2026-09-30',
      why: 'Ready sooner',
      outcome: 'refused',
      changed: false,
      reason: outside('2026-09-30'),
    },
    {
      name: 'the day after its engagement deadline, with a reason',
      rejoinOn: '2027-09-11',
      why: 'Ready later',
      outcome: 'refused',
      changed: false,
      reason: outside('2027-09-11'),
    },
    {
      name: 'the provisional date, no reason',
      rejoinOn: '2027-01-10',
      why: '',
      outcome: 'allowed',
      changed: false,
      reason: agreed('2027-01-10', 'Your re-join date is agreed as 10 January 2027.'),
    },
    {
      name: 'the provisional date, with a reason all the same',
      rejoinOn: '2027-01-10',
      why: 'As planned',
      outcome: 'allowed',
      changed: false,
      reason: agreed('2027-01-10', 'Your re-join date is agreed as 10 January 2027.'),
    },
    {
      name: 'a week later, no reason',
      rejoinOn: '2027-01-17',
      why: '',
      outcome: 'refused',
      changed: true,
      reason: reasonRequired('2027-01-17'),
    },
    {
      name: 'a week later, a whitespace-only reason',
      rejoinOn: '2027-01-17',
      why: ' \t ',
      outcome: 'refused',
      changed: true,
      reason: reasonRequired('2027-01-17'),
    },
    {
      name: 'a week later, with a reason',
      rejoinOn: '2027-01-17',
      why: '  Inspection week at school ',
      outcome: 'allowed',
      changed: true,
      reason: agreed(
        '2027-01-17',
        'Your re-join date is agreed as 17 January 2027 (the provisional date was 10 January 2027): Inspection week at school',
      ),
    },
  ])('2.3.5 agreeing $name -> $outcome', ({ rejoinOn, why, outcome, changed, reason }) => {
    const d = evaluateAgreedRejoinDate({ ...base, rejoinOn, reason: why });
    expect(d).toEqual({
      outcome,
      reasons: [reason],
      policyVersion: POLICY_REGISTER.version,
      details: { changed },
    });
  });
});
