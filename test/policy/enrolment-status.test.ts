import { describe, expect, it } from 'vitest';
import { ENROLMENT_STATUSES } from '../../src/domain/catalogue.js';
import {
  ENROLMENT_ACTIONS,
  POLICY_REGISTER,
  enrolmentStatusDecision,
  statusesAllowing,
} from '../../src/policy/index.js';
import type { EnrolmentAction } from '../../src/policy/index.js';
import type { EnrolmentStatus } from '../../src/domain/catalogue.js';

/** Every status × action, written out so a programme manager can read the table against the policy. */
const TABLE: readonly {
  status: EnrolmentStatus;
  action: EnrolmentAction;
  outcome: 'allowed' | 'refused';
  clause: string;
  code: string;
}[] = [
  {
    status: 'applied',
    action: 'book_event',
    outcome: 'refused',
    clause: '1.1.2',
    code: 'ACCESS.NOT_ACCEPTED',
  },
  {
    status: 'applied',
    action: 'book_coaching',
    outcome: 'refused',
    clause: '1.1.2',
    code: 'ACCESS.NOT_ACCEPTED',
  },
  {
    status: 'applied',
    action: 'submit_assessment',
    outcome: 'refused',
    clause: '1.1.2',
    code: 'ACCESS.NOT_ACCEPTED',
  },
  {
    status: 'applied',
    action: 'request_assessment_deferral',
    outcome: 'refused',
    clause: '1.1.2',
    code: 'ACCESS.NOT_ACCEPTED',
  },
  {
    status: 'accepted',
    action: 'book_event',
    outcome: 'allowed',
    clause: '2.2.1',
    code: 'ACCESS.ON_PROGRAMME',
  },
  {
    status: 'accepted',
    action: 'book_coaching',
    outcome: 'allowed',
    clause: '2.2.1.3',
    code: 'ACCESS.ON_PROGRAMME',
  },
  {
    status: 'accepted',
    action: 'submit_assessment',
    outcome: 'refused',
    clause: '2.1.1',
    code: 'ACCESS.NOT_COMMENCED',
  },
  {
    status: 'accepted',
    action: 'request_assessment_deferral',
    outcome: 'refused',
    clause: '2.1.1',
    code: 'ACCESS.NOT_COMMENCED',
  },
  {
    status: 'active',
    action: 'book_event',
    outcome: 'allowed',
    clause: '2.2.1',
    code: 'ACCESS.ON_PROGRAMME',
  },
  {
    status: 'active',
    action: 'book_coaching',
    outcome: 'allowed',
    clause: '2.2.1.3',
    code: 'ACCESS.ON_PROGRAMME',
  },
  {
    status: 'active',
    action: 'submit_assessment',
    outcome: 'allowed',
    clause: '2.2.1.5',
    code: 'ACCESS.ON_PROGRAMME',
  },
  {
    status: 'active',
    action: 'request_assessment_deferral',
    outcome: 'allowed',
    clause: '2.5.2',
    code: 'ACCESS.ON_PROGRAMME',
  },
  {
    status: 'deferred',
    action: 'book_event',
    outcome: 'refused',
    clause: '2.3.6',
    code: 'ACCESS.DEFERRED',
  },
  {
    status: 'deferred',
    action: 'book_coaching',
    outcome: 'refused',
    clause: '2.3.6',
    code: 'ACCESS.DEFERRED',
  },
  {
    status: 'deferred',
    action: 'submit_assessment',
    outcome: 'refused',
    clause: '2.5.1',
    code: 'ACCESS.DEFERRED',
  },
  {
    status: 'deferred',
    action: 'request_assessment_deferral',
    outcome: 'refused',
    clause: '2.5.1',
    code: 'ACCESS.DEFERRED',
  },
  {
    status: 'withdrawn',
    action: 'book_event',
    outcome: 'refused',
    clause: '2.3.8',
    code: 'ACCESS.WITHDRAWN',
  },
  {
    status: 'withdrawn',
    action: 'book_coaching',
    outcome: 'refused',
    clause: '2.3.8',
    code: 'ACCESS.WITHDRAWN',
  },
  {
    status: 'withdrawn',
    action: 'submit_assessment',
    outcome: 'refused',
    clause: '2.3.8',
    code: 'ACCESS.WITHDRAWN',
  },
  {
    status: 'withdrawn',
    action: 'request_assessment_deferral',
    outcome: 'refused',
    clause: '2.3.8',
    code: 'ACCESS.WITHDRAWN',
  },
  {
    status: 'transferred_out',
    action: 'book_event',
    outcome: 'refused',
    clause: '2.6.4',
    code: 'ACCESS.TRANSFERRED_OUT',
  },
  {
    status: 'transferred_out',
    action: 'book_coaching',
    outcome: 'refused',
    clause: '2.6.4',
    code: 'ACCESS.TRANSFERRED_OUT',
  },
  {
    status: 'transferred_out',
    action: 'submit_assessment',
    outcome: 'refused',
    clause: '2.6.4',
    code: 'ACCESS.TRANSFERRED_OUT',
  },
  {
    status: 'transferred_out',
    action: 'request_assessment_deferral',
    outcome: 'refused',
    clause: '2.6.4',
    code: 'ACCESS.TRANSFERRED_OUT',
  },
  {
    status: 'completed_passed',
    action: 'book_event',
    outcome: 'refused',
    clause: '2.1.1',
    code: 'ACCESS.COMPLETED',
  },
  {
    status: 'completed_passed',
    action: 'book_coaching',
    outcome: 'refused',
    clause: '2.1.1',
    code: 'ACCESS.COMPLETED',
  },
  {
    status: 'completed_passed',
    action: 'submit_assessment',
    outcome: 'refused',
    clause: '2.1.1',
    code: 'ACCESS.COMPLETED',
  },
  {
    status: 'completed_passed',
    action: 'request_assessment_deferral',
    outcome: 'refused',
    clause: '2.1.1',
    code: 'ACCESS.COMPLETED',
  },
  {
    status: 'completed_failed',
    action: 'book_event',
    outcome: 'refused',
    clause: '2.1.1',
    code: 'ACCESS.COMPLETED',
  },
  {
    status: 'completed_failed',
    action: 'book_coaching',
    outcome: 'refused',
    clause: '2.1.1',
    code: 'ACCESS.COMPLETED',
  },
  {
    status: 'completed_failed',
    action: 'submit_assessment',
    outcome: 'refused',
    clause: '2.1.1',
    code: 'ACCESS.COMPLETED',
  },
  {
    status: 'completed_failed',
    action: 'request_assessment_deferral',
    outcome: 'refused',
    clause: '2.1.1',
    code: 'ACCESS.COMPLETED',
  },
];

describe('what an enrolment status lets a participant do', () => {
  it('the table covers every status and every action exactly once', () => {
    expect(TABLE).toHaveLength(ENROLMENT_STATUSES.length * ENROLMENT_ACTIONS.length);
    const keys = new Set(TABLE.map((r) => `${r.status}/${r.action}`));
    expect(keys.size).toBe(TABLE.length);
  });

  it.each(TABLE)(
    '$status, $action: $outcome under $clause',
    ({ status, action, outcome, clause, code }) => {
      const d = enrolmentStatusDecision(status, action);
      expect(d.outcome).toBe(outcome);
      expect(d.policyVersion).toBe(POLICY_REGISTER.version);
      expect(d.reasons).toHaveLength(1);
      const [r] = d.reasons;
      expect(r?.clause).toBe(clause);
      expect(r?.code).toBe(code);
      expect(r?.met).toBe(outcome === 'allowed');
      expect(r?.evidence).toEqual({ enrolmentStatus: status, action });
      // Plain words a participant can act on, never the raw status code.
      expect(r?.message).not.toMatch(/_/);
      expect(r?.message.length).toBeGreaterThan(20);
      expect(statusesAllowing(action).includes(status)).toBe(outcome === 'allowed');
    },
  );

  it('a deferred place says bookings pause until re-joining and the assessment keeps its attempts', () => {
    const booking = enrolmentStatusDecision('deferred', 'book_event').reasons[0];
    expect(booking?.clause).toBe('2.3.6');
    expect(booking?.message).toMatch(/pause until you re-join/);
    const submission = enrolmentStatusDecision('deferred', 'submit_assessment').reasons[0];
    expect(submission?.clause).toBe('2.5.1');
    expect(submission?.message).toMatch(/does not cost you an attempt/);
  });

  it('withdrawn points to the withdrawal policy', () => {
    const r = enrolmentStatusDecision('withdrawn', 'book_coaching').reasons[0];
    expect(r?.clause).toBe('2.3.8');
    expect(r?.message).toMatch(/Withdrawal policy/);
  });

  it.each([
    ['book_event', 'book clinics, community sessions or conferences'],
    ['book_coaching', 'book coaching'],
    ['submit_assessment', 'submit your assessment'],
    ['request_assessment_deferral', 'ask for an assessment deferral'],
  ] as const)(
    'a refusal of %s says what cannot be done, and the permission says what can',
    (action, words) => {
      expect(enrolmentStatusDecision('withdrawn', action).reasons[0]?.message).toContain(
        `cannot ${words}`,
      );
      expect(enrolmentStatusDecision('active', action).reasons[0]?.message).toBe(
        `You are on the programme, so you can ${words}.`,
      );
    },
  );

  it('a finished programme says how it ended, and a deferred place needs no assessment deferral', () => {
    expect(enrolmentStatusDecision('completed_passed', 'book_event').reasons[0]?.message).toMatch(
      /^Your programme has finished \(passed\), so you cannot book clinics/,
    );
    expect(enrolmentStatusDecision('completed_failed', 'book_event').reasons[0]?.message).toMatch(
      /^Your programme has finished \(not passed\), so you cannot book clinics/,
    );
    const r = enrolmentStatusDecision('deferred', 'request_assessment_deferral').reasons[0];
    expect(r?.clause).toBe('2.5.1');
    expect(r?.message).toMatch(/no assessment deferral is needed/);
    expect(r?.message).toMatch(/you keep both attempts/);
  });
});

describe('the words follow the version in force (3.1.1)', () => {
  const v24 = {
    ...POLICY_REGISTER,
    version: '2.4',
    parameters: {
      ...POLICY_REGISTER.parameters,
      engagementThresholdBp: 9500,
      assessmentAttempts: 3,
    },
  };

  it('a participant not yet started is told the threshold of the version in force', () => {
    const under = (r: typeof POLICY_REGISTER) =>
      enrolmentStatusDecision('accepted', 'submit_assessment', r).reasons[0]?.message;
    expect(under(POLICY_REGISTER)).toContain('engaged with at least 90% of the programme.');
    expect(under(v24)).toContain('engaged with at least 95% of the programme.');
    expect(enrolmentStatusDecision('accepted', 'submit_assessment', v24).policyVersion).toBe('2.4');
  });

  it.each([
    [2, 'and you keep both attempts.'],
    [3, 'and you keep all 3 attempts.'],
    [1, 'and you keep your attempt.'],
  ])(
    'a deferred participant asking for an assessment deferral keeps their %i attempt(s)',
    (n, words) => {
      const r = { ...v24, parameters: { ...v24.parameters, assessmentAttempts: n } };
      const message = enrolmentStatusDecision('deferred', 'request_assessment_deferral', r)
        .reasons[0]?.message;
      expect(message).toBe(
        `Your place is already deferred, so no assessment deferral is needed. You sit the assessment with your new cohort after you re-join, ${words}`,
      );
    },
  );
});
