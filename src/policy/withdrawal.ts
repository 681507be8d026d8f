/**
 * Withdrawal recorded by staff (policy 2.3.8, 2.3.10, with the enrolment lifecycle): what the
 * policy says before a member of staff confirms it. The enrolment must be on the programme
 * (accepted, active or deferred), the reason is one of the DfE's (it is reported with it), the
 * date is not in the future, and the NPQ Withdrawal policy then applies; an open deferral case is
 * closed as withdrawn.
 */
import type { DfeWithdrawalReason, EnrolmentStatus } from '../domain/catalogue.js';
import { formatLongDate, isBefore } from './dates.js';
import type { IsoDate } from './dates.js';
import { anyUnmet, decision, reason } from './decision.js';
import type { Decision, Reason, RuleMetadata } from './decision.js';
import { POLICY_REGISTER } from './register.js';
import type { PolicyRegister } from './register.js';

/** Statuses an enrolment may be withdrawn from (the DfE: active or deferred; ours also accepted). */
export const WITHDRAWABLE_STATUSES: readonly EnrolmentStatus[] = ['accepted', 'active', 'deferred'];

export interface WithdrawalInput {
  readonly enrolmentStatus: EnrolmentStatus;
  readonly reason: DfeWithdrawalReason;
  readonly withdrawnOn: IsoDate;
  readonly today: IsoDate;
  /** A deferral case still in progress for this enrolment. */
  readonly openDeferralCase: boolean;
}

export interface WithdrawalDetails {
  readonly closesDeferralCase: boolean;
}

export type WithdrawalDecision = Decision<'allowed' | 'refused', WithdrawalDetails>;

export function evaluateWithdrawal(
  input: WithdrawalInput,
  register: PolicyRegister = POLICY_REGISTER,
): WithdrawalDecision {
  const onProgramme = WITHDRAWABLE_STATUSES.includes(input.enrolmentStatus);
  const reasons: Reason[] = [
    reason(
      'DEFERRAL.WITHDRAWAL_STATUS',
      '2.3.8',
      onProgramme,
      onProgramme
        ? // Stryker disable next-line StringLiteral: accepted, active and deferred have no '_', so the replacement text never shows here
          `The enrolment is ${input.enrolmentStatus.replace(/_/g, ' ')}, so it can be withdrawn.`
        : `The enrolment is ${input.enrolmentStatus.replace(/_/g, ' ')}: only an accepted, active or deferred enrolment can be withdrawn.`,
      { enrolmentStatus: input.enrolmentStatus },
    ),
  ];
  const future = isBefore(input.today, input.withdrawnOn);
  reasons.push(
    reason(
      'DEFERRAL.WITHDRAWAL_DATE',
      '2.3.8',
      !future,
      future
        ? `The withdrawal date, ${formatLongDate(input.withdrawnOn)}, is in the future; record it on or after the day.`
        : `Withdrawn on ${formatLongDate(input.withdrawnOn)}; the DfE is told with the reason "${input.reason}".`,
      { withdrawnOn: input.withdrawnOn, today: input.today, reason: input.reason },
    ),
    reason(
      'DEFERRAL.WITHDRAWAL_POLICY_APPLIES',
      '2.3.8',
      true,
      `The participant is classed as withdrawing from the programme, and the ${register.withdrawalPolicyName} applies.`,
    ),
  );
  if (input.openDeferralCase) {
    reasons.push(
      reason(
        'DEFERRAL.WITHDRAWAL_CLOSES_CASE',
        '2.3.10',
        true,
        'Their deferral case still in progress is closed as withdrawn.',
      ),
    );
  }
  return decision(register.version, anyUnmet(reasons) ? 'refused' : 'allowed', reasons, {
    closesDeferralCase: input.openDeferralCase,
  });
}

export const WITHDRAWAL_RULES: readonly RuleMetadata[] = [
  {
    rule: 'evaluateWithdrawal',
    file: 'src/policy/withdrawal.ts',
    clauses: ['2.3.8', '2.3.10'],
    summary:
      'A withdrawal recorded by staff: only while on the programme, dated today or earlier, with a DfE reason; the NPQ Withdrawal policy applies and an open deferral case closes.',
  },
];
