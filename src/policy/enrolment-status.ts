/**
 * What an enrolment's status lets a participant do (policy 2.3.6, 2.3.8, 2.5.1, 2.6.4, 2.1.1).
 * Bookings, assessment submissions and assessment deferral requests are for participants on the
 * programme; a deferred, withdrawn, transferred or finished enrolment is refused with the clause
 * that explains why, in the same Decision shape as every other rule, so the API and pages answer
 * a status refusal exactly as they answer any other policy refusal.
 *
 * Deferral requests are not here: evaluateDeferral (src/policy/deferral.ts) already decides on
 * the status (2.3.2 commenced, 2.3.3 deferred once).
 */
import type { EnrolmentStatus } from '../domain/catalogue.js';
import type { ClauseNumber } from './clauses.js';
import { decision, reason } from './decision.js';
import type { Decision, Reason, RuleMetadata } from './decision.js';
import { POLICY_REGISTER } from './register.js';
import type { PolicyRegister } from './register.js';
import { formatThreshold } from './engagement.js';

/** 'both attempts' under v2.2's two; 'your attempt' or 'all 3 attempts' under a version with another number. */
export const yourAttempts = (n: number): string =>
  n === 2 ? 'both attempts' : n === 1 ? 'your attempt' : `all ${n} attempts`;

/** The things a participant does that need them to be on the programme. */
export const ENROLMENT_ACTIONS = [
  'book_event',
  'book_coaching',
  'submit_assessment',
  'request_assessment_deferral',
] as const;
export type EnrolmentAction = (typeof ENROLMENT_ACTIONS)[number];

/** Statuses in which each action is open. Bookings start once a place is accepted. */
const OPEN: Readonly<Record<EnrolmentAction, readonly EnrolmentStatus[]>> = {
  book_event: ['accepted', 'active'],
  book_coaching: ['accepted', 'active'],
  submit_assessment: ['active'],
  request_assessment_deferral: ['active'],
};

/** The statuses in which the action is open (for pages that only offer what can be done). */
export function statusesAllowing(action: EnrolmentAction): readonly EnrolmentStatus[] {
  return OPEN[action];
}

const WHAT: Readonly<Record<EnrolmentAction, string>> = {
  book_event: 'book clinics, community sessions or conferences',
  book_coaching: 'book coaching',
  submit_assessment: 'submit your assessment',
  request_assessment_deferral: 'ask for an assessment deferral',
};

/** The clause that makes the action part of the programme, cited when it is open. */
const OPEN_CLAUSE: Readonly<Record<EnrolmentAction, ClauseNumber>> = {
  book_event: '2.2.1',
  book_coaching: '2.2.1.3',
  submit_assessment: '2.2.1.5',
  request_assessment_deferral: '2.5.2',
};

interface Refusal {
  readonly code: `ACCESS.${string}`;
  readonly clause: ClauseNumber;
  readonly message: string;
}

const isAssessment = (a: EnrolmentAction) =>
  a === 'submit_assessment' || a === 'request_assessment_deferral';

function refusalFor(
  status: EnrolmentStatus,
  action: EnrolmentAction,
  register: PolicyRegister,
): Refusal {
  const what = WHAT[action];
  const { engagementThresholdBp, assessmentAttempts } = register.parameters;
  switch (status) {
    case 'applied':
      // The policy is about participants on their programme (1.1.2); an applicant is not yet one.
      return {
        code: 'ACCESS.NOT_ACCEPTED',
        clause: '1.1.2',
        message: `Your application has not been accepted yet, so you cannot ${what}. You can once you have a place on the programme.`,
      };
    case 'accepted':
      return {
        code: 'ACCESS.NOT_COMMENCED',
        clause: '2.1.1',
        message: `You have not started the programme yet, so you cannot ${what}. The assessment comes after you have engaged with at least ${formatThreshold(engagementThresholdBp)} of the programme.`,
      };
    case 'deferred':
      return isAssessment(action)
        ? {
            code: 'ACCESS.DEFERRED',
            clause: '2.5.1',
            message:
              action === 'submit_assessment'
                ? 'Your place is deferred, so you cannot submit an assessment now. You sit the assessment with your new cohort after you re-join; deferring before the assessment window does not cost you an attempt.'
                : `Your place is already deferred, so no assessment deferral is needed. You sit the assessment with your new cohort after you re-join, and you keep ${yourAttempts(assessmentAttempts)}.`,
          }
        : {
            code: 'ACCESS.DEFERRED',
            clause: '2.3.6',
            message: `Your place is deferred, so you cannot ${what} now. Bookings pause until you re-join, when you attend events with your new cohort from the point you last engaged.`,
          };
    case 'withdrawn':
      return {
        code: 'ACCESS.WITHDRAWN',
        clause: '2.3.8',
        message: `You have withdrawn from the programme, so you cannot ${what}. The NPQ Withdrawal policy applies.`,
      };
    case 'transferred_out':
      return {
        code: 'ACCESS.TRANSFERRED_OUT',
        clause: '2.6.4',
        message: `You have transferred to a programme run by another lead provider, so you cannot ${what} here. Your new lead provider arranges this now.`,
      };
    case 'completed_passed':
    case 'completed_failed':
      return {
        code: 'ACCESS.COMPLETED',
        clause: '2.1.1',
        message: `Your programme has finished (${status === 'completed_passed' ? 'passed' : 'not passed'}), so you cannot ${what}.`,
      };
    case 'active':
      // Every action is open to an active enrolment, so this is never reached; kept for exhaustiveness.
      // Stryker disable next-line all: unreachable (OPEN allows 'active' for every action).
      return { code: 'ACCESS.ON_PROGRAMME', clause: OPEN_CLAUSE[action], message: '' };
  }
}

/**
 * Whether an enrolment in this status may do this: allowed while on the programme, otherwise
 * refused with the clause that says why (deferred: bookings pause until re-joining, 2.3.6, and the
 * assessment waits for the new cohort without costing an attempt, 2.5.1; withdrawn: 2.3.8;
 * transferred out: 2.6.4; finished: 2.1.1).
 */
export function enrolmentStatusDecision(
  status: EnrolmentStatus,
  action: EnrolmentAction,
  register: PolicyRegister = POLICY_REGISTER,
): Decision<
  'allowed' | 'refused',
  { readonly status: EnrolmentStatus; readonly action: EnrolmentAction }
> {
  const evidence = { enrolmentStatus: status, action };
  let r: Reason;
  if (OPEN[action].includes(status)) {
    r = reason(
      'ACCESS.ON_PROGRAMME',
      OPEN_CLAUSE[action],
      true,
      `You are on the programme, so you can ${WHAT[action]}.`,
      evidence,
    );
  } else {
    const refusal = refusalFor(status, action, register);
    r = reason(refusal.code, refusal.clause, false, refusal.message, evidence);
  }
  return decision(register.version, r.met ? 'allowed' : 'refused', [r], { status, action });
}

export const ENROLMENT_STATUS_RULES: readonly RuleMetadata[] = [
  {
    rule: 'enrolmentStatusDecision',
    file: 'src/policy/enrolment-status.ts',
    clauses: ['1.1.2', '2.1.1', '2.3.6', '2.3.8', '2.5.1', '2.6.4'],
    summary:
      'Bookings, assessment submissions and assessment deferral requests are for participants on the programme: a deferred place pauses them until re-joining (2.3.6, 2.5.1), a withdrawn, transferred or finished one ends them.',
  },
];
