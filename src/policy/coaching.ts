/**
 * Coaching (policy 2.2.1.3): part of NPQEL and EHCO only, and booked around the participant's
 * availability together with their coach's, which is what makes it workable for part-time staff.
 */
import { COURSES } from '../domain/catalogue.js';
import type { CourseIdentifier } from '../domain/catalogue.js';
import { decision, reason } from './decision.js';
import type { Decision, Reason, RuleMetadata } from './decision.js';
import { formatLongDate, isBefore } from './dates.js';
import type { IsoDate } from './dates.js';
import { POLICY_REGISTER } from './register.js';
import type { PolicyRegister } from './register.js';

function courseName(course: CourseIdentifier): string {
  return COURSES.find((c) => c.identifier === course)?.name ?? course;
}

export function isCoachingCourse(
  course: CourseIdentifier,
  register: PolicyRegister = POLICY_REGISTER,
): boolean {
  return register.parameters.coachingCourses.includes(course);
}

export interface CoachingEntitlementInput {
  readonly course: CourseIdentifier;
}

export function evaluateCoachingEntitlement(
  input: CoachingEntitlementInput,
  register: PolicyRegister = POLICY_REGISTER,
): Decision<'allowed' | 'refused', { readonly entitled: boolean }> {
  const entitled = isCoachingCourse(input.course, register);
  const evidence = {
    course: input.course,
    coachingCourses: [...register.parameters.coachingCourses],
  };
  return decision(
    register.version,
    entitled ? 'allowed' : 'refused',
    [
      entitled
        ? reason(
            'COACHING.ENTITLED',
            '2.2.1.3',
            true,
            `Coaching is part of the ${courseName(input.course)}.`,
            evidence,
          )
        : reason(
            'COACHING.NOT_PART_OF_COURSE',
            '2.2.1.3',
            false,
            `Coaching is not part of the ${courseName(input.course)}; it is offered on NPQEL and EHCO only.`,
            evidence,
          ),
    ],
    { entitled },
  );
}

export interface CoachingBookingInput {
  readonly course: CourseIdentifier;
  readonly proposedOn: IsoDate;
  readonly today: IsoDate;
  /** Days the participant has said they can do. */
  readonly participantAvailableOn: readonly IsoDate[];
  readonly coachAvailableOn: readonly IsoDate[];
}

export interface CoachingBookingDetails {
  /** Days both the participant and the coach are free, from today, earliest first. */
  readonly sharedAvailability: readonly IsoDate[];
}

/** A coaching session is booked on a day both the participant and their coach are available. */
export function evaluateCoachingBooking(
  input: CoachingBookingInput,
  register: PolicyRegister = POLICY_REGISTER,
): Decision<'allowed' | 'refused', CoachingBookingDetails> {
  const entitlement = evaluateCoachingEntitlement({ course: input.course }, register);
  const coach = new Set(input.coachAvailableOn);
  const shared = [...new Set(input.participantAvailableOn)]
    .filter((d) => coach.has(d) && !isBefore(d, input.today))
    .sort();
  const evidence = { proposedOn: input.proposedOn, today: input.today };
  const reasons: Reason[] = [...entitlement.reasons];
  if (isBefore(input.proposedOn, input.today)) {
    reasons.push(
      reason(
        'COACHING.DATE_PASSED',
        '2.2.1.3',
        false,
        `${formatLongDate(input.proposedOn)} has passed; please choose a later date.`,
        evidence,
      ),
    );
  } else if (!input.participantAvailableOn.includes(input.proposedOn)) {
    reasons.push(
      reason(
        'COACHING.PARTICIPANT_UNAVAILABLE',
        '2.2.1.3',
        false,
        `Coaching is scheduled around your availability, and you have not said you are free on ${formatLongDate(input.proposedOn)}.`,
        evidence,
      ),
    );
  } else if (!coach.has(input.proposedOn)) {
    reasons.push(
      reason(
        'COACHING.COACH_UNAVAILABLE',
        '2.2.1.3',
        false,
        `Your coach is not available on ${formatLongDate(input.proposedOn)}; choose one of the days you are both free.`,
        { ...evidence, sharedAvailability: shared },
      ),
    );
  } else {
    reasons.push(
      reason(
        'COACHING.BOTH_AVAILABLE',
        '2.2.1.3',
        true,
        `You and your coach are both available on ${formatLongDate(input.proposedOn)}.`,
        evidence,
      ),
    );
  }
  const ok = reasons.every((r) => r.met);
  return decision(register.version, ok ? 'allowed' : 'refused', reasons, {
    sharedAvailability: entitlement.outcome === 'allowed' ? shared : [],
  });
}

export const COACHING_RULES: readonly RuleMetadata[] = [
  {
    rule: 'evaluateCoachingEntitlement',
    file: 'src/policy/coaching.ts',
    clauses: ['2.2.1.3'],
    summary: 'Coaching is part of NPQEL and EHCO only (the list lives in the register).',
  },
  {
    rule: 'evaluateCoachingBooking',
    file: 'src/policy/coaching.ts',
    clauses: ['2.2.1.3'],
    summary:
      'A coaching session is booked on a day both the participant and their coach are available.',
  },
];
