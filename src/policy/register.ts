/**
 * The policy register: which version of the policy is in force, who owns it, the clause texts, and
 * every number the policy, the DfE or the lead provider may change. Rules read their numbers from
 * here, never from code, so a new version of the policy is a new register entry, and every decision
 * records the version it was made under (policy 3.1.1).
 */
import { COACHING_COURSES } from '../domain/catalogue.js';
import type { CourseIdentifier } from '../domain/catalogue.js';
import { CLAUSES_V2_2, CLAUSE_NUMBERS } from './clauses.js';
import type { Clause, ClauseNumber } from './clauses.js';
import { decision, reason } from './decision.js';
import type { Decision, RuleMetadata } from './decision.js';
import { daysBetween, formatLongDate, isBefore } from './dates.js';
import type { IsoDate } from './dates.js';

/** Events whose dates must be published ahead (policy 2.1.3, 2.2.1.2, 2.2.1.4, 2.2.1.5). */
export const NOTICE_EVENT_KINDS = [
  'clinic',
  'community_session',
  'conference',
  'assessment_window',
] as const;
export type NoticeEventKind = (typeof NOTICE_EVENT_KINDS)[number];

export interface PolicyParameters {
  /** Engagement needed to sit the assessment, in basis points (9000 = 90%): policy 2.1.1, set by the DfE. */
  readonly engagementThresholdBp: number;
  /** Length of an assessment window in calendar days, first and last day included: policy 2.2.1.5. */
  readonly assessmentWindowDays: number;
  /** Assessment attempts each participant has: policy 2.5.1, 2.5.4. */
  readonly assessmentAttempts: number;
  /** Deferrals allowed without a recorded exception: policy 2.3.3, 2.3.9. */
  readonly deferralsAllowed: number;
  /** How many days before the agreed restart date we ask for confirmation of intent to return: policy 2.3.7 (lead-provider setting). */
  readonly intentContactLeadDays: number;
  /** The ideal window to complete a module after its scheduled start, in days: policy 2.2.1.1 (advice only). */
  readonly idealModuleWindowDays: number;
  /** How many days before its ideal window a module's content is released, unless a cohort sets its own: policy 2.2.1.1 (lead-provider setting). */
  readonly moduleReleaseLeadDays: number;
  /** Minimum days between publishing an event's date and the event: policy 2.1.3, 2.2.1.2, 2.2.1.4, 2.2.1.5 (lead-provider setting). */
  readonly eventNoticeDays: Readonly<Record<NoticeEventKind, number>>;
  /** The usual gap between cohorts of the same programme, for messages: policy 2.3.5. */
  readonly expectedCohortIntervalMonths: number;
  /** Courses that include coaching: policy 2.2.1.3. */
  readonly coachingCourses: readonly CourseIdentifier[];
  /** Whether a DfE scholarship carries over to the restart: policy 2.4.1 (the DfE may change this). */
  readonly scholarshipRetainedOnRestart: boolean;
  /** Whether school, trust, self or employer funded participants get a refund at deferral: policy 2.4.2. */
  readonly refundAtDeferral: boolean;
}

export type ParameterSource = 'policy' | 'dfe' | 'lead_provider_setting';

export interface ParameterNote {
  readonly parameter: keyof PolicyParameters;
  readonly clauses: readonly ClauseNumber[];
  readonly source: ParameterSource;
  readonly note: string;
}

export interface VersionHistoryEntry {
  readonly version: string;
  readonly released: string;
  readonly summary: string;
  readonly approver: string;
}

export interface PolicyRegister {
  readonly policyName: string;
  readonly version: string;
  readonly owner: string;
  readonly approvedBy: string;
  readonly lastReviewed: string;
  readonly nextReviewDue: string;
  /** The first day the next review is due, for `evaluatePolicyReview`. */
  readonly nextReviewDueOn: IsoDate;
  readonly appliesTo: string;
  readonly leadProviderName: string;
  /** Who participants on national cohorts contact (policy 2.3.4, 2.5.1, 2.6.3). */
  readonly programmesTeamName: string;
  readonly withdrawalPolicyName: string;
  readonly refundPolicyName: string;
  readonly versionHistory: readonly VersionHistoryEntry[];
  readonly clauses: Readonly<Record<ClauseNumber, Clause>>;
  readonly parameters: PolicyParameters;
  readonly parameterNotes: readonly ParameterNote[];
}

export const POLICY_REGISTER_V2_2: PolicyRegister = {
  policyName: 'NPQ Part-Time, Deferral and Portability Policy',
  version: '2.2',
  owner: 'Director, NPQ Programmes',
  approvedBy: 'Programme Operations Committee',
  lastReviewed: 'August 2025',
  nextReviewDue: 'July 2026',
  nextReviewDueOn: '2026-07-01',
  appliesTo:
    'Participants on National Professional Qualification programmes beginning Autumn 2021 onwards',
  leadProviderName: 'Ambition Institute',
  programmesTeamName: 'Ambition Programmes Team',
  withdrawalPolicyName: 'NPQ Withdrawal policy',
  refundPolicyName: 'NPQ Refund Policy',
  versionHistory: [
    {
      version: '1',
      released: 'January 2024',
      summary: 'N/A',
      approver: 'Programme Director, NPQs',
    },
    {
      version: '2',
      released: 'July 2024',
      summary: 'Insertion of NPQ-specific deferral policy',
      approver: 'Programme Director, NPQs',
    },
    {
      version: '2.1',
      released: 'June 2025',
      summary: 'Annual review, minor changes',
      approver: 'Programme Operations Committee',
    },
    {
      version: '2.2',
      released: 'August 2025',
      summary: 'Minor changes to 2.3 following revised DfE guidance on deferrals.',
      approver: 'Programme Director, NPQs',
    },
  ],
  clauses: CLAUSES_V2_2,
  parameters: {
    engagementThresholdBp: 9000,
    assessmentWindowDays: 8,
    assessmentAttempts: 2,
    deferralsAllowed: 1,
    intentContactLeadDays: 28,
    idealModuleWindowDays: 14,
    moduleReleaseLeadDays: 7,
    eventNoticeDays: { clinic: 42, community_session: 14, conference: 42, assessment_window: 42 },
    expectedCohortIntervalMonths: 12,
    coachingCourses: COACHING_COURSES,
    scholarshipRetainedOnRestart: true,
    refundAtDeferral: false,
  },
  parameterNotes: [
    {
      parameter: 'engagementThresholdBp',
      clauses: ['2.1.1'],
      source: 'dfe',
      note: '9000 basis points = 90% of the required programme weight.',
    },
    {
      parameter: 'assessmentWindowDays',
      clauses: ['2.2.1.5'],
      source: 'policy',
      note: 'An 8-day window; the opening and closing days both count.',
    },
    {
      parameter: 'assessmentAttempts',
      clauses: ['2.5.1', '2.5.4'],
      source: 'policy',
      note: 'Two attempts.',
    },
    {
      parameter: 'deferralsAllowed',
      clauses: ['2.3.3', '2.3.9'],
      source: 'policy',
      note: 'One deferral; a further one only as an exception approved by the programme team. The DfE sets no limit.',
    },
    {
      parameter: 'intentContactLeadDays',
      clauses: ['2.3.7'],
      source: 'lead_provider_setting',
      note: 'The policy says "prior to the agreed restart date"; 28 days is our operational setting.',
    },
    {
      parameter: 'idealModuleWindowDays',
      clauses: ['2.2.1.1'],
      source: 'policy',
      note: 'Advice only: modules stay open after the window.',
    },
    {
      parameter: 'moduleReleaseLeadDays',
      clauses: ['2.2.1.1'],
      source: 'lead_provider_setting',
      note: 'The policy says content "will be released ahead of schedule"; a week is our operational setting (a cohort may set its own).',
    },
    {
      parameter: 'eventNoticeDays',
      clauses: ['2.1.3', '2.2.1.2', '2.2.1.4', '2.2.1.5'],
      source: 'lead_provider_setting',
      note: 'The policy says "in advance" (clinics "far in advance"); these minimums are our operational setting.',
    },
    {
      parameter: 'expectedCohortIntervalMonths',
      clauses: ['2.3.5'],
      source: 'policy',
      note: 'One cohort per year; used in messages only, the real cohorts come from the programme calendar.',
    },
    {
      parameter: 'coachingCourses',
      clauses: ['2.2.1.3'],
      source: 'policy',
      note: 'NPQEL and EHCO.',
    },
    {
      parameter: 'scholarshipRetainedOnRestart',
      clauses: ['2.4.1'],
      source: 'dfe',
      note: 'Subject to change at any time by the DfE.',
    },
    {
      parameter: 'refundAtDeferral',
      clauses: ['2.4.2'],
      source: 'policy',
      note: 'No refund at deferral; see the NPQ Refund Policy.',
    },
  ],
};

/** Every version this system can decide under, newest last. */
export const POLICY_REGISTERS: readonly PolicyRegister[] = [POLICY_REGISTER_V2_2];

/** The register in force. */
export const POLICY_REGISTER: PolicyRegister = POLICY_REGISTER_V2_2;

export function getRegister(version: string): PolicyRegister {
  const found = POLICY_REGISTERS.find((r) => r.version === version);
  if (!found) throw new RangeError(`No policy register for version ${version}`);
  return found;
}

export function getClause(
  number: ClauseNumber,
  register: PolicyRegister = POLICY_REGISTER,
): Clause {
  return register.clauses[number];
}

/** The clause numbers a register holds, in document order. */
export function clauseNumbers(register: PolicyRegister = POLICY_REGISTER): ClauseNumber[] {
  return CLAUSE_NUMBERS.filter((n) => register.clauses[n] !== undefined);
}

export interface PolicyReviewInput {
  readonly today: IsoDate;
}

export interface PolicyReviewDetails {
  readonly version: string;
  readonly dueOn: IsoDate;
  /** Days past the due date; 0 on the day it falls due, negative before. */
  readonly daysOverdue: number;
}

/**
 * 3.1.1: policies are regularly reviewed by the Policy Owner. The register carries the date the next
 * review falls due, so the system can tell the owner when this version is due (or overdue) for review.
 */
export function evaluatePolicyReview(
  input: PolicyReviewInput,
  register: PolicyRegister = POLICY_REGISTER,
): Decision<'met' | 'not_met', PolicyReviewDetails> {
  const dueOn = register.nextReviewDueOn;
  const daysOverdue = daysBetween(dueOn, input.today);
  const inDate = isBefore(input.today, dueOn);
  const evidence = { today: input.today, dueOn, version: register.version, owner: register.owner };
  const r = inDate
    ? reason(
        'POLICY.REVIEW_IN_DATE',
        '3.1.1',
        true,
        `Version ${register.version} of the ${register.policyName} is in date; its next review by the ${register.owner} is due in ${register.nextReviewDue}.`,
        evidence,
      )
    : reason(
        'POLICY.REVIEW_DUE',
        '3.1.1',
        false,
        `Version ${register.version} of the ${register.policyName} was due for review by the ${register.owner} from ${formatLongDate(dueOn)}.`,
        evidence,
      );
  return decision(register.version, inDate ? 'met' : 'not_met', [r], {
    version: register.version,
    dueOn,
    daysOverdue,
  });
}

export const REGISTER_RULES: readonly RuleMetadata[] = [
  {
    rule: 'evaluatePolicyReview',
    file: 'src/policy/register.ts',
    clauses: ['3.1.1'],
    summary:
      'Says whether the policy version in force is due for review; every decision carries the version.',
  },
];
