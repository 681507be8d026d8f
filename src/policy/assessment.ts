/**
 * Assessment (policy 2.2.1.5, 2.5.1-2.5.4, with 2.1.1). The assessment runs in an 8-day window and
 * can be submitted on any day inside it. Each participant has two attempts. A deferral asked for by
 * the 90% deadline, before the window, keeps both attempts; once in the window, an 'assessment
 * deferral' keeps the attempt and moves the participant to the next window. An attempt is lost only
 * when the window closes with no submission and no circumstances notified; while a request is being
 * decided the attempt is protected.
 */
import { decision, reason } from './decision.js';
import type { Decision, Reason, RuleMetadata } from './decision.js';
import { addDays, formatLongDate, isBefore, isOnOrBefore } from './dates.js';
import type { IsoDate } from './dates.js';
import {
  formatBasisPoints,
  engagementBasisPoints,
  formatThreshold,
  meetsEngagementThreshold,
} from './engagement.js';
import { POLICY_REGISTER } from './register.js';
import type { PolicyRegister } from './register.js';

export interface AssessmentWindow {
  readonly id: string;
  /** First day of the window; the last day follows from the register's window length. */
  readonly opensOn: IsoDate;
  /** The pre-communicated deadline for meeting the 90% engagement requirement. */
  readonly engagementDeadline: IsoDate;
}

/** Engagement as measured at the engagement deadline (see evaluateEngagement). */
export interface EngagementSnapshot {
  readonly completedWeight: number;
  readonly totalWeight: number;
}

/** The last day of the window: an 8-day window opening on a Monday closes on the Monday after. */
export function assessmentWindowClosesOn(
  opensOn: IsoDate,
  register: PolicyRegister = POLICY_REGISTER,
): IsoDate {
  return addDays(opensOn, register.parameters.assessmentWindowDays - 1);
}

function checkAttempts(attemptsRemaining: number, register: PolicyRegister): void {
  const max = register.parameters.assessmentAttempts;
  if (
    !Number.isSafeInteger(attemptsRemaining) ||
    attemptsRemaining < 0 ||
    attemptsRemaining > max
  ) {
    throw new RangeError(`Attempts remaining must be 0..${max}; got ${attemptsRemaining}`);
  }
}

function engagementReason(
  snapshot: EngagementSnapshot,
  deadline: IsoDate,
  register: PolicyRegister,
): Reason {
  const bp = register.parameters.engagementThresholdBp;
  const met = meetsEngagementThreshold(snapshot.completedWeight, snapshot.totalWeight, bp);
  const evidence = {
    completedWeight: snapshot.completedWeight,
    totalWeight: snapshot.totalWeight,
    thresholdBp: bp,
    engagementDeadline: deadline,
  };
  const pct = formatBasisPoints(
    engagementBasisPoints(snapshot.completedWeight, snapshot.totalWeight),
  );
  return met
    ? reason(
        'ASSESSMENT.ENGAGEMENT_MET',
        '2.1.1',
        true,
        `You engaged with ${pct} of the programme by ${formatLongDate(deadline)}, meeting the ${formatThreshold(bp)} requirement.`,
        evidence,
      )
    : reason(
        'ASSESSMENT.ENGAGEMENT_NOT_MET',
        '2.1.1',
        false,
        `You engaged with ${pct} of the programme by ${formatLongDate(deadline)}; ${formatThreshold(bp)} is needed to sit the assessment.`,
        evidence,
      );
}

function attemptsReason(attemptsRemaining: number, register: PolicyRegister): Reason {
  const max = register.parameters.assessmentAttempts;
  return attemptsRemaining > 0
    ? reason(
        'ASSESSMENT.ATTEMPT_AVAILABLE',
        '2.5.1',
        true,
        `You have ${attemptsRemaining} of your ${max} assessment attempts left.`,
        { attemptsRemaining, attempts: max },
      )
    : reason(
        'ASSESSMENT.NO_ATTEMPTS_LEFT',
        '2.5.4',
        false,
        `You have used all ${max} of your assessment attempts.`,
        { attemptsRemaining, attempts: max },
      );
}

export interface AssessmentEligibilityInput {
  readonly window: AssessmentWindow;
  readonly engagementAtDeadline: EngagementSnapshot;
  readonly attemptsRemaining: number;
}

export interface AssessmentWindowDetails {
  readonly opensOn: IsoDate;
  readonly closesOn: IsoDate;
}

/** Eligible to sit: 90% engagement by the deadline (2.1.1) and an attempt left (2.5.1). */
export function evaluateAssessmentEligibility(
  input: AssessmentEligibilityInput,
  register: PolicyRegister = POLICY_REGISTER,
): Decision<'allowed' | 'refused', AssessmentWindowDetails> {
  checkAttempts(input.attemptsRemaining, register);
  const reasons = [
    engagementReason(input.engagementAtDeadline, input.window.engagementDeadline, register),
    attemptsReason(input.attemptsRemaining, register),
  ];
  return decision(register.version, reasons.every((r) => r.met) ? 'allowed' : 'refused', reasons, {
    opensOn: input.window.opensOn,
    closesOn: assessmentWindowClosesOn(input.window.opensOn, register),
  });
}

export interface AssessmentSubmissionInput extends AssessmentEligibilityInput {
  /** The day in England the submission was made (see londonDateOf). */
  readonly submittedOn: IsoDate;
}

/** 2.2.1.5: a submission is accepted on any day of the window, first and last included. */
export function evaluateAssessmentSubmission(
  input: AssessmentSubmissionInput,
  register: PolicyRegister = POLICY_REGISTER,
): Decision<'allowed' | 'refused', AssessmentWindowDetails> {
  const eligibility = evaluateAssessmentEligibility(input, register);
  const { opensOn, closesOn } = eligibility.details;
  const days = register.parameters.assessmentWindowDays;
  const evidence = { submittedOn: input.submittedOn, opensOn, closesOn, windowDays: days };
  const windowReason = isBefore(input.submittedOn, opensOn)
    ? reason(
        'ASSESSMENT.WINDOW_NOT_OPEN',
        '2.2.1.5',
        false,
        `The assessment window opens on ${formatLongDate(opensOn)}; you can submit on any day from then until ${formatLongDate(closesOn)}.`,
        evidence,
      )
    : isBefore(closesOn, input.submittedOn)
      ? reason(
          'ASSESSMENT.WINDOW_CLOSED',
          '2.2.1.5',
          false,
          `The assessment window closed on ${formatLongDate(closesOn)}.`,
          evidence,
        )
      : reason(
          'ASSESSMENT.WITHIN_WINDOW',
          '2.2.1.5',
          true,
          `You can submit at any time in the ${days}-day window, ${formatLongDate(opensOn)} to ${formatLongDate(closesOn)}.`,
          evidence,
        );
  const reasons = [windowReason, ...eligibility.reasons];
  return decision(
    register.version,
    reasons.every((r) => r.met) ? 'allowed' : 'refused',
    reasons,
    eligibility.details,
  );
}

export interface PreWindowDeferralInput {
  readonly requestedOn: IsoDate;
  readonly window: AssessmentWindow;
  readonly attemptsRemaining: number;
}

export interface PreWindowDeferralDetails {
  /** The deferral process of section 2.3 applies (see evaluateDeferral). */
  readonly followDeferralProcess: boolean;
  readonly attemptsKept: boolean;
  readonly attemptsRemaining: number;
}

/**
 * 2.5.1: a deferral before the window must be asked for by the pre-communicated 90% deadline; it
 * then follows the ordinary deferral process and leaves both attempts untouched.
 */
export function evaluatePreWindowDeferral(
  input: PreWindowDeferralInput,
  register: PolicyRegister = POLICY_REGISTER,
): Decision<'allowed' | 'refused', PreWindowDeferralDetails> {
  checkAttempts(input.attemptsRemaining, register);
  const { engagementDeadline, opensOn } = input.window;
  const evidence = { requestedOn: input.requestedOn, engagementDeadline, opensOn };
  const inTime = isOnOrBefore(input.requestedOn, engagementDeadline);
  const reasons: Reason[] = [];
  if (inTime) {
    reasons.push(
      reason(
        'ASSESSMENT.PRE_WINDOW_REQUEST_IN_TIME',
        '2.5.1',
        true,
        `A request made by ${formatLongDate(engagementDeadline)}, the deadline for meeting the ${formatThreshold(register.parameters.engagementThresholdBp)} requirement, follows the deferral process and keeps your right to ${register.parameters.assessmentAttempts} assessment attempts.`,
        { ...evidence, attemptsRemaining: input.attemptsRemaining },
      ),
    );
  } else {
    reasons.push(
      reason(
        'ASSESSMENT.PRE_WINDOW_REQUEST_TOO_LATE',
        '2.5.1',
        false,
        `A deferral before the assessment window had to be requested by ${formatLongDate(engagementDeadline)}. If extenuating circumstances stop you submitting, you can ask for an assessment deferral once the window opens on ${formatLongDate(opensOn)}, provided you have met the ${formatThreshold(register.parameters.engagementThresholdBp)} requirement.`,
        evidence,
      ),
    );
  }
  return decision(register.version, inTime ? 'allowed' : 'refused', reasons, {
    followDeferralProcess: inTime,
    attemptsKept: true,
    attemptsRemaining: input.attemptsRemaining,
  });
}

/** Extenuating circumstances for an assessment deferral (2.5.3); the list is not exhaustive. */
export const ASSESSMENT_CIRCUMSTANCES = [
  'unforeseen_illness_or_health',
  'leave_of_absence',
  'bereavement',
  'unforeseen_personal_change',
  'other_significant_unforeseen',
] as const;
export type AssessmentCircumstanceKind = (typeof ASSESSMENT_CIRCUMSTANCES)[number];

export interface AssessmentCircumstance {
  readonly kind: AssessmentCircumstanceKind;
  readonly description?: string;
}

export type EvidenceStatus = 'not_requested' | 'requested' | 'provided';

export interface AssessmentDeferralInput {
  readonly requestedOn: IsoDate;
  readonly window: AssessmentWindow;
  readonly engagementAtDeadline: EngagementSnapshot;
  /** Whether the participant was entered into this window. */
  readonly enteredWindow: boolean;
  readonly circumstance?: AssessmentCircumstance;
  /** Ambition may ask for supporting evidence (2.5.2). */
  readonly evidence: EvidenceStatus;
  readonly attemptsRemaining: number;
  /** The next window for the same programme, if one is scheduled. */
  readonly nextWindow?: AssessmentWindow;
}

export interface AssessmentDeferralDetails {
  readonly attemptKept: boolean;
  readonly attemptsRemaining: number;
  readonly nextWindowId: string | null;
  readonly nextWindowOpensOn: IsoDate | null;
}

/**
 * 2.5.2-2.5.3: an assessment deferral, during or after the window, for a participant who met 90%
 * and entered the window, in extenuating circumstances. 'allowed' means the policy lets staff grant
 * it; 'needs_review' means the evidence asked for has not arrived yet.
 */
export function evaluateAssessmentDeferral(
  input: AssessmentDeferralInput,
  register: PolicyRegister = POLICY_REGISTER,
): Decision<'allowed' | 'refused' | 'needs_review', AssessmentDeferralDetails> {
  checkAttempts(input.attemptsRemaining, register);
  const { opensOn } = input.window;
  const closesOn = assessmentWindowClosesOn(opensOn, register);
  const evidence = { requestedOn: input.requestedOn, opensOn, closesOn };
  const reasons: Reason[] = [];

  reasons.push(
    isBefore(input.requestedOn, opensOn)
      ? reason(
          'ASSESSMENT.DEFERRAL_BEFORE_WINDOW',
          '2.5.2',
          false,
          `An assessment deferral is for during or after the window, which opens on ${formatLongDate(opensOn)}. Before then, ask for a deferral by the ${formatThreshold(register.parameters.engagementThresholdBp)} deadline instead.`,
          evidence,
        )
      : reason(
          'ASSESSMENT.DURING_OR_AFTER_WINDOW',
          '2.5.2',
          true,
          'You asked during or after the assessment window.',
          evidence,
        ),
  );
  reasons.push(
    engagementReason(input.engagementAtDeadline, input.window.engagementDeadline, register),
  );
  reasons.push(
    input.enteredWindow
      ? reason(
          'ASSESSMENT.ENTERED_WINDOW',
          '2.5.2',
          true,
          'You were entered into this assessment window.',
          {
            windowId: input.window.id,
          },
        )
      : reason(
          'ASSESSMENT.NOT_ENTERED_WINDOW',
          '2.5.2',
          false,
          'An assessment deferral is only for participants entered into the assessment window.',
          { windowId: input.window.id },
        ),
  );

  const c = input.circumstance;
  const needsDescription = c?.kind === 'other_significant_unforeseen';
  const described = (c?.description ?? '').trim() !== '';
  reasons.push(
    c === undefined
      ? reason(
          'ASSESSMENT.NO_EXTENUATING_CIRCUMSTANCE',
          '2.5.3',
          false,
          'An assessment deferral needs extenuating circumstances that affect your ability to submit: tell us what has happened.',
          {},
        )
      : needsDescription && !described
        ? reason(
            'ASSESSMENT.CIRCUMSTANCE_NOT_DESCRIBED',
            '2.5.3',
            false,
            'Please describe the significant, unforeseen change that has affected your ability to submit.',
            { circumstance: c.kind },
          )
        : reason(
            'ASSESSMENT.EXTENUATING_CIRCUMSTANCE',
            '2.5.3',
            true,
            'Your circumstances are of a kind that can be viewed as extenuating.',
            { circumstance: c.kind, description: c.description ?? null },
          ),
  );

  const next = input.nextWindow;
  const nextOk = next !== undefined && isBefore(closesOn, next.opensOn);
  reasons.push(
    nextOk
      ? reason(
          'ASSESSMENT.NEXT_WINDOW',
          '2.5.2',
          true,
          `If approved, you keep your attempt and are entered into the next assessment window, opening ${formatLongDate(next.opensOn)}.`,
          {
            nextWindowId: next.id,
            nextWindowOpensOn: next.opensOn,
            attemptsRemaining: input.attemptsRemaining,
          },
        )
      : reason(
          'ASSESSMENT.NO_NEXT_WINDOW',
          '2.5.2',
          false,
          'There is no later assessment window for your programme to move you into; your Delivery Partner will talk to you about your options.',
          {},
        ),
  );

  const blocked = reasons.some((r) => !r.met);
  let outcome: 'allowed' | 'refused' | 'needs_review' = blocked ? 'refused' : 'allowed';
  if (!blocked && input.evidence === 'requested') {
    outcome = 'needs_review';
    reasons.push(
      reason(
        'ASSESSMENT.EVIDENCE_REQUESTED',
        '2.5.2',
        false,
        'We have asked for supporting evidence; your request will be decided when it arrives, and your attempt is protected meanwhile.',
        { evidence: input.evidence },
      ),
    );
  }
  return decision(register.version, outcome, reasons, {
    attemptKept: outcome !== 'refused',
    attemptsRemaining: input.attemptsRemaining,
    nextWindowId: nextOk ? next.id : null,
    nextWindowOpensOn: nextOk ? next.opensOn : null,
  });
}

/** A participant's attempts: how many are left and whether a request is protecting one. */
export interface AttemptState {
  readonly attemptsRemaining: number;
  /** Circumstances notified and not yet decided (2.5.2, 2.5.4). */
  readonly pendingRequest: boolean;
}

export type AttemptEvent =
  /** Circumstances notified, during or after the window, before or after it closes. */
  | { readonly type: 'circumstances_notified' }
  | { readonly type: 'window_closed'; readonly submitted: boolean }
  | { readonly type: 'request_decided'; readonly approved: boolean };

export function initialAttemptState(register: PolicyRegister = POLICY_REGISTER): AttemptState {
  return { attemptsRemaining: register.parameters.assessmentAttempts, pendingRequest: false };
}

/**
 * How attempts move. A submission uses an attempt when the window closes. A non-submission loses one
 * only if nothing was notified (2.5.4); a pending request holds the attempt until it is decided, and a
 * refusal then counts the non-submission; an approval keeps it (2.5.2).
 */
export function applyAttemptEvent(
  state: AttemptState,
  event: AttemptEvent,
  register: PolicyRegister = POLICY_REGISTER,
): Decision<'met' | 'not_met', AttemptState> {
  checkAttempts(state.attemptsRemaining, register);
  const before = state.attemptsRemaining;
  const evidence = {
    attemptsBefore: before,
    pendingRequest: state.pendingRequest,
    event: event.type,
  };
  const v = register.version;
  switch (event.type) {
    case 'circumstances_notified':
      return decision(
        v,
        'met',
        [
          reason(
            'ASSESSMENT.ATTEMPT_PROTECTED',
            '2.5.4',
            true,
            'You have told us about extenuating circumstances, so you will not lose an attempt while your request is considered.',
            evidence,
          ),
        ],
        { attemptsRemaining: before, pendingRequest: true },
      );
    case 'window_closed':
      if (event.submitted) {
        if (before === 0) throw new RangeError('A submission needs an attempt left');
        return decision(
          v,
          'met',
          [
            reason(
              'ASSESSMENT.ATTEMPT_USED',
              '2.5.1',
              true,
              `Your submission used one of your ${register.parameters.assessmentAttempts} attempts.`,
              evidence,
            ),
          ],
          { attemptsRemaining: before - 1, pendingRequest: false },
        );
      }
      if (state.pendingRequest) {
        return decision(
          v,
          'met',
          [
            reason(
              'ASSESSMENT.ATTEMPT_PROTECTED',
              '2.5.4',
              true,
              'You did not submit, but you told us about extenuating circumstances; your attempt is protected until your request is decided.',
              evidence,
            ),
          ],
          { attemptsRemaining: before, pendingRequest: true },
        );
      }
      return decision(
        v,
        'not_met',
        [
          reason(
            'ASSESSMENT.ATTEMPT_LOST',
            '2.5.4',
            false,
            'You did not submit your assessment and did not tell us about any extenuating circumstances, so you have lost one of your assessment attempts.',
            evidence,
          ),
        ],
        { attemptsRemaining: Math.max(0, before - 1), pendingRequest: false },
      );
    case 'request_decided':
      if (!state.pendingRequest) {
        throw new RangeError('No pending request to decide');
      }
      return event.approved
        ? decision(
            v,
            'met',
            [
              reason(
                'ASSESSMENT.DEFERRAL_APPROVED',
                '2.5.2',
                true,
                'Your assessment deferral was approved: you keep your attempt and will be entered into the next assessment window.',
                evidence,
              ),
            ],
            { attemptsRemaining: before, pendingRequest: false },
          )
        : decision(
            v,
            'not_met',
            [
              reason(
                'ASSESSMENT.DEFERRAL_NOT_APPROVED',
                '2.5.2',
                false,
                'Your request was not approved, so your non-submission counts and you have lost one of your assessment attempts.',
                evidence,
              ),
            ],
            { attemptsRemaining: Math.max(0, before - 1), pendingRequest: false },
          );
  }
}

export const ASSESSMENT_RULES: readonly RuleMetadata[] = [
  {
    rule: 'evaluateAssessmentEligibility',
    file: 'src/policy/assessment.ts',
    clauses: ['2.1.1', '2.5.1'],
    summary:
      'Eligible to sit: engagement at the threshold in force (90% in v2.2) by the pre-communicated deadline and an attempt left.',
  },
  {
    rule: 'evaluateAssessmentSubmission',
    file: 'src/policy/assessment.ts',
    clauses: ['2.2.1', '2.2.1.5'],
    summary: 'A submission is accepted on any day of the 8-day window (length from the register).',
  },
  {
    rule: 'evaluatePreWindowDeferral',
    file: 'src/policy/assessment.ts',
    clauses: ['2.5.1'],
    summary:
      'A deferral before the window must be requested by the engagement deadline; it follows the deferral process and keeps both attempts.',
  },
  {
    rule: 'evaluateAssessmentDeferral',
    file: 'src/policy/assessment.ts',
    clauses: ['2.1.1', '2.5.2', '2.5.3'],
    summary:
      'An assessment deferral during or after the window needs the engagement threshold met, the window entered and extenuating circumstances; evidence may be requested; the attempt is kept and the next window entered.',
  },
  {
    rule: 'applyAttemptEvent',
    file: 'src/policy/assessment.ts',
    clauses: ['2.5.1', '2.5.2', '2.5.4'],
    summary:
      'Attempts fall only at window close (a submission, or a non-submission with nothing notified) or when a pending request is refused; a pending request protects the attempt.',
  },
];
