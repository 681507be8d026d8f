/**
 * The applications queue (reads only): what the programme team needs to accept or reject each
 * application the DfE sent. Only the programme team and admins see it; anyone else is told it
 * does not exist.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../../db/client.js';
import type { Actor } from '../../actor.js';
import { NotFoundError } from '../../errors.js';

export const APPLICATION_READERS: readonly Actor['role'][] = ['admin', 'programme_team'];

export function requireApplicationStaff(actor: Actor): void {
  if (!APPLICATION_READERS.includes(actor.role))
    throw new NotFoundError('Applications are not yours');
}

export const QUEUE_FILTERS = ['to_decide', 'accepted', 'rejected', 'all'] as const;
export type QueueFilter = (typeof QUEUE_FILTERS)[number];

export interface ApplicationSummary {
  id: number;
  dfeId: string;
  fullName: string;
  courseIdentifier: string;
  courseName: string | null;
  cohortYear: number | null;
  scheduleIdentifier: string | null;
  schoolUrn: string | null;
  schoolName: string | null;
  trnValidated: boolean;
  eligibleForFunding: boolean;
  fundedPlace: boolean | null;
  dfeStatus: 'pending' | 'accepted' | 'rejected';
  decision: 'accepted' | 'rejected' | null;
  /** Where the decision is with the DfE: not sent yet, sent, or refused (see the sync page). */
  dfeDelivery:
    'pending' | 'sending' | 'sent' | 'failed' | 'refused' | 'parked' | 'dismissed' | null;
  dfeUpdatedAt: string;
  version: number;
}

export interface ApplicationDetail extends ApplicationSummary {
  email: string | null;
  trn: string | null;
  fundingChoice: string | null;
  ineligibleForFundingReason: string | null;
  targetedDeliveryFunding: boolean;
  headteacherStatus: string | null;
  employmentRole: string | null;
  employerName: string | null;
  rejectionReason: string | null;
  decidedAt: string | null;
  decidedBy: string | null;
  deliveryPartner: { id: number; name: string } | null;
  /** The partner serving the school's local authority, offered first when accepting. */
  suggestedDeliveryPartnerId: number | null;
  /** The npq-ops cohort of this course and year, if one is set up. */
  cohort: { id: number; name: string } | null;
  enrolmentId: number | null;
  participantId: number | null;
  /** Every version the DfE sent, newest first. */
  history: { dfeUpdatedAt: string; pulledAt: string; status: string; changed: string[] }[];
  actions: {
    id: number;
    action: string;
    status: string;
    attempts: number;
    lastError: string | null;
    createdAt: string;
    sentAt: string | null;
  }[];
}

const iso = (v: string | Date | null): string | null =>
  v === null ? null : new Date(v).toISOString();

const FILTER_SQL: Record<QueueFilter, ReturnType<typeof sql>> = {
  to_decide: sql`a.decision is null and a.dfe_status = 'pending'`,
  accepted: sql`(a.decision = 'accepted' or a.dfe_status = 'accepted')`,
  rejected: sql`(a.decision = 'rejected' or a.dfe_status = 'rejected')`,
  all: sql`true`,
};

interface Row {
  id: number;
  dfe_id: string;
  full_name: string;
  course_identifier: string;
  course_name: string | null;
  cohort_year: number | null;
  schedule_identifier: string | null;
  school_urn: string | null;
  school_name: string | null;
  trn_validated: boolean;
  eligible_for_funding: boolean;
  funded_place: boolean | null;
  dfe_status: ApplicationSummary['dfeStatus'];
  decision: ApplicationSummary['decision'];
  dfe_delivery: ApplicationSummary['dfeDelivery'];
  dfe_updated_at: string | Date;
  version: number;
}

const SUMMARY_COLUMNS = sql`a.id, a.dfe_id, a.full_name, a.course_identifier, co.name as course_name,
  a.cohort_year, a.schedule_identifier, a.school_urn, s.name as school_name, a.trn_validated,
  a.eligible_for_funding, a.funded_place, a.dfe_status, a.decision, a.dfe_updated_at, a.version,
  (select x.status from dfe_outbox x where x.application_id = a.id order by x.id desc limit 1) as dfe_delivery`;

function summary(r: Row): ApplicationSummary {
  return {
    id: r.id,
    dfeId: r.dfe_id,
    fullName: r.full_name,
    courseIdentifier: r.course_identifier,
    courseName: r.course_name,
    cohortYear: r.cohort_year,
    scheduleIdentifier: r.schedule_identifier,
    schoolUrn: r.school_urn,
    schoolName: r.school_name,
    trnValidated: r.trn_validated,
    eligibleForFunding: r.eligible_for_funding,
    fundedPlace: r.funded_place,
    dfeStatus: r.dfe_status,
    decision: r.decision,
    dfeDelivery: r.dfe_delivery,
    dfeUpdatedAt: iso(r.dfe_updated_at)!,
    version: r.version,
  };
}

export async function listApplications(
  db: Db,
  actor: Actor,
  options: { filter?: QueueFilter; limit?: number; offset?: number } = {},
): Promise<{ items: ApplicationSummary[]; total: number; counts: Record<QueueFilter, number> }> {
  requireApplicationStaff(actor);
  const where = FILTER_SQL[options.filter ?? 'to_decide'];
  const rows = await queryRows<Row>(
    db,
    sql`select ${SUMMARY_COLUMNS}
        from dfe_application a
        left join course co on co.identifier = a.course_identifier
        left join school s on s.urn = a.school_urn
        where ${where}
        order by a.dfe_updated_at, a.id
        limit ${options.limit ?? 50} offset ${options.offset ?? 0}`,
  );
  const [counts] = await queryRows<Record<QueueFilter, number>>(
    db,
    sql`select count(*) filter (where ${FILTER_SQL.to_decide})::int as to_decide,
               count(*) filter (where ${FILTER_SQL.accepted})::int as accepted,
               count(*) filter (where ${FILTER_SQL.rejected})::int as rejected,
               count(*)::int as "all"
        from dfe_application a`,
  );
  const all = counts ?? { to_decide: 0, accepted: 0, rejected: 0, all: 0 };
  return { items: rows.map(summary), total: all[options.filter ?? 'to_decide'], counts: all };
}

export async function getApplication(db: Db, actor: Actor, id: number): Promise<ApplicationDetail> {
  requireApplicationStaff(actor);
  const [row] = await queryRows<
    Row & {
      attributes: Record<string, unknown>;
      rejection_reason: string | null;
      decided_at: string | Date | null;
      decided_by: string | null;
      partner_id: number | null;
      partner_name: string | null;
      suggested_partner_id: number | null;
      cohort_id: number | null;
      cohort_name: string | null;
      enrolment_id: number | null;
      participant_id: number | null;
    }
  >(
    db,
    sql`select ${SUMMARY_COLUMNS}, a.attributes, a.rejection_reason, a.decided_at,
               u.display_name as decided_by, dp.id as partner_id, dp.name as partner_name,
               (select sa.delivery_partner_id from service_area sa
                 where sa.local_authority_id = s.local_authority_id and sa.delivery_partner_id is not null
                 order by sa.id limit 1) as suggested_partner_id,
               c.id as cohort_id, c.name as cohort_name, a.enrolment_id, e.participant_id
        from dfe_application a
        left join course co on co.identifier = a.course_identifier
        left join school s on s.urn = a.school_urn
        left join app_user u on u.id = a.decided_by
        left join delivery_partner dp on dp.id = a.delivery_partner_id
        left join enrolment e on e.id = a.enrolment_id
        left join lateral (
          select c.id, c.name from cohort c join programme p on p.id = c.programme_id
          where p.course_id = co.id and c.year = a.cohort_year
            and ${actor.role === 'admin' ? sql`true` : sql`c.lead_provider_id = ${actor.leadProviderId ?? -1}`}
          order by c.id limit 1) c on true
        where a.id = ${id}`,
  );
  if (!row) throw new NotFoundError('Application not found');
  const versions = await queryRows<{
    dfe_updated_at: string | Date;
    pulled_at: string | Date;
    attributes: Record<string, unknown>;
  }>(
    db,
    sql`select dfe_updated_at, pulled_at, attributes from dfe_application_version
        where application_id = ${id} order by dfe_updated_at desc limit 50`,
  );
  const actions = await queryRows<{
    id: number;
    action: string;
    status: string;
    attempts: number;
    last_error: string | null;
    created_at: string | Date;
    sent_at: string | Date | null;
  }>(
    db,
    sql`select id::int as id, action, status, attempts, last_error, created_at, sent_at
        from dfe_outbox where application_id = ${id} order by id`,
  );
  const a = row.attributes;
  const str = (k: string) => (typeof a[k] === 'string' ? (a[k] as string) : null);
  return {
    ...summary(row),
    email: str('email'),
    trn: str('teacher_reference_number'),
    fundingChoice: str('funding_choice'),
    ineligibleForFundingReason: str('ineligible_for_funding_reason'),
    targetedDeliveryFunding: a.targeted_delivery_funding_eligibility === true,
    headteacherStatus: str('headteacher_status'),
    employmentRole: str('employment_role'),
    employerName: str('employer_name'),
    rejectionReason: row.rejection_reason,
    decidedAt: iso(row.decided_at),
    decidedBy: row.decided_by,
    deliveryPartner: row.partner_id ? { id: row.partner_id, name: row.partner_name ?? '' } : null,
    suggestedDeliveryPartnerId: row.suggested_partner_id,
    cohort: row.cohort_id ? { id: row.cohort_id, name: row.cohort_name ?? '' } : null,
    enrolmentId: row.enrolment_id,
    participantId: row.participant_id,
    history: versions.map((v, i) => {
      const older = versions[i + 1]?.attributes;
      return {
        dfeUpdatedAt: iso(v.dfe_updated_at)!,
        pulledAt: iso(v.pulled_at)!,
        status: String(v.attributes.status ?? ''),
        changed: older
          ? Object.keys(v.attributes).filter(
              (k) =>
                k !== 'updated_at' && JSON.stringify(v.attributes[k]) !== JSON.stringify(older[k]),
            )
          : [],
      };
    }),
    actions: actions.map((x) => ({
      id: x.id,
      action: x.action,
      status: x.status,
      attempts: x.attempts,
      lastError: x.last_error,
      createdAt: iso(x.created_at)!,
      sentAt: iso(x.sent_at),
    })),
  };
}

/** Delivery partners the actor may place an accepted applicant with. */
export async function partnersFor(db: Db, actor: Actor): Promise<{ id: number; name: string }[]> {
  requireApplicationStaff(actor);
  return queryRows<{ id: number; name: string }>(
    db,
    sql`select id, name from delivery_partner
        where ${actor.role === 'admin' ? sql`true` : sql`lead_provider_id = ${actor.leadProviderId ?? -1}`}
        order by name`,
  );
}
