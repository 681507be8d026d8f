import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  POLICY_REGISTER,
  addDays,
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

describe('2.1.1 2.2.1.5 2.5.1-2.5.4 assessment decisions in full: the reasons, the words the participant reads and the evidence', () => {
  const ENGAGED = [
    'ASSESSMENT.ENGAGEMENT_MET',
    '2.1.1',
    true,
    'You engaged with 90.0% of the programme by 24 April 2026, meeting the 90% requirement.',
    {
      completedWeight: 900,
      totalWeight: 1000,
      thresholdBp: 9000,
      engagementDeadline: '2026-04-24',
    },
  ];
  const ONE_LEFT = [
    'ASSESSMENT.ATTEMPT_AVAILABLE',
    '2.5.1',
    true,
    'You have 1 of your 2 assessment attempts left.',
    { attemptsRemaining: 1, attempts: 2 },
  ];
  const full = (d: {
    reasons: readonly {
      code: string;
      clause: string;
      met: boolean;
      message: string;
      evidence: unknown;
    }[];
  }) => d.reasons.map((r) => [r.code, r.clause, r.met, r.message, r.evidence]);

  it('2.1.1 2.5.1 someone at exactly 90% with attempts left is told they met the requirement, not that they need 90%', () => {
    const d = evaluateAssessmentEligibility({
      window: WINDOW,
      engagementAtDeadline: MET,
      attemptsRemaining: 2,
    });
    expect(d.outcome).toBe('allowed');
    expect(full(d)).toEqual([
      ENGAGED,
      [
        'ASSESSMENT.ATTEMPT_AVAILABLE',
        '2.5.1',
        true,
        'You have 2 of your 2 assessment attempts left.',
        { attemptsRemaining: 2, attempts: 2 },
      ],
    ]);
    expect(d.details).toEqual({ opensOn: '2026-05-11', closesOn: '2026-05-18' });
  });

  it('2.1.1 2.5.4 below 90% and no attempts left: both reasons, in the words shown', () => {
    const d = evaluateAssessmentEligibility({
      window: WINDOW,
      engagementAtDeadline: BELOW,
      attemptsRemaining: 0,
    });
    expect(d.outcome).toBe('refused');
    expect(full(d)).toEqual([
      [
        'ASSESSMENT.ENGAGEMENT_NOT_MET',
        '2.1.1',
        false,
        'You engaged with 89.9% of the programme by 24 April 2026; 90% is needed to sit the assessment.',
        {
          completedWeight: 899,
          totalWeight: 1000,
          thresholdBp: 9000,
          engagementDeadline: '2026-04-24',
        },
      ],
      [
        'ASSESSMENT.NO_ATTEMPTS_LEFT',
        '2.5.4',
        false,
        'You have used all 2 of your assessment attempts.',
        { attemptsRemaining: 0, attempts: 2 },
      ],
    ]);
  });

  it.each([
    {
      submittedOn: '2026-05-10',
      outcome: 'refused',
      window: [
        'ASSESSMENT.WINDOW_NOT_OPEN',
        '2.2.1.5',
        false,
        'The assessment window opens on 11 May 2026; you can submit on any day from then until 18 May 2026.',
      ],
    },
    {
      submittedOn: '2026-05-18',
      outcome: 'allowed',
      window: [
        'ASSESSMENT.WITHIN_WINDOW',
        '2.2.1.5',
        true,
        'You can submit at any time in the 8-day window, 11 May 2026 to 18 May 2026.',
      ],
    },
    {
      submittedOn: '2026-05-19',
      outcome: 'refused',
      window: [
        'ASSESSMENT.WINDOW_CLOSED',
        '2.2.1.5',
        false,
        'The assessment window closed on 18 May 2026.',
      ],
    },
  ])(
    '2.2.1.5 a submission on $submittedOn -> $outcome, with the window reason first',
    ({ submittedOn, outcome, window }) => {
      const d = evaluateAssessmentSubmission({
        window: WINDOW,
        submittedOn,
        engagementAtDeadline: MET,
        attemptsRemaining: 1,
      });
      expect(d.outcome).toBe(outcome);
      expect(full(d)).toEqual([
        [...window, { submittedOn, opensOn: '2026-05-11', closesOn: '2026-05-18', windowDays: 8 }],
        ENGAGED,
        ONE_LEFT,
      ]);
    },
  );

  it('2.2.1.5 2.1.1 a submission inside the window from someone below 90% is refused', () => {
    const d = evaluateAssessmentSubmission({
      window: WINDOW,
      submittedOn: '2026-05-12',
      engagementAtDeadline: BELOW,
      attemptsRemaining: 2,
    });
    expect(d.outcome).toBe('refused');
    expect(d.reasons.map((r) => [r.code, r.met])).toEqual([
      ['ASSESSMENT.WITHIN_WINDOW', true],
      ['ASSESSMENT.ENGAGEMENT_NOT_MET', false],
      ['ASSESSMENT.ATTEMPT_AVAILABLE', true],
    ]);
  });

  it.each([-1, 3, 1.5, Number.NaN])(
    '2.5.1 %s attempts remaining is impossible (each participant has two), for every decision that takes it',
    (attemptsRemaining) => {
      const message = `Attempts remaining must be 0..2; got ${attemptsRemaining}`;
      expect(() =>
        evaluateAssessmentEligibility({
          window: WINDOW,
          engagementAtDeadline: MET,
          attemptsRemaining,
        }),
      ).toThrow(new RangeError(message));
      expect(() =>
        evaluatePreWindowDeferral({ requestedOn: '2026-04-01', window: WINDOW, attemptsRemaining }),
      ).toThrow(new RangeError(message));
      expect(() =>
        applyAttemptEvent(
          { attemptsRemaining, pendingRequest: false },
          { type: 'circumstances_notified' },
        ),
      ).toThrow(new RangeError(message));
    },
  );

  it.each([
    {
      requestedOn: '2026-04-24',
      outcome: 'allowed',
      reason: [
        'ASSESSMENT.PRE_WINDOW_REQUEST_IN_TIME',
        '2.5.1',
        true,
        'A request made by 24 April 2026, the deadline for meeting the 90% requirement, follows the deferral process and keeps your right to 2 assessment attempts.',
        {
          requestedOn: '2026-04-24',
          engagementDeadline: '2026-04-24',
          opensOn: '2026-05-11',
          attemptsRemaining: 1,
        },
      ],
      followDeferralProcess: true,
    },
    {
      requestedOn: '2026-04-25',
      outcome: 'refused',
      reason: [
        'ASSESSMENT.PRE_WINDOW_REQUEST_TOO_LATE',
        '2.5.1',
        false,
        'A deferral before the assessment window had to be requested by 24 April 2026. If extenuating circumstances stop you submitting, you can ask for an assessment deferral once the window opens on 11 May 2026, provided you have met the 90% requirement.',
        { requestedOn: '2026-04-25', engagementDeadline: '2026-04-24', opensOn: '2026-05-11' },
      ],
      followDeferralProcess: false,
    },
  ])(
    '2.5.1 a deferral asked for on $requestedOn, before the window -> $outcome; no attempt is lost either way',
    ({ requestedOn, outcome, reason, followDeferralProcess }) => {
      const d = evaluatePreWindowDeferral({ requestedOn, window: WINDOW, attemptsRemaining: 1 });
      expect(d.outcome).toBe(outcome);
      expect(full(d)).toEqual([reason]);
      expect(d.details).toEqual({
        followDeferralProcess,
        attemptsKept: true,
        attemptsRemaining: 1,
      });
    },
  );

  const deferral: AssessmentDeferralInput = {
    requestedOn: '2026-05-13',
    window: WINDOW,
    engagementAtDeadline: MET,
    enteredWindow: true,
    circumstance: { kind: 'bereavement' },
    evidence: 'not_requested',
    attemptsRemaining: 1,
    nextWindow: NEXT,
  };
  const ASKED_IN_WINDOW = [
    'ASSESSMENT.DURING_OR_AFTER_WINDOW',
    '2.5.2',
    true,
    'You asked during or after the assessment window.',
    { requestedOn: '2026-05-13', opensOn: '2026-05-11', closesOn: '2026-05-18' },
  ];
  const ENTERED = [
    'ASSESSMENT.ENTERED_WINDOW',
    '2.5.2',
    true,
    'You were entered into this assessment window.',
    { windowId: 'w-2026-05' },
  ];
  const NEXT_WINDOW = [
    'ASSESSMENT.NEXT_WINDOW',
    '2.5.2',
    true,
    'If approved, you keep your attempt and are entered into the next assessment window, opening 9 November 2026.',
    { nextWindowId: 'w-2026-11', nextWindowOpensOn: '2026-11-09', attemptsRemaining: 1 },
  ];
  const EXTENUATING = (kind: string, description: string | null) => [
    'ASSESSMENT.EXTENUATING_CIRCUMSTANCE',
    '2.5.3',
    true,
    'Your circumstances are of a kind that can be viewed as extenuating.',
    { circumstance: kind, description },
  ];

  it('2.5.2 2.5.3 an assessment deferral that may be granted: every condition, in the words shown', () => {
    const d = evaluateAssessmentDeferral(deferral);
    expect(d.outcome).toBe('allowed');
    expect(full(d)).toEqual([
      ASKED_IN_WINDOW,
      ENGAGED,
      ENTERED,
      EXTENUATING('bereavement', null),
      NEXT_WINDOW,
    ]);
    expect(d.details).toEqual({
      attemptKept: true,
      attemptsRemaining: 1,
      nextWindowId: 'w-2026-11',
      nextWindowOpensOn: '2026-11-09',
    });
  });

  it('2.5.2 evidence asked for and not yet arrived: the request waits and the attempt is protected', () => {
    const d = evaluateAssessmentDeferral({ ...deferral, evidence: 'requested' });
    expect(d.outcome).toBe('needs_review');
    expect(full(d)).toEqual([
      ASKED_IN_WINDOW,
      ENGAGED,
      ENTERED,
      EXTENUATING('bereavement', null),
      NEXT_WINDOW,
      [
        'ASSESSMENT.EVIDENCE_REQUESTED',
        '2.5.2',
        false,
        'We have asked for supporting evidence; your request will be decided when it arrives, and your attempt is protected meanwhile.',
        { evidence: 'requested' },
      ],
    ]);
    expect(d.details.attemptKept).toBe(true);
  });

  it('2.5.2 2.5.3 2.1.1 a request failing every condition is refused with each reason, and the attempt is not kept', () => {
    const d = evaluateAssessmentDeferral({
      ...deferral,
      requestedOn: '2026-05-01',
      engagementAtDeadline: { completedWeight: 1, totalWeight: 3 },
      enteredWindow: false,
      circumstance: undefined,
      nextWindow: undefined,
      evidence: 'requested',
    });
    expect(d.outcome).toBe('refused');
    expect(full(d)).toEqual([
      [
        'ASSESSMENT.DEFERRAL_BEFORE_WINDOW',
        '2.5.2',
        false,
        'An assessment deferral is for during or after the window, which opens on 11 May 2026. Before then, ask for a deferral by the 90% deadline instead.',
        { requestedOn: '2026-05-01', opensOn: '2026-05-11', closesOn: '2026-05-18' },
      ],
      [
        'ASSESSMENT.ENGAGEMENT_NOT_MET',
        '2.1.1',
        false,
        'You engaged with 33.3% of the programme by 24 April 2026; 90% is needed to sit the assessment.',
        { completedWeight: 1, totalWeight: 3, thresholdBp: 9000, engagementDeadline: '2026-04-24' },
      ],
      [
        'ASSESSMENT.NOT_ENTERED_WINDOW',
        '2.5.2',
        false,
        'An assessment deferral is only for participants entered into the assessment window.',
        { windowId: 'w-2026-05' },
      ],
      [
        'ASSESSMENT.NO_EXTENUATING_CIRCUMSTANCE',
        '2.5.3',
        false,
        'An assessment deferral needs extenuating circumstances that affect your ability to submit: tell us what has happened.',
        {},
      ],
      [
        'ASSESSMENT.NO_NEXT_WINDOW',
        '2.5.2',
        false,
        'There is no later assessment window for your programme to move you into; your Delivery Partner will talk to you about your options.',
        {},
      ],
    ]);
    expect(d.details).toEqual({
      attemptKept: false,
      attemptsRemaining: 1,
      nextWindowId: null,
      nextWindowOpensOn: null,
    });
  });

  it.each([
    { description: ' \t', ok: false },
    { description: undefined, ok: false },
    { description: 'The school flooded on the second day of the window', ok: true },
  ])(
    '2.5.3 "other significant unforeseen change" described as $description -> extenuating: $ok, in the words shown',
    ({ description, ok }) => {
      const d = evaluateAssessmentDeferral({
        ...deferral,
        circumstance: { kind: 'other_significant_unforeseen', description },
      });
      expect(d.outcome).toBe(ok ? 'allowed' : 'refused');
      expect(full(d)[3]).toEqual(
        ok
          ? EXTENUATING('other_significant_unforeseen', description ?? null)
          : [
              'ASSESSMENT.CIRCUMSTANCE_NOT_DESCRIBED',
              '2.5.3',
              false,
              'Please describe the significant, unforeseen change that has affected your ability to submit.',
              { circumstance: 'other_significant_unforeseen' },
            ],
      );
      expect(d.details.attemptKept).toBe(ok);
    },
  );

  it.each([
    {
      state: { attemptsRemaining: 2, pendingRequest: false },
      event: { type: 'circumstances_notified' },
      message:
        'You have told us about extenuating circumstances, so you will not lose an attempt while your request is considered.',
    },
    {
      state: { attemptsRemaining: 2, pendingRequest: false },
      event: { type: 'window_closed', submitted: true },
      message: 'Your submission used one of your 2 attempts.',
    },
    {
      state: { attemptsRemaining: 2, pendingRequest: true },
      event: { type: 'window_closed', submitted: false },
      message:
        'You did not submit, but you told us about extenuating circumstances; your attempt is protected until your request is decided.',
    },
    {
      state: { attemptsRemaining: 2, pendingRequest: false },
      event: { type: 'window_closed', submitted: false },
      message:
        'You did not submit your assessment and did not tell us about any extenuating circumstances, so you have lost one of your assessment attempts.',
    },
    {
      state: { attemptsRemaining: 2, pendingRequest: true },
      event: { type: 'request_decided', approved: true },
      message:
        'Your assessment deferral was approved: you keep your attempt and will be entered into the next assessment window.',
    },
    {
      state: { attemptsRemaining: 2, pendingRequest: true },
      event: { type: 'request_decided', approved: false },
      message:
        'Your request was not approved, so your non-submission counts and you have lost one of your assessment attempts.',
    },
  ] as { state: AttemptState; event: AttemptEvent; message: string }[])(
    '2.5.1 2.5.2 2.5.4 the participant is told what happened to their attempt: $event.type',
    ({ state, event, message }) => {
      const d = applyAttemptEvent(state, event);
      expect(d.reasons.map((r) => r.message)).toEqual([message]);
      expect(['2.5.1', '2.5.2', '2.5.4']).toContain(d.reasons[0]?.clause);
    },
  );

  it('2.5.4 the errors for impossible events say what is wrong', () => {
    expect(() =>
      applyAttemptEvent(
        { attemptsRemaining: 2, pendingRequest: false },
        { type: 'request_decided', approved: false },
      ),
    ).toThrow(new RangeError('No pending request to decide'));
    expect(() =>
      applyAttemptEvent(
        { attemptsRemaining: 0, pendingRequest: true },
        { type: 'window_closed', submitted: true },
      ),
    ).toThrow(new RangeError('A submission needs an attempt left'));
  });

  it('2.1.1 2.5.1 2.2.1.5 property: a submission is accepted exactly when the day is in the window, engagement x 10000 >= total x 9000, and an attempt is left', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -3, max: 10 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.nat(5000),
        fc.integer({ min: 0, max: 2 }),
        (dayOffset, totalWeight, completedRaw, attemptsRemaining) => {
          const completedWeight = completedRaw % (totalWeight + 1);
          const submittedOn = addDays(WINDOW.opensOn, dayOffset);
          const d = evaluateAssessmentSubmission({
            window: WINDOW,
            submittedOn,
            engagementAtDeadline: { completedWeight, totalWeight },
            attemptsRemaining,
          });
          const inWindow = dayOffset >= 0 && dayOffset <= 7;
          const engaged = completedWeight * 10000 >= totalWeight * 9000;
          expect(d.outcome).toBe(
            inWindow && engaged && attemptsRemaining > 0 ? 'allowed' : 'refused',
          );
          expect(d.reasons.map((r) => [r.clause, r.met])).toEqual([
            ['2.2.1.5', inWindow],
            ['2.1.1', engaged],
            [attemptsRemaining > 0 ? '2.5.1' : '2.5.4', attemptsRemaining > 0],
          ]);
        },
      ),
    );
  });
});

describe('2.5.1 2.5.2 the threshold in the words is the version in force’s (3.1.1)', () => {
  const v24: PolicyRegister = {
    ...POLICY_REGISTER,
    version: '2.4',
    parameters: { ...POLICY_REGISTER.parameters, engagementThresholdBp: 9500 },
  };

  it.each([
    [POLICY_REGISTER, '90%'],
    [v24, '95%'],
  ])('a deferral before the window, in time and too late, names the threshold', (register, pct) => {
    const inTime = evaluatePreWindowDeferral(
      { requestedOn: '2026-04-20', window: WINDOW, attemptsRemaining: 2 },
      register,
    );
    expect(inTime.reasons[0]?.message).toBe(
      `A request made by 24 April 2026, the deadline for meeting the ${pct} requirement, follows the deferral process and keeps your right to 2 assessment attempts.`,
    );
    const late = evaluatePreWindowDeferral(
      { requestedOn: '2026-04-25', window: WINDOW, attemptsRemaining: 2 },
      register,
    );
    expect(late.reasons[0]?.message).toBe(
      `A deferral before the assessment window had to be requested by 24 April 2026. If extenuating circumstances stop you submitting, you can ask for an assessment deferral once the window opens on 11 May 2026, provided you have met the ${pct} requirement.`,
    );
    expect([inTime.policyVersion, late.policyVersion]).toEqual([
      register.version,
      register.version,
    ]);
  });

  it.each([
    [POLICY_REGISTER, '90%'],
    [v24, '95%'],
  ])(
    'an assessment deferral asked for before the window points to the %s deadline',
    (register, pct) => {
      const d = evaluateAssessmentDeferral(
        {
          requestedOn: '2026-05-01',
          window: WINDOW,
          engagementAtDeadline: { completedWeight: 950, totalWeight: 1000 },
          enteredWindow: true,
          circumstance: { kind: 'bereavement' },
          evidence: 'not_requested',
          attemptsRemaining: 2,
          nextWindow: NEXT,
        },
        register,
      );
      expect(d.outcome).toBe('refused');
      expect(d.reasons[0]).toMatchObject({
        code: 'ASSESSMENT.DEFERRAL_BEFORE_WINDOW',
        clause: '2.5.2',
        met: false,
        message: `An assessment deferral is for during or after the window, which opens on 11 May 2026. Before then, ask for a deferral by the ${pct} deadline instead.`,
      });
    },
  );
});
