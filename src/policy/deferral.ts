/**
 * Deferral (policy 2.3.1-2.3.10, serving the purpose in 1.1.1 and 1.1.2). We expect participants to finish with
 * the cohort they started with; a deferral is for extenuating circumstances, once, for participants
 * who have formally commenced, and only when a suitable later cohort exists. The participant then
 * restarts with that cohort at the point they last engaged, rather than from the beginning.
 */
import type {
  CourseIdentifier,
  DfeDeferralReason,
  EnrolmentStatus,
  Role,
} from '../domain/catalogue.js';
import { decision, reason } from './decision.js';
import type { Decision, Reason, RuleMetadata } from './decision.js';
import { addDays, formatLongDate, isBefore, isOnOrBefore } from './dates.js';
import type { IsoDate } from './dates.js';
import { countedActivities, inProgrammeOrder } from './engagement.js';
import type { RequiredActivity } from './engagement.js';
import { contactFor, describeContact } from './contacts.js';
import type { CohortDelivery, Contact } from './contacts.js';
import { POLICY_REGISTER } from './register.js';
import type { PolicyRegister } from './register.js';

/**
 * Extenuating circumstances (2.3.4). The policy's list is "not limited to", so 'other' is always
 * available with a description. Each maps to the reason the DfE records for a deferral.
 */
export const EXTENUATING_CIRCUMSTANCES = [
  'illness_or_health',
  'maternity_leave',
  'paternity_leave',
  'shared_parental_leave',
  'adoption_leave',
  'parental_leave',
  'bereavement',
  'change_in_personal_circumstances',
  'career_break',
  'other',
] as const;
export type ExtenuatingCircumstanceKind = (typeof EXTENUATING_CIRCUMSTANCES)[number];

export const CIRCUMSTANCE_DFE_REASON: Readonly<
  Record<ExtenuatingCircumstanceKind, DfeDeferralReason>
> = {
  illness_or_health: 'long-term-sickness',
  maternity_leave: 'parental-leave',
  paternity_leave: 'parental-leave',
  shared_parental_leave: 'parental-leave',
  adoption_leave: 'parental-leave',
  parental_leave: 'parental-leave',
  bereavement: 'bereavement',
  change_in_personal_circumstances: 'other',
  career_break: 'career-break',
  other: 'other',
};

export interface ExtenuatingCircumstance {
  readonly kind: ExtenuatingCircumstanceKind;
  /** Required for 'other'; useful for any. */
  readonly description?: string;
}

/** A further deferral, recorded and approved by the programme team (2.3.9). */
/** 2.3.9: the only roles whose recorded exception the policy accepts for a further deferral. */
export const DEFERRAL_EXCEPTION_ROLES: readonly Role[] = ['programme_team'];

export interface DeferralException {
  readonly approvedBy: string;
  readonly approvedByRole: Role;
  readonly approvedOn: IsoDate;
  readonly rationale: string;
}

export interface Cohort {
  readonly id: string;
  readonly course: CourseIdentifier;
  readonly startsOn: IsoDate;
  readonly endsOn: IsoDate;
  /** The last cohort we will run of this programme (2.3.10). */
  readonly isFinal?: boolean;
  readonly delivery: CohortDelivery;
  /** When this cohort does each required activity, keyed by activity id. */
  readonly schedule: Readonly<Record<string, IsoDate>>;
  readonly assessmentWindowOpensOn?: IsoDate;
}

export type DeferralOptionKind = 'defer' | 'continue_with_current_cohort' | 'withdraw';

export interface DeferralOption {
  readonly option: DeferralOptionKind;
  readonly description: string;
}

export interface DeferralInput {
  /** The day the deferral is being agreed (formalised). */
  readonly requestedOn: IsoDate;
  readonly enrolmentStatus: EnrolmentStatus;
  readonly dfeRegistered: boolean;
  readonly employmentConfirmed: boolean;
  /** Deferrals the participant has already had on this programme. */
  readonly previousDeferrals: number;
  readonly circumstance?: ExtenuatingCircumstance;
  readonly exception?: DeferralException;
  readonly activities: readonly RequiredActivity[];
  readonly completedActivityIds: Iterable<string>;
  readonly currentCohort: Cohort;
  /** Cohorts we plan to run; other programmes' cohorts are ignored. */
  readonly futureCohorts: readonly Cohort[];
  /** The day our contract to deliver NPQs ends, if known (2.3.10). */
  readonly contractEndsOn?: IsoDate;
}

export interface RejoinPlan {
  readonly targetCohortId: string;
  /** The first required activity not completed, in programme order; null if all are done. */
  readonly rejoinActivityId: string | null;
  /** The day the target cohort reaches the re-join point: the provisional restart date. */
  readonly rejoinOn: IsoDate;
  /** Where the participant would re-join if they had missed nothing before the deferral was agreed. */
  readonly returnWithoutCatchUpOn: IsoDate | null;
  /** Activities missed before the deferral was agreed, covered by returning sooner (2.3.5). */
  readonly catchUpActivityIds: readonly string[];
  readonly returnSooner: boolean;
  /** When we contact the participant to confirm they intend to return (2.3.7). */
  readonly intentContactDueOn: IsoDate;
}

export interface DeferralDetails {
  readonly dfeReason: DfeDeferralReason | null;
  readonly contact: Contact;
  readonly previousDeferrals: number;
  readonly exceptionUsed: boolean;
  readonly plan: RejoinPlan | null;
  readonly options: readonly DeferralOption[];
}

export type DeferralDecision = Decision<'allowed' | 'refused' | 'needs_exception', DeferralDetails>;

const EVENT_KINDS = new Set(['clinic', 'community_session', 'conference', 'coaching']);

/** 2.3.6: the point they last engaged, i.e. the first required activity they have not completed. */
export function firstUncompletedActivity(
  activities: readonly RequiredActivity[],
  completedActivityIds: Iterable<string>,
): RequiredActivity | null {
  const completed = new Set(completedActivityIds);
  return inProgrammeOrder(activities).find((a) => !completed.has(a.id)) ?? null;
}

export interface RejoinPlanInput {
  readonly course: CourseIdentifier;
  readonly activities: readonly RequiredActivity[];
  readonly completedActivityIds: Iterable<string>;
  readonly currentCohort: Cohort;
  readonly targetCohort: Cohort;
  readonly formalisedOn: IsoDate;
}

/**
 * 2.3.5-2.3.7: re-join the target cohort when it reaches the first activity not completed. Content
 * missed before the deferral was agreed is why the return may be sooner than where the cohort was.
 * Returns null when the target cohort never reaches the re-join point.
 */
export function planRejoin(
  input: RejoinPlanInput,
  register: PolicyRegister = POLICY_REGISTER,
): RejoinPlan | null {
  const completed = new Set(input.completedActivityIds);
  const ordered = inProgrammeOrder(
    countedActivities(input.course, input.activities, register).counted,
  );
  const point = firstUncompletedActivity(ordered, completed);
  const rejoinOn =
    point === null
      ? input.targetCohort.assessmentWindowOpensOn
      : input.targetCohort.schedule[point.id];
  if (rejoinOn === undefined) return null;

  const currentDate = (a: RequiredActivity): IsoDate | undefined =>
    input.currentCohort.schedule[a.id] ?? a.scheduledOn;
  const catchUp = ordered.filter((a) => {
    const on = currentDate(a);
    return !completed.has(a.id) && on !== undefined && isBefore(on, input.formalisedOn);
  });
  const whereCohortWas = ordered.find((a) => {
    const on = currentDate(a);
    return on !== undefined && isOnOrBefore(input.formalisedOn, on);
  });
  const returnWithoutCatchUpOn =
    whereCohortWas === undefined
      ? (input.targetCohort.assessmentWindowOpensOn ?? null)
      : (input.targetCohort.schedule[whereCohortWas.id] ?? null);

  return {
    targetCohortId: input.targetCohort.id,
    rejoinActivityId: point?.id ?? null,
    rejoinOn,
    returnWithoutCatchUpOn,
    catchUpActivityIds: catchUp.map((a) => a.id),
    returnSooner:
      catchUp.length > 0 &&
      returnWithoutCatchUpOn !== null &&
      isBefore(rejoinOn, returnWithoutCatchUpOn),
    intentContactDueOn: intentContactDueOn(rejoinOn, register),
  };
}

/** 2.3.7: the day we ask the participant to confirm they intend to return (a lead-provider setting). */
export function intentContactDueOn(
  restartOn: IsoDate,
  register: PolicyRegister = POLICY_REGISTER,
): IsoDate {
  return addDays(restartOn, -register.parameters.intentContactLeadDays);
}

const OPTION_TEXT: Readonly<Record<DeferralOptionKind, string>> = {
  defer: 'Defer and re-join a later cohort at the point you last engaged.',
  continue_with_current_cohort:
    'Continue with your current cohort, with support and reasonable adjustments agreed with you.',
  withdraw: 'Withdraw from the programme; the NPQ Withdrawal policy applies.',
};

function options(kinds: readonly DeferralOptionKind[], register: PolicyRegister): DeferralOption[] {
  return kinds.map((option) => ({
    option,
    description: OPTION_TEXT[option].replace(
      'NPQ Withdrawal policy',
      register.withdrawalPolicyName,
    ),
  }));
}

function activityName(a: RequiredActivity | undefined, id: string | null): string {
  if (id === null) return 'the assessment';
  return a?.title ?? id;
}

export function evaluateDeferral(
  input: DeferralInput,
  register: PolicyRegister = POLICY_REGISTER,
): DeferralDecision {
  const p = register.parameters;
  const course = input.currentCohort.course;
  const completed = new Set(input.completedActivityIds);
  const { counted } = countedActivities(course, input.activities, register);
  const contact = contactFor(input.currentCohort.delivery, register);
  const hard: Reason[] = [];
  const info: Reason[] = [];

  // 2.3.1 and 2.3.4: extenuating circumstances only; 'other' must be described.
  const c = input.circumstance;
  const dfeReason = c === undefined ? null : CIRCUMSTANCE_DFE_REASON[c.kind];
  if (c === undefined) {
    hard.push(
      reason(
        'DEFERRAL.NO_EXTENUATING_CIRCUMSTANCE',
        '2.3.1',
        false,
        'We expect you to complete your programme, including the assessment, with the cohort you started with. A deferral is only offered in extenuating circumstances, so please tell us what has happened.',
        {},
      ),
    );
  } else if (c.kind === 'other' && (c.description ?? '').trim() === '') {
    hard.push(
      reason(
        'DEFERRAL.CIRCUMSTANCE_NOT_DESCRIBED',
        '2.3.4',
        false,
        'Please describe the circumstances that mean you cannot continue with your cohort.',
        { circumstance: c.kind },
      ),
    );
  } else {
    info.push(
      reason(
        'DEFERRAL.EXTENUATING_CIRCUMSTANCE',
        '2.3.4',
        true,
        'Your circumstances are ones where a deferral can be discussed.',
        { circumstance: c.kind, dfeReason, description: c.description ?? null },
      ),
      reason(
        'DEFERRAL.SUPPORT_TO_COMPLETE',
        '2.3.1',
        true,
        'Because of your circumstances, we want to support you to complete your programme, which may include a deferral.',
        { circumstance: c.kind },
      ),
    );
  }
  info.push(
    reason(
      'DEFERRAL.CONTACT',
      '2.3.4',
      true,
      `To discuss a deferral, contact ${describeContact(contact)}. We will also talk through the options that would let you continue with your current cohort.`,
      { contactKind: contact.kind, contactName: contact.name },
    ),
  );

  // 2.3.2: accepted and formally commenced.
  const status = input.enrolmentStatus;
  const evidence = { enrolmentStatus: status, requestedOn: input.requestedOn };
  if (status === 'applied' || status === 'accepted') {
    hard.push(
      reason(
        'DEFERRAL.NOT_COMMENCED',
        '2.3.2',
        false,
        'You can only defer once you have been accepted and have formally started your programme.',
        evidence,
      ),
    );
  } else if (status === 'deferred') {
    hard.push(
      reason(
        'DEFERRAL.ALREADY_DEFERRED',
        '2.3.3',
        false,
        'Your place is already deferred.',
        evidence,
      ),
    );
  } else if (status !== 'active') {
    hard.push(
      reason(
        'DEFERRAL.NOT_ACTIVE',
        '2.3.2',
        false,
        'You can only defer while you are active on the programme.',
        evidence,
      ),
    );
  }
  hard.push(
    input.dfeRegistered
      ? reason(
          'DEFERRAL.DFE_REGISTERED',
          '2.3.2',
          true,
          'You have registered with the Department for Education.',
          {},
        )
      : reason(
          'DEFERRAL.NOT_DFE_REGISTERED',
          '2.3.2',
          false,
          'To defer, you need to have registered with the Department for Education.',
          {},
        ),
    input.employmentConfirmed
      ? reason(
          'DEFERRAL.EMPLOYMENT_CONFIRMED',
          '2.3.2',
          true,
          'You have submitted your confirmation of employment.',
          {},
        )
      : reason(
          'DEFERRAL.EMPLOYMENT_NOT_CONFIRMED',
          '2.3.2',
          false,
          'To defer, you need to have submitted your confirmation of employment.',
          {},
        ),
  );
  const modulesEngaged = new Set(
    counted
      .filter((a) => a.kind === 'study_session' && completed.has(a.id))
      .map((a) => a.moduleId ?? a.id),
  ).size;
  const eventsAttended = counted.filter(
    (a) => EVENT_KINDS.has(a.kind) && completed.has(a.id),
  ).length;
  hard.push(
    modulesEngaged > 0 || eventsAttended > 0
      ? reason(
          'DEFERRAL.ENGAGED',
          '2.3.2',
          true,
          'You have engaged with at least one module or attended an event.',
          { modulesEngaged, eventsAttended },
        )
      : reason(
          'DEFERRAL.NO_ENGAGEMENT_YET',
          '2.3.2',
          false,
          'To defer, you need to have engaged with at least one module or attended one event.',
          { modulesEngaged, eventsAttended },
        ),
  );

  // 2.3.3 and 2.3.9: once only; a further deferral only as a recorded programme-team exception.
  const exceptionReasons: Reason[] = [];
  let exceptionUsed = false;
  if (!Number.isSafeInteger(input.previousDeferrals) || input.previousDeferrals < 0) {
    throw new RangeError(
      `previousDeferrals must be a whole number; got ${input.previousDeferrals}`,
    );
  }
  if (input.previousDeferrals < p.deferralsAllowed) {
    info.push(
      reason(
        'DEFERRAL.FIRST_DEFERRAL',
        '2.3.3',
        true,
        `You may defer ${p.deferralsAllowed === 1 ? 'once' : `${p.deferralsAllowed} times`}; you have not used this yet.`,
        { previousDeferrals: input.previousDeferrals, deferralsAllowed: p.deferralsAllowed },
      ),
    );
  } else {
    const ex = input.exception;
    const valid =
      ex !== undefined &&
      DEFERRAL_EXCEPTION_ROLES.includes(ex.approvedByRole) &&
      ex.rationale.trim() !== '';
    const exEvidence = {
      previousDeferrals: input.previousDeferrals,
      deferralsAllowed: p.deferralsAllowed,
      approvedBy: ex?.approvedBy ?? null,
      approvedByRole: ex?.approvedByRole ?? null,
      approvedOn: ex?.approvedOn ?? null,
    };
    if (valid) {
      exceptionUsed = true;
      info.push(
        reason(
          'DEFERRAL.EXCEPTION_APPROVED',
          '2.3.9',
          true,
          'You have already deferred once. Because of your extenuating circumstances, the programme team has approved a further deferral as an exception.',
          { ...exEvidence, rationale: ex.rationale },
        ),
      );
    } else {
      exceptionReasons.push(
        reason(
          'DEFERRAL.ALREADY_DEFERRED_ONCE',
          '2.3.3',
          false,
          'You can only defer once, and you have already deferred.',
          exEvidence,
        ),
        reason(
          ex === undefined
            ? 'DEFERRAL.EXCEPTION_REQUIRED'
            : 'DEFERRAL.EXCEPTION_NOT_BY_PROGRAMME_TEAM',
          '2.3.9',
          false,
          ex === undefined
            ? 'A further deferral is only considered in extenuating circumstances, as an exception approved by the programme team.'
            : 'A further deferral must be approved, with a recorded rationale, by the programme team.',
          exEvidence,
        ),
      );
    }
  }

  // 2.3.3 and 2.3.10: a suitable future cohort must exist.
  let plan: RejoinPlan | null = null;
  const cohort = input.currentCohort;
  if (cohort.isFinal) {
    hard.push(
      reason(
        'DEFERRAL.FINAL_COHORT',
        '2.3.10',
        false,
        'Deferral is not available because this is the final cohort of your programme. We will talk you through the options open to you.',
        { cohortId: cohort.id },
      ),
    );
  } else {
    const candidates = input.futureCohorts
      .filter(
        (f) => f.course === course && f.id !== cohort.id && isBefore(cohort.startsOn, f.startsOn),
      )
      .sort((a, b) =>
        a.startsOn < b.startsOn
          ? -1
          : // Stryker disable next-line ConditionalExpression,EqualityOperator: V8's sort only asks whether compare(a, b) < 0, so 1 and 0 here order alike (checked on 2,000 random arrays with ties)
            a.startsOn > b.startsOn
            ? 1
            : 0,
      );
    let blockedByContract: string | null = null;
    for (const target of candidates) {
      const candidate = planRejoin(
        {
          course,
          activities: input.activities,
          completedActivityIds: completed,
          currentCohort: cohort,
          targetCohort: target,
          formalisedOn: input.requestedOn,
        },
        register,
      );
      if (candidate === null || !isBefore(input.requestedOn, candidate.rejoinOn)) continue;
      if (input.contractEndsOn !== undefined && isBefore(input.contractEndsOn, target.endsOn)) {
        blockedByContract ??= target.id;
        continue;
      }
      plan = candidate;
      break;
    }
    if (plan === null) {
      hard.push(
        blockedByContract !== null
          ? reason(
              'DEFERRAL.CONTRACT_ENDS_FIRST',
              '2.3.10',
              false,
              'Deferral is not available because our contract to deliver this programme ends before a later cohort would finish. We will talk you through the options open to you.',
              { contractEndsOn: input.contractEndsOn ?? null, cohortId: blockedByContract },
            )
          : reason(
              'DEFERRAL.NO_SUITABLE_COHORT',
              '2.3.3',
              false,
              'Deferral depends on a suitable future cohort, and there is none for your programme. We will talk you through the options open to you.',
              { course, cohortsConsidered: candidates.map((f) => f.id) },
            ),
      );
    } else {
      const target = candidates.find((f) => f.id === plan?.targetCohortId);
      const point = counted.find((a) => a.id === plan?.rejoinActivityId);
      const pointName = activityName(point, plan.rejoinActivityId);
      info.push(
        reason(
          'DEFERRAL.SUITABLE_COHORT',
          '2.3.3',
          true,
          `There is a suitable later cohort for your programme, starting ${formatLongDate(target?.startsOn ?? plan.rejoinOn)}.`,
          { targetCohortId: plan.targetCohortId },
        ),
        reason(
          'DEFERRAL.REJOIN_DATE',
          '2.3.5',
          true,
          `With one cohort a year, the next available cohort is usually about ${p.expectedCohortIntervalMonths} months later. Your provisional re-joining date is ${formatLongDate(plan.rejoinOn)}, to be agreed with ${describeContact(contact)}.`,
          { rejoinOn: plan.rejoinOn, targetCohortId: plan.targetCohortId },
        ),
        reason(
          'DEFERRAL.REJOIN_POINT',
          '2.3.6',
          true,
          `You will restart with your new cohort at ${pointName}, where you last engaged, not from the beginning. Everything you have done stays available to revisit.`,
          { rejoinActivityId: plan.rejoinActivityId, completedCount: completed.size },
        ),
      );
      if (plan.returnSooner) {
        info.push(
          reason(
            'DEFERRAL.RETURN_SOONER_TO_CATCH_UP',
            '2.3.5',
            true,
            `You missed ${plan.catchUpActivityIds.length} activities before your deferral was agreed, so you return on ${formatLongDate(plan.rejoinOn)} rather than ${formatLongDate(plan.returnWithoutCatchUpOn ?? plan.rejoinOn)} to cover them with your new cohort.`,
            {
              catchUpActivityIds: plan.catchUpActivityIds,
              returnWithoutCatchUpOn: plan.returnWithoutCatchUpOn,
            },
          ),
        );
      }
      info.push(
        reason(
          'DEFERRAL.INTENT_CONTACT',
          '2.3.7',
          true,
          `By ${formatLongDate(plan.intentContactDueOn)}, ${describeContact(contact)} will contact you to confirm you intend to return and to discuss any reasonable adjustments you need.`,
          { intentContactDueOn: plan.intentContactDueOn, leadDays: p.intentContactLeadDays },
        ),
        reason(
          'DEFERRAL.NOT_RETURNING_MEANS_WITHDRAWAL',
          '2.3.8',
          true,
          `If you choose not to return by ${formatLongDate(plan.rejoinOn)}, you will be withdrawn from the programme and the ${register.withdrawalPolicyName} will apply.`,
          { restartOn: plan.rejoinOn },
        ),
      );
    }
  }

  const refused = hard.some((r) => !r.met);
  const outcome = refused ? 'refused' : exceptionReasons.length > 0 ? 'needs_exception' : 'allowed';
  const optionKinds: DeferralOptionKind[] =
    outcome === 'refused'
      ? ['continue_with_current_cohort', 'withdraw']
      : ['defer', 'continue_with_current_cohort', 'withdraw'];
  if (refused && !hard.some((r) => r.code === 'DEFERRAL.NO_EXTENUATING_CIRCUMSTANCE')) {
    info.push(
      reason(
        'DEFERRAL.OPTIONS',
        '2.3.10',
        true,
        `If a deferral is not possible, you can continue with your current cohort with support, or withdraw (the ${register.withdrawalPolicyName} applies).`,
        { options: optionKinds },
      ),
    );
  }

  return decision(register.version, outcome, [...hard, ...exceptionReasons, ...info], {
    dfeReason,
    contact,
    previousDeferrals: input.previousDeferrals,
    exceptionUsed,
    plan: refused ? null : plan,
    options: options(optionKinds, register),
  });
}

export type IntentContactStatus = 'not_yet_due' | 'due' | 'overdue' | 'done' | 'too_late';

export interface IntentContactInput {
  readonly restartOn: IsoDate;
  readonly today: IsoDate;
  readonly contactedOn?: IsoDate;
}

/** 2.3.7: before the restart date we contact the participant to confirm their intent to return. */
export function evaluateIntentContact(
  input: IntentContactInput,
  register: PolicyRegister = POLICY_REGISTER,
): Decision<'met' | 'not_met', { readonly dueOn: IsoDate; readonly status: IntentContactStatus }> {
  const dueOn = intentContactDueOn(input.restartOn, register);
  const evidence = {
    restartOn: input.restartOn,
    dueOn,
    today: input.today,
    contactedOn: input.contactedOn ?? null,
  };
  let status: IntentContactStatus;
  if (input.contactedOn !== undefined) {
    status = isBefore(input.contactedOn, input.restartOn) ? 'done' : 'too_late';
  } else if (isBefore(input.today, dueOn)) {
    status = 'not_yet_due';
  } else if (input.today === dueOn) {
    status = 'due';
  } else {
    status = 'overdue';
  }
  const met = status === 'done' || status === 'not_yet_due' || status === 'due';
  const messages: Record<IntentContactStatus, string> = {
    not_yet_due: `We will contact you by ${formatLongDate(dueOn)} to confirm you intend to return on ${formatLongDate(input.restartOn)} and to discuss any reasonable adjustments.`,
    due: `We are contacting you now to confirm you intend to return on ${formatLongDate(input.restartOn)} and to discuss any reasonable adjustments.`,
    overdue: `We should have contacted you by ${formatLongDate(dueOn)} to confirm your intent to return on ${formatLongDate(input.restartOn)}.`,
    done: 'We have contacted you to confirm your intent to return and to discuss any reasonable adjustments.',
    too_late: `Contact to confirm your intent to return must happen before your restart date, ${formatLongDate(input.restartOn)}.`,
  };
  return decision(
    register.version,
    met ? 'met' : 'not_met',
    [
      reason(
        met ? 'DEFERRAL.INTENT_CONTACT' : 'DEFERRAL.INTENT_CONTACT_MISSED',
        '2.3.7',
        met,
        messages[status],
        evidence,
      ),
    ],
    { dueOn, status },
  );
}

export type IntentToReturn = 'confirmed' | 'declined' | 'no_response';

export interface ReturnFromDeferralInput {
  readonly restartOn: IsoDate;
  readonly today: IsoDate;
  readonly intent: IntentToReturn;
  /** The day the participant actually re-joined, if they have. */
  readonly returnedOn?: IsoDate;
}

export interface ReturnFromDeferralDetails {
  /** The participant-lifecycle event to apply, if any. */
  readonly lifecycleEvent: 'resume' | 'withdraw' | null;
}

/** 2.3.8: a participant who does not return by the restart date is withdrawn. */
export function evaluateReturnFromDeferral(
  input: ReturnFromDeferralInput,
  register: PolicyRegister = POLICY_REGISTER,
): Decision<'met' | 'not_met', ReturnFromDeferralDetails> {
  const evidence = {
    restartOn: input.restartOn,
    today: input.today,
    intent: input.intent,
    returnedOn: input.returnedOn ?? null,
  };
  const restart = formatLongDate(input.restartOn);
  const withdrawn = (message: string) =>
    decision(
      register.version,
      'not_met' as const,
      [
        reason(
          'DEFERRAL.NOT_RETURNING',
          '2.3.8',
          false,
          `${message} You are therefore withdrawn from the programme and the ${register.withdrawalPolicyName} applies.`,
          evidence,
        ),
      ],
      { lifecycleEvent: 'withdraw' as const },
    );
  if (input.returnedOn !== undefined && isOnOrBefore(input.returnedOn, input.restartOn)) {
    return decision(
      register.version,
      'met',
      [
        reason(
          'DEFERRAL.RETURNED',
          '2.3.8',
          true,
          'Welcome back: you have re-joined your programme.',
          evidence,
        ),
      ],
      { lifecycleEvent: 'resume' },
    );
  }
  if (input.intent === 'declined') return withdrawn('You have told us you will not return.');
  if (input.returnedOn !== undefined || isBefore(input.restartOn, input.today)) {
    return withdrawn(`You did not return by your restart date, ${restart}.`);
  }
  return decision(
    register.version,
    'met',
    [
      reason(
        'DEFERRAL.RETURN_EXPECTED',
        '2.3.8',
        true,
        `Please re-join by ${restart}. If you choose not to return, you will be withdrawn and the ${register.withdrawalPolicyName} will apply.`,
        evidence,
      ),
    ],
    { lifecycleEvent: null },
  );
}

export const DEFERRAL_RULES: readonly RuleMetadata[] = [
  {
    rule: 'evaluateDeferral',
    file: 'src/policy/deferral.ts',
    clauses: [
      '1.1.1',
      '1.1.2',
      '2.3.1',
      '2.3.2',
      '2.3.3',
      '2.3.4',
      '2.3.5',
      '2.3.6',
      '2.3.7',
      '2.3.8',
      '2.3.9',
      '2.3.10',
    ],
    summary:
      'Eligibility (commenced, registered, employment confirmed, engaged), extenuating circumstance mapped to the DfE reason, once only unless a programme-team exception, a suitable future cohort (not the final cohort, not beyond the contract), who to contact, and the re-join plan.',
  },
  {
    rule: 'planRejoin',
    file: 'src/policy/deferral.ts',
    clauses: ['2.3.5', '2.3.6', '2.3.7'],
    summary:
      'Re-join point = first required activity not completed; re-join date = when the target cohort reaches it; content missed before the deferral was agreed means returning sooner; intent contact date.',
  },
  {
    rule: 'evaluateIntentContact',
    file: 'src/policy/deferral.ts',
    clauses: ['2.3.7'],
    summary:
      'Confirmation of intent to return is sought a set number of days before the restart date.',
  },
  {
    rule: 'evaluateReturnFromDeferral',
    file: 'src/policy/deferral.ts',
    clauses: ['2.3.8'],
    summary:
      'Returning by the restart date resumes the enrolment; declining or not returning means withdrawal.',
  },
];
