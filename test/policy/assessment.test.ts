import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  POLICY_REGISTER,
  applyAttemptEvent,
  assessmentWindowClosesOn,
  evaluateAssessmentDeferral,
  evaluateAssessmentEligibility,
  evaluateAssessmentSubmission,
  evaluatePreWindowDeferral,
  initialAttemptState,
} from '../../src/policy/index.js';
import type {
  AssessmentDeferralInput,
  AssessmentWindow,
  AttemptEvent,
  AttemptState,
  PolicyRegister,
} from '../../src/policy/index.js';

const WINDOW: AssessmentWindow = {
  id: 'w-2026-05',
  opensOn: '2026-05-11',
  engagementDeadline: '2026-04-24',
};
const NEXT: AssessmentWindow = {
  id: 'w-2026-11',
  opensOn: '2026-11-09',
  engagementDeadline: '2026-10-23',
};
const MET = { completedWeight: 900, totalWeight: 1000 };
const BELOW = { completedWeight: 899, totalWeight: 1000 };

describe('2.2.1.5 assessments take place during an 8-day window and can be completed at any time within it', () => {
  it('2.2.1.5 the window is 8 days, opening and closing days included', () => {
    expect(assessmentWindowClosesOn(WINDOW.opensOn)).toBe('2026-05-18');
  });

  it.each([
    { submittedOn: '2026-05-10', outcome: 'refused', code: 'ASSESSMENT.WINDOW_NOT_OPEN' },
    { submittedOn: '2026-05-11', outcome: 'allowed', code: 'ASSESSMENT.WITHIN_WINDOW' },
    { submittedOn: '2026-05-14', outcome: 'allowed', code: 'ASSESSMENT.WITHIN_WINDOW' },
    { submittedOn: '2026-05-18', outcome: 'allowed', code: 'ASSESSMENT.WITHIN_WINDOW' },
    { submittedOn: '2026-05-19', outcome: 'refused', code: 'ASSESSMENT.WINDOW_CLOSED' },
  ])('2.2.1.5 a submission on $submittedOn -> $outcome', ({ submittedOn, outcome, code }) => {
    const d = evaluateAssessmentSubmission({
      window: WINDOW,
      submittedOn,
      engagementAtDeadline: MET,
      attemptsRemaining: 2,
    });
    expect(d.outcome).toBe(outcome);
    expect(d.reasons[0]?.code).toBe(code);
    expect(d.reasons[0]?.clause).toBe('2.2.1.5');
  });

  it('2.2.1.5 the window length comes from the register', () => {
    const register: PolicyRegister = {
      ...POLICY_REGISTER,
      parameters: { ...POLICY_REGISTER.parameters, assessmentWindowDays: 10 },
    };
    expect(assessmentWindowClosesOn(WINDOW.opensOn, register)).toBe('2026-05-20');
  });
});

describe('2.1.1 2.5.1 eligibility to sit: 90% by the deadline and an attempt left', () => {
  it.each([
    { name: '90% and two attempts', engagement: MET, attempts: 2, outcome: 'allowed' },
    { name: '90% and one attempt', engagement: MET, attempts: 1, outcome: 'allowed' },
    { name: '89.9% by the deadline', engagement: BELOW, attempts: 2, outcome: 'refused' },
    { name: 'no attempts left', engagement: MET, attempts: 0, outcome: 'refused' },
  ])('2.1.1 2.5.1 $name -> $outcome', ({ engagement, attempts, outcome }) => {
    const d = evaluateAssessmentEligibility({
      window: WINDOW,
      engagementAtDeadline: engagement,
      attemptsRemaining: attempts,
    });
    expect(d.outcome).toBe(outcome);
    expect(d.details.closesOn).toBe('2026-05-18');
  });

  it('2.5.1 rejects an impossible number of attempts', () => {
    expect(() =>
      evaluateAssessmentEligibility({
        window: WINDOW,
        engagementAtDeadline: MET,
        attemptsRemaining: 3,
      }),
    ).toThrow(RangeError);
  });
});

describe('2.5.1 deferral before the assessment window', () => {
  it.each([
    { name: 'well before the 90% deadline', requestedOn: '2026-03-01', outcome: 'allowed' },
    { name: 'on the 90% deadline', requestedOn: '2026-04-24', outcome: 'allowed' },
    { name: 'the day after the 90% deadline', requestedOn: '2026-04-25', outcome: 'refused' },
  ])(
    '2.5.1 contact no later than the pre-communicated 90% deadline: $name -> $outcome',
    ({ requestedOn, outcome }) => {
      const d = evaluatePreWindowDeferral({ requestedOn, window: WINDOW, attemptsRemaining: 2 });
      expect(d.outcome).toBe(outcome);
      expect(d.reasons[0]?.clause).toBe('2.5.1');
      expect(d.details.followDeferralProcess).toBe(outcome === 'allowed');
    },
  );

  it('2.5.1 the above deferral process is then followed, and both assessment attempts are kept', () => {
    const d = evaluatePreWindowDeferral({
      requestedOn: '2026-04-01',
      window: WINDOW,
      attemptsRemaining: 2,
    });
    expect(d.details).toEqual({
      followDeferralProcess: true,
      attemptsKept: true,
      attemptsRemaining: 2,
    });
    expect(d.reasons[0]?.message).toContain('2 assessment attempts');
  });

  it('2.5.1 2.5.2 a late request is pointed to the assessment deferral', () => {
    const d = evaluatePreWindowDeferral({
      requestedOn: '2026-05-01',
      window: WINDOW,
      attemptsRemaining: 2,
    });
    expect(d.reasons[0]?.message).toContain('assessment deferral');
  });
});

describe('2.5.2 2.5.3 assessment deferral during or after the window', () => {
  const base: AssessmentDeferralInput = {
    requestedOn: '2026-05-13',
    window: WINDOW,
    engagementAtDeadline: MET,
    enteredWindow: true,
    circumstance: { kind: 'unforeseen_illness_or_health' },
    evidence: 'not_requested',
    attemptsRemaining: 2,
    nextWindow: NEXT,
  };

  it.each([
    {
      name: 'during the window, all conditions met',
      change: {},
      outcome: 'allowed',
      code: 'ASSESSMENT.NEXT_WINDOW',
      clause: '2.5.2',
      met: true,
      attemptKept: true,
    },
    {
      name: 'after the window closed',
      change: { requestedOn: '2026-05-25' },
      outcome: 'allowed',
      code: 'ASSESSMENT.NEXT_WINDOW',
      clause: '2.5.2',
      met: true,
      attemptKept: true,
    },
    {
      name: 'on the day the window opens',
      change: { requestedOn: '2026-05-11' },
      outcome: 'allowed',
      code: 'ASSESSMENT.DURING_OR_AFTER_WINDOW',
      clause: '2.5.2',
      met: true,
      attemptKept: true,
    },
    {
      name: 'the day before the window opens',
      change: { requestedOn: '2026-05-10' },
      outcome: 'refused',
      code: 'ASSESSMENT.DEFERRAL_BEFORE_WINDOW',
      clause: '2.5.2',
      met: false,
      attemptKept: false,
    },
    {
      name: 'before the window opens',
      change: { requestedOn: '2026-05-01' },
      outcome: 'refused',
      code: 'ASSESSMENT.DEFERRAL_BEFORE_WINDOW',
      clause: '2.5.2',
      met: false,
      attemptKept: false,
    },
    {
      name: '90% not met',
      change: { engagementAtDeadline: BELOW },
      outcome: 'refused',
      code: 'ASSESSMENT.ENGAGEMENT_NOT_MET',
      clause: '2.1.1',
      met: false,
      attemptKept: false,
    },
    {
      name: 'not entered into the window',
      change: { enteredWindow: false },
      outcome: 'refused',
      code: 'ASSESSMENT.NOT_ENTERED_WINDOW',
      clause: '2.5.2',
      met: false,
      attemptKept: false,
    },
    {
      name: 'no extenuating circumstance',
      change: { circumstance: undefined },
      outcome: 'refused',
      code: 'ASSESSMENT.NO_EXTENUATING_CIRCUMSTANCE',
      clause: '2.5.3',
      met: false,
      attemptKept: false,
    },
    {
      name: 'no next window',
      change: { nextWindow: undefined },
      outcome: 'refused',
      code: 'ASSESSMENT.NO_NEXT_WINDOW',
      clause: '2.5.2',
      met: false,
      attemptKept: false,
    },
    {
      name: 'the next window opens before this one closes',
      change: { nextWindow: { ...NEXT, opensOn: '2026-05-18' } },
      outcome: 'refused',
      code: 'ASSESSMENT.NO_NEXT_WINDOW',
      clause: '2.5.2',
      met: false,
      attemptKept: false,
    },
    {
      name: 'the next window opens the day after this one closes',
      change: { nextWindow: { ...NEXT, opensOn: '2026-05-19' } },
      outcome: 'allowed',
      code: 'ASSESSMENT.NEXT_WINDOW',
      clause: '2.5.2',
      met: true,
      attemptKept: true,
    },
    {
      name: 'evidence requested and awaited',
      change: { evidence: 'requested' },
      outcome: 'needs_review',
      code: 'ASSESSMENT.EVIDENCE_REQUESTED',
      clause: '2.5.2',
      met: false,
      attemptKept: true,
    },
    {
      name: 'evidence requested and awaited, but not entered',
      change: { evidence: 'requested', enteredWindow: false },
      outcome: 'refused',
      code: 'ASSESSMENT.NOT_ENTERED_WINDOW',
      clause: '2.5.2',
      met: false,
      attemptKept: false,
    },
    {
      name: 'evidence requested and provided',
      change: { evidence: 'provided' },
      outcome: 'allowed',
      code: 'ASSESSMENT.NEXT_WINDOW',
      clause: '2.5.2',
      met: true,
      attemptKept: true,
    },
  ] as {
    name: string;
    change: Partial<AssessmentDeferralInput>;
    outcome: string;
    code: string;
    clause: string;
    met: boolean;
    attemptKept: boolean;
  }[])(
    '2.5.2 $name -> $outcome (attempt kept: $attemptKept)',
    ({ change, outcome, code, clause, met, attemptKept }) => {
      const d = evaluateAssessmentDeferral({ ...base, ...change });
      expect(d.outcome).toBe(outcome);
      const r = d.reasons.find((x) => x.code === code);
      expect(r?.clause).toBe(clause);
      expect(r?.met).toBe(met);
      // 2.5.2: "they will keep their attempt" only where the deferral is approved (or awaits evidence).
      expect(d.details.attemptKept).toBe(attemptKept);
    },
  );

  it('2.5.2 where approved the participant keeps the attempt and enters the next window available', () => {
    const d = evaluateAssessmentDeferral({ ...base, attemptsRemaining: 1 });
    expect(d.details).toEqual({
      attemptKept: true,
      attemptsRemaining: 1,
      nextWindowId: 'w-2026-11',
      nextWindowOpensOn: '2026-11-09',
    });
  });

  it.each([
    { kind: 'unforeseen_illness_or_health' as const, description: undefined, ok: true },
    { kind: 'leave_of_absence' as const, description: undefined, ok: true },
    { kind: 'bereavement' as const, description: undefined, ok: true },
    { kind: 'unforeseen_personal_change' as const, description: undefined, ok: true },
    {
      kind: 'other_significant_unforeseen' as const,
      description: 'School flooded during the window',
      ok: true,
    },
    { kind: 'other_significant_unforeseen' as const, description: '', ok: false },
    { kind: 'other_significant_unforeseen' as const, description: '  \n\t ', ok: false },
    { kind: 'other_significant_unforeseen' as const, description: undefined, ok: false },
    { kind: 'bereavement' as const, description: '   ', ok: true },
  ])(
    '2.5.3 circumstance $kind (described: $description) -> extenuating $ok',
    ({ kind, description, ok }) => {
      const d = evaluateAssessmentDeferral({ ...base, circumstance: { kind, description } });
      expect(d.outcome).toBe(ok ? 'allowed' : 'refused');
      const r = d.reasons.find((x) => x.clause === '2.5.3');
      expect(r?.met).toBe(ok);
      expect(r?.code).toBe(
        ok ? 'ASSESSMENT.EXTENUATING_CIRCUMSTANCE' : 'ASSESSMENT.CIRCUMSTANCE_NOT_DESCRIBED',
      );
      expect(d.details.attemptKept).toBe(ok);
    },
  );
});

describe('2.5.4 non-submission without notified circumstances loses one of two attempts', () => {
  const full = initialAttemptState();

  it('2.5.1 participants start with two attempts, from the register', () => {
    expect(full).toEqual({ attemptsRemaining: 2, pendingRequest: false });
  });

  it.each([
    {
      name: 'no submission, nothing notified',
      state: full,
      event: { type: 'window_closed', submitted: false },
      after: 1,
      outcome: 'not_met',
      code: 'ASSESSMENT.ATTEMPT_LOST',
      clause: '2.5.4',
    },
    {
      name: 'no submission, request pending',
      state: { ...full, pendingRequest: true },
      event: { type: 'window_closed', submitted: false },
      after: 2,
      outcome: 'met',
      code: 'ASSESSMENT.ATTEMPT_PROTECTED',
      clause: '2.5.4',
    },
    {
      name: 'a submission uses an attempt',
      state: full,
      event: { type: 'window_closed', submitted: true },
      after: 1,
      outcome: 'met',
      code: 'ASSESSMENT.ATTEMPT_USED',
      clause: '2.5.1',
    },
    {
      name: 'notifying circumstances changes nothing yet',
      state: full,
      event: { type: 'circumstances_notified' },
      after: 2,
      outcome: 'met',
      code: 'ASSESSMENT.ATTEMPT_PROTECTED',
      clause: '2.5.4',
    },
    {
      name: 'a pending request approved keeps the attempt',
      state: { ...full, pendingRequest: true },
      event: { type: 'request_decided', approved: true },
      after: 2,
      outcome: 'met',
      code: 'ASSESSMENT.DEFERRAL_APPROVED',
      clause: '2.5.2',
    },
    {
      name: 'a pending request refused loses the attempt',
      state: { ...full, pendingRequest: true },
      event: { type: 'request_decided', approved: false },
      after: 1,
      outcome: 'not_met',
      code: 'ASSESSMENT.DEFERRAL_NOT_APPROVED',
      clause: '2.5.2',
    },
    {
      name: 'no attempts left and nothing submitted: none to lose',
      state: { attemptsRemaining: 0, pendingRequest: false },
      event: { type: 'window_closed', submitted: false },
      after: 0,
      outcome: 'not_met',
      code: 'ASSESSMENT.ATTEMPT_LOST',
      clause: '2.5.4',
    },
    {
      name: 'the last attempt refused after a request',
      state: { attemptsRemaining: 1, pendingRequest: true },
      event: { type: 'request_decided', approved: false },
      after: 0,
      outcome: 'not_met',
      code: 'ASSESSMENT.DEFERRAL_NOT_APPROVED',
      clause: '2.5.2',
    },
    {
      name: 'a submission while a request is pending uses the attempt and ends the request',
      state: { ...full, pendingRequest: true },
      event: { type: 'window_closed', submitted: true },
      after: 1,
      outcome: 'met',
      code: 'ASSESSMENT.ATTEMPT_USED',
      clause: '2.5.1',
    },
    {
      name: 'last attempt lost',
      state: { attemptsRemaining: 1, pendingRequest: false },
      event: { type: 'window_closed', submitted: false },
      after: 0,
      outcome: 'not_met',
      code: 'ASSESSMENT.ATTEMPT_LOST',
      clause: '2.5.4',
    },
  ] as {
    name: string;
    state: AttemptState;
    event: AttemptEvent;
    after: number;
    outcome: string;
    code: string;
    clause: string;
  }[])('2.5.4 2.5.2 $name', ({ state, event, after, outcome, code, clause }) => {
    const d = applyAttemptEvent(state, event);
    expect(d.details.attemptsRemaining).toBe(after);
    expect(d.outcome).toBe(outcome);
    expect(d.reasons).toHaveLength(1);
    expect(d.reasons[0]?.code).toBe(code);
    expect(d.reasons[0]?.clause).toBe(clause);
    expect(d.reasons[0]?.met).toBe(outcome === 'met');
    // A request stays pending only while it protects an attempt (notified, or closed unsubmitted).
    expect(d.details.pendingRequest).toBe(code === 'ASSESSMENT.ATTEMPT_PROTECTED');
    expect(d.reasons[0]?.evidence).toEqual({
      attemptsBefore: state.attemptsRemaining,
      pendingRequest: state.pendingRequest,
      event: event.type,
    });
  });

  it('2.5.4 deciding a request that is not pending, or submitting with no attempts, is a programming error', () => {
    expect(() => applyAttemptEvent(full, { type: 'request_decided', approved: true })).toThrow(
      RangeError,
    );
    expect(() =>
      applyAttemptEvent(
        { attemptsRemaining: 0, pendingRequest: false },
        { type: 'window_closed', submitted: true },
      ),
    ).toThrow(RangeError);
  });

  const events: fc.Arbitrary<AttemptEvent> = fc.oneof(
    fc.constant<AttemptEvent>({ type: 'circumstances_notified' }),
    fc.boolean().map<AttemptEvent>((submitted) => ({ type: 'window_closed', submitted })),
    fc.boolean().map<AttemptEvent>((approved) => ({ type: 'request_decided', approved })),
  );

  it('2.5.4 property: attempts stay within 0..2 and fall only at window close without protection (or a refused request)', () => {
    fc.assert(
      fc.property(fc.array(events, { maxLength: 40 }), (sequence) => {
        let state = initialAttemptState();
        for (const event of sequence) {
          // Skip events the caller would never send: a decision with nothing pending, a submission with no attempts.
          if (event.type === 'request_decided' && !state.pendingRequest) continue;
          if (event.type === 'window_closed' && event.submitted && state.attemptsRemaining === 0)
            continue;
          const next = applyAttemptEvent(state, event).details;
          expect(next.attemptsRemaining).toBeGreaterThanOrEqual(0);
          expect(next.attemptsRemaining).toBeLessThanOrEqual(
            POLICY_REGISTER.parameters.assessmentAttempts,
          );
          expect(next.attemptsRemaining).toBeLessThanOrEqual(state.attemptsRemaining);
          if (next.attemptsRemaining < state.attemptsRemaining) {
            const unprotectedClose =
              event.type === 'window_closed' && (event.submitted || !state.pendingRequest);
            const refused = event.type === 'request_decided' && !event.approved;
            expect(unprotectedClose || refused).toBe(true);
            expect(state.attemptsRemaining - next.attemptsRemaining).toBe(1);
          }
          if (state.pendingRequest && event.type === 'window_closed' && !event.submitted) {
            expect(next.attemptsRemaining).toBe(state.attemptsRemaining);
          }
          state = next;
        }
      }),
    );
  });
});
