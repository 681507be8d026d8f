/**
 * Programme reports (issue 16): the funnel from accepted to passed, deferrals and assessment
 * deferrals by circumstance and outcome, withdrawals by DfE reason, participants at risk over time,
 * school moves and transfers; filtered by cohort, course, partner and working pattern and broken
 * down by any of them. The programme team and admins see the lead provider's participants;
 * delivery-partner staff see only their own (enrolmentVisibleTo), in the counts and drill-downs alike.
 */
import { sql } from 'drizzle-orm';
import { queryRows } from '../db/client.js';
import {
  FUNNEL_STEPS,
  atRiskSeries,
  breakdowns,
  figureParticipants,
  funnelBy,
  type AtRiskPoint,
  type BreakdownRow,
  type Figure,
  type FigureParticipant,
  type FunnelRow,
  type FunnelStep,
  type ReportDimension,
  type ReportFilters,
} from '../db/queries/reports.js';
import { londonDateOf } from '../policy/index.js';
import type { Actor } from './actor.js';
import { cohortVisibleTo, enrolmentVisibleTo } from './authorisation.js';
import { ForbiddenError } from './errors.js';
import type { ServiceDeps } from './participants.js';
import { csvCell } from './staff-dashboard.js';

export {
  FUNNEL_STEPS,
  REPORT_DIMENSIONS,
  type Figure,
  type ReportDimension,
  type ReportFilters,
} from '../db/queries/reports.js';

/** Who may read reports: the programme team and admins (everyone), partner staff (their own). */
export const REPORT_READERS: readonly Actor['role'][] = [
  'admin',
  'programme_team',
  'delivery_partner_staff',
];

export function mayReadReports(actor: Actor): boolean {
  return REPORT_READERS.includes(actor.role);
}

function requireReader(actor: Actor): void {
  if (!mayReadReports(actor))
    throw new ForbiddenError('Reports are for the programme team and delivery partners');
}

/** How many weeks the at-risk series covers. */
export const AT_RISK_WEEKS = 12;

export const FUNNEL_LABELS: Record<FunnelStep, string> = {
  accepted: 'Accepted',
  commenced: 'Commenced',
  retained_1: 'Retained (milestone 1)',
  retained_2: 'Retained (milestone 2)',
  completed: 'Completed',
  passed: 'Passed',
};

/** Words for a stored value: 'change_in_personal_circumstances' → 'Change in personal circumstances'. */
export function humanLabel(value: string): string {
  const words = value.replace(/[_-]+/g, ' ').replace(/\.$/, '').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export const MOVE_LABELS: Record<string, string> = {
  inside: 'Inside the network (continues)',
  outside: 'Outside the network (transfer)',
};

export interface ProgrammeReport {
  today: string;
  filters: ReportFilters;
  by: ReportDimension;
  funnel: { rows: FunnelRow[]; total: Omit<FunnelRow, 'key' | 'label'> };
  deferrals: BreakdownRow[];
  assessmentDeferrals: BreakdownRow[];
  withdrawals: BreakdownRow[];
  schoolMoves: BreakdownRow[];
  transfers: BreakdownRow[];
  atRisk: AtRiskPoint[];
}

/** Every figure of the report: three set-based queries, whatever the number of participants. */
export async function programmeReport(
  { db, clock }: ServiceDeps,
  actor: Actor,
  filters: ReportFilters,
  by: ReportDimension,
): Promise<ProgrammeReport> {
  requireReader(actor);
  const visibleTo = enrolmentVisibleTo(actor);
  const today = londonDateOf(clock.now());
  const rows = await funnelBy(db, visibleTo, filters, by);
  const parts = await breakdowns(db, visibleTo, filters);
  const atRisk = await atRiskSeries(db, visibleTo, filters, today, AT_RISK_WEEKS);
  const total = Object.fromEntries(
    FUNNEL_STEPS.map((s) => [s, rows.reduce((n, r) => n + r[s], 0)]),
  ) as ProgrammeReport['funnel']['total'];
  return {
    today,
    filters,
    by,
    funnel: { rows, total },
    deferrals: parts.deferral,
    assessmentDeferrals: parts.assessment_deferral,
    withdrawals: parts.withdrawal,
    schoolMoves: parts.move,
    transfers: parts.transfer,
    atRisk,
  };
}

export async function reportParticipants(
  { db }: ServiceDeps,
  actor: Actor,
  filters: ReportFilters,
  figure: Figure,
  page: { limit: number | null; offset: number },
): Promise<{ rows: FigureParticipant[]; total: number }> {
  requireReader(actor);
  return figureParticipants(db, enrolmentVisibleTo(actor), filters, figure, page);
}

export interface ReportOptions {
  cohorts: { id: number; name: string }[];
  courses: { identifier: string; name: string }[];
  partners: { id: number; name: string }[];
  canFilterByPartner: boolean;
}

/** The choices for the filters: cohorts and partners the actor can see, every course. */
export async function reportOptions({ db }: ServiceDeps, actor: Actor): Promise<ReportOptions> {
  requireReader(actor);
  const cohorts = await queryRows<{ id: number; name: string }>(
    db,
    sql`select c.id, c.name from cohort c where ${cohortVisibleTo(actor)} order by c.year desc, c.name`,
  );
  const courses = await queryRows<{ identifier: string; name: string }>(
    db,
    sql`select identifier, name from course order by name`,
  );
  const canFilterByPartner = actor.role !== 'delivery_partner_staff';
  const partners = canFilterByPartner
    ? await queryRows<{ id: number; name: string }>(
        db,
        actor.role === 'admin'
          ? sql`select id, name from delivery_partner order by name`
          : sql`select id, name from delivery_partner where lead_provider_id = ${actor.leadProviderId ?? -1} order by name`,
      )
    : [];
  return { cohorts, courses, partners, canFilterByPartner };
}

/* ---------------------------------------------------------------------------------------------
 * CSV
 * ------------------------------------------------------------------------------------------- */

function csv(header: string[], rows: (string | number)[][]): string {
  return (
    [header.map(csvCell).join(','), ...rows.map((r) => r.map(csvCell).join(','))].join('\r\n') +
    '\r\n'
  );
}

export const REPORT_TABLES = [
  'funnel',
  'deferrals',
  'assessment-deferrals',
  'withdrawals',
  'at-risk',
  'school-moves',
  'transfers',
] as const;
export type ReportTable = (typeof REPORT_TABLES)[number];

/** One table of the report as CSV, with the same figures the page shows. */
export function reportTableCsv(report: ProgrammeReport, table: ReportTable): string {
  switch (table) {
    case 'funnel':
      return csv(
        [report.by, ...FUNNEL_STEPS],
        [
          ...report.funnel.rows.map((r) => [r.label, ...FUNNEL_STEPS.map((s) => r[s])]),
          ['Total', ...FUNNEL_STEPS.map((s) => report.funnel.total[s])],
        ],
      );
    case 'deferrals':
    case 'assessment-deferrals':
      return csv(
        ['circumstance', 'outcome', 'participants'],
        (table === 'deferrals' ? report.deferrals : report.assessmentDeferrals).map((r) => [
          r.key,
          r.outcome,
          r.participants,
        ]),
      );
    case 'withdrawals':
      return csv(
        ['dfe_reason', 'participants'],
        report.withdrawals.map((r) => [r.key, r.participants]),
      );
    case 'at-risk':
      return csv(
        ['on', 'behind', 'unreachable', 'at_risk'],
        report.atRisk.map((p) => [p.on, p.behind, p.unreachable, p.total]),
      );
    case 'school-moves':
      return csv(
        ['network', 'participants'],
        report.schoolMoves.map((r) => [r.key, r.participants]),
      );
    case 'transfers':
      return csv(
        ['status', 'participants'],
        report.transfers.map((r) => [r.key, r.participants]),
      );
  }
}

export function reportParticipantsCsv(rows: readonly FigureParticipant[]): string {
  return csv(
    [
      'participant_id',
      'enrolment_id',
      'full_name',
      'cohort',
      'course',
      'delivery_partner',
      'working_pattern',
      'status',
    ],
    rows.map((r) => [
      r.participantId,
      r.enrolmentId,
      r.fullName,
      r.cohort,
      r.course,
      r.deliveryPartner,
      r.workingPattern,
      r.status,
    ]),
  );
}
