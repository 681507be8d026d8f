/**
 * Funding at deferral (policy 2.4.1-2.4.2). A DfE scholarship carries over to the restart, for as
 * long as the DfE keeps that rule (a register parameter). Fees paid by the participant, their
 * school, trust or employer are not refunded at deferral, because the participant is expected to
 * re-join; refunds are a matter for the NPQ Refund Policy.
 */
import type { FundingRoute } from '../domain/catalogue.js';
import { decision, reason } from './decision.js';
import type { Decision, Reason, RuleMetadata } from './decision.js';
import { POLICY_REGISTER } from './register.js';
import type { PolicyRegister } from './register.js';

export interface FundingAtDeferralInput {
  readonly fundingRoute: FundingRoute;
}

export interface FundingAtDeferralDetails {
  /** Scholarship only: whether the funding carries over to the restart. Null for fee-paying routes. */
  readonly fundingRetainedOnRestart: boolean | null;
  readonly refundAtDeferral: boolean;
  /** The DfE may change scholarship terms at any time (2.4.1). */
  readonly subjectToDfeChange: boolean;
  readonly refundPolicy: string | null;
}

const PAYER: Readonly<Record<Exclude<FundingRoute, 'dfe_scholarship'>, string>> = {
  school: 'your school',
  trust: 'your trust',
  self: 'you',
  employer: 'your employer',
};

/** What happens to the funding when a participant defers and later restarts. */
export function evaluateFundingAtDeferral(
  input: FundingAtDeferralInput,
  register: PolicyRegister = POLICY_REGISTER,
): Decision<'met' | 'not_met', FundingAtDeferralDetails> {
  const p = register.parameters;
  const route = input.fundingRoute;
  if (route === 'dfe_scholarship') {
    const retained = p.scholarshipRetainedOnRestart;
    const reasons: Reason[] = [
      retained
        ? reason(
            'FUNDING.SCHOLARSHIP_RETAINED',
            '2.4.1',
            true,
            'Your Department for Education scholarship stays in place when you restart your programme. The Department for Education may change this at any time.',
            { fundingRoute: route, policyVersion: register.version },
          )
        : reason(
            'FUNDING.SCHOLARSHIP_NOT_RETAINED',
            '2.4.1',
            false,
            'The Department for Education has changed its rules: your scholarship does not carry over when you restart. Please talk to us before you defer.',
            { fundingRoute: route, policyVersion: register.version },
          ),
    ];
    return decision(register.version, retained ? 'met' : 'not_met', reasons, {
      fundingRetainedOnRestart: retained,
      refundAtDeferral: false,
      subjectToDfeChange: true,
      refundPolicy: null,
    });
  }
  const payer = PAYER[route];
  const reasons: Reason[] = [
    p.refundAtDeferral
      ? reason(
          'FUNDING.REFUND_AT_DEFERRAL',
          '2.4.2',
          true,
          `A refund of the fee paid by ${payer} can be made at deferral.`,
          { fundingRoute: route },
        )
      : reason(
          'FUNDING.NO_REFUND_AT_DEFERRAL',
          '2.4.2',
          true,
          `No refund is given at deferral of the fee paid by ${payer}, because you are expected to re-join at a later date; the fee covers your programme when you return. See the ${register.refundPolicyName} for more about refunds.`,
          { fundingRoute: route, refundPolicy: register.refundPolicyName },
        ),
  ];
  return decision(register.version, 'met', reasons, {
    fundingRetainedOnRestart: null,
    refundAtDeferral: p.refundAtDeferral,
    subjectToDfeChange: false,
    refundPolicy: register.refundPolicyName,
  });
}

export const FUNDING_RULES: readonly RuleMetadata[] = [
  {
    rule: 'evaluateFundingAtDeferral',
    file: 'src/policy/funding.ts',
    clauses: ['2.4.1', '2.4.2'],
    summary:
      'A DfE scholarship is retained on restart (a register parameter the DfE may change); school, trust, self or employer funding gets no refund at deferral, with a pointer to the NPQ Refund Policy.',
  },
];
