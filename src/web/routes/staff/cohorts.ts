import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ENROLMENT_STATUSES } from '../../../domain/catalogue.js';
import type { ApiDeps } from '../../api/plugin.js';
import { pageQueryParam } from '../../forms.js';
import {
  cohortDashboard,
  cohortEngagementRows,
  engagementCsv,
  type DashboardFilters,
} from '../../../services/staff-dashboard.js';
import { pagination } from './participants.js';
import { idParam, noticeText, notFound, page, requireStaffPage } from './support.js';

const PageQuery = z.object({ page: pageQueryParam });

/** Filters arrive in the query string; anything unrecognised is ignored rather than refused. */
const FilterQuery = z.object({
  partner: z
    .string()
    .regex(/^\d{1,9}$/)
    .transform(Number)
    .optional()
    .catch(undefined),
  status: z.enum(ENROLMENT_STATUSES).optional().catch(undefined),
  atRisk: z.literal('yes').optional().catch(undefined),
});

export function dashboardFilters(query: unknown, partnerFilterAllowed: boolean): DashboardFilters {
  const q = FilterQuery.parse(query ?? {});
  return {
    deliveryPartnerId: partnerFilterAllowed ? q.partner : undefined,
    status: q.status,
    atRiskOnly: q.atRisk === 'yes',
  };
}

function filterParams(f: DashboardFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (f.deliveryPartnerId !== undefined) params.set('partner', String(f.deliveryPartnerId));
  if (f.status) params.set('status', f.status);
  if (f.atRiskOnly) params.set('atRisk', 'yes');
  return params;
}

function filterQueryString(f: DashboardFilters): string {
  const s = filterParams(f).toString();
  return s ? `?${s}` : '';
}

export function cohortDashboardRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get<{ Params: { id: string } }>('/cohorts/:id', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    const cohortId = idParam(request.params.id);
    if (cohortId === undefined) return notFound(reply);
    const filters = dashboardFilters(request.query, actor.role !== 'delivery_partner_staff');
    // A page past the last shows the last, as the service decides (the totals say how many).
    const requested = Math.max(1, PageQuery.parse(request.query ?? {}).page ?? 1);
    return page(reply, async () => {
      const dashboard = await cohortDashboard(deps, actor, cohortId, filters, requested);
      return reply.view('staff/cohort.njk', {
        ...dashboard,
        filters,
        queryString: filterQueryString(filters),
        atRiskHref: `/cohorts/${cohortId}?${new URLSearchParams({
          ...Object.fromEntries(filterParams(filters)),
          atRisk: 'yes',
        }).toString()}#participants`,
        // The page links keep the filters.
        pagination: pagination(
          `/cohorts/${cohortId}`,
          filterParams(filters),
          dashboard.page.current,
          dashboard.page.pages,
        ),
        notice: noticeText(request.query),
      });
    });
  });

  app.get<{ Params: { id: string } }>('/cohorts/:id/export.csv', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    const cohortId = idParam(request.params.id);
    if (cohortId === undefined) return notFound(reply);
    const filters = dashboardFilters(request.query, actor.role !== 'delivery_partner_staff');
    return page(reply, async () => {
      const { cohort, today, rows } = await cohortEngagementRows(deps, actor, cohortId, filters);
      const name = `${cohort.name.replace(/[^A-Za-z0-9]+/g, '-')}-engagement-${today}.csv`;
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}"`)
        .header('cache-control', 'no-store')
        .send(engagementCsv(rows));
    });
  });
}
