import { z } from 'zod';
import { milestoneReportForTeam } from '../../services/dfe/declarations/report.js';
import {
  listStatements,
  statementDeclarations,
} from '../../services/dfe/declarations/statements.js';
import { outboxSummary, resolveOutboxRequest } from '../../services/dfe/outbox/backlog.js';
import {
  listMilestoneSchedules,
  setMilestoneSchedule,
} from '../../services/dfe/declarations/milestones.js';
import { SCHEDULE_IDENTIFIERS } from '../../domain/dfe-declarations.js';
import { sendDecisionsSoon } from '../../services/dfe/applications/sync.js';
import { syncDepsFrom } from './dfe-applications.js';
import { actorOf, ErrorBody, type ApiModule } from './plugin.js';

const Id = z.object({ id: z.coerce.number().int().min(1).max(2_147_483_647) });
const errors = { 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody };
const TAGS = ['DfE declarations, outbox and statements'];

const Listed = z.object({
  participantId: z.number(),
  fullName: z.string(),
  partner: z.string(),
  course: z.string(),
  declarationType: z.string(),
  declarationDate: z.string(),
  refusal: z.string().nullable(),
});
const Counts = z.object({
  due: z.number(),
  queued: z.number(),
  submitted: z.number(),
  refused: z.number(),
  voided: z.number(),
});
const MilestoneReport = z
  .object({
    dfeSyncOn: z.boolean(),
    today: z.string(),
    rows: z.array(Counts.extend({ partner: z.string(), course: z.string() })),
    totals: Counts,
    due: z.array(Listed),
    refused: z.array(Listed),
    withoutMilestones: z.array(
      z.object({ cohortYear: z.number(), schedule: z.string(), participants: z.number() }),
    ),
  })
  .meta({ id: 'DfeMilestoneReport' });

const OutboxRequest = z.object({
  id: z.number(),
  action: z.string(),
  status: z.string(),
  waitingFor: z.string().nullable(),
  participantId: z.number().nullable(),
  applicationId: z.number().nullable(),
  fullName: z.string().nullable(),
  attempts: z.number(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  nextAttemptAt: z.string(),
});
const Outbox = z
  .object({
    dfeSyncOn: z.boolean(),
    counts: z.record(z.string(), z.number()),
    noDfeId: z.number(),
    attention: z.array(OutboxRequest),
    waiting: z.array(OutboxRequest),
  })
  .meta({ id: 'DfeOutbox' });

const Statement = z.object({
  dfeId: z.string(),
  cohort: z.string().nullable(),
  month: z.string().nullable(),
  year: z.string().nullable(),
  cutOffDate: z.string().nullable(),
  paymentDate: z.string().nullable(),
  paid: z.boolean().nullable(),
  declarations: z.number(),
});

const iso = (v: Date | string) => new Date(v).toISOString();

const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Enter a date as YYYY-MM-DD');
const MilestoneSchedule = z
  .object({
    cohortYear: z.number(),
    schedule: z.enum(SCHEDULE_IDENTIFIERS as [string, ...string[]]),
    startedOn: z.string(),
    retained1On: z.string(),
    retained2On: z.string().nullable(),
    completedOn: z.string(),
    updatedAt: z.string(),
    updatedBy: z.string().nullable(),
  })
  .meta({ id: 'DfeMilestoneSchedule' });
const MilestoneDates = z
  .object({
    startedOn: IsoDate,
    retained1On: IsoDate,
    retained2On: IsoDate.nullable().optional(),
    completedOn: IsoDate,
  })
  .strict();

/**
 * The DfE milestone report (declarations due, submitted, refused), the one DfE outbox (backlog,
 * refusals and failures with the DfE's words, retry and dismiss) and the DfE statements, for the
 * programme team and admins (anyone else is refused). Every answer says whether DfE sync is on.
 */
export const dfeOutboxApi: ApiModule = (app, deps) => {
  const sync = () => Boolean(deps.dfeApi);

  app.get(
    '/dfe/declarations',
    {
      schema: {
        tags: TAGS,
        summary:
          'The milestone report: declarations due today, submitted and refused (with the DfE’s reason), counted per delivery partner and course',
        response: { 200: MilestoneReport, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => ({
      dfeSyncOn: sync(),
      ...(await milestoneReportForTeam(deps, actorOf(request))),
    }),
  );

  app.get(
    '/dfe/milestones',
    {
      schema: {
        tags: TAGS,
        summary:
          'The DfE milestone dates entered for each cohort year and schedule (declarations fall due within them)',
        response: {
          200: z.object({ schedules: z.array(MilestoneSchedule) }),
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (request) => ({ schedules: await listMilestoneSchedules(deps, actorOf(request)) }),
  );

  app.put(
    '/dfe/milestones/:cohortYear/:schedule',
    {
      schema: {
        tags: TAGS,
        summary:
          'Enter or correct one cohort year’s milestone dates for a schedule (retained-2 on leadership schedules only); the programme team and admins',
        params: z.object({
          cohortYear: z.coerce.number().int().min(2021).max(2100),
          schedule: z.enum(SCHEDULE_IDENTIFIERS as [string, ...string[]]),
        }),
        body: MilestoneDates,
        response: {
          200: z.object({
            created: z.boolean(),
            schedule: MilestoneSchedule.omit({ updatedAt: true, updatedBy: true }),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { cohortYear, schedule } = request.params;
      const r = await setMilestoneSchedule(
        deps,
        actorOf(request),
        cohortYear,
        schedule,
        request.body,
      );
      return { created: r.created, schedule: r.dates };
    },
  );

  app.get(
    '/dfe/outbox',
    {
      schema: {
        tags: TAGS,
        summary:
          'The DfE outbox: counts by status, what waits and why, and each refused, failed or parked request with the DfE’s words',
        response: { 200: Outbox, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const s = await outboxSummary(deps, actorOf(request));
      const view = (r: (typeof s.attention)[number]) => ({
        ...r,
        createdAt: iso(r.createdAt),
        nextAttemptAt: iso(r.nextAttemptAt),
      });
      return {
        dfeSyncOn: sync(),
        counts: s.counts,
        noDfeId: s.noDfeId,
        attention: s.attention.map(view),
        waiting: s.waiting.map(view),
      };
    },
  );

  for (const how of ['retry', 'dismiss'] as const)
    app.post(
      `/dfe/outbox/:id/${how}`,
      {
        schema: {
          tags: TAGS,
          summary:
            how === 'retry'
              ? 'Send a refused, failed or parked request again (a parked one is checked with the DfE first), or bring a waiting one forward'
              : 'Dismiss a refused, failed or parked request (the DfE already has it right)',
          params: Id,
          response: { 200: z.object({ id: z.number(), status: z.string() }), ...errors },
        },
      },
      async (request) => {
        await resolveOutboxRequest(deps, actorOf(request), request.params.id, how);
        if (how === 'retry') sendDecisionsSoon(syncDepsFrom(deps, request.log));
        return { id: request.params.id, status: how === 'retry' ? 'queued' : 'dismissed' };
      },
    );

  app.get(
    '/dfe/statements',
    {
      schema: {
        tags: TAGS,
        summary: 'The DfE statements read, with how many of our declarations fall in each',
        response: {
          200: z.object({ dfeSyncOn: z.boolean(), statements: z.array(Statement) }),
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (request) => ({
      dfeSyncOn: sync(),
      statements: await listStatements(deps, actorOf(request)),
    }),
  );

  app.get(
    '/dfe/statements/:dfeId',
    {
      schema: {
        tags: TAGS,
        summary: 'One statement and the declarations in it (for reconciliation)',
        params: z.object({ dfeId: z.string().min(1).max(100) }),
        response: {
          200: z.object({
            statement: Statement,
            declarations: z.array(
              z.object({
                participantId: z.number(),
                fullName: z.string(),
                course: z.string(),
                declarationType: z.string(),
                declarationDate: z.string(),
                dfeState: z.string().nullable(),
              }),
            ),
          }),
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (request) => statementDeclarations(deps, actorOf(request), request.params.dfeId),
  );
};
