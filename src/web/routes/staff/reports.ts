import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Actor } from '../../../services/actor.js';
import {
  REPORT_DIMENSIONS,
  REPORT_TABLES,
  mayReadReports,
  programmeReport,
  reportOptions,
  reportParticipants,
  reportParticipantsCsv,
  reportTableCsv,
  type ReportTable,
} from '../../../services/reports.js';
import { londonDateOf } from '../../../policy/index.js';
import { registerInForce } from '../../../services/policy-register.js';
import type { ApiDeps } from '../../api/plugin.js';
import { pagination, PAGE_SIZE } from './participants.js';
import {
  figureParams,
  parseFigure,
  parseReportQuery,
  reportQueryString,
} from '../../report-query.js';
import { DIMENSION_LABELS, figureTitle, reportView } from './report-view.js';
import { notFound, page, requireStaffPage } from './support.js';

/** Reports are for the programme team, admins and partner staff; to anyone else they do not exist. */
function requireReportReader(
  request: Parameters<typeof requireStaffPage>[0],
  reply: FastifyReply,
): Actor | null {
  const actor = requireStaffPage(request, reply);
  if (!actor) return null;
  if (!mayReadReports(actor)) {
    void notFound(reply);
    return null;
  }
  return actor;
}

function sendCsv(reply: FastifyReply, name: string, body: string, today: string) {
  return reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}-${today}.csv"`)
    .header('cache-control', 'no-store')
    .send(body);
}

export function reportRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get('/reports', async (request, reply) => {
    const actor = requireReportReader(request, reply);
    if (!actor) return reply;
    return page(reply, async () => {
      const [options, register] = await Promise.all([
        reportOptions(deps, actor),
        // The threshold in force today (2.1.1), for the words about the at-risk figures.
        registerInForce(deps.db, londonDateOf(deps.clock.now())),
      ]);
      const { filters, by } = parseReportQuery(request.query, options.canFilterByPartner);
      const report = await programmeReport(deps, actor, filters, by);
      const qs = reportQueryString(filters, { by });
      return reply.view('staff/reports.njk', {
        ...(await reportView(report)),
        threshold: register.parameters.engagementThresholdBp,
        report,
        options,
        filters,
        by,
        dimensions: REPORT_DIMENSIONS.filter(
          (d) => d !== 'partner' || options.canFilterByPartner,
        ).map((d) => ({ value: d, text: DIMENSION_LABELS[d], selected: d === by })),
        csvHref: (table: ReportTable) => `/reports/csv/${table}${qs}`,
      });
    });
  });

  app.get<{ Params: { table: string } }>('/reports/csv/:table', async (request, reply) => {
    const actor = requireReportReader(request, reply);
    if (!actor) return reply;
    const table = REPORT_TABLES.find((t) => t === request.params.table);
    if (!table) return notFound(reply);
    return page(reply, async () => {
      const { filters, by } = parseReportQuery(
        request.query,
        actor.role !== 'delivery_partner_staff',
      );
      const report = await programmeReport(deps, actor, filters, by);
      return sendCsv(reply, `report-${table}`, reportTableCsv(report, table), report.today);
    });
  });

  app.get('/reports/participants', async (request, reply) => {
    const actor = requireReportReader(request, reply);
    if (!actor) return reply;
    const { filters } = parseReportQuery(request.query, actor.role !== 'delivery_partner_staff');
    const { figure, page: current } = parseFigure(request.query);
    if (!figure) return notFound(reply);
    return page(reply, async () => {
      const { rows, total } = await reportParticipants(deps, actor, filters, figure, {
        limit: PAGE_SIZE,
        offset: (current - 1) * PAGE_SIZE,
      });
      const options = await reportOptions(deps, actor);
      const params = new URLSearchParams(reportQueryString(filters, figureParams(figure)).slice(1));
      const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
      const named = <T extends { id: number | string; name: string }>(xs: T[], v: unknown) =>
        xs.find((x) => x.id === v)?.name;
      return reply.view('staff/report-participants.njk', {
        title: figureTitle(figure),
        rows,
        total,
        current,
        pages,
        from: total === 0 ? 0 : (current - 1) * PAGE_SIZE + 1,
        to: Math.min(total, current * PAGE_SIZE),
        pagination: pagination('/reports/participants', params, current, pages),
        backHref: `/reports${reportQueryString(filters)}`,
        csvHref: `/reports/participants/csv${reportQueryString(filters, figureParams(figure))}`,
        filterText: [
          named(options.cohorts, filters.cohortId),
          options.courses.find((c) => c.identifier === filters.course)?.name,
          named(options.partners, filters.deliveryPartnerId),
          filters.workingPattern === 'part_time'
            ? 'Part time'
            : filters.workingPattern === 'full_time'
              ? 'Full time'
              : undefined,
        ]
          .filter(Boolean)
          .join(', '),
      });
    });
  });

  app.get('/reports/participants/csv', async (request, reply) => {
    const actor = requireReportReader(request, reply);
    if (!actor) return reply;
    const { filters } = parseReportQuery(request.query, actor.role !== 'delivery_partner_staff');
    const { figure } = parseFigure(request.query);
    if (!figure) return notFound(reply);
    return page(reply, async () => {
      const { rows } = await reportParticipants(deps, actor, filters, figure, {
        limit: null,
        offset: 0,
      });
      const today = londonDateOf(deps.clock.now());
      return sendCsv(
        reply,
        `report-participants-${figure.kind}`,
        reportParticipantsCsv(rows),
        today,
      );
    });
  });
}
