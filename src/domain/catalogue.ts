/**
 * Fixed vocabularies shared by every layer: DfE identifiers and the lead provider's own terms.
 * Kept as `as const` tuples so the database enums, Zod schemas and policy rules all derive from one list.
 */

export const COURSES = [
  {
    code: 'NPQLT',
    identifier: 'npq-leading-teaching',
    name: 'NPQ for Leading Teaching',
    group: 'specialist',
  },
  {
    code: 'NPQLTD',
    identifier: 'npq-leading-teaching-development',
    name: 'NPQ for Leading Teacher Development',
    group: 'specialist',
  },
  {
    code: 'NPQLBC',
    identifier: 'npq-leading-behaviour-culture',
    name: 'NPQ for Leading Behaviour and Culture',
    group: 'specialist',
  },
  {
    code: 'NPQLL',
    identifier: 'npq-leading-literacy',
    name: 'NPQ for Leading Literacy',
    group: 'specialist',
  },
  {
    code: 'NPQLPM',
    identifier: 'npq-leading-primary-mathematics',
    name: 'NPQ for Leading Primary Mathematics',
    group: 'specialist',
  },
  {
    code: 'NPQSENCO',
    identifier: 'npq-senco',
    name: 'NPQ for Special Educational Needs Co-ordinators',
    group: 'leadership',
  },
  {
    code: 'NPQSL',
    identifier: 'npq-senior-leadership',
    name: 'NPQ for Senior Leadership',
    group: 'leadership',
  },
  { code: 'NPQH', identifier: 'npq-headship', name: 'NPQ for Headship', group: 'leadership' },
  {
    code: 'NPQEL',
    identifier: 'npq-executive-leadership',
    name: 'NPQ for Executive Leadership',
    group: 'leadership',
  },
  {
    code: 'NPQEYL',
    identifier: 'npq-early-years-leadership',
    name: 'NPQ for Early Years Leadership',
    group: 'leadership',
  },
  {
    code: 'EHCO',
    identifier: 'npq-early-headship-coaching-offer',
    name: 'Early Headship Coaching Offer',
    group: 'ehco',
  },
] as const;

export type Course = (typeof COURSES)[number];
export type CourseIdentifier = Course['identifier'];
export type CourseGroup = Course['group'];
export const COURSE_IDENTIFIERS = COURSES.map((c) => c.identifier) as [
  CourseIdentifier,
  ...CourseIdentifier[],
];

/** Policy 2.2.1.3: coaching is part of NPQEL and EHCO only. */
export const COACHING_COURSES: readonly CourseIdentifier[] = [
  'npq-executive-leadership',
  'npq-early-headship-coaching-offer',
];

export const ROLES = [
  'participant',
  'delivery_partner_staff',
  'programme_team',
  'coach',
  'facilitator',
  'assessor',
  'admin',
] as const;
export type Role = (typeof ROLES)[number];

export const FUNDING_ROUTES = ['dfe_scholarship', 'school', 'trust', 'self', 'employer'] as const;
export type FundingRoute = (typeof FUNDING_ROUTES)[number];

export const WORKING_PATTERNS = ['full_time', 'part_time'] as const;
export type WorkingPattern = (typeof WORKING_PATTERNS)[number];

/** DfE API v3 deferral reasons. */
export const DFE_DEFERRAL_REASONS = [
  'bereavement',
  'long-term-sickness',
  'parental-leave',
  'career-break',
  'other',
] as const;
export type DfeDeferralReason = (typeof DFE_DEFERRAL_REASONS)[number];

/** DfE API v3 withdrawal reasons (ParticipantWithdrawRequest.reason), spelled as the contract spells them. */
export const DFE_WITHDRAWAL_REASONS = [
  'insufficient-capacity-to-undertake-programme',
  'personal-reason-health-or-pregnancy-related',
  'personal-reason-moving-school',
  'personal-reason-other',
  'insufficient-capacity',
  'change-in-developmental-or-personal-priorities',
  'change-in-school-circumstances',
  'change-in-school-leadership',
  'quality-of-programme-structure-not-suitable.',
  'quality-of-programme-content-not-suitable',
  'quality-of-programme-facilitation-not-effective',
  'quality-of-programme-accessibility',
  'quality-of-programme-other',
  'programme-not-appropriate-for-role-and-cpd-needs',
  'started-in-error',
  'expected-commitment-unclear',
  'assessment-requirements-not-met',
  'change-in-career',
  'disengaged-and-unresponsive',
  'non-payment-of-invoice',
  'other',
] as const;
export type DfeWithdrawalReason = (typeof DFE_WITHDRAWAL_REASONS)[number];

/** A DfE withdrawal reason in words ('personal-reason-other' → 'Personal reason other'). */
export function withdrawalReasonLabel(reason: string): string {
  const t = reason.replace(/\.$/, '').replace(/-/g, ' ');
  return t.charAt(0).toUpperCase() + t.slice(1);
}

/** DfE API v3 training_status. */
export const TRAINING_STATUSES = ['active', 'deferred', 'withdrawn'] as const;
export type TrainingStatus = (typeof TRAINING_STATUSES)[number];

/** The lead provider's lifecycle of an enrolment (see participant-lifecycle.ts for transitions). */
export const ENROLMENT_STATUSES = [
  'applied',
  'accepted',
  'active',
  'deferred',
  'withdrawn',
  'transferred_out',
  'completed_passed',
  'completed_failed',
] as const;
export type EnrolmentStatus = (typeof ENROLMENT_STATUSES)[number];

/** Kinds of programme activity that count towards engagement (policy 2.1.1). */
export const ACTIVITY_KINDS = [
  'study_session',
  'clinic',
  'community_session',
  'coaching',
  'conference',
] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

export const ENGAGEMENT_SOURCES = ['platform', 'import', 'xapi', 'staff'] as const;
export type EngagementSource = (typeof ENGAGEMENT_SOURCES)[number];

/**
 * Engagement brought with a participant who transferred from another lead provider (policy 2.6.4):
 * it counts like any other record, but only a verified transfer package writes it.
 */
export const PRIOR_LEARNING_SOURCE = 'prior_learning';
