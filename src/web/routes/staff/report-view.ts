import {
  FUNNEL_LABELS,
  FUNNEL_STEPS,
  MOVE_LABELS,
  humanLabel,
  type Figure,
  type ProgrammeReport,
  type ReportDimension,
} from '../../../services/reports.js';
import { GOVUK, barChart, lineChart } from '../../charts.js';
import { govukDate } from '../../render.js';
import { figureParams, reportQueryString, withDimension } from '../../report-query.js';

/**
 * What the report page shows, built from the report: for each section a chart (SVG), a text
 * summary and the table beneath, every figure a link to the participants behind it.
 */

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const fmt = (n: number) => n.toLocaleString('en-GB');

function pct(n: number, of: number): string {
  return of === 0 ? '0%' : `${Math.round((n / of) * 100)}%`;
}

export const DIMENSION_LABELS: Record<ReportDimension, string> = {
  cohort: 'Cohort',
  course: 'Course',
  partner: 'Delivery partner',
  pattern: 'Working pattern',
};

type Cell = { text: string } | { html: string; format?: string } | { text: string; format: string };

function link(
  report: ProgrammeReport,
  figure: Figure,
  n: number,
  label: string,
  filters = report.filters,
) {
  const href = `/reports/participants${reportQueryString(filters, figureParams(figure))}`;
  return {
    html: `<a class="govuk-link" href="${escapeHtml(href)}">${fmt(n)}<span class="govuk-visually-hidden"> ${escapeHtml(label)}</span></a>`,
    format: 'numeric',
  };
}

function breakdownRows(
  report: ProgrammeReport,
  rows: ProgrammeReport['deferrals'],
  figure: (key: string, outcome: string) => Figure,
  keyLabel: (key: string) => string,
  withOutcome: boolean,
): Cell[][] {
  return rows.map((r) => [
    { text: keyLabel(r.key) },
    ...(withOutcome ? [{ text: humanLabel(r.outcome) }] : []),
    link(
      report,
      figure(r.key, r.outcome),
      r.participants,
      `participants: ${keyLabel(r.key)}${withOutcome ? `, ${humanLabel(r.outcome)}` : ''}`,
    ),
  ]);
}

export async function reportView(report: ProgrammeReport) {
  const { funnel, atRisk } = report;
  const dimLabel = DIMENSION_LABELS[report.by];

  const funnelChart = await barChart(
    FUNNEL_STEPS.map((s) => ({ label: FUNNEL_LABELS[s], value: funnel.total[s] })),
    { labelledBy: 'funnel-heading funnel-summary', xTitle: 'Participants' },
  );
  const t = funnel.total;
  const funnelSummary =
    t.accepted === 0
      ? 'No accepted participants match these filters.'
      : `Of ${fmt(t.accepted)} accepted participants, ${fmt(t.commenced)} commenced (${pct(t.commenced, t.accepted)}), ` +
        `${fmt(t.retained_1)} were retained at milestone 1 (${pct(t.retained_1, t.accepted)}) and ${fmt(t.retained_2)} at milestone 2 (${pct(t.retained_2, t.accepted)}), ` +
        `${fmt(t.completed)} completed (${pct(t.completed, t.accepted)}) and ${fmt(t.passed)} passed (${pct(t.passed, t.accepted)}).`;
  const funnelRows: Cell[][] = [
    ...funnel.rows.map((r) => [
      { text: r.label },
      ...FUNNEL_STEPS.map((s) =>
        link(
          report,
          { kind: s },
          r[s],
          `${FUNNEL_LABELS[s]}, ${r.label}`,
          withDimension(report.filters, report.by, r.key),
        ),
      ),
    ]),
    [
      { html: '<strong>Total</strong>' },
      ...FUNNEL_STEPS.map((s) => link(report, { kind: s }, t[s], `${FUNNEL_LABELS[s]}, total`)),
    ],
  ];

  const series = [
    { name: 'Behind', color: GOVUK.blue, key: 'behind' as const },
    { name: 'Unreachable', color: GOVUK.red, key: 'unreachable' as const },
    { name: 'At risk (either)', color: GOVUK.black, key: 'total' as const },
  ];
  const atRiskChart = await lineChart(
    atRisk.flatMap((p) => series.map((s) => ({ on: p.on, series: s.name, value: p[s.key] }))),
    { labelledBy: 'at-risk-heading at-risk-summary', yTitle: 'Participants', series },
  );
  const first = atRisk[0];
  const last = atRisk.at(-1);
  const atRiskSummary =
    first && last
      ? `On ${govukDate(last.on)}, ${fmt(last.total)} participants were at risk (${fmt(last.behind)} behind, ${fmt(last.unreachable)} no longer able to reach the engagement threshold); ` +
        `${atRisk.length - 1} weeks earlier, on ${govukDate(first.on)}, ${fmt(first.total)}. The highest in the period was ${fmt(Math.max(...atRisk.map((p) => p.total)))}.`
      : '';
  const atRiskRows: Cell[][] = atRisk.map((p) => [
    { text: govukDate(p.on) },
    link(
      report,
      { kind: 'at_risk', on: p.on, alert: 'engagement_behind' },
      p.behind,
      `behind on ${govukDate(p.on)}`,
    ),
    link(
      report,
      { kind: 'at_risk', on: p.on, alert: 'engagement_unreachable' },
      p.unreachable,
      `unreachable on ${govukDate(p.on)}`,
    ),
    link(report, { kind: 'at_risk', on: p.on }, p.total, `at risk on ${govukDate(p.on)}`),
  ]);

  const withdrawn = report.withdrawals.reduce((n, r) => n + r.participants, 0);
  const topReason = [...report.withdrawals].sort((a, b) => b.participants - a.participants)[0];
  const withdrawalChart = report.withdrawals.length
    ? await barChart(
        [...report.withdrawals]
          .sort((a, b) => b.participants - a.participants)
          .map((r) => ({ label: humanLabel(r.key), value: r.participants })),
        {
          labelledBy: 'withdrawals-heading withdrawals-summary',
          xTitle: 'Participants',
          color: GOVUK.blue,
        },
      )
    : null;
  const withdrawalSummary = topReason
    ? `${fmt(withdrawn)} participants withdrew. The commonest DfE reason was “${humanLabel(topReason.key)}” (${fmt(topReason.participants)}).`
    : 'No participants matching these filters have withdrawn.';

  return {
    dimLabel,
    funnel: {
      chart: funnelChart,
      summary: funnelSummary,
      head: [
        { text: dimLabel },
        ...FUNNEL_STEPS.map((s) => ({ text: FUNNEL_LABELS[s], format: 'numeric' })),
      ],
      rows: funnelRows,
    },
    atRisk: { chart: atRiskChart, summary: atRiskSummary, rows: atRiskRows },
    withdrawals: {
      chart: withdrawalChart,
      summary: withdrawalSummary,
      rows: breakdownRows(
        report,
        report.withdrawals,
        (key) => ({ kind: 'withdrawal', reason: key }),
        humanLabel,
        false,
      ),
    },
    deferrals: {
      summary: report.deferrals.length ? '' : 'No deferral requests match these filters.',
      rows: breakdownRows(
        report,
        report.deferrals,
        (key, outcome) => ({ kind: 'deferral', circumstance: key, outcome }),
        humanLabel,
        true,
      ),
    },
    assessmentDeferrals: {
      summary: report.assessmentDeferrals.length
        ? ''
        : 'No assessment deferral requests match these filters.',
      rows: breakdownRows(
        report,
        report.assessmentDeferrals,
        (key, outcome) => ({ kind: 'assessment_deferral', circumstance: key, outcome }),
        humanLabel,
        true,
      ),
    },
    schoolMoves: {
      rows: breakdownRows(
        report,
        report.schoolMoves,
        (key) => ({ kind: 'school_move', insideNetwork: key === 'inside' }),
        (key) => MOVE_LABELS[key] ?? key,
        false,
      ),
    },
    transfers: {
      rows: breakdownRows(
        report,
        report.transfers,
        (key) => ({ kind: 'transfer', status: key }),
        humanLabel,
        false,
      ),
    },
  };
}

/** A heading for a drill-down: which figure, in words. */
export function figureTitle(figure: Figure): string {
  switch (figure.kind) {
    case 'deferral':
      return `Deferrals: ${humanLabel(figure.circumstance)}, ${humanLabel(figure.outcome).toLowerCase()}`;
    case 'assessment_deferral':
      return `Assessment deferrals: ${humanLabel(figure.circumstance)}, ${humanLabel(figure.outcome).toLowerCase()}`;
    case 'withdrawal':
      return `Withdrawn: ${humanLabel(figure.reason)}`;
    case 'at_risk':
      return `At risk on ${govukDate(figure.on)}${figure.alert === 'engagement_behind' ? ' (behind)' : figure.alert === 'engagement_unreachable' ? ' (unreachable)' : ''}`;
    case 'school_move':
      return `School moves ${figure.insideNetwork ? 'inside' : 'outside'} the network`;
    case 'transfer':
      return `Transfers: ${humanLabel(figure.status).toLowerCase()}`;
    default:
      return FUNNEL_LABELS[figure.kind];
  }
}
