/**
 * The npq-ops data model. Vocabularies are text columns with CHECK constraints rather than
 * PostgreSQL enums: enum types would be created schema-qualified by drizzle-kit, which breaks the
 * schema-per-test isolation, and CHECKs are easier to extend in a forward-only migration.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  customType,
  date,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import {
  ACTIVITY_KINDS,
  DFE_WITHDRAWAL_REASONS,
  ENGAGEMENT_SOURCES,
  ENROLMENT_STATUSES,
  FUNDING_ROUTES,
  PRIOR_LEARNING_SOURCE,
  ROLES,
  WORKING_PATTERNS,
} from '../domain/catalogue.js';
import { SCHEDULE_IDENTIFIERS } from '../domain/dfe-declarations.js';

const oneOf = (column: string, values: readonly string[]) =>
  sql.raw(`${column} in (${values.map((v) => `'${v}'`).join(', ')})`);

const id = () => integer('id').primaryKey().generatedAlwaysAsIdentity();
const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

/**
 * The lead provider. Its contact details are shown to participants of its national cohorts wherever
 * the policy says "contact your Delivery Partner or Ambition" (2.3.4, 2.5.1, 2.6.3); the contract end
 * date limits deferral (2.3.10).
 */
export const leadProvider = pgTable('lead_provider', {
  id: id(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  contractEndDate: date('contract_end_date'),
  contactEmail: text('contact_email'),
  contactPhone: text('contact_phone'),
  openingHours: text('opening_hours'),
  /** Where the lead provider publishes the policies the deferral policy names (2.3.8, 2.4.2). */
  withdrawalPolicyUrl: text('withdrawal_policy_url'),
  refundPolicyUrl: text('refund_policy_url'),
  version: integer('version').notNull().default(1),
  createdAt: createdAt(),
});

/** Local authorities (from GIAS `LA (code)`, `LA (name)`): the areas that make up a network (2.6.4). */
export const localAuthority = pgTable('local_authority', {
  id: id(),
  code: text('code').notNull().unique(),
  name: text('name').notNull(),
  regionId: integer('region_id').references(() => region.id),
});

/** English regions (ITL1) used to decide whether a school is inside a lead provider's network. */
export const region = pgTable('region', {
  id: id(),
  code: text('code').notNull().unique(),
  name: text('name').notNull(),
});

/** The regions a lead provider covers: its network (policy 2.6.4). */
export const leadProviderRegion = pgTable(
  'lead_provider_region',
  {
    leadProviderId: integer('lead_provider_id')
      .notNull()
      .references(() => leadProvider.id),
    regionId: integer('region_id')
      .notNull()
      .references(() => region.id),
  },
  (t) => [primaryKey({ columns: [t.leadProviderId, t.regionId] })],
);

/** A delivery partner, or the lead provider's own national arm (is_national) for national cohorts. */
export const deliveryPartner = pgTable(
  'delivery_partner',
  {
    id: id(),
    leadProviderId: integer('lead_provider_id')
      .notNull()
      .references(() => leadProvider.id),
    slug: text('slug').notNull().unique(),
    name: text('name').notNull(),
    isNational: boolean('is_national').notNull().default(false),
    /** Shown to its participants wherever the policy says "contact your Delivery Partner". */
    contactEmail: text('contact_email'),
    contactPhone: text('contact_phone'),
    openingHours: text('opening_hours'),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
  },
  (t) => [
    index('delivery_partner_lead_provider_idx').on(t.leadProviderId),
    check('delivery_partner_slug_format', sql`${t.slug} ~ '^[a-z0-9]+(-[a-z0-9]+)*$'`),
  ],
);

/**
 * The local authorities a lead provider serves, and which of its delivery partners serves each
 * (delivery_partner_id null: served by the lead provider itself, e.g. its national cohorts). Every
 * school in a served area is inside the lead provider's network (policy 2.6.4).
 */
export const serviceArea = pgTable(
  'service_area',
  {
    id: id(),
    leadProviderId: integer('lead_provider_id')
      .notNull()
      .references(() => leadProvider.id),
    deliveryPartnerId: integer('delivery_partner_id').references(() => deliveryPartner.id),
    localAuthorityId: integer('local_authority_id')
      .notNull()
      .references(() => localAuthority.id),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('service_area_uq').on(
      t.leadProviderId,
      sql`coalesce(${t.deliveryPartnerId}, 0)`,
      t.localAuthorityId,
    ),
    index('service_area_local_authority_idx').on(t.localAuthorityId),
  ],
);

export const school = pgTable(
  'school',
  {
    id: id(),
    urn: text('urn').notNull().unique(),
    name: text('name').notNull(),
    /** Null for schools outside England's regions (GIAS "Not Applicable"). */
    regionId: integer('region_id').references(() => region.id),
    localAuthorityId: integer('local_authority_id').references(() => localAuthority.id),
    town: text('town'),
    postcode: text('postcode'),
    phase: text('phase'),
    /** GIAS `EstablishmentStatus (name)`: Open, Closed, Open, but proposed to close, … */
    status: text('status').notNull().default('Open'),
    establishmentType: text('establishment_type'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('school_region_idx').on(t.regionId),
    index('school_local_authority_idx').on(t.localAuthorityId),
    check('school_urn_format', sql`${t.urn} ~ '^[0-9]{6,7}$'`),
  ],
);

export const course = pgTable(
  'course',
  {
    id: id(),
    identifier: text('identifier').notNull().unique(),
    code: text('code').notNull().unique(),
    name: text('name').notNull(),
    courseGroup: text('course_group').notNull(),
  },
  (_t) => [
    check('course_group_valid', oneOf('course_group', ['specialist', 'leadership', 'ehco'])),
  ],
);

/** A course's curriculum version. */
export const programme = pgTable(
  'programme',
  {
    id: id(),
    courseId: integer('course_id')
      .notNull()
      .references(() => course.id),
    version: text('version').notNull(),
    name: text('name').notNull(),
    coachingEntitled: boolean('coaching_entitled').notNull().default(false),
    assessmentTitle: text('assessment_title').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('programme_course_version_uq').on(t.courseId, t.version)],
);

/** Modules run over a half term, in order. */
export const programmeModule = pgTable(
  'programme_module',
  {
    id: id(),
    programmeId: integer('programme_id')
      .notNull()
      .references(() => programme.id),
    position: integer('position').notNull(),
    title: text('title').notNull(),
  },
  (t) => [
    uniqueIndex('programme_module_position_uq').on(t.programmeId, t.position),
    check('programme_module_position_positive', sql`${t.position} >= 1`),
  ],
);

/**
 * Every required piece of a programme in programme order: study sessions (six per module, in
 * sequence), clinics (in sequence), community sessions, coaching and conferences. Engagement
 * (policy 2.1.1) is measured against these rows, so a deferred participant's earlier completions
 * carry over to any cohort of the same programme.
 */
export const programmeActivity = pgTable(
  'programme_activity',
  {
    id: id(),
    programmeId: integer('programme_id')
      .notNull()
      .references(() => programme.id),
    kind: text('kind').notNull(),
    position: integer('position').notNull(),
    moduleId: integer('module_id').references(() => programmeModule.id),
    sessionNumber: integer('session_number'),
    sequenceNumber: integer('sequence_number').notNull(),
    title: text('title').notNull(),
    contentMd: text('content_md'),
    plannedMinutes: integer('planned_minutes').notNull().default(50),
    weight: integer('weight'),
    required: boolean('required').notNull().default(true),
  },
  (t) => [
    uniqueIndex('programme_activity_position_uq').on(t.programmeId, t.position),
    uniqueIndex('programme_activity_kind_sequence_uq').on(t.programmeId, t.kind, t.sequenceNumber),
    index('programme_activity_module_idx').on(t.moduleId),
    check('programme_activity_kind_valid', oneOf('kind', ACTIVITY_KINDS)),
    check('programme_activity_minutes_positive', sql`${t.plannedMinutes} > 0`),
    check('programme_activity_weight_positive', sql`${t.weight} is null or ${t.weight} > 0`),
    check(
      'programme_activity_study_session_shape',
      sql`(${t.kind} = 'study_session') = (${t.moduleId} is not null and ${t.sessionNumber} between 1 and 6)`,
    ),
  ],
);

/** One cohort per programme per year for a lead provider. */
export const cohort = pgTable(
  'cohort',
  {
    id: id(),
    leadProviderId: integer('lead_provider_id')
      .notNull()
      .references(() => leadProvider.id),
    programmeId: integer('programme_id')
      .notNull()
      .references(() => programme.id),
    year: integer('year').notNull(),
    name: text('name').notNull(),
    startDate: date('start_date').notNull(),
    engagementDeadline: date('engagement_deadline').notNull(),
    endDate: date('end_date').notNull(),
    isFinal: boolean('is_final').notNull().default(false),
    contractEndDate: date('contract_end_date'),
    /**
     * How many days before its ideal window each module's content is released (policy 2.2.1.1:
     * "released ahead of schedule"); set on cohort set-up, a week unless the programme team says otherwise.
     */
    releaseLeadDays: integer('release_lead_days').notNull().default(7),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('cohort_programme_year_uq').on(t.leadProviderId, t.programmeId, t.year),
    check('cohort_release_lead_days_range', sql`${t.releaseLeadDays} between 0 and 28`),
    check(
      'cohort_dates_ordered',
      sql`${t.startDate} < ${t.engagementDeadline} and ${t.engagementDeadline} <= ${t.endDate}`,
    ),
  ],
);

/** When each module is released to a cohort, and its ideal 2-week window (advice, not a lock). */
export const cohortModuleRelease = pgTable(
  'cohort_module_release',
  {
    cohortId: integer('cohort_id')
      .notNull()
      .references(() => cohort.id),
    moduleId: integer('module_id')
      .notNull()
      .references(() => programmeModule.id),
    releaseDate: date('release_date').notNull(),
    idealWindowStart: date('ideal_window_start').notNull(),
    idealWindowEnd: date('ideal_window_end').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.cohortId, t.moduleId] }),
    check(
      'cohort_module_release_window_ordered',
      sql`${t.releaseDate} <= ${t.idealWindowStart} and ${t.idealWindowStart} <= ${t.idealWindowEnd}`,
    ),
  ],
);

/** Dated events of a cohort: clinic slots (with capacity), community sessions, conferences. */
export const cohortEvent = pgTable(
  'cohort_event',
  {
    id: id(),
    cohortId: integer('cohort_id')
      .notNull()
      .references(() => cohort.id),
    activityId: integer('activity_id')
      .notNull()
      .references(() => programmeActivity.id),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    endsAt: timestamp('ends_at', { withTimezone: true }).notNull(),
    capacity: integer('capacity'),
    location: text('location').notNull().default('Online'),
    publishedOn: date('published_on').notNull(),
  },
  (t) => [
    index('cohort_event_cohort_idx').on(t.cohortId, t.startsAt),
    index('cohort_event_activity_idx').on(t.activityId),
    check('cohort_event_times_ordered', sql`${t.startsAt} < ${t.endsAt}`),
    check('cohort_event_capacity_positive', sql`${t.capacity} is null or ${t.capacity} > 0`),
  ],
);

/** An 8-day assessment window (policy 2.2.1.5). */
export const assessmentWindow = pgTable(
  'assessment_window',
  {
    id: id(),
    cohortId: integer('cohort_id')
      .notNull()
      .references(() => cohort.id),
    sequenceNumber: integer('sequence_number').notNull(),
    opensOn: date('opens_on').notNull(),
    closesOn: date('closes_on').notNull(),
  },
  (t) => [
    uniqueIndex('assessment_window_cohort_sequence_uq').on(t.cohortId, t.sequenceNumber),
    check('assessment_window_eight_days', sql`${t.closesOn} - ${t.opensOn} = 7`),
  ],
);

export const participant = pgTable(
  'participant',
  {
    id: id(),
    trn: text('trn').unique(),
    dfeRegistrationId: text('dfe_registration_id').unique(),
    /** The DfE lead provider API's participant id (a uuid), set when their application is accepted. */
    dfeParticipantId: text('dfe_participant_id').unique(),
    fullName: text('full_name').notNull(),
    email: text('email').notNull(),
    dfeRegistrationConfirmed: boolean('dfe_registration_confirmed').notNull().default(false),
    employmentConfirmed: boolean('employment_confirmed').notNull().default(false),
    currentSchoolId: integer('current_school_id').references(() => school.id),
    fundingRoute: text('funding_route').notNull(),
    workingPattern: text('working_pattern').notNull().default('full_time'),
    partTimeFraction: numeric('part_time_fraction', { precision: 3, scale: 2 }),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('participant_email_uq').on(sql`lower(${t.email})`),
    index('participant_school_idx').on(t.currentSchoolId),
    // Retention finds those created long enough ago without reading everyone (issue 13).
    index('participant_created_idx').on(t.createdAt),
    check(
      'participant_has_identifier',
      sql`${t.trn} is not null or ${t.dfeRegistrationId} is not null`,
    ),
    check('participant_trn_format', sql`${t.trn} is null or ${t.trn} ~ '^[0-9]{7}$'`),
    check('participant_funding_route_valid', oneOf('funding_route', FUNDING_ROUTES)),
    check('participant_working_pattern_valid', oneOf('working_pattern', WORKING_PATTERNS)),
    check(
      'participant_part_time_fraction',
      sql`(${t.workingPattern} = 'full_time' and ${t.partTimeFraction} is null) or (${t.workingPattern} = 'part_time' and ${t.partTimeFraction} > 0 and ${t.partTimeFraction} < 1)`,
    ),
  ],
);

/** Employment history: a school move inside the network adds a row here (policy 2.6.2–2.6.3). */
export const participantEmployment = pgTable(
  'participant_employment',
  {
    id: id(),
    participantId: integer('participant_id')
      .notNull()
      .references(() => participant.id),
    schoolId: integer('school_id')
      .notNull()
      .references(() => school.id),
    startedOn: date('started_on').notNull(),
    endedOn: date('ended_on'),
  },
  (t) => [
    index('participant_employment_participant_idx').on(t.participantId),
    check(
      'participant_employment_dates',
      sql`${t.endedOn} is null or ${t.endedOn} >= ${t.startedOn}`,
    ),
  ],
);

export const enrolment = pgTable(
  'enrolment',
  {
    id: id(),
    participantId: integer('participant_id')
      .notNull()
      .references(() => participant.id),
    cohortId: integer('cohort_id')
      .notNull()
      .references(() => cohort.id),
    deliveryPartnerId: integer('delivery_partner_id')
      .notNull()
      .references(() => deliveryPartner.id),
    status: text('status').notNull().default('applied'),
    deferralCount: integer('deferral_count').notNull().default(0),
    assessmentAttemptsUsed: integer('assessment_attempts_used').notNull().default(0),
    statusChangedAt: timestamp('status_changed_at', { withTimezone: true }).notNull().defaultNow(),
    /** When the enrolment became active: formally commenced (policy 2.3.2). */
    commencedAt: timestamp('commenced_at', { withTimezone: true }),
    /** The DfE application (a uuid) this enrolment was accepted from. */
    dfeApplicationId: text('dfe_application_id').unique(),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('enrolment_participant_cohort_uq').on(t.participantId, t.cohortId),
    index('enrolment_cohort_status_idx').on(t.cohortId, t.status),
    // Retention finds enrolments that ended long enough ago without reading every one (issue 13).
    index('enrolment_status_changed_idx').on(t.statusChangedAt),
    index('enrolment_delivery_partner_idx').on(t.deliveryPartnerId),
    check('enrolment_status_valid', oneOf('status', ENROLMENT_STATUSES)),
    // The number of attempts is a policy parameter (2.5.1), so the database only keeps it whole.
    check('enrolment_attempts_range', sql`${t.assessmentAttemptsUsed} >= 0`),
    check('enrolment_deferral_count_range', sql`${t.deferralCount} >= 0`),
  ],
);

/**
 * Evidence of engagement. (source, source_event_id) is unique so that every import, xAPI feed
 * and retry is idempotent.
 */
export const engagementRecord = pgTable(
  'engagement_record',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    participantId: integer('participant_id')
      .notNull()
      .references(() => participant.id),
    activityId: integer('activity_id')
      .notNull()
      .references(() => programmeActivity.id),
    kind: text('kind').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    source: text('source').notNull(),
    sourceEventId: text('source_event_id').notNull(),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('engagement_record_source_event_uq').on(t.source, t.sourceEventId),
    index('engagement_record_participant_activity_idx').on(t.participantId, t.activityId),
    index('engagement_record_activity_idx').on(t.activityId),
    // A participant's evidence in time order: the first record within a DfE milestone
    // (declarations due) is one probe of this index; activity_id makes it an index-only scan.
    index('engagement_record_participant_occurred_idx').on(
      t.participantId,
      t.occurredAt,
      t.activityId,
    ),
    check('engagement_record_kind_valid', oneOf('kind', ACTIVITY_KINDS)),
    check(
      'engagement_record_source_valid',
      oneOf('source', [...ENGAGEMENT_SOURCES, PRIOR_LEARNING_SOURCE]),
    ),
  ],
);

/**
 * Which activities each participant has completed, and the London date of the earliest evidence:
 * engagement_record reduced to one row per (participant, activity). Derived, never written by the
 * app: statement-level triggers on engagement_record keep it equal to
 *   select participant_id, activity_id, min((occurred_at at time zone 'Europe/London')::date)
 *   from engagement_record group by participant_id, activity_id
 * in the same transaction as every insert, update, delete or truncate (migration 0023), so the
 * cohort-wide engagement reads it instead of de-duplicating millions of records.
 */
export const engagementCompletion = pgTable(
  'engagement_completion',
  {
    participantId: integer('participant_id').notNull(),
    activityId: integer('activity_id').notNull(),
    firstCompletedOn: date('first_completed_on').notNull(),
  },
  (t) => [primaryKey({ columns: [t.participantId, t.activityId] })],
);

/**
 * Each enrolment's engagement figures (policy 2.1.1) as `engagementSql` works them out, kept so the
 * cohort-wide figures read one row per enrolment. A row holds for every day from `valid_from` up to
 * (not including) `valid_until`, the first day one of the enrolment's activities falls due or stops
 * being possible, and for the register parameters named by `register_key`. Triggers (migration
 * 0026) delete an enrolment's row in the same transaction as any change to what it was worked out
 * from (evidence, bookings, the cohort's dates and activities, the enrolment's cohort); the job
 * runner works out missing rows again (`refreshEngagementSummary`). A reader uses a row only while
 * it holds and works out the rest live, so a missing or expired row is slower, never wrong.
 */
export const enrolmentEngagement = pgTable(
  'enrolment_engagement',
  {
    enrolmentId: integer('enrolment_id').primaryKey(),
    /** The enrolment's cohort when the row was worked out (a move to another cohort deletes it). */
    cohortId: integer('cohort_id').notNull(),
    registerKey: text('register_key').notNull(),
    validFrom: date('valid_from').notNull(),
    validUntil: date('valid_until').notNull(),
    completed: bigint('completed', { mode: 'number' }).notNull(),
    total: bigint('total', { mode: 'number' }).notNull(),
    stillPossible: bigint('still_possible', { mode: 'number' }).notNull(),
    due: bigint('due', { mode: 'number' }).notNull(),
    completedDue: bigint('completed_due', { mode: 'number' }).notNull(),
  },
  // A cohort's rows are read together (its dashboard, the daily job).
  (t) => [index('enrolment_engagement_cohort_idx').on(t.cohortId)],
);

/**
 * The engagement API's answer for an enrolment (GET /api/v1/enrolments/{id}/engagement), stored
 * ready to send for the London day it was worked out (issue 13): the JSON of everything but its
 * open alerts, which are read live. Triggers (drizzle/0028_engagement_answer.sql) delete an
 * enrolment's row in the same transaction as any change to what it was worked out from; the
 * answer warmer (src/services/engagement/answers.ts) stores the rows of enrolments read.
 */
export const enrolmentEngagementAnswer = pgTable('enrolment_engagement_answer', {
  enrolmentId: integer('enrolment_id')
    .primaryKey()
    .references(() => enrolment.id, { onDelete: 'cascade' }),
  answeredOn: date('answered_on').notNull(),
  body: text('body').notNull(),
  /**
   * The body's MD5, kept by PostgreSQL: a server holding this body in memory is sent only the
   * digest to compare, not the 25 KB again (services/engagement/answers.ts).
   */
  digest: text('digest')
    .notNull()
    .generatedAlwaysAs(sql`md5(body)`),
});

/** Sign-ins. Staff are scoped to a lead provider or to one delivery partner. */
export const appUser = pgTable(
  'app_user',
  {
    id: id(),
    email: text('email').notNull(),
    displayName: text('display_name').notNull(),
    /** Null until the person sets a password from their invitation: they cannot sign in before. */
    passwordHash: text('password_hash'),
    role: text('role').notNull(),
    leadProviderId: integer('lead_provider_id').references(() => leadProvider.id),
    deliveryPartnerId: integer('delivery_partner_id').references(() => deliveryPartner.id),
    participantId: integer('participant_id').references(() => participant.id),
    /** A deactivated account cannot sign in, and its sessions and tokens stop working at once. */
    deactivatedAt: timestamp('deactivated_at', { withTimezone: true }),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('app_user_email_uq').on(sql`lower(${t.email})`),
    check('app_user_role_valid', oneOf('role', ROLES)),
    check(
      'app_user_participant_scope',
      sql`(${t.role} = 'participant') = (${t.participantId} is not null)`,
    ),
    check(
      'app_user_partner_scope',
      sql`${t.role} <> 'delivery_partner_staff' or ${t.deliveryPartnerId} is not null`,
    ),
    check(
      'app_user_lead_provider_scope',
      sql`${t.role} in ('participant', 'admin', 'delivery_partner_staff') or ${t.leadProviderId} is not null`,
    ),
  ],
);

/** Append-only: a trigger in the migrations refuses UPDATE and DELETE. */
export const auditEvent = pgTable(
  'audit_event',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    what: text('what').notNull(),
    who: text('who').notNull(),
    subjectType: text('subject_type').notNull(),
    subjectId: text('subject_id').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull().defaultNow(),
    details: jsonb('details').notNull().default({}),
    correlationId: text('correlation_id'),
  },
  (t) => [
    index('audit_event_subject_idx').on(t.subjectType, t.subjectId, t.occurredAt),
    index('audit_event_occurred_idx').on(t.occurredAt),
  ],
);

/* ---------------------------------------------------------------------------------------------
 * Access: machine tokens and the staff assignments that scope coaches, facilitators, assessors.
 * ------------------------------------------------------------------------------------------- */

/** Bearer tokens for machine clients; only a SHA-256 of the token is stored. */
export const apiToken = pgTable(
  'api_token',
  {
    id: id(),
    userId: integer('user_id')
      .notNull()
      .references(() => appUser.id),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    createdAt: createdAt(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    /** After this instant the token is refused, as a revoked one is. */
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('api_token_user_idx').on(t.userId)],
);

/** Which participants a coach or assessor works with, and which events a facilitator runs. */
export const staffAssignment = pgTable(
  'staff_assignment',
  {
    id: id(),
    userId: integer('user_id')
      .notNull()
      .references(() => appUser.id),
    participantId: integer('participant_id').references(() => participant.id),
    cohortEventId: integer('cohort_event_id').references(() => cohortEvent.id),
    /** An assessor's cohort: they mark its submissions. */
    cohortId: integer('cohort_id').references(() => cohort.id),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('staff_assignment_participant_uq').on(t.userId, t.participantId),
    uniqueIndex('staff_assignment_event_uq').on(t.userId, t.cohortEventId),
    uniqueIndex('staff_assignment_cohort_uq').on(t.userId, t.cohortId),
    index('staff_assignment_participant_idx').on(t.participantId),
    index('staff_assignment_cohort_idx').on(t.cohortId),
    check(
      'staff_assignment_one_target',
      sql`num_nonnulls(${t.participantId}, ${t.cohortEventId}, ${t.cohortId}) = 1`,
    ),
  ],
);

/**
 * Single-use links sent by email: an invitation to set a first password (valid 7 days) or a
 * password reset (valid 1 hour). Only a SHA-256 of the link's secret is stored.
 */
export const accountLink = pgTable(
  'account_link',
  {
    id: id(),
    userId: integer('user_id')
      .notNull()
      .references(() => appUser.id),
    purpose: text('purpose').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
  },
  (t) => [
    index('account_link_user_idx').on(t.userId),
    check('account_link_purpose_valid', oneOf('purpose', ['invitation', 'password_reset'])),
  ],
);

/**
 * The email outbox: written in the same transaction as the change that causes the email, delivered
 * by the job runner through GOV.UK Notify with retries. Without a Notify key messages stay
 * 'pending' and are read at the mailbox page or with `npq-ops mailbox`.
 */
export const emailMessage = pgTable(
  'email_message',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    template: text('template').notNull(),
    toEmail: text('to_email').notNull(),
    personalisation: jsonb('personalisation').notNull().default({}),
    /** Why it was sent, e.g. 'app_user:12': lets staff find the messages about a record. */
    subjectType: text('subject_type').notNull(),
    subjectId: text('subject_id').notNull(),
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    lastError: text('last_error'),
    notifyId: text('notify_id'),
    createdAt: createdAt(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    /**
     * A notice's once-only key, e.g. 'module_released:12:3:45' (participant, cohort, module): the
     * daily job inserts with ON CONFLICT DO NOTHING on it, so a notice is never queued twice.
     */
    noticeKey: text('notice_key'),
    /** The page the message asks the reader to open, as a path (the in-app Messages list links it). */
    linkPath: text('link_path'),
  },
  (t) => [
    uniqueIndex('email_message_notice_key_uq')
      .on(t.noticeKey)
      .where(sql`${t.noticeKey} is not null`),
    index('email_message_due_idx')
      .on(t.nextAttemptAt)
      .where(sql`${t.status} = 'pending'`),
    index('email_message_subject_idx').on(t.subjectType, t.subjectId),
    index('email_message_to_idx').on(sql`lower(${t.toEmail})`),
    // The daily job finds the nudges whose fortnight has just passed (issue 13, incremental runs).
    index('email_message_behind_window_idx')
      .on(t.createdAt)
      .where(sql`${t.template} = 'notice_behind_window'`),
    check('email_message_status_valid', oneOf('status', ['pending', 'sending', 'sent', 'failed'])),
  ],
);

/**
 * A participant's choice about nudges (behind the ideal window, the day-before reminder). Notices
 * the policy requires (decisions, 2.3.7, the deadline, the assessment window) cannot be turned off.
 * No row: nudges are on.
 */
export const noticePreference = pgTable('notice_preference', {
  participantId: integer('participant_id')
    .primaryKey()
    .references(() => participant.id),
  nudges: boolean('nudges').notNull().default(true),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** A GIAS establishments import: its progress and its per-row errors. */
export const schoolImport = pgTable('school_import', {
  id: id(),
  fileName: text('file_name').notNull(),
  startedBy: text('started_by').notNull(),
  status: text('status').notNull().default('running'),
  rowsRead: integer('rows_read').notNull().default(0),
  created: integer('created').notNull().default(0),
  updated: integer('updated').notNull().default(0),
  unchanged: integer('unchanged').notNull().default(0),
  errors: jsonb('errors').notNull().default([]),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
});

/**
 * A participants or engagement CSV uploaded as a file: staged row by row into import_row as it
 * streams in, then processed by the job runner; its progress, counts and refused rows.
 */
export const importJob = pgTable(
  'import_job',
  {
    id: id(),
    kind: text('kind').notNull(),
    fileName: text('file_name').notNull(),
    status: text('status').notNull().default('receiving'),
    startedByUserId: integer('started_by_user_id')
      .notNull()
      .references(() => appUser.id),
    /** Whose imports these are: a partner's staff see their partner's, the programme team theirs. */
    deliveryPartnerId: integer('delivery_partner_id').references(() => deliveryPartner.id),
    leadProviderId: integer('lead_provider_id').references(() => leadProvider.id),
    rowsReceived: integer('rows_received').notNull().default(0),
    rowsProcessed: integer('rows_processed').notNull().default(0),
    added: integer('added').notNull().default(0),
    enrolled: integer('enrolled').notNull().default(0),
    unchanged: integer('unchanged').notNull().default(0),
    invited: integer('invited').notNull().default(0),
    rejected: integer('rejected').notNull().default(0),
    failure: text('failure'),
    createdAt: createdAt(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    index('import_job_due_idx')
      .on(t.id)
      .where(sql`${t.status} in ('queued', 'running')`),
    index('import_job_partner_idx').on(t.deliveryPartnerId),
    check('import_job_kind_valid', oneOf('kind', ['participants', 'engagement'])),
    check(
      'import_job_status_valid',
      oneOf('status', ['receiving', 'queued', 'running', 'completed', 'failed']),
    ),
  ],
);

/** An uploaded row waiting to be processed (the CSV record as written); removed once processed. */
export const importRow = pgTable(
  'import_row',
  {
    jobId: integer('job_id')
      .notNull()
      .references(() => importJob.id, { onDelete: 'cascade' }),
    line: integer('line').notNull(),
    record: jsonb('record').notNull(),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.line] })],
);

/** A problem with one row of an import (line, column, message), for its report. */
export const importError = pgTable(
  'import_error',
  {
    id: id(),
    jobId: integer('job_id')
      .notNull()
      .references(() => importJob.id, { onDelete: 'cascade' }),
    line: integer('line').notNull(),
    field: text('field').notNull(),
    message: text('message').notNull(),
  },
  (t) => [index('import_error_job_idx').on(t.jobId, t.line)],
);

/** Replays of a POST with the same Idempotency-Key get the first response. */
export const idempotencyKey = pgTable(
  'idempotency_key',
  {
    userId: integer('user_id')
      .notNull()
      .references(() => appUser.id),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    responseStatus: integer('response_status').notNull(),
    responseBody: jsonb('response_body').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.key] })],
);

/**
 * The sign-in slow-down (src/services/sign-in-throttle.ts), shared by every app instance. Keys are
 * SHA-256 digests of the normalised email and of the client address, never the values; rows are
 * forgotten 15 minutes after their last attempt and purged by the daily job.
 */
export const signInThrottleAccount = pgTable('sign_in_throttle_account', {
  accountKey: text('account_key').primaryKey(),
  failures: integer('failures').notNull(),
  lastFailureAt: timestamp('last_failure_at', { withTimezone: true }).notNull(),
});

export const signInThrottleAddress = pgTable(
  'sign_in_throttle_address',
  {
    accountKey: text('account_key').notNull(),
    addressKey: text('address_key').notNull(),
    checkedAt: timestamp('checked_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountKey, t.addressKey] })],
);

/* ---------------------------------------------------------------------------------------------
 * Bookings: clinics, community sessions and conferences are cohort events; coaching is booked
 * with a coach.
 * ------------------------------------------------------------------------------------------- */

export const eventBooking = pgTable(
  'event_booking',
  {
    id: id(),
    participantId: integer('participant_id')
      .notNull()
      .references(() => participant.id),
    enrolmentId: integer('enrolment_id')
      .notNull()
      .references(() => enrolment.id),
    cohortEventId: integer('cohort_event_id')
      .notNull()
      .references(() => cohortEvent.id),
    status: text('status').notNull().default('booked'),
    /** Set when staff allowed an out-of-sequence change for a part-time participant (2.2.1.2). */
    accommodation: text('accommodation'),
    bookedAt: timestamp('booked_at', { withTimezone: true }).notNull(),
    cancelledAt: timestamp('cancelled_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('event_booking_active_uq')
      .on(t.participantId, t.cohortEventId)
      .where(sql`status <> 'cancelled'`),
    index('event_booking_event_idx').on(t.cohortEventId, t.status),
    check('event_booking_status_valid', oneOf('status', ['booked', 'cancelled', 'attended'])),
  ],
);

/**
 * A time a coach offers for coaching (2.2.1.3): participants book only into these. Removed slots
 * are kept (sessions refer to them) with `removed_at` set.
 */
export const coachingSlot = pgTable(
  'coaching_slot',
  {
    id: id(),
    coachUserId: integer('coach_user_id')
      .notNull()
      .references(() => appUser.id),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    endsAt: timestamp('ends_at', { withTimezone: true }).notNull(),
    /** 'online' (place is the link) or 'in_person' (place is the address). */
    mode: text('mode').notNull(),
    place: text('place').notNull(),
    createdAt: createdAt(),
    removedAt: timestamp('removed_at', { withTimezone: true }),
  },
  (t) => [
    index('coaching_slot_coach_idx').on(t.coachUserId, t.startsAt),
    check('coaching_slot_times', sql`${t.startsAt} < ${t.endsAt}`),
    check('coaching_slot_mode_valid', oneOf('mode', ['online', 'in_person'])),
  ],
);

export const coachingSession = pgTable(
  'coaching_session',
  {
    id: id(),
    enrolmentId: integer('enrolment_id')
      .notNull()
      .references(() => enrolment.id),
    participantId: integer('participant_id')
      .notNull()
      .references(() => participant.id),
    coachUserId: integer('coach_user_id')
      .notNull()
      .references(() => appUser.id),
    activityId: integer('activity_id')
      .notNull()
      .references(() => programmeActivity.id),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    endsAt: timestamp('ends_at', { withTimezone: true }).notNull(),
    status: text('status').notNull().default('scheduled'),
    createdAt: createdAt(),
    /** The coach's availability slot it was booked into (null for sessions booked before slots). */
    slotId: integer('slot_id').references(() => coachingSlot.id),
    /** The coach's short note, recorded with attendance; visible to staff. */
    note: text('note'),
    recordedAt: timestamp('recorded_at', { withTimezone: true }),
    cancelledAt: timestamp('cancelled_at', { withTimezone: true }),
  },
  (t) => [
    index('coaching_session_coach_idx').on(t.coachUserId, t.startsAt),
    index('coaching_session_participant_idx').on(t.participantId, t.startsAt),
    // The daily job finds the sessions whose day has come since its last run (issue 13).
    index('coaching_session_starts_idx').on(t.startsAt),
    check('coaching_session_times', sql`${t.startsAt} < ${t.endsAt}`),
    check(
      'coaching_session_status_valid',
      oneOf('status', ['scheduled', 'cancelled', 'attended', 'did_not_attend']),
    ),
    // A slot holds one session: two participants can never be booked into the same slot.
    uniqueIndex('coaching_session_slot_uq')
      .on(t.slotId)
      .where(sql`status <> 'cancelled'`),
  ],
);

/* ---------------------------------------------------------------------------------------------
 * Cases. Each stores the policy decision it was decided on (reasons with clause numbers) and a
 * version for optimistic concurrency: two staff deciding one case at once get one winner.
 * ------------------------------------------------------------------------------------------- */

export const deferralCase = pgTable(
  'deferral_case',
  {
    id: id(),
    enrolmentId: integer('enrolment_id')
      .notNull()
      .references(() => enrolment.id),
    participantId: integer('participant_id')
      .notNull()
      .references(() => participant.id),
    status: text('status').notNull().default('requested'),
    circumstance: text('circumstance').notNull(),
    description: text('description').notNull(),
    dfeReason: text('dfe_reason').notNull(),
    requestedOn: date('requested_on').notNull(),
    requestedBy: integer('requested_by')
      .notNull()
      .references(() => appUser.id),
    alternativesOffered: jsonb('alternatives_offered'),
    participantChoice: text('participant_choice'),
    isException: boolean('is_exception').notNull().default(false),
    exceptionApprovedBy: integer('exception_approved_by').references(() => appUser.id),
    targetCohortId: integer('target_cohort_id').references(() => cohort.id),
    rejoinActivityId: integer('rejoin_activity_id').references(() => programmeActivity.id),
    rejoinDate: date('rejoin_date'),
    /** Why staff agreed a re-join date other than the plan's provisional one (2.3.5); null if not. */
    rejoinDateReason: text('rejoin_date_reason'),
    /** Why the participant resumed before the agreed date: to cover content missed (2.3.5). */
    earlyReturnReason: text('early_return_reason'),
    rejoinPlan: jsonb('rejoin_plan'),
    intentContactDueOn: date('intent_contact_due_on'),
    reasonableAdjustments: text('reasonable_adjustments'),
    decision: jsonb('decision'),
    decidedBy: integer('decided_by').references(() => appUser.id),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('deferral_case_enrolment_idx').on(t.enrolmentId),
    index('deferral_case_status_idx').on(t.status),
    uniqueIndex('deferral_case_one_open_per_enrolment_uq')
      .on(t.enrolmentId)
      .where(
        sql`status in ('requested', 'discussed', 'approved', 'deferred', 'intent_contact_due', 'confirmed')`,
      ),
    check(
      'deferral_case_status_valid',
      oneOf('status', [
        'requested',
        'discussed',
        'approved',
        'declined',
        'deferred',
        'intent_contact_due',
        'confirmed',
        'resumed',
        'withdrawn',
      ]),
    ),
  ],
);

/** Which window an enrolment is entered into; an approved assessment deferral moves it on. */
export const assessmentEntry = pgTable(
  'assessment_entry',
  {
    enrolmentId: integer('enrolment_id')
      .primaryKey()
      .references(() => enrolment.id),
    windowId: integer('window_id')
      .notNull()
      .references(() => assessmentWindow.id),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('assessment_entry_window_idx').on(t.windowId)],
);

export const assessmentSubmission = pgTable(
  'assessment_submission',
  {
    id: id(),
    enrolmentId: integer('enrolment_id')
      .notNull()
      .references(() => enrolment.id),
    windowId: integer('window_id')
      .notNull()
      .references(() => assessmentWindow.id),
    attemptNumber: integer('attempt_number').notNull(),
    submittedAt: timestamp('submitted_at', { withTimezone: true }).notNull(),
    outcome: text('outcome'),
    assessedBy: integer('assessed_by').references(() => appUser.id),
    assessedAt: timestamp('assessed_at', { withTimezone: true }),
    /** The uploaded file, kept in the object store under file_key (src/services/storage). */
    fileKey: text('file_key'),
    fileName: text('file_name'),
    fileType: text('file_type'),
    fileBytes: integer('file_bytes'),
    fileUploadedAt: timestamp('file_uploaded_at', { withTimezone: true }),
    /** The feedback the participant sees with the final outcome. */
    feedback: text('feedback'),
    /** The first marker's outcome and feedback; final at once unless sampled for moderation. */
    firstOutcome: text('first_outcome'),
    firstFeedback: text('first_feedback'),
    firstMarkedBy: integer('first_marked_by').references(() => appUser.id),
    firstMarkedAt: timestamp('first_marked_at', { withTimezone: true }),
    /** Sampled by the programme team for second marking (moderation). */
    moderationRequestedAt: timestamp('moderation_requested_at', { withTimezone: true }),
    moderationRequestedBy: integer('moderation_requested_by').references(() => appUser.id),
    secondOutcome: text('second_outcome'),
    secondFeedback: text('second_feedback'),
    secondMarkedBy: integer('second_marked_by').references(() => appUser.id),
    secondMarkedAt: timestamp('second_marked_at', { withTimezone: true }),
    version: integer('version').notNull().default(1),
  },
  (t) => [
    check('assessment_submission_file_type_valid', oneOf('file_type', ['pdf', 'docx', 'doc'])),
    check(
      'assessment_submission_marks_valid',
      sql`(${t.firstOutcome} is null or ${t.firstOutcome} in ('passed', 'failed'))
          and (${t.secondOutcome} is null or ${t.secondOutcome} in ('passed', 'failed'))`,
    ),
    index('assessment_submission_queue_idx').on(t.submittedAt),
    uniqueIndex('assessment_submission_attempt_uq').on(t.enrolmentId, t.attemptNumber),
    uniqueIndex('assessment_submission_window_uq').on(t.enrolmentId, t.windowId),
    check('assessment_submission_attempt_range', sql`${t.attemptNumber} between 1 and 2`),
    check(
      'assessment_submission_outcome_valid',
      sql`${t.outcome} is null or ${t.outcome} in ('passed', 'failed')`,
    ),
  ],
);

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

/**
 * Files kept in PostgreSQL by the default object store (src/services/storage/postgres.ts); a
 * deployment can point the store at S3-compatible object storage instead.
 */
export const storedObject = pgTable('stored_object', {
  key: text('key').primaryKey(),
  contentType: text('content_type').notNull(),
  size: integer('size').notNull(),
  body: bytea('body').notNull(),
  createdAt: createdAt(),
});

/** Window-close processing: one row per enrolment and window, so running it twice changes nothing. */
export const assessmentWindowResult = pgTable(
  'assessment_window_result',
  {
    enrolmentId: integer('enrolment_id')
      .notNull()
      .references(() => enrolment.id),
    windowId: integer('window_id')
      .notNull()
      .references(() => assessmentWindow.id),
    result: text('result').notNull(),
    decision: jsonb('decision').notNull(),
    processedAt: timestamp('processed_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.enrolmentId, t.windowId] }),
    check(
      'assessment_window_result_valid',
      oneOf('result', ['submitted', 'attempt_lost', 'protected', 'not_entered']),
    ),
  ],
);

export const assessmentDeferralCase = pgTable(
  'assessment_deferral_case',
  {
    id: id(),
    enrolmentId: integer('enrolment_id')
      .notNull()
      .references(() => enrolment.id),
    windowId: integer('window_id')
      .notNull()
      .references(() => assessmentWindow.id),
    status: text('status').notNull().default('requested'),
    circumstance: text('circumstance').notNull(),
    description: text('description').notNull(),
    requestedAt: timestamp('requested_at', { withTimezone: true }).notNull(),
    requestedBy: integer('requested_by')
      .notNull()
      .references(() => appUser.id),
    evidenceRequest: text('evidence_request'),
    evidenceNote: text('evidence_note'),
    nextWindowId: integer('next_window_id').references(() => assessmentWindow.id),
    decision: jsonb('decision'),
    decidedBy: integer('decided_by').references(() => appUser.id),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
  },
  (t) => [
    index('assessment_deferral_case_enrolment_idx').on(t.enrolmentId),
    uniqueIndex('assessment_deferral_case_open_uq')
      .on(t.enrolmentId, t.windowId)
      .where(sql`status in ('requested', 'evidence_requested', 'evidence_received')`),
    check(
      'assessment_deferral_case_status_valid',
      oneOf('status', [
        'requested',
        'evidence_requested',
        'evidence_received',
        'approved',
        'declined',
      ]),
    ),
  ],
);

/* ---------------------------------------------------------------------------------------------
 * Portability and withdrawal.
 * ------------------------------------------------------------------------------------------- */

export const schoolMove = pgTable(
  'school_move',
  {
    id: id(),
    participantId: integer('participant_id')
      .notNull()
      .references(() => participant.id),
    enrolmentId: integer('enrolment_id')
      .notNull()
      .references(() => enrolment.id),
    fromSchoolId: integer('from_school_id').references(() => school.id),
    toSchoolId: integer('to_school_id')
      .notNull()
      .references(() => school.id),
    movedOn: date('moved_on').notNull(),
    insideNetwork: boolean('inside_network').notNull(),
    notifiedBy: integer('notified_by')
      .notNull()
      .references(() => appUser.id),
    decision: jsonb('decision').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('school_move_participant_idx').on(t.participantId)],
);

export const transferCase = pgTable(
  'transfer_case',
  {
    id: id(),
    schoolMoveId: integer('school_move_id')
      .notNull()
      .unique()
      .references(() => schoolMove.id),
    enrolmentId: integer('enrolment_id')
      .notNull()
      .references(() => enrolment.id),
    status: text('status').notNull().default('opened'),
    receivingLeadProvider: text('receiving_lead_provider'),
    dataSharingConsent: boolean('data_sharing_consent'),
    consentRecordedAt: timestamp('consent_recorded_at', { withTimezone: true }),
    exportPackage: jsonb('export_package'),
    confirmedAt: timestamp('confirmed_at', { withTimezone: true }),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
  },
  (t) => [
    index('transfer_case_enrolment_idx').on(t.enrolmentId),
    check(
      'transfer_case_status_valid',
      oneOf('status', ['opened', 'provider_chosen', 'exported', 'transferred_out', 'cancelled']),
    ),
  ],
);

export const withdrawal = pgTable(
  'withdrawal',
  {
    id: id(),
    enrolmentId: integer('enrolment_id')
      .notNull()
      .unique()
      .references(() => enrolment.id),
    reason: text('reason').notNull(),
    withdrawnOn: date('withdrawn_on').notNull(),
    recordedBy: text('recorded_by').notNull(),
    note: text('note'),
    createdAt: createdAt(),
  },
  (_t) => [check('withdrawal_reason_valid', oneOf('reason', DFE_WITHDRAWAL_REASONS))],
);

/* ---------------------------------------------------------------------------------------------
 * Work the daily job creates: follow-ups for staff and alerts. Unique keys make it idempotent.
 * ------------------------------------------------------------------------------------------- */

export const staffTask = pgTable(
  'staff_task',
  {
    id: id(),
    kind: text('kind').notNull(),
    /** Null only for a 'dfe_refused' task about an application decision with no enrolment. */
    enrolmentId: integer('enrolment_id').references(() => enrolment.id),
    deferralCaseId: integer('deferral_case_id').references(() => deferralCase.id),
    /** For 'dfe_refused': the outbox request the DfE refused (its error text is on that row). */
    dfeOutboxId: bigint('dfe_outbox_id', { mode: 'number' }).references(() => dfeOutbox.id),
    /** For 'policy_review': the policy version due for review by its owner (policy 3.1.1). */
    policyVersionId: integer('policy_version_id').references(() => policyVersion.id),
    dueOn: date('due_on').notNull(),
    status: text('status').notNull().default('open'),
    createdAt: createdAt(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    /**
     * What closed the task, for 'options_contact': { contactedOn, choice: continue | withdraw |
     * other, note, by } (the participant told their options after the policy refused, 2.3.10).
     */
    outcome: jsonb('outcome'),
  },
  (t) => [
    uniqueIndex('staff_task_kind_case_uq').on(t.kind, t.deferralCaseId),
    index('staff_task_open_idx').on(t.status, t.dueOn),
    uniqueIndex('staff_task_kind_outbox_uq').on(t.kind, t.dfeOutboxId),
    uniqueIndex('staff_task_kind_policy_version_uq').on(t.kind, t.policyVersionId),
    check(
      'staff_task_kind_valid',
      oneOf('kind', ['intent_contact', 'dfe_refused', 'options_contact', 'policy_review']),
    ),
    check(
      'staff_task_enrolment_present',
      sql`${t.enrolmentId} is not null or ${t.kind} in ('dfe_refused', 'policy_review')`,
    ),
    check('staff_task_status_valid', oneOf('status', ['open', 'done'])),
  ],
);

/**
 * A register taken for a cohort event (a clinic, community session or conference): who took it and
 * when. The attendance itself is engagement evidence and booking status; this row says the register
 * exists (an event without one a day after it ended is a task) and versions corrections.
 */
export const eventRegister = pgTable('event_register', {
  id: id(),
  cohortEventId: integer('cohort_event_id')
    .notNull()
    .unique()
    .references(() => cohortEvent.id),
  takenBy: integer('taken_by')
    .notNull()
    .references(() => appUser.id),
  takenAt: timestamp('taken_at', { withTimezone: true }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  version: integer('version').notNull().default(1),
});

export const engagementAlert = pgTable(
  'engagement_alert',
  {
    id: id(),
    kind: text('kind').notNull(),
    enrolmentId: integer('enrolment_id')
      .notNull()
      .references(() => enrolment.id),
    raisedOn: date('raised_on').notNull(),
    details: jsonb('details').notNull(),
    /** The day the daily job found the condition no longer held; a later raise reopens it. */
    clearedOn: date('cleared_on'),
  },
  (t) => [
    uniqueIndex('engagement_alert_kind_enrolment_uq').on(t.kind, t.enrolmentId),
    check(
      'engagement_alert_kind_valid',
      oneOf('kind', ['engagement_unreachable', 'engagement_behind']),
    ),
  ],
);

/** A participant's private calendar feed (iCal); the URL's secret is stored only as a digest. */
export const calendarFeed = pgTable('calendar_feed', {
  participantId: integer('participant_id')
    .primaryKey()
    .references(() => participant.id),
  tokenHash: text('token_hash').notNull().unique(),
  createdAt: createdAt(),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
});

/**
 * Browser sessions. The cookie is encrypted and carries only this id, so signing out (or an
 * administrator) can end a session on the server: a copied cookie stops working at once.
 */
export const userSession = pgTable(
  'user_session',
  {
    id: text('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => appUser.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('user_session_user_idx').on(t.userId)],
);

/* ---------------------------------------------------------------------------------------------
 * The DfE lead provider API v3: applications in (pulled every 15 minutes), decisions out.
 * ------------------------------------------------------------------------------------------- */

/**
 * An NPQ application as the DfE last sent it (`attributes` verbatim, with the fields staff sort
 * and filter on copied into columns), and this lead provider's decision on it.
 */
export const dfeApplication = pgTable(
  'dfe_application',
  {
    id: id(),
    /** The DfE's id of the application (a UUID). */
    dfeId: text('dfe_id').notNull().unique(),
    /** The DfE's participant id (a UUID); kept as the participant's dfe_registration_id on accept. */
    dfeParticipantId: text('dfe_participant_id').notNull(),
    /** The DfE's status: pending, accepted or rejected. */
    dfeStatus: text('dfe_status').notNull(),
    courseIdentifier: text('course_identifier').notNull(),
    cohortYear: integer('cohort_year'),
    scheduleIdentifier: text('schedule_identifier'),
    schoolUrn: text('school_urn'),
    fullName: text('full_name').notNull(),
    fundedPlace: boolean('funded_place'),
    eligibleForFunding: boolean('eligible_for_funding').notNull(),
    trnValidated: boolean('trn_validated').notNull(),
    /** When the DfE last changed it (attributes.updated_at). */
    dfeUpdatedAt: timestamp('dfe_updated_at', { withTimezone: true }).notNull(),
    attributes: jsonb('attributes').notNull(),
    firstPulledAt: timestamp('first_pulled_at', { withTimezone: true }).notNull(),
    lastPulledAt: timestamp('last_pulled_at', { withTimezone: true }).notNull(),
    /** Our decision: null until staff accept or reject it. */
    decision: text('decision'),
    rejectionReason: text('rejection_reason'),
    decidedBy: integer('decided_by').references(() => appUser.id),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    deliveryPartnerId: integer('delivery_partner_id').references(() => deliveryPartner.id),
    enrolmentId: integer('enrolment_id').references(() => enrolment.id),
    version: integer('version').notNull().default(1),
  },
  (t) => [
    index('dfe_application_queue_idx').on(t.dfeStatus, t.decision, t.dfeUpdatedAt),
    index('dfe_application_updated_idx').on(t.dfeUpdatedAt),
    check('dfe_application_status_valid', oneOf('dfe_status', ['pending', 'accepted', 'rejected'])),
    check(
      'dfe_application_decision_valid',
      sql`${t.decision} is null or ${t.decision} in ('accepted', 'rejected')`,
    ),
  ],
);

/** Every version of an application the DfE sent: its history (one row per DfE updated_at). */
export const dfeApplicationVersion = pgTable(
  'dfe_application_version',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    applicationId: integer('application_id')
      .notNull()
      .references(() => dfeApplication.id),
    dfeUpdatedAt: timestamp('dfe_updated_at', { withTimezone: true }).notNull(),
    attributes: jsonb('attributes').notNull(),
    pullId: integer('pull_id').references(() => dfePull.id),
    pulledAt: timestamp('pulled_at', { withTimezone: true }).notNull(),
  },
  (t) => [uniqueIndex('dfe_application_version_uq').on(t.applicationId, t.dfeUpdatedAt)],
);

/** One run of the applications pull: the cursor of the next run is the start of the last success. */
export const dfePull = pgTable(
  'dfe_pull',
  {
    id: id(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    status: text('status').notNull().default('running'),
    updatedSince: timestamp('updated_since', { withTimezone: true }),
    pages: integer('pages').notNull().default(0),
    received: integer('received').notNull().default(0),
    created: integer('created').notNull().default(0),
    updated: integer('updated').notNull().default(0),
    unchanged: integer('unchanged').notNull().default(0),
    parked: integer('parked').notNull().default(0),
    retries: integer('retries').notNull().default(0),
    error: text('error'),
    startedBy: text('started_by').notNull(),
  },
  (t) => [
    index('dfe_pull_status_idx').on(t.status, t.startedAt),
    check('dfe_pull_status_valid', oneOf('status', ['running', 'succeeded', 'failed'])),
  ],
);

/**
 * A DfE response that did not match the contract, parked for staff with the field at fault: it is
 * never half-applied. Resolved by fetching it again (retry) or dismissing it.
 */
export const dfeParkedResponse = pgTable(
  'dfe_parked_response',
  {
    id: id(),
    /** What was being read, e.g. 'GET /api/v3/npq-applications page 3'. */
    source: text('source').notNull(),
    /** The DfE id of the record, when the record itself had one. */
    dfeId: text('dfe_id'),
    field: text('field').notNull(),
    problem: text('problem').notNull(),
    payload: jsonb('payload'),
    pullId: integer('pull_id').references(() => dfePull.id),
    createdAt: createdAt(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    resolvedBy: text('resolved_by'),
    resolution: text('resolution'),
  },
  (t) => [index('dfe_parked_response_open_idx').on(t.resolvedAt, t.createdAt)],
);

/* ---------------------------------------------------------------------------------------------
 * The DfE lead provider API v3, outgoing: participant changes and declarations.
 * ------------------------------------------------------------------------------------------- */

/**
 * A declaration npq-ops has worked out is due and sends (or sent) to the DfE. One live (not voided)
 * declaration per enrolment and type, as the DfE allows; a refused one stays until staff retry or
 * void it, so it is never resubmitted on its own. `status` is npq-ops' side
 * (queued → submitted; refused; voiding → voided); `dfe_state` is the DfE's own state.
 */
export const dfeDeclaration = pgTable(
  'dfe_declaration',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    enrolmentId: integer('enrolment_id')
      .notNull()
      .references(() => enrolment.id),
    participantId: integer('participant_id')
      .notNull()
      .references(() => participant.id),
    declarationType: text('declaration_type').notNull(),
    declarationDate: timestamp('declaration_date', { withTimezone: true }).notNull(),
    courseIdentifier: text('course_identifier').notNull(),
    hasPassed: boolean('has_passed'),
    status: text('status').notNull().default('queued'),
    dfeId: text('dfe_id').unique(),
    dfeState: text('dfe_state'),
    statementId: text('statement_id'),
    refusal: text('refusal'),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('dfe_declaration_live_uq')
      .on(t.enrolmentId, t.declarationType)
      .where(sql`status <> 'voided'`),
    index('dfe_declaration_participant_idx').on(t.participantId),
    index('dfe_declaration_statement_idx').on(t.statementId),
    check(
      'dfe_declaration_type_valid',
      oneOf('declaration_type', ['started', 'retained-1', 'retained-2', 'completed']),
    ),
    check(
      'dfe_declaration_status_valid',
      oneOf('status', ['queued', 'submitted', 'refused', 'voiding', 'voided']),
    ),
  ],
);

/**
 * The DfE outbox: every request npq-ops must make of the DfE, written in the same transaction as
 * the change that causes it and delivered by the job runner (see src/services/dfe/outbox/). Rows
 * are written whether or not DfE sync is configured, so turning it on later sends the backlog.
 * `request_key` is unique: enqueuing the same change twice stores one request.
 */
export const dfeOutbox = pgTable(
  'dfe_outbox',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    requestKey: text('request_key').notNull().unique(),
    action: text('action').notNull(),
    /** Null only for an application decision (reject, or an accept made before this column). */
    enrolmentId: integer('enrolment_id').references(() => enrolment.id),
    participantId: integer('participant_id').references(() => participant.id),
    /** For an application decision (accept, reject, change_funded_place): the application. */
    applicationId: integer('application_id').references(() => dfeApplication.id),
    declarationId: bigint('declaration_id', { mode: 'number' }).references(() => dfeDeclaration.id),
    /** The request's attributes, except participant_id (filled in from the participant at sending). */
    attributes: jsonb('attributes').notNull(),
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    lastError: text('last_error'),
    /** The DfE's answer to the request that settled it (an error body for a refusal). */
    response: jsonb('response'),
    /** Who made the change that caused the request (a member of staff, or 'system:…'). */
    createdBy: text('created_by'),
    createdAt: createdAt(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (t) => [
    index('dfe_outbox_application_idx').on(t.applicationId, t.id),
    check(
      'dfe_outbox_subject_present',
      sql`${t.applicationId} is not null or (${t.enrolmentId} is not null and ${t.participantId} is not null)`,
    ),
    index('dfe_outbox_due_idx')
      .on(t.nextAttemptAt)
      .where(sql`${t.status} in ('pending', 'sending')`),
    index('dfe_outbox_enrolment_idx').on(t.enrolmentId, t.id),
    check(
      'dfe_outbox_action_valid',
      oneOf('action', [
        'defer',
        'resume',
        'withdraw',
        'change_schedule',
        'declare',
        'void',
        'accept',
        'reject',
        'change_funded_place',
      ]),
    ),
    check(
      'dfe_outbox_status_valid',
      oneOf('status', ['pending', 'sending', 'sent', 'refused', 'failed', 'parked', 'dismissed']),
    ),
  ],
);

/** The DfE's payment statements, read for reconciliation (which declarations fall in which). */
export const dfeStatement = pgTable('dfe_statement', {
  dfeId: text('dfe_id').primaryKey(),
  cohort: text('cohort'),
  month: text('month'),
  year: text('year'),
  cutOffDate: date('cut_off_date'),
  paymentDate: date('payment_date'),
  paid: boolean('paid'),
  updatedAt: timestamp('updated_at', { withTimezone: true }),
  readAt: timestamp('read_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * The DfE's milestone dates for each cohort year's schedule: a declaration of a type is dated
 * within its milestone (src/domain/dfe-declarations.ts). A fresh database holds the DfE's 2025
 * dates; staff enter later years' dates from the DfE's published schedules (Administration → DfE
 * milestone dates, the API or the CLI). A cohort year with no dates has nothing declared.
 */
export const dfeMilestoneSchedule = pgTable(
  'dfe_milestone_schedule',
  {
    cohortYear: integer('cohort_year').notNull(),
    scheduleIdentifier: text('schedule_identifier').notNull(),
    startedOn: date('started_on').notNull(),
    retained1On: date('retained_1_on').notNull(),
    retained2On: date('retained_2_on'),
    completedOn: date('completed_on').notNull(),
    updatedByUserId: integer('updated_by_user_id').references(() => appUser.id),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.cohortYear, t.scheduleIdentifier] }),
    check(
      'dfe_milestone_schedule_identifier_valid',
      oneOf('schedule_identifier', SCHEDULE_IDENTIFIERS),
    ),
    check(
      'dfe_milestone_schedule_in_order',
      sql`started_on < retained_1_on and retained_1_on < completed_on
          and (retained_2_on is null or (retained_1_on < retained_2_on and retained_2_on < completed_on))`,
    ),
    check(
      'dfe_milestone_schedule_retained_2_leadership_only',
      sql`(retained_2_on is not null) = (schedule_identifier like 'npq-leadership-%')`,
    ),
  ],
);

/**
 * This installation's keys for signing transfer data-sharing packages (policy 2.6.4). The newest
 * key that is not retired signs; every key not retired is published in the JSON Web Key Set at
 * /.well-known/jwks.json so receiving lead providers can verify what we send.
 */
export const signingKey = pgTable(
  'signing_key',
  {
    id: id(),
    kid: text('kid').notNull().unique(),
    alg: text('alg').notNull(),
    publicJwk: jsonb('public_jwk').notNull(),
    privateJwk: jsonb('private_jwk').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
    retiredAt: timestamp('retired_at', { withTimezone: true }),
  },
  (_t) => [check('signing_key_alg_valid', oneOf('alg', ['EdDSA', 'ES256']))],
);

/** Public keys of other lead providers whose transfer packages we accept (registered by staff). */
export const trustedSenderKey = pgTable(
  'trusted_sender_key',
  {
    id: id(),
    kid: text('kid').notNull().unique(),
    senderName: text('sender_name').notNull(),
    alg: text('alg').notNull(),
    publicJwk: jsonb('public_jwk').notNull(),
    addedBy: text('added_by').notNull(),
    createdAt: createdAt(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (_t) => [check('trusted_sender_key_alg_valid', oneOf('alg', ['EdDSA', 'ES256']))],
);

/** A transfer package imported here: its digest makes a second import of the same file add nothing. */
export const transferImport = pgTable('transfer_import', {
  id: id(),
  packageDigest: text('package_digest').notNull().unique(),
  kid: text('kid').notNull(),
  senderName: text('sender_name').notNull(),
  participantId: integer('participant_id')
    .notNull()
    .references(() => participant.id),
  enrolmentId: integer('enrolment_id')
    .notNull()
    .references(() => enrolment.id),
  priorLearningRecords: integer('prior_learning_records').notNull(),
  importedBy: text('imported_by').notNull(),
  createdAt: createdAt(),
});

/**
 * The policy register (policy header, 3.1.1): every version of the NPQ Part-Time, Deferral and
 * Portability Policy with its owner, approver, issue date, summary of changes, who it applies to and
 * when it is next reviewed; and, for the versions npq-ops decides under, the parameters a version may
 * change (PolicyParameters, as JSON). The version in force on a date is the latest approved version
 * issued on or before it. Versions 1, 2 and 2.1 are history only (parameters null): npq-ops began
 * under 2.2. At most one draft exists at a time; the programme team edits it and an approver
 * approves it (it then publishes itself on /policy from its issue date).
 */
export const policyVersion = pgTable(
  'policy_version',
  {
    id: id(),
    version: text('version').notNull().unique(),
    status: text('status').notNull().default('draft'),
    owner: text('owner'),
    /** Who the policy's owner is to be emailed at when the review falls due (3.1.1); null: the programme team. */
    ownerEmail: text('owner_email'),
    /** The approver as published in the version table (a role or committee). */
    approver: text('approver'),
    approvedByUserId: integer('approved_by_user_id').references(() => appUser.id),
    approvedAt: timestamp('approved_at', { withTimezone: true }),
    /** The first day the version is in force (the version table's issue/release date). */
    issuedOn: date('issued_on'),
    summary: text('summary').notNull(),
    appliesTo: text('applies_to'),
    nextReviewOn: date('next_review_on'),
    /** PolicyParameters as JSON; null for a version kept for its history only. */
    parameters: jsonb('parameters'),
    basedOnVersion: text('based_on_version'),
    createdByUserId: integer('created_by_user_id').references(() => appUser.id),
    /** Who last edited the draft: neither they nor its creator may approve it. */
    updatedByUserId: integer('updated_by_user_id').references(() => appUser.id),
    /** When the review-due task and notice went to the policy owner (3.1.1), once per version. */
    reviewNoticeSentAt: timestamp('review_notice_sent_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    /** Optimistic concurrency for draft edits. */
    revision: integer('revision').notNull().default(1),
  },
  (t) => [
    check('policy_version_status_valid', oneOf('status', ['draft', 'approved', 'discarded'])),
    check(
      'policy_version_approved_complete',
      sql`${t.status} <> 'approved' or (${t.issuedOn} is not null and ${t.approver} is not null)`,
    ),
    uniqueIndex('policy_version_one_draft_uq')
      .on(t.status)
      .where(sql`${t.status} = 'draft'`),
    index('policy_version_in_force_idx').on(t.status, t.issuedOn),
  ],
);

/**
 * The NPQ catalogue as last seeded (src/db/seed/catalogue.ts): a fingerprint of the courses,
 * programmes, modules and activities it inserted. Start-up seeds again only when the catalogue in
 * the code differs from it, which spares every restart four cold statements (issue 13).
 */
export const catalogueSeed = pgTable('catalogue_seed', {
  name: text('name').primaryKey(),
  fingerprint: text('fingerprint').notNull(),
  seededAt: timestamp('seeded_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * The daily job's incremental steps (issue 13): when each last ran, for which London day, and under
 * which policy version (a fingerprint of the register in force). A step with no row, or run for an
 * earlier day than its row, or under another version, does everything.
 */
export const dailyStepRun = pgTable('daily_step_run', {
  step: text('step').primaryKey(),
  lastRunDay: date('last_run_day').notNull(),
  lastRunAt: timestamp('last_run_at', { withTimezone: true }).notNull(),
  registerKey: text('register_key').notNull(),
});

/**
 * What changed since each incremental step of the daily job last took its changes (issue 13):
 * written by statement triggers (drizzle/0025_daily_incremental.sql) in the same transaction as the
 * change, one row per step per participant or cohort touched; both null means "everything". A step
 * deletes the rows it reads, in the transaction that acts on them, so a change committed meanwhile
 * stays for the next run. Not deduplicated on purpose: a unique key would let a concurrent writer's
 * row be absorbed by one the step is about to delete.
 */
export const dailyChange = pgTable(
  'daily_change',
  {
    step: text('step').notNull(),
    participantId: integer('participant_id'),
    cohortId: integer('cohort_id'),
  },
  (t) => [index('daily_change_step_idx').on(t.step)],
);
