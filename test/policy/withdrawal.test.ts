import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DFE_WITHDRAWAL_REASONS, ENROLMENT_STATUSES } from '../../src/domain/catalogue.js';
import type { EnrolmentStatus } from '../../src/domain/catalogue.js';
import {
  POLICY_REGISTER,
  WITHDRAWABLE_STATUSES,
  WITHDRAWAL_RULES,
  addDays,
  evaluateWithdrawal,
} from '../../src/policy/index.js';
import type { PolicyRegister, Reason, WithdrawalInput } from '../../src/policy/index.js';

const TODAY = '2026-03-16';

function input(overrides: Partial<WithdrawalInput> = {}): WithdrawalInput {
  return {
    enrolmentStatus: 'active',
    reason: 'change-in-career',
    withdrawnOn: TODAY,
    today: TODAY,
    openDeferralCase: false,
    ...overrides,
  };
}

const byCode = (d: { reasons: readonly Reason[] }, code: string) =>
  d.reasons.find((r) => r.code === code);

describe('2.3.8 a withdrawal is recorded only for an enrolment on the programme', () => {
  it('the statuses a withdrawal may be recorded from are accepted, active and deferred', () => {
    expect([...WITHDRAWABLE_STATUSES]).toEqual(['accepted', 'active', 'deferred']);
  });

  it.each([
    { status: 'applied', outcome: 'refused', met: false },
    { status: 'accepted', outcome: 'allowed', met: true },
    { status: 'active', outcome: 'allowed', met: true },
    { status: 'deferred', outcome: 'allowed', met: true },
    { status: 'withdrawn', outcome: 'refused', met: false },
    { status: 'transferred_out', outcome: 'refused', met: false },
    { status: 'completed_passed', outcome: 'refused', met: false },
    { status: 'completed_failed', outcome: 'refused', met: false },
  ] as { status: EnrolmentStatus; outcome: string; met: boolean }[])(
    '2.3.8 an enrolment that is $status: $outcome',
    ({ status, outcome, met }) => {
      const d = evaluateWithdrawal(input({ enrolmentStatus: status }));
      expect(d.outcome).toBe(outcome);
      const r = byCode(d, 'DEFERRAL.WITHDRAWAL_STATUS');
      expect(r?.clause).toBe('2.3.8');
      expect(r?.met).toBe(met);
      expect(r?.evidence).toEqual({ enrolmentStatus: status });
    },
  );

  it('2.3.8 the staff member reads why, with the status in words', () => {
    expect(
      byCode(
        evaluateWithdrawal(input({ enrolmentStatus: 'deferred' })),
        'DEFERRAL.WITHDRAWAL_STATUS',
      )?.message,
    ).toBe('The enrolment is deferred, so it can be withdrawn.');
    expect(
      byCode(
        evaluateWithdrawal(input({ enrolmentStatus: 'transferred_out' })),
        'DEFERRAL.WITHDRAWAL_STATUS',
      )?.message,
    ).toBe(
      'The enrolment is transferred out: only an accepted, active or deferred enrolment can be withdrawn.',
    );
    expect(
      byCode(
        evaluateWithdrawal(input({ enrolmentStatus: 'completed_passed' })),
        'DEFERRAL.WITHDRAWAL_STATUS',
      )?.message,
    ).toBe(
      'The enrolment is completed passed: only an accepted, active or deferred enrolment can be withdrawn.',
    );
  });
});

describe('2.3.8 the withdrawal date is today or earlier, and the DfE is told the reason', () => {
  it.each([
    { name: 'yesterday', withdrawnOn: addDays(TODAY, -1), outcome: 'allowed', met: true },
    { name: 'today', withdrawnOn: TODAY, outcome: 'allowed', met: true },
    { name: 'tomorrow', withdrawnOn: addDays(TODAY, 1), outcome: 'refused', met: false },
    { name: 'a month ahead', withdrawnOn: addDays(TODAY, 30), outcome: 'refused', met: false },
  ])('2.3.8 withdrawn on $name: $outcome', ({ withdrawnOn, outcome, met }) => {
    const d = evaluateWithdrawal(input({ withdrawnOn }));
    expect(d.outcome).toBe(outcome);
    const r = byCode(d, 'DEFERRAL.WITHDRAWAL_DATE');
    expect(r?.clause).toBe('2.3.8');
    expect(r?.met).toBe(met);
    expect(r?.evidence).toEqual({ withdrawnOn, today: TODAY, reason: 'change-in-career' });
  });

  it('2.3.8 the words: the reason reported to the DfE, or why a future date is refused', () => {
    expect(
      byCode(
        evaluateWithdrawal(input({ withdrawnOn: '2026-03-02', reason: 'started-in-error' })),
        'DEFERRAL.WITHDRAWAL_DATE',
      )?.message,
    ).toBe('Withdrawn on 2 March 2026; the DfE is told with the reason "started-in-error".');
    expect(
      byCode(evaluateWithdrawal(input({ withdrawnOn: '2026-03-17' })), 'DEFERRAL.WITHDRAWAL_DATE')
        ?.message,
    ).toBe('The withdrawal date, 17 March 2026, is in the future; record it on or after the day.');
  });

  it('2.3.8 a future date for an enrolment not on the programme: both reasons unmet', () => {
    const d = evaluateWithdrawal(
      input({ enrolmentStatus: 'withdrawn', withdrawnOn: addDays(TODAY, 1) }),
    );
    expect(d.outcome).toBe('refused');
    expect(d.reasons.filter((r) => !r.met).map((r) => r.code)).toEqual([
      'DEFERRAL.WITHDRAWAL_STATUS',
      'DEFERRAL.WITHDRAWAL_DATE',
    ]);
  });
});

describe('2.3.8 and 2.3.10 what follows a withdrawal', () => {
  it('2.3.8 the NPQ Withdrawal policy applies, named from the register', () => {
    const register: PolicyRegister = {
      ...POLICY_REGISTER,
      version: '9.9',
      withdrawalPolicyName: 'Withdrawal and Refund policy',
    };
    const d = evaluateWithdrawal(input(), register);
    expect(d.policyVersion).toBe('9.9');
    const r = byCode(d, 'DEFERRAL.WITHDRAWAL_POLICY_APPLIES');
    expect(r).toEqual({
      code: 'DEFERRAL.WITHDRAWAL_POLICY_APPLIES',
      clause: '2.3.8',
      met: true,
      message:
        'The participant is classed as withdrawing from the programme, and the Withdrawal and Refund policy applies.',
      evidence: {},
    });
  });

  it('2.3.10 an open deferral case is closed as withdrawn', () => {
    const d = evaluateWithdrawal(input({ openDeferralCase: true }));
    expect(d.outcome).toBe('allowed');
    expect(d.details.closesDeferralCase).toBe(true);
    expect(d.reasons.map((r) => r.code)).toEqual([
      'DEFERRAL.WITHDRAWAL_STATUS',
      'DEFERRAL.WITHDRAWAL_DATE',
      'DEFERRAL.WITHDRAWAL_POLICY_APPLIES',
      'DEFERRAL.WITHDRAWAL_CLOSES_CASE',
    ]);
    expect(byCode(d, 'DEFERRAL.WITHDRAWAL_CLOSES_CASE')).toEqual({
      code: 'DEFERRAL.WITHDRAWAL_CLOSES_CASE',
      clause: '2.3.10',
      met: true,
      message: 'Their deferral case still in progress is closed as withdrawn.',
      evidence: {},
    });
  });

  it('2.3.10 with no open deferral case there is nothing to close', () => {
    const d = evaluateWithdrawal(input({ openDeferralCase: false }));
    expect(d.outcome).toBe('allowed');
    expect(d.details.closesDeferralCase).toBe(false);
    expect(d.reasons.map((r) => r.code)).toEqual([
      'DEFERRAL.WITHDRAWAL_STATUS',
      'DEFERRAL.WITHDRAWAL_DATE',
      'DEFERRAL.WITHDRAWAL_POLICY_APPLIES',
    ]);
  });

  it('the rule declares the clauses it implements', () => {
    expect(WITHDRAWAL_RULES).toEqual([
      expect.objectContaining({
        rule: 'evaluateWithdrawal',
        file: 'src/policy/withdrawal.ts',
        clauses: ['2.3.8', '2.3.10'],
      }),
    ]);
  });
});

describe('2.3.8 property: allowed exactly when on the programme and dated today or earlier', () => {
  it('any status, reason and dates: the outcome is what the clause says', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ENROLMENT_STATUSES),
        fc.constantFrom(...DFE_WITHDRAWAL_REASONS),
        fc.integer({ min: -400, max: 400 }),
        fc.boolean(),
        (status, why, offset, open) => {
          const withdrawnOn = addDays(TODAY, offset);
          const d = evaluateWithdrawal({
            enrolmentStatus: status,
            reason: why,
            withdrawnOn,
            today: TODAY,
            openDeferralCase: open,
          });
          const onProgramme = ['accepted', 'active', 'deferred'].includes(status);
          expect(d.outcome).toBe(onProgramme && offset <= 0 ? 'allowed' : 'refused');
          expect(byCode(d, 'DEFERRAL.WITHDRAWAL_STATUS')?.met).toBe(onProgramme);
          expect(byCode(d, 'DEFERRAL.WITHDRAWAL_DATE')?.met).toBe(offset <= 0);
          expect(d.details.closesDeferralCase).toBe(open);
        },
      ),
    );
  });
});
