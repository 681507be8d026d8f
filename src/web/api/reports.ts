import { z } from 'zod';
import { COURSE_IDENTIFIERS, WORKING_PATTERNS } from '../../domain/catalogue.js';
import { ValidationError } from '../../services/errors.js';
import {
  FUNNEL_STEPS,
  REPORT_DIMENSIONS,
  programmeReport,
  reportParticipants,
} from '../../services/reports.js';
import { FIGURE_KINDS, parseFigure, reportFiltersOf } from '../report-query.js';
import { actorOf, type ApiModule } from './plugin.js';
import { IdString, IsoDate, Pagination, readErrors } from './schemas.js';

const Filters = z.object({
  cohort: IdString.optional(),
  course: z.enum(COURSE_IDENTIFIERS).optional(),
  partner: IdString.optional(),
  pattern: z.enum(WORKING_PATTERNS).optional(),
});

const Counts = z.object({
  accepted: z.number(),
  commenced: z.number(),
  retained_1: z.number(),
  retained_2: z.number(),
  completed: z.number(),
  passed: z.number(),
} satisfies Record<(typeof FUNNEL_STEPS)[number], z.ZodNumber>);
const Breakdown = z.array(
  z.object({ key: z.string(), outcome: z.string(), participants: z.number() }),
);

const Report = z
  .object({
    today: z.string(),
    by: z.enum(REPORT_DIMENSIONS),
    filters: z.object({
      cohortId: z.number().optional(),
      course: z.string().optional(),
      deliveryPartnerId: z.number().optional(),
      workingPattern: z.string().optional(),
    }),
    funnel: z.object({
      rows: z.array(Counts.extend({ key: z.string(), label: z.string() })),
      total: Counts,
    }),
    deferrals: Breakdown,
    assessmentDeferrals: Breakdown,
    withdrawals: Breakdown,
    schoolMoves: Breakdown,
    transfers: Breakdown,
    atRisk: z.array(
      z.object({ on: z.string(), behind: z.number(), unreachable: z.number(), total: z.number() }),
    ),
  })
  .meta({ id: 'ProgrammeReport' });

const FigureParticipant = z.object({
  participantId: z.number(),
  enrolmentId: z.number(),
  fullName: z.string(),
  cohort: z.string(),
  course: z.string(),
  deliveryPartner: z.string(),
  workingPattern: z.string(),
  status: z.string(),
});

/** Reports (issue 16): the same figures as the report pages, scoped to what the caller may see. */
export const reportsApi: ApiModule = (app, deps) => {
  app.get(
    '/reports/summary',
    {
      schema: {
        tags: ['Reports'],
        summary:
          'The programme report: funnel (by cohort, course, partner or working pattern), deferrals, assessment deferrals, withdrawals, at-risk by week, school moves and transfers',
        querystring: Filters.extend({ by: z.enum(REPORT_DIMENSIONS).optional() }),
        response: { 200: Report, 403: readErrors[404], ...readErrors },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const { filters, by } = reportFiltersOf(
        request.query,
        actor.role !== 'delivery_partner_staff',
      );
      return programmeReport(deps, actor, filters, by);
    },
  );

  app.get(
    '/reports/participants',
    {
      schema: {
        tags: ['Reports'],
        summary:
          'The participants behind one figure of the report (figure, and key/outcome/on where the figure needs them)',
        querystring: Filters.extend({
          figure: z.enum(FIGURE_KINDS),
          key: z.string().max(100).optional(),
          outcome: z.string().max(50).optional(),
          on: IsoDate.optional(),
        }).extend(Pagination.shape),
        response: {
          200: z.object({ total: z.number(), participants: z.array(FigureParticipant) }),
          403: readErrors[404],
          ...readErrors,
          422: readErrors[404],
        },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const q = request.query;
      const { filters } = reportFiltersOf(q, actor.role !== 'delivery_partner_staff');
      const { figure } = parseFigure({
        figure: q.figure,
        key: q.key,
        outcome: q.outcome,
        on: q.on,
      });
      if (!figure) {
        throw new ValidationError([
          { path: 'querystring.key', message: 'This figure needs key (and outcome or on)' },
        ]);
      }
      const { rows, total } = await reportParticipants(deps, actor, filters, figure, {
        limit: request.query.limit,
        offset: request.query.offset,
      });
      return { total, participants: rows };
    },
  );
};
