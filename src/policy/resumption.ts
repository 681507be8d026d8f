/**
 * Re-joining after a deferral (2.3.5, 2.3.6): when a participant may resume, and which re-join
 * dates staff may agree instead of the plan's provisional one.
 */
import { decision, reason } from './decision.js';
import type { Decision, RuleMetadata } from './decision.js';
import { formatLongDate, isBefore } from './dates.js';
import type { IsoDate } from './dates.js';
import { POLICY_REGISTER } from './register.js';
import type { PolicyRegister } from './register.js';

export interface ResumeTimingInput {
  /** The agreed re-join date. */
  readonly rejoinOn: IsoDate;
  readonly today: IsoDate;
  /** Recorded by staff when the participant returns sooner to cover missed content (2.3.5). */
  readonly earlyReturnReason?: string | undefined;
}

export interface ResumeTimingDetails {
  readonly early: boolean;
}

/**
 * 2.3.5-2.3.6: a participant resumes on or after the agreed re-join date. Earlier only when staff
 * record that they return sooner to cover content they missed before the deferral was formalised.
 */
export function evaluateResumeTiming(
  input: ResumeTimingInput,
  register: PolicyRegister = POLICY_REGISTER,
): Decision<'allowed' | 'refused', ResumeTimingDetails> {
  const evidence = {
    rejoinOn: input.rejoinOn,
    today: input.today,
    earlyReturnReason: input.earlyReturnReason?.trim() || null,
  };
  if (!isBefore(input.today, input.rejoinOn)) {
    return decision(
      register.version,
      'allowed',
      [
        reason(
          'DEFERRAL.REJOIN_DATE_REACHED',
          '2.3.6',
          true,
          `Your agreed re-join date, ${formatLongDate(input.rejoinOn)}, has come: you restart with your new cohort at the point you last engaged.`,
          evidence,
        ),
      ],
      { early: false },
    );
  }
  const why = input.earlyReturnReason?.trim() ?? '';
  if (why !== '') {
    return decision(
      register.version,
      'allowed',
      [
        reason(
          'DEFERRAL.EARLY_RETURN_TO_COVER_CONTENT',
          '2.3.5',
          true,
          `You are returning before your agreed re-join date, ${formatLongDate(input.rejoinOn)}, to cover content you missed before your deferral was agreed: ${why}`,
          evidence,
        ),
      ],
      { early: true },
    );
  }
  return decision(
    register.version,
    'refused',
    [
      reason(
        'DEFERRAL.BEFORE_REJOIN_DATE',
        '2.3.5',
        false,
        `Your agreed re-join date is ${formatLongDate(input.rejoinOn)}. You can return sooner only to cover content you missed before your deferral was agreed, and staff must record that.`,
        evidence,
      ),
    ],
    { early: false },
  );
}

export interface AgreedRejoinDateInput {
  /** The date staff propose to agree. */
  readonly rejoinOn: IsoDate;
  /** The re-join plan's provisional date. */
  readonly provisionalOn: IsoDate;
  /** The new cohort's timeline: from its start to its engagement deadline. */
  readonly cohortStartsOn: IsoDate;
  readonly cohortDeadline: IsoDate;
  readonly cohortName: string;
  readonly reason: string;
}

/**
 * 2.3.5: the re-join date is discussed and provisionally agreed. Staff may agree another date, with
 * a reason, as long as it falls within the new cohort's timeline (its start to its engagement deadline).
 */
export function evaluateAgreedRejoinDate(
  input: AgreedRejoinDateInput,
  register: PolicyRegister = POLICY_REGISTER,
): Decision<'allowed' | 'refused', { changed: boolean }> {
  const evidence = {
    rejoinOn: input.rejoinOn,
    provisionalOn: input.provisionalOn,
    cohortStartsOn: input.cohortStartsOn,
    cohortDeadline: input.cohortDeadline,
  };
  const within =
    !isBefore(input.rejoinOn, input.cohortStartsOn) &&
    !isBefore(input.cohortDeadline, input.rejoinOn);
  if (!within) {
    return decision(
      register.version,
      'refused',
      [
        reason(
          'DEFERRAL.REJOIN_DATE_OUTSIDE_COHORT',
          '2.3.5',
          false,
          `The re-join date must fall within ${input.cohortName}'s timeline, from ${formatLongDate(input.cohortStartsOn)} to its engagement deadline, ${formatLongDate(input.cohortDeadline)}.`,
          evidence,
        ),
      ],
      { changed: false },
    );
  }
  const changed = input.rejoinOn !== input.provisionalOn;
  if (changed && input.reason.trim() === '') {
    return decision(
      register.version,
      'refused',
      [
        reason(
          'DEFERRAL.REJOIN_DATE_REASON_REQUIRED',
          '2.3.5',
          false,
          `Record why the re-join date differs from the provisional one, ${formatLongDate(input.provisionalOn)}.`,
          evidence,
        ),
      ],
      { changed },
    );
  }
  return decision(
    register.version,
    'allowed',
    [
      reason(
        'DEFERRAL.REJOIN_DATE_AGREED',
        '2.3.5',
        true,
        changed
          ? `Your re-join date is agreed as ${formatLongDate(input.rejoinOn)} (the provisional date was ${formatLongDate(input.provisionalOn)}): ${input.reason.trim()}`
          : `Your re-join date is agreed as ${formatLongDate(input.rejoinOn)}.`,
        evidence,
      ),
    ],
    { changed },
  );
}

export const RESUMPTION_RULES: readonly RuleMetadata[] = [
  {
    rule: 'evaluateResumeTiming',
    file: 'src/policy/resumption.ts',
    clauses: ['2.3.5', '2.3.6'],
    summary:
      'A participant resumes on or after the agreed re-join date; earlier only when staff record a return sooner to cover missed content.',
  },
  {
    rule: 'evaluateAgreedRejoinDate',
    file: 'src/policy/resumption.ts',
    clauses: ['2.3.5'],
    summary:
      "Staff may agree a re-join date other than the provisional one, with a reason, within the new cohort's timeline (its start to its engagement deadline).",
  },
];
