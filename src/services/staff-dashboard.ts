/**
 * Read models for the staff pages: the cohorts overview, a cohort's dashboard (engagement bands,
 * the at-risk list, what is coming up), participant search, a participant's record and the case
 * queues. Every query filters in the database by what the actor may see (enrolmentVisibleTo), so a
 * delivery partner's pages and exports only ever hold its own participants.
 */
import { openAlertsForEnrolments } from './engagement-alerts.js';
import { parse as parseCsv } from 'csv-parse/sync';
import { sql, type SQL } from 'drizzle-orm';
import { arrayParam, queryRows } from '../db/client.js';
import {
  IN_PROGRESS_STATUSES,
  cohortEngagement,
  cohortEngagementPage,
  cohortEngagementSummary,
  type EnrolmentEngagementRow,
} from '../db/queries/cohort-engagement.js';
import { loadCohortPlan, loadCohorts } from '../db/queries/enrolment-facts.js';
import { ENROLMENT_STATUSES, type EnrolmentStatus } from '../domain/catalogue.js';
import {
  evaluateFundingAtDeferral,
  formatBasisPoints,
  formatThreshold,
  londonDateOf,
  type Decision,
} from '../policy/index.js';
import { registerInForce } from './policy-register.js';
import { actorLabel, isStaff, type Actor } from './actor.js';
import { participantAuditLog, type AuditEventView } from './audit-log.js';
import { cohortVisibleTo, enrolmentVisibleTo, requireParticipant } from './authorisation.js';
import { getEnrolmentEngagement, type EnrolmentEngagement } from './engagement/read.js';
import { ForbiddenError, NotFoundError, ValidationError } from './errors.js';
import {
  PARTICIPANT_CSV_COLUMNS,
  importParticipantRecords,
  type ImportSummary,
} from './participant-import.js';
import {
  getParticipant,
  listParticipants,
  type ParticipantListItem,
  type ServiceDeps,
} from './participants.js';

/** Staff pages are for staff; anyone else is told the page does not exist. */
export function requireStaff(actor: Actor): void {
  if (!isStaff(actor)) throw new NotFoundError('Page not found');
}

/* ---------------------------------------------------------------------------------------------
 * Cohorts overview
 * ------------------------------------------------------------------------------------------- */

export interface CohortOverviewItem {
  id: number;
  name: string;
  year: number;
  course: string;
  startDate: string;
  engagementDeadline: string;
  isFinal: boolean;
  contractEndDate: string | null;
  participants: number;
  active: number;
  deferred: number;
}

export async function cohortOverview(
  { db }: Pick<ServiceDeps, 'db'>,
  actor: Actor,
): Promise<CohortOverviewItem[]> {
  requireStaff(actor);
  const rows = await queryRows<{
    id: number;
    name: string;
    year: number;
    course: string;
    start_date: string;
    engagement_deadline: string;
    is_final: boolean;
    contract_end_date: string | null;
    participants: number;
    active: number;
    deferred: number;
  }>(
    db,
    sql`select c.id, c.name, c.year, co.name as course, c.start_date::text, c.engagement_deadline::text,
               c.is_final, c.contract_end_date::text,
               coalesce(n.participants, 0)::int as participants, coalesce(n.active, 0)::int as active,
               coalesce(n.deferred, 0)::int as deferred
        from cohort c
        join programme p on p.id = c.programme_id join course co on co.id = p.course_id
        left join lateral (
          select count(*) as participants,
                 count(*) filter (where e.status = 'active') as active,
                 count(*) filter (where e.status = 'deferred') as deferred
          from enrolment e where e.cohort_id = c.id and (${enrolmentVisibleTo(actor)})
        ) n on true
        where ${cohortVisibleTo(actor)}
        order by c.year desc, co.name`,
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    year: r.year,
    course: r.course,
    startDate: r.start_date,
    engagementDeadline: r.engagement_deadline,
    isFinal: r.is_final,
    contractEndDate: r.contract_end_date,
    participants: r.participants,
    active: r.active,
    deferred: r.deferred,
  }));
}

/* ---------------------------------------------------------------------------------------------
 * Cohort dashboard
 * ------------------------------------------------------------------------------------------- */

export interface DashboardFilters {
  deliveryPartnerId?: number | undefined;
  status?: EnrolmentStatus | undefined;
  atRiskOnly?: boolean | undefined;
}

export interface EngagementBand {
  key: string;
  label: string;
  count: number;
}

export interface UpcomingItem {
  on: string;
  /** Inclusive last day, for windows. */
  until: string | null;
  kind: 'module_release' | 'clinic' | 'community_session' | 'conference' | 'deadline' | 'window';
  title: string;
}

export interface DashboardRow extends EnrolmentEngagementRow {
  engagement: string;
  /** Where the participant would ideally be today at the ideal windows' pace (2.1.1, 2.2.1.1). */
  expected: string;
  projected: string;
  bestPossible: string;
  /** The open engagement alert the daily job raised, with its date (on the at-risk list only). */
  alert?: { label: string; raisedOn: string } | null;
}

export interface CohortDashboard {
  cohort: {
    id: number;
    name: string;
    year: number;
    course: string;
    startDate: string;
    engagementDeadline: string;
    endDate: string;
    isFinal: boolean;
    contractEndDate: string | null;
    /** Days each module is released ahead of its ideal window (2.2.1.1). */
    releaseLeadDays: number;
  };
  today: string;
  thresholdLabel: string;
  /** One page of the participants matching the filters, by name. */
  rows: DashboardRow[];
  /** The page shown (out-of-range pages show the last) and how many there are. */
  page: { current: number; pages: number; size: number; from: number; upTo: number };
  /** Totals over every participant matching the filters, not just the page. */
  totals: { participants: number; atRisk: number; averageEngagement: string };
  /** The gravest at risk, at most AT_RISK_SHOWN (totals.atRisk says how many there are). */
  atRisk: DashboardRow[];
  bands: EngagementBand[];
  upcoming: UpcomingItem[];
  /** Partners with participants in this cohort the actor can see (for the filter). */
  deliveryPartners: { id: number; name: string }[];
  /** Whether the actor may filter by partner (a partner's staff only ever see their own). */
  canFilterByPartner: boolean;
  statuses: readonly EnrolmentStatus[];
}

/** Participants still working towards the deadline; the others are not "at risk" of anything. */
const IN_PROGRESS = IN_PROGRESS_STATUSES;

/** Participants in a page of the dashboard's table. */
export const DASHBOARD_PAGE_SIZE = 50;
/** The at-risk list shows the gravest this many; the at-risk filter pages through them all. */
export const AT_RISK_SHOWN = 50;

async function requireCohort(db: ServiceDeps['db'], actor: Actor, cohortId: number) {
  const [row] = await queryRows<{
    id: number;
    name: string;
    year: number;
    course: string;
    start_date: string;
    engagement_deadline: string;
    end_date: string;
    is_final: boolean;
    contract_end_date: string | null;
    release_lead_days: number;
  }>(
    db,
    sql`select c.id, c.name, c.year, co.name as course, c.start_date::text, c.engagement_deadline::text,
               c.end_date::text, c.is_final, c.contract_end_date::text, c.release_lead_days
        from cohort c join programme p on p.id = c.programme_id join course co on co.id = p.course_id
        where c.id = ${cohortId} and (${cohortVisibleTo(actor)})`,
  );
  if (!row) throw new NotFoundError('Cohort not found');
  return {
    id: row.id,
    name: row.name,
    year: row.year,
    course: row.course,
    startDate: row.start_date,
    engagementDeadline: row.engagement_deadline,
    endDate: row.end_date,
    isFinal: row.is_final,
    contractEndDate: row.contract_end_date,
    releaseLeadDays: row.release_lead_days,
  };
}

/** Every row of the dashboard for its CSV export: one query, the same filters as the page. */
export async function cohortEngagementRows(
  { db, clock }: ServiceDeps,
  actor: Actor,
  cohortId: number,
  filters: DashboardFilters,
): Promise<{ cohort: CohortDashboard['cohort']; today: string; rows: DashboardRow[] }> {
  requireStaff(actor);
  const cohort = await requireCohort(db, actor, cohortId);
  const today = londonDateOf(clock.now());
  const rows = await cohortEngagement(db, {
    cohortId,
    today,
    register: await registerInForce(db, today),
    visibleTo: dashboardConditions(actor, filters),
  });
  return {
    cohort,
    today,
    rows: rows.filter((r) => !filters.atRiskOnly || isAtRisk(r)).map(withLabels),
  };
}

/** What the actor may see, narrowed by the partner and status filters (over enrolment `e`). */
function dashboardConditions(actor: Actor, filters: DashboardFilters): SQL {
  const conditions: SQL[] = [sql`(${enrolmentVisibleTo(actor)})`];
  if (filters.deliveryPartnerId !== undefined) {
    conditions.push(sql`e.delivery_partner_id = ${filters.deliveryPartnerId}`);
  }
  if (filters.status !== undefined) conditions.push(sql`e.status = ${filters.status}`);
  return sql.join(conditions, sql` and `);
}

function isAtRisk(r: EnrolmentEngagementRow): boolean {
  return r.atRisk && IN_PROGRESS.includes(r.status);
}

function withLabels(r: EnrolmentEngagementRow): DashboardRow {
  return {
    ...r,
    engagement: formatBasisPoints(r.basisPoints),
    // From the same set-based statement: due by today over the total (expectedBasisPoints).
    expected: formatBasisPoints(r.expectedBasisPoints),
    projected: formatBasisPoints(r.projectedBasisPoints),
    bestPossible: formatBasisPoints(r.bestPossibleBasisPoints),
  };
}

/**
 * The dashboard with one page of its participants (`page` from 1; past the last shows the last).
 * The totals, bands and at-risk list cover everyone matching the filters: one aggregate statement,
 * then the page's rows.
 */
export async function cohortDashboard(
  deps: ServiceDeps,
  actor: Actor,
  cohortId: number,
  filters: DashboardFilters,
  requestedPage = 1,
): Promise<CohortDashboard> {
  requireStaff(actor);
  const { db, clock } = deps;
  const cohort = await requireCohort(db, actor, cohortId);
  const today = londonDateOf(clock.now());
  const register = await registerInForce(db, today);
  const options = {
    cohortId,
    today,
    register,
    visibleTo: dashboardConditions(actor, filters),
    atRiskOnly: filters.atRiskOnly === true,
  };
  const summary = await cohortEngagementSummary(db, { ...options, atRiskShown: AT_RISK_SHOWN });
  const size = DASHBOARD_PAGE_SIZE;
  const pages = Math.max(1, Math.ceil(summary.participants / size));
  const current = Math.min(Math.max(1, Math.floor(requestedPage)), pages);
  const rows = (
    await cohortEngagementPage(db, { ...options, limit: size, offset: (current - 1) * size })
  ).map(withLabels);
  const bands = summary.bands;
  const risky = summary.atRiskRows.map(withLabels);
  // The alerts the daily job raised for them, with the day raised (the gravest if both are open).
  const alerts = await openAlertsForEnrolments(
    db,
    actor,
    risky.map((r) => r.enrolmentId),
  );
  const atRisk = risky.map((r) => {
    const mine = alerts.filter((a) => a.enrolmentId === r.enrolmentId);
    const alert = mine.find((a) => a.kind === 'engagement_unreachable') ?? mine[0];
    return { ...r, alert: alert ? { label: alert.label, raisedOn: alert.raisedOn } : null };
  });

  const upcomingRows = await queryRows<{
    on_day: string;
    until_day: string | null;
    kind: UpcomingItem['kind'];
    title: string;
  }>(
    db,
    sql`select * from (
          select r.release_date::text as on_day, r.ideal_window_end::text as until_day,
                 'module_release' as kind, 'Module ' || m.position || ' released: ' || m.title as title
          from cohort_module_release r join programme_module m on m.id = r.module_id
          where r.cohort_id = ${cohortId} and r.ideal_window_end >= ${today}::date
          union all
          select min((ev.starts_at at time zone 'Europe/London')::date)::text,
                 case when count(*) > 1 then max((ev.starts_at at time zone 'Europe/London')::date)::text end,
                 a.kind, a.title
          from cohort_event ev join programme_activity a on a.id = ev.activity_id
          where ev.cohort_id = ${cohortId}
          group by a.id, a.kind, a.title
          having max((ev.starts_at at time zone 'Europe/London')::date) >= ${today}::date
          union all
          select c.engagement_deadline::text, null, 'deadline',
                 ${`Deadline for ${formatThreshold(register.parameters.engagementThresholdBp)} engagement`}::text
          from cohort c where c.id = ${cohortId} and c.engagement_deadline >= ${today}::date
          union all
          select w.opens_on::text, w.closes_on::text, 'window', 'Assessment window ' || w.sequence_number
          from assessment_window w where w.cohort_id = ${cohortId} and w.closes_on >= ${today}::date
        ) u order by on_day, kind, title limit 12`,
  );
  const canFilterByPartner = actor.role !== 'delivery_partner_staff';
  const deliveryPartners = await queryRows<{ id: number; name: string }>(
    db,
    sql`select distinct dp.id, dp.name from enrolment e join cohort c on c.id = e.cohort_id
        join delivery_partner dp on dp.id = e.delivery_partner_id
        where e.cohort_id = ${cohortId} and (${enrolmentVisibleTo(actor)}) order by dp.name`,
  );
  return {
    cohort,
    today,
    thresholdLabel: formatThreshold(register.parameters.engagementThresholdBp),
    rows,
    page: {
      current,
      pages,
      size,
      from: rows.length === 0 ? 0 : (current - 1) * size + 1,
      upTo: (current - 1) * size + rows.length,
    },
    totals: {
      participants: summary.participants,
      atRisk: summary.atRisk,
      averageEngagement: formatBasisPoints(summary.averageBasisPoints),
    },
    atRisk,
    bands,
    upcoming: upcomingRows.map((u) => ({
      on: u.on_day,
      until: u.until_day,
      kind: u.kind,
      title: u.title,
    })),
    deliveryPartners,
    canFilterByPartner,
    statuses: ENROLMENT_STATUSES,
  };
}

/** CSV text for the dashboard rows; cells that a spreadsheet would run as a formula are defused. */
export function engagementCsv(rows: readonly DashboardRow[]): string {
  const header = [
    'participant_id',
    'enrolment_id',
    'full_name',
    'delivery_partner',
    'status',
    'engagement',
    'expected_by_today',
    'projected_at_deadline',
    'best_possible',
    'meets_90',
    'reachable',
    'at_risk',
  ];
  const lines = rows.map((r) =>
    [
      r.participantId,
      r.enrolmentId,
      r.fullName,
      r.deliveryPartner,
      r.status,
      r.engagement,
      r.expected,
      r.projected,
      r.bestPossible,
      r.meetsThreshold ? 'yes' : 'no',
      r.reachable ? 'yes' : 'no',
      isAtRisk(r) ? 'yes' : 'no',
    ]
      .map(csvCell)
      .join(','),
  );
  return [header.join(','), ...lines].join('\r\n') + '\r\n';
}

export function csvCell(value: string | number): string {
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/* ---------------------------------------------------------------------------------------------
 * Participants: search and the record
 * ------------------------------------------------------------------------------------------- */

/** Participants the actor may see, by name (any part) or TRN (its start), a page at a time. */
export async function searchParticipants(
  deps: ServiceDeps,
  actor: Actor,
  filter: { q?: string | undefined; limit: number; offset: number },
): Promise<{ items: ParticipantListItem[]; total: number }> {
  requireStaff(actor);
  return listParticipants(deps, actor, filter);
}

export interface TimelineEntry {
  at: string;
  kind: 'engagement' | 'decision';
  title: string;
  detail: string;
}

export interface OpenCase {
  type: 'deferral' | 'assessment_deferral' | 'transfer' | 'intent_contact';
  id: number;
  status: string;
  openedOn: string;
  href: string;
  label: string;
}

export interface ParticipantRecord {
  participant: Awaited<ReturnType<typeof getParticipant>>;
  enrolments: {
    id: number;
    cohortId: number;
    cohortName: string;
    deliveryPartner: string;
    status: string;
    deferralCount: number;
    attemptsUsed: number;
    attemptsLeft: number;
    engagement: EnrolmentEngagement;
  }[];
  funding: Decision;
  timeline: TimelineEntry[];
  openCases: OpenCase[];
  /** Null for roles that do not read the audit log (coaches, assessors, facilitators). */
  auditLog: AuditEventView[] | null;
}

const AUDIT_TITLES: Record<string, string> = {
  DEFERRAL_REQUESTED: 'Deferral requested',
  DEFERRAL_REQUEST_DECLINED_BY_POLICY: 'Deferral request declined by the policy',
  DEFERRAL_DISCUSSED: 'Deferral options discussed',
  DEFERRAL_EXCEPTION_APPROVED: 'Further deferral approved as an exception',
  DEFERRAL_APPROVED: 'Deferral approved',
  DEFERRAL_DECLINED: 'Deferral declined',
  DEFERRAL_STARTED: 'Deferral started',
  DEFERRAL_RETURN_CONFIRMED: 'Return confirmed',
  DEFERRAL_RESUMED: 'Re-joined after deferral',
  ACTED_FOR_PARTICIPANT: 'Staff acted for the participant',
};

/** "SOME_EVENT_NAME" as "Some event name" when there is no better title. */
export function auditTitle(what: string): string {
  const known = AUDIT_TITLES[what];
  if (known) return known;
  const words = what.toLowerCase().replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export async function participantRecord(
  deps: ServiceDeps,
  actor: Actor,
  participantId: number,
): Promise<ParticipantRecord> {
  requireStaff(actor);
  const { db } = deps;
  await requireParticipant(db, actor, participantId);
  const participant = await getParticipant(deps, actor, participantId);
  const facts = await queryRows<{
    id: number;
    deferral_count: number;
    assessment_attempts_used: number;
  }>(
    db,
    sql`select e.id, e.deferral_count, e.assessment_attempts_used from enrolment e
        where e.id = any(${arrayParam(participant.enrolments.map((e) => e.id))}::int[])`,
  );
  const maxAttempts = (await registerInForce(db, londonDateOf(deps.clock.now()))).parameters
    .assessmentAttempts;
  const enrolments = [];
  for (const e of participant.enrolments) {
    const f = facts.find((x) => x.id === e.id);
    const used = f?.assessment_attempts_used ?? 0;
    enrolments.push({
      ...e,
      deferralCount: f?.deferral_count ?? 0,
      attemptsUsed: used,
      attemptsLeft: Math.max(0, maxAttempts - used),
      engagement: await getEnrolmentEngagement(deps, actor, e.id),
    });
  }
  const engagement = await queryRows<{
    occurred_at: string | Date;
    kind: string;
    title: string;
    source: string;
  }>(
    db,
    // Only the programmes of the enrolments this actor may see (a participant can be with two partners).
    sql`select r.occurred_at, r.kind, a.title, r.source from engagement_record r
        join programme_activity a on a.id = r.activity_id
        where r.participant_id = ${participantId}
          and a.programme_id in (select c.programme_id from enrolment e join cohort c on c.id = e.cohort_id
                                 where e.participant_id = ${participantId} and (${enrolmentVisibleTo(actor)}))
        order by r.occurred_at desc, r.id desc`,
  );
  let auditLog: AuditEventView[] | null = null;
  try {
    auditLog = await participantAuditLog(deps, actor, participantId);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  const timeline: TimelineEntry[] = [
    ...engagement.map((r) => ({
      at: new Date(r.occurred_at).toISOString(),
      kind: 'engagement' as const,
      title: r.title,
      detail: `${r.kind === 'study_session' ? 'Completed' : 'Attended'} (${r.source})`,
    })),
    ...(auditLog ?? []).map((a) => ({
      at: a.occurredAt,
      kind: 'decision' as const,
      title: auditTitle(a.what),
      detail: `By ${a.whoName}`,
    })),
  ].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));

  const openCases = await participantOpenCases(deps, actor, participantId);
  return {
    participant,
    enrolments,
    funding: evaluateFundingAtDeferral(
      {
        fundingRoute: participant.fundingRoute as Parameters<
          typeof evaluateFundingAtDeferral
        >[0]['fundingRoute'],
      },
      await registerInForce(deps.db, londonDateOf(deps.clock.now())),
    ),
    timeline,
    openCases,
    auditLog,
  };
}

/* ---------------------------------------------------------------------------------------------
 * Case queues
 * ------------------------------------------------------------------------------------------- */

export const OPEN_DEFERRAL_STATUSES = [
  'requested',
  'discussed',
  'approved',
  'deferred',
  'intent_contact_due',
  'confirmed',
] as const;
export const OPEN_ASSESSMENT_DEFERRAL_STATUSES = [
  'requested',
  'evidence_requested',
  'evidence_received',
] as const;
export const OPEN_TRANSFER_STATUSES = ['opened', 'provider_chosen', 'exported'] as const;

export type QueueKind = 'deferrals' | 'assessment-deferrals' | 'school-moves' | 'intent-contacts';

export interface QueueItem {
  id: number;
  participantId: number;
  fullName: string;
  cohortName: string;
  deliveryPartner: string;
  status: string;
  on: string;
  href: string;
  summary: string;
}

function queueSql(kind: QueueKind, actor: Actor, openOnly: boolean, participantId?: number): SQL {
  const visible = enrolmentVisibleTo(actor);
  const forParticipant =
    participantId === undefined ? sql`` : sql` and e.participant_id = ${participantId}`;
  const base = (from: SQL, where: SQL, order: SQL) =>
    sql`${from} join enrolment e on e.id = x.enrolment_id join cohort c on c.id = e.cohort_id
        join participant p on p.id = e.participant_id join delivery_partner dp on dp.id = e.delivery_partner_id
        where (${visible})${forParticipant} and ${where} order by ${order}`;
  switch (kind) {
    case 'deferrals':
      return base(
        sql`select x.id, p.id as participant_id, p.full_name, c.name as cohort_name, dp.name as delivery_partner,
                   case when x.status = 'declined' and x.decided_by is null
                        then 'refused by the policy: tell the participant their options' else x.status end as status,
                   x.requested_on::text as on_day, x.circumstance as summary from deferral_case x`,
        // A request the policy refused at once (decided by no one) stays in the queue until staff
        // record that they told the participant their options (2.3.4, 2.3.10): its open task.
        openOnly
          ? sql`(x.status = any(${arrayParam([...OPEN_DEFERRAL_STATUSES])}::text[])
                 or (x.status = 'declined' and x.decided_by is null
                     and exists (select 1 from staff_task t where t.deferral_case_id = x.id
                                 and t.kind = 'options_contact' and t.status = 'open')))`
          : sql`true`,
        sql`x.requested_on, x.id`,
      );
    case 'assessment-deferrals':
      return base(
        sql`select x.id, p.id as participant_id, p.full_name, c.name as cohort_name, dp.name as delivery_partner,
                   x.status, (x.requested_at at time zone 'Europe/London')::date::text as on_day,
                   x.circumstance as summary from assessment_deferral_case x`,
        openOnly
          ? sql`x.status = any(${arrayParam([...OPEN_ASSESSMENT_DEFERRAL_STATUSES])}::text[])`
          : sql`true`,
        sql`x.requested_at, x.id`,
      );
    case 'school-moves':
      return base(
        sql`select x.id, p.id as participant_id, p.full_name, c.name as cohort_name, dp.name as delivery_partner,
                   coalesce(t.status, case when x.inside_network then 'inside_network' else 'outside_network' end) as status,
                   x.moved_on::text as on_day, ts.name as summary
            from school_move x join school ts on ts.id = x.to_school_id
            left join transfer_case t on t.school_move_id = x.id`,
        openOnly
          ? sql`t.status = any(${arrayParam([...OPEN_TRANSFER_STATUSES])}::text[])`
          : sql`true`,
        sql`x.moved_on desc, x.id desc`,
      );
    case 'intent-contacts':
      return base(
        sql`select x.id, p.id as participant_id, p.full_name, c.name as cohort_name, dp.name as delivery_partner,
                   x.status, x.due_on::text as on_day, coalesce(x.deferral_case_id::text, '') as summary
            from staff_task x`,
        sql`x.kind = 'intent_contact'${openOnly ? sql` and x.status = 'open'` : sql``}`,
        sql`x.due_on, x.id`,
      );
  }
}

interface QueueRow {
  id: number;
  participant_id: number;
  full_name: string;
  cohort_name: string;
  delivery_partner: string;
  status: string;
  on_day: string;
  summary: string;
}

function hrefOf(kind: QueueKind, r: QueueRow): string {
  switch (kind) {
    case 'deferrals':
      return `/cases/deferrals/${r.id}`;
    case 'assessment-deferrals':
      return `/cases/assessment-deferrals/${r.id}`;
    case 'school-moves':
      return `/cases/school-moves/${r.id}`;
    case 'intent-contacts':
      return r.summary ? `/cases/deferrals/${r.summary}` : `/participants/${r.participant_id}`;
  }
}

export async function caseQueue(
  { db }: ServiceDeps,
  actor: Actor,
  kind: QueueKind,
  options: { openOnly: boolean } = { openOnly: true },
): Promise<QueueItem[]> {
  requireStaff(actor);
  const rows = await queryRows<QueueRow>(
    db,
    sql`${queueSql(kind, actor, options.openOnly)} limit 200`,
  );
  return rows.map((r) => ({
    id: r.id,
    participantId: r.participant_id,
    fullName: r.full_name,
    cohortName: r.cohort_name,
    deliveryPartner: r.delivery_partner,
    status: r.status,
    on: r.on_day,
    href: hrefOf(kind, r),
    summary: kind === 'intent-contacts' ? 'Ask whether they intend to return' : r.summary,
  }));
}

export async function caseQueueCounts(
  deps: ServiceDeps,
  actor: Actor,
): Promise<Record<QueueKind, number>> {
  requireStaff(actor);
  const kinds: QueueKind[] = [
    'deferrals',
    'assessment-deferrals',
    'school-moves',
    'intent-contacts',
  ];
  const [row] = await queryRows<Record<string, number>>(
    deps.db,
    sql`select ${sql.join(
      kinds.map(
        (k) =>
          sql`(select count(*)::int from (${queueSql(k, actor, true)}) q) as ${sql.identifier(k)}`,
      ),
      sql`, `,
    )}`,
  );
  return Object.fromEntries(kinds.map((k) => [k, Number(row?.[k] ?? 0)])) as Record<
    QueueKind,
    number
  >;
}

async function participantOpenCases(
  { db }: ServiceDeps,
  actor: Actor,
  participantId: number,
): Promise<OpenCase[]> {
  const labels: Record<QueueKind, [OpenCase['type'], string]> = {
    deferrals: ['deferral', 'Deferral'],
    'assessment-deferrals': ['assessment_deferral', 'Assessment deferral'],
    'school-moves': ['transfer', 'School move'],
    'intent-contacts': ['intent_contact', 'Intent to return contact'],
  };
  const out: OpenCase[] = [];
  for (const kind of Object.keys(labels) as QueueKind[]) {
    const rows = await queryRows<QueueRow>(db, queueSql(kind, actor, true, participantId));
    for (const r of rows) {
      const [type, label] = labels[kind];
      out.push({
        type,
        id: r.id,
        status: r.status,
        openedOn: r.on_day,
        href: hrefOf(kind, r),
        label,
      });
    }
  }
  return out;
}

/* ---------------------------------------------------------------------------------------------
 * Imports
 * ------------------------------------------------------------------------------------------- */

const IMPORT_ROLES: readonly Actor['role'][] = [
  'admin',
  'programme_team',
  'delivery_partner_staff',
];

export function requireImporter(actor: Actor): void {
  if (!IMPORT_ROLES.includes(actor.role)) {
    throw new ForbiddenError(
      'Only delivery partner staff, the programme team and admins can import records.',
    );
  }
}

/**
 * A participants CSV pasted or uploaded by staff. The import itself is the shared, idempotent
 * one; this adds the actor's scope: a delivery partner may only enrol into itself, the programme
 * team into its lead provider's partners. Rows outside the scope are reported and not written.
 */
export async function importParticipantsCsvText(
  { db, clock }: ServiceDeps,
  actor: Actor,
  csvText: string,
  publicUrl: string,
): Promise<ImportSummary> {
  requireImporter(actor);
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parseCsv(csvText, {
      columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
      info: true,
      skip_empty_lines: true,
      bom: true,
      relax_column_count: true,
    }) as unknown as typeof records;
  } catch (error) {
    throw new ValidationError([
      { path: 'csv', message: `The CSV could not be read: ${(error as Error).message}` },
    ]);
  }
  if (records.length === 0) {
    throw new ValidationError([{ path: 'csv', message: 'The CSV has no rows under its header' }]);
  }
  const missing = PARTICIPANT_CSV_COLUMNS.filter(
    (c) =>
      !(c in records[0]!.record) &&
      !['trn', 'dfe_registration_id', 'part_time_fraction', 'working_pattern'].includes(c),
  );
  if (missing.length > 0) {
    throw new ValidationError([
      { path: 'csv', message: `The CSV needs these columns: ${missing.join(', ')}` },
    ]);
  }
  return importParticipantRecords(
    db,
    records.map(({ record, info }) => ({ line: info.lines, record })),
    {
      today: londonDateOf(clock.now()),
      now: clock.now(),
      publicUrl,
      who: actorLabel(actor),
      ...(await participantImportScope({ db, clock }, actor)),
    },
  );
}

/**
 * Whom staff may enrol in an import: a delivery partner only into itself, the programme team into
 * its lead provider's partners, admins anywhere; a partner's clashes are referred, never explained.
 */
export async function participantImportScope(
  { db }: ServiceDeps,
  actor: Actor,
): Promise<{ partnerScope: number[]; referClashes: boolean }> {
  requireImporter(actor);
  const allowed = await queryRows<{ id: number }>(
    db,
    actor.role === 'admin'
      ? sql`select id from delivery_partner`
      : actor.role === 'programme_team'
        ? sql`select id from delivery_partner where lead_provider_id = ${actor.leadProviderId ?? -1}`
        : sql`select id from delivery_partner where id = ${actor.deliveryPartnerId ?? -1}`,
  );
  return {
    partnerScope: allowed.map((a) => a.id),
    // A partner is never told whose TRN or email a clashing row holds; the programme team is.
    referClashes: actor.role === 'delivery_partner_staff',
  };
}

/* ---------------------------------------------------------------------------------------------
 * Case pages: who the case is about, and the re-join timeline
 * ------------------------------------------------------------------------------------------- */

export interface EnrolmentHeader {
  enrolmentId: number;
  participantId: number;
  fullName: string;
  cohortId: number;
  cohortName: string;
  deliveryPartner: string;
  status: string;
  attemptsLeft: number;
  deferralCount: number;
  /** The engagement threshold in force today (2.1.1), in basis points, for the case pages' words. */
  engagementThresholdBp: number;
}

/** The participant and cohort a case belongs to, for the page heading (404 if not visible). */
export async function enrolmentHeader(
  { db, clock }: ServiceDeps,
  actor: Actor,
  enrolmentId: number,
): Promise<EnrolmentHeader> {
  requireStaff(actor);
  const [row] = await queryRows<{
    id: number;
    participant_id: number;
    full_name: string;
    cohort_id: number;
    cohort_name: string;
    delivery_partner: string;
    status: string;
    attempts_used: number;
    deferral_count: number;
  }>(
    db,
    sql`select e.id, p.id as participant_id, p.full_name, c.id as cohort_id, c.name as cohort_name,
               dp.name as delivery_partner, e.status, e.assessment_attempts_used as attempts_used, e.deferral_count
        from enrolment e join cohort c on c.id = e.cohort_id join participant p on p.id = e.participant_id
        join delivery_partner dp on dp.id = e.delivery_partner_id
        where e.id = ${enrolmentId} and (${enrolmentVisibleTo(actor)})`,
  );
  if (!row) throw new NotFoundError('Not found');
  // Attempts left and the threshold under the version in force today (2.5.1, 2.1.1), not v2.2's.
  const register = await registerInForce(db, londonDateOf(clock.now()));
  return {
    enrolmentId: row.id,
    participantId: row.participant_id,
    fullName: row.full_name,
    cohortId: row.cohort_id,
    cohortName: row.cohort_name,
    deliveryPartner: row.delivery_partner,
    status: row.status,
    attemptsLeft: Math.max(0, register.parameters.assessmentAttempts - row.attempts_used),
    deferralCount: row.deferral_count,
    engagementThresholdBp: register.parameters.engagementThresholdBp,
  };
}

/** The participant a school move is about, if the actor may see it. */
export async function schoolMoveOwner(
  { db }: ServiceDeps,
  actor: Actor,
  moveId: number,
): Promise<{ participantId: number; enrolmentId: number }> {
  requireStaff(actor);
  const [row] = await queryRows<{ participant_id: number; enrolment_id: number }>(
    db,
    sql`select m.participant_id, m.enrolment_id from school_move m join enrolment e on e.id = m.enrolment_id
        join cohort c on c.id = e.cohort_id where m.id = ${moveId} and (${enrolmentVisibleTo(actor)})`,
  );
  if (!row) throw new NotFoundError('School move not found');
  return { participantId: row.participant_id, enrolmentId: row.enrolment_id };
}

export async function windowDates(
  { db }: Pick<ServiceDeps, 'db'>,
  windowIds: readonly number[],
): Promise<
  Map<number, { opensOn: string; closesOn: string; cohortName: string; sequence: number }>
> {
  const rows = await queryRows<{
    id: number;
    opens_on: string;
    closes_on: string;
    cohort_name: string;
    sequence_number: number;
  }>(
    db,
    sql`select w.id, w.opens_on::text, w.closes_on::text, c.name as cohort_name, w.sequence_number
        from assessment_window w join cohort c on c.id = w.cohort_id where w.id = any(${arrayParam([...windowIds])}::int[])`,
  );
  return new Map(
    rows.map((r) => [
      r.id,
      {
        opensOn: r.opens_on,
        closesOn: r.closes_on,
        cohortName: r.cohort_name,
        sequence: r.sequence_number,
      },
    ]),
  );
}

export interface RejoinPlanLike {
  targetCohortId: string | number;
  rejoinActivityId: string | number | null;
  rejoinOn: string;
  catchUpActivityIds: readonly (string | number)[];
  returnSooner: boolean;
  intentContactDueOn: string;
  returnWithoutCatchUpOn?: string | null;
}

export interface RejoinTimeline {
  targetCohort: {
    id: number;
    name: string;
    startDate: string;
    engagementDeadline: string;
    endDate: string;
  };
  rejoinOn: string;
  rejoinTitle: string;
  intentContactDueOn: string;
  returnSooner: boolean;
  assessmentWindow: { opensOn: string; closesOn: string } | null;
  catchUp: { title: string; on: string | null }[];
  rows: {
    on: string | null;
    title: string;
    kind: string;
    state: 'done' | 'catch_up' | 'rejoin' | 'with_cohort';
  }[];
}

/**
 * The target cohort's dated plan with the re-join point marked: what the participant has done,
 * what they catch up, where they re-join, and what follows with the new cohort.
 */
export async function rejoinTimeline(
  { db }: ServiceDeps,
  actor: Actor,
  participantId: number,
  plan: RejoinPlanLike,
): Promise<RejoinTimeline> {
  requireStaff(actor);
  await requireParticipant(db, actor, participantId);
  const targetId = Number(plan.targetCohortId);
  const [cohort] = await loadCohorts(db, [targetId]);
  if (!cohort) throw new NotFoundError('Cohort not found');
  const { activities } = await loadCohortPlan(db, targetId);
  const done = new Set(
    (
      await queryRows<{ activity_id: number }>(
        db,
        sql`select distinct activity_id from engagement_record where participant_id = ${participantId}`,
      )
    ).map((r) => String(r.activity_id)),
  );
  const [window] = await queryRows<{ opens_on: string; closes_on: string }>(
    db,
    sql`select opens_on::text, closes_on::text from assessment_window where cohort_id = ${targetId} order by sequence_number limit 1`,
  );
  const catchUpIds = new Set(plan.catchUpActivityIds.map(String));
  const rejoinId = plan.rejoinActivityId === null ? null : String(plan.rejoinActivityId);
  const ordered = [...activities].sort((a, b) => a.sequence - b.sequence);
  const rejoinIndex =
    rejoinId === null ? ordered.length : ordered.findIndex((a) => a.id === rejoinId);
  const rows = ordered.map((a, i) => ({
    on: a.scheduledOn ?? null,
    title: a.title ?? a.id,
    kind: a.kind,
    state: (a.id === rejoinId
      ? 'rejoin'
      : catchUpIds.has(a.id)
        ? 'catch_up'
        : done.has(a.id)
          ? 'done'
          : i < rejoinIndex
            ? 'catch_up'
            : 'with_cohort') as RejoinTimeline['rows'][number]['state'],
  }));
  const title = (id: string) => ordered.find((a) => a.id === id);
  return {
    targetCohort: {
      id: cohort.id,
      name: cohort.name,
      startDate: cohort.startDate,
      engagementDeadline: cohort.engagementDeadline,
      endDate: cohort.endDate,
    },
    rejoinOn: plan.rejoinOn,
    rejoinTitle: rejoinId === null ? 'The assessment' : (title(rejoinId)?.title ?? rejoinId),
    intentContactDueOn: plan.intentContactDueOn,
    returnSooner: plan.returnSooner,
    assessmentWindow: window ? { opensOn: window.opens_on, closesOn: window.closes_on } : null,
    catchUp: [...catchUpIds].map((id) => ({
      title: title(id)?.title ?? id,
      on: title(id)?.scheduledOn ?? null,
    })),
    rows,
  };
}
