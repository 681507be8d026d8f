import { z } from 'zod';
import { ACTIVITY_KINDS, ENGAGEMENT_SOURCES } from '../../domain/catalogue.js';
import { recordAttendance } from '../../services/engagement/attendance.js';
import { completeStudySession } from '../../services/engagement/completion.js';
import { importEngagementCsv, ingestEngagement } from '../../services/engagement/ingest.js';
import { readStoredEngagementAnswer } from '../../services/engagement/answers.js';
import {
  getEnrolmentEngagement,
  type EnrolmentEngagement as Engagement,
} from '../../services/engagement/read.js';
import { ALERT_KINDS, type OpenAlert } from '../../services/engagement-alerts.js';
import { londonDateOf } from '../../policy/index.js';
import { tokenRecheckFailed } from '../plugins/auth.js';
import { actorOf, ErrorBody, type ApiApp, type ApiModule, type ApiDeps } from './plugin.js';
import { Id, IdParam, IdString, IsoDate, PolicyDecision, writeErrors } from './schemas.js';
import {
  BODY_TOO_LARGE,
  BULK_LIMITS,
  BULK_RATE_LIMIT,
  registerBulkRateLimit,
  TooLargeError,
  tooManyRows,
} from '../limits.js';

/** Bulk feeds are bounded (rows, bytes, requests a minute) so one client cannot stall the others. */
const BULK_BODY_LIMIT = BULK_LIMITS.bodyBytes;
const MAX_BATCH_ROWS = BULK_LIMITS.rows;

const Completion = z
  .object({
    enrolmentId: z.number(),
    activityId: z.number(),
    changed: z.boolean(),
    decision: PolicyDecision,
  })
  .meta({ id: 'StudySessionCompletion' });

const Accommodation = z
  .object({
    note: z.string().trim().min(1).max(2000),
  })
  .meta({
    id: 'ClinicAccommodation',
    description:
      'Staff agreeing a change to the clinic sequence for a participant who works part-time (policy 2.2.1.2).',
  });

const AttendanceBody = z
  .object({
    enrolmentId: Id,
    cohortEventId: Id.optional(),
    coachingSessionId: Id.optional(),
    accommodation: Accommodation.optional(),
  })
  .refine((b) => (b.cohortEventId === undefined) !== (b.coachingSessionId === undefined), {
    message: 'Give either cohortEventId or coachingSessionId',
    path: ['cohortEventId'],
  });

const Attendance = z
  .object({
    enrolmentId: z.number(),
    activityId: z.number(),
    kind: z.enum(ACTIVITY_KINDS),
    changed: z.boolean(),
    bookingId: z.number().nullable(),
    coachingSessionId: z.number().nullable(),
    decision: PolicyDecision.nullable(),
  })
  .meta({ id: 'Attendance' });

const IngestRow = z.record(z.string(), z.unknown()).meta({
  id: 'EngagementRow',
  description: `{ participant: TRN (7 digits) | email | participant id (or prefixed trn:/email:/id:), activityId: programme activity id, kind?: ${ACTIVITY_KINDS.join('|')}, occurredAt: ISO date-time, source?: ${ENGAGEMENT_SOURCES.join('|')} (default import), sourceEventId: string }. Rows are validated one by one, so a bad row is reported rather than failing the batch.`,
});

const IngestResult = z
  .object({
    received: z.number(),
    inserted: z.number(),
    duplicates: z.number(),
    errors: z.array(
      z.object({
        index: z.number(),
        line: z.number().nullable(),
        field: z.string(),
        message: z.string(),
      }),
    ),
  })
  .meta({ id: 'EngagementIngestResult' });

const KindBreakdown = z.object({
  kind: z.enum(ACTIVITY_KINDS),
  activities: z.number(),
  completed: z.number(),
  totalWeight: z.number(),
  completedWeight: z.number(),
  countsTowardsEngagement: z.boolean(),
});

const OpenAlerts = z
  .array(
    z.object({
      kind: z.enum(ALERT_KINDS),
      label: z.string(),
      raisedOn: IsoDate,
    }),
  )
  .meta({
    description:
      'Engagement alerts the daily job raised and has not cleared (policy 2.1.1), on an active enrolment: engagement_unreachable (the engagement threshold in force, 90% in v2.2, can no longer be reached) or engagement_behind (projected below it at the current pace), with the day raised and a label naming the threshold it was raised against.',
  });

const EnrolmentEngagement = z
  .object({
    enrolmentId: z.number(),
    participantId: z.number(),
    course: z.string(),
    decision: PolicyDecision,
    byKind: z.array(KindBreakdown),
    sessions: z.array(
      z.object({
        activityId: z.number(),
        moduleId: z.number(),
        title: z.string(),
        state: z.enum(['done', 'open', 'locked']),
        advice: z.string().nullable(),
        decision: PolicyDecision,
      }),
    ),
    // Last: a stored answer is everything before it (serializeEngagementAnswer).
    openAlerts: OpenAlerts,
  })
  .meta({ id: 'EnrolmentEngagement' });

const alertsView = (alerts: readonly OpenAlert[]) =>
  alerts.map((a) => ({ kind: a.kind, label: a.label, raisedOn: a.raisedOn }));

/** The API's view of an enrolment's engagement: the version in force decided; its register is not sent. */
function engagementView(engagement: Engagement, alerts: readonly OpenAlert[]) {
  const { register: _register, ...view } = engagement;
  return { ...view, openAlerts: alertsView(alerts) };
}

const NO_ALERTS = ',"openAlerts":[]}';

/**
 * The answer as stored for the warmer (services/engagement/answers.ts): the JSON this route sends,
 * through the same schema, without its closing open alerts, which are added when it is sent.
 */
export function serializeEngagementAnswer(engagement: Engagement): string {
  const json = JSON.stringify(z.encode(EnrolmentEngagement, engagementView(engagement, [])));
  if (!json.endsWith(NO_ALERTS))
    throw new Error('openAlerts must come last in EnrolmentEngagement');
  return json.slice(0, -NO_ALERTS.length);
}

/** A stored answer with the open alerts read with it: the bytes the route would have serialized. */
function withAlerts(stored: string, alerts: readonly OpenAlert[]): string {
  // Most enrolments have none: their ending is a constant.
  if (alerts.length === 0) return `${stored}${NO_ALERTS}`;
  return `${stored},"openAlerts":${JSON.stringify(z.encode(OpenAlerts, alertsView(alerts)))}}`;
}

/** Engagement: completing study sessions, attendance, bulk feeds and the engagement breakdown. */
export const engagementApi: ApiModule = async (app, deps) => {
  app.post(
    '/enrolments/:id/study-sessions/:activityId/complete',
    {
      schema: {
        tags: ['Engagement'],
        summary:
          'Complete a study session, in sequence (policy 2.2.1.1); completing it again changes nothing',
        params: IdParam.extend({ activityId: IdString }),
        response: { 200: Completion, ...writeErrors },
      },
    },
    async (request) =>
      completeStudySession(deps, actorOf(request), {
        enrolmentId: request.params.id,
        activityId: request.params.activityId,
      }),
  );

  app.post(
    '/attendance',
    {
      schema: {
        tags: ['Engagement'],
        summary:
          'Record attendance at a clinic, community session or conference (cohortEventId) or a coaching session (coachingSessionId)',
        body: AttendanceBody,
        response: { 200: Attendance, ...writeErrors },
      },
    },
    async (request) => recordAttendance(deps, actorOf(request), request.body),
  );

  app.get(
    '/enrolments/:id/engagement',
    {
      schema: {
        tags: ['Engagement'],
        summary:
          'Engagement against the threshold of the version in force today (90% in v2.2; policy 2.1.1), by kind of activity, with each study session open, done or locked',
        params: IdParam,
        response: { 200: EnrolmentEngagement, 401: ErrorBody, 404: ErrorBody },
      },
      // The bearer token is checked in the route's one statement (services/recent-tokens.ts).
      config: { recheckToken: true },
    },
    async (request, reply) => {
      let actor = actorOf(request);
      const enrolmentId = request.params.id;
      // One statement: the enrolment if the actor may see it (else 404), its open alerts, and the
      // answer stored for today, sent as it is (services/engagement/answers.ts). Reads only. A
      // bearer token this server checked recently is checked again in the same statement.
      const today = londonDateOf(deps.clock.now());
      let answer = await readStoredEngagementAnswer(
        deps.db,
        actor,
        enrolmentId,
        today,
        request.tokenRecheck,
      );
      if (!answer.tokenValid) {
        actor = await tokenRecheckFailed(request, deps.db);
        answer = await readStoredEngagementAnswer(deps.db, actor, enrolmentId, today);
      }
      const { stored, alerts } = answer;
      // A string with a JSON content type is sent as it is, not serialized again (already
      // serialized through this route's schema when stored); the type provider cannot know that.
      if (stored !== null)
        return reply
          .type('application/json; charset=utf-8')
          .send(withAlerts(stored, alerts) as never);
      // None stored: worked out live, and the enrolment queued for the server's warmer.
      const engagement = await getEnrolmentEngagement(deps, actor, enrolmentId);
      deps.engagementAnswers?.enqueue(enrolmentId);
      return engagementView(engagement, alerts);
    },
  );

  await app.register(async (bulk) => bulkRoutes(bulk, deps));
};

/**
 * The bulk routes, in a scope of their own: a per-client rate limit (keyed by the token's or
 * session's user), bounded bodies and rows, and a 413 that says the limit.
 */
async function bulkRoutes(app: ApiApp, deps: ApiDeps) {
  await registerBulkRateLimit(app);
  app.setErrorHandler((error) => {
    if ((error as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      throw new TooLargeError(BODY_TOO_LARGE);
    throw error;
  });
  app.post(
    '/engagement/batch',
    {
      bodyLimit: BULK_BODY_LIMIT,
      config: { rateLimit: BULK_RATE_LIMIT },
      preValidation: async (request) => {
        if (Array.isArray(request.body) && request.body.length > MAX_BATCH_ROWS)
          throw tooManyRows(request.body.length, MAX_BATCH_ROWS);
      },
      schema: {
        tags: ['Engagement'],
        summary:
          'Load engagement records in bulk (staff). Idempotent by (source, sourceEventId); bad rows are reported by index and field, good rows land.',
        body: z.array(IngestRow).max(MAX_BATCH_ROWS),
        response: {
          200: IngestResult,
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          413: ErrorBody,
          429: ErrorBody,
        },
      },
    },
    async (request) => ingestEngagement(deps, actorOf(request), request.body, { format: 'json' }),
  );

  await app.register(async (csvScope) => csvImportRoute(csvScope, deps));
}

/**
 * POST /engagement/import takes the CSV itself as a `text/csv` body, or JSON `{ "csv": "..." }`
 * for clients that only send JSON. The text/csv parser is registered in this scope only.
 */
function csvImportRoute(app: ApiApp, deps: ApiDeps) {
  app.addContentTypeParser(
    ['text/csv', 'text/plain'],
    { parseAs: 'string', bodyLimit: BULK_BODY_LIMIT },
    (_request, body, done) => done(null, body),
  );
  app.post(
    '/engagement/import',
    {
      bodyLimit: BULK_BODY_LIMIT,
      config: { rateLimit: BULK_RATE_LIMIT },
      preValidation: async (request) => {
        const csv =
          typeof request.body === 'string'
            ? request.body
            : (request.body as { csv?: unknown } | undefined)?.csv;
        if (typeof csv !== 'string') return;
        const rows = linesAfterHeader(csv);
        if (rows > MAX_BATCH_ROWS) throw tooManyRows(rows, MAX_BATCH_ROWS);
      },
      schema: {
        tags: ['Engagement'],
        summary:
          'Load engagement records from CSV (staff): header participant,activity_id,kind,occurred_at,source,source_event_id; send text/csv, or JSON {"csv": "..."}. Errors name the CSV line and column.',
        body: z.union([z.string(), z.object({ csv: z.string() })]),
        response: {
          200: IngestResult,
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          413: ErrorBody,
          422: ErrorBody,
          429: ErrorBody,
        },
      },
    },
    async (request) =>
      importEngagementCsv(
        deps,
        actorOf(request),
        typeof request.body === 'string' ? request.body : request.body.csv,
      ),
  );
}

/** Lines after the header: a quick upper bound on a CSV's rows, before parsing anything. */
function linesAfterHeader(csv: string): number {
  const end = csv.trimEnd().length;
  let lines = 0;
  for (let i = csv.indexOf('\n'); i !== -1 && i < end; i = csv.indexOf('\n', i + 1)) lines += 1;
  return lines;
}
