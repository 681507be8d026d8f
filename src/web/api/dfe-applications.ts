import { z } from 'zod';
import {
  acceptApplication,
  changeFundedPlace,
  rejectApplication,
} from '../../services/dfe/applications/decisions.js';
import { dfeClientFor } from '../../services/dfe/applications/connection.js';
import {
  getApplication,
  listApplications,
  QUEUE_FILTERS,
} from '../../services/dfe/applications/queue.js';
import {
  getSyncStatus,
  pullNow,
  resolveParked,
  retryAction,
  sendDecisionsSoon,
  type SyncDeps,
} from '../../services/dfe/applications/sync.js';
import { actorOf, ErrorBody, type ApiDeps, type ApiModule } from './plugin.js';

const Id = z.object({ id: z.coerce.number().int().min(1).max(2_147_483_647) });
const Version = z.number().int().min(1).max(2_147_483_647);

const Summary = z
  .object({
    id: z.number(),
    dfeId: z.string(),
    fullName: z.string(),
    courseIdentifier: z.string(),
    courseName: z.string().nullable(),
    cohortYear: z.number().nullable(),
    scheduleIdentifier: z.string().nullable(),
    schoolUrn: z.string().nullable(),
    schoolName: z.string().nullable(),
    trnValidated: z.boolean(),
    eligibleForFunding: z.boolean(),
    fundedPlace: z.boolean().nullable(),
    dfeStatus: z.enum(['pending', 'accepted', 'rejected']),
    decision: z.enum(['accepted', 'rejected']).nullable(),
    dfeDelivery: z
      .enum(['pending', 'sending', 'sent', 'failed', 'refused', 'parked', 'dismissed'])
      .nullable(),
    dfeUpdatedAt: z.string(),
    version: z.number(),
  })
  .meta({ id: 'DfeApplicationSummary' });

const Detail = Summary.extend({
  email: z.string().nullable(),
  trn: z.string().nullable(),
  fundingChoice: z.string().nullable(),
  ineligibleForFundingReason: z.string().nullable(),
  targetedDeliveryFunding: z.boolean(),
  headteacherStatus: z.string().nullable(),
  employmentRole: z.string().nullable(),
  employerName: z.string().nullable(),
  rejectionReason: z.string().nullable(),
  decidedAt: z.string().nullable(),
  decidedBy: z.string().nullable(),
  deliveryPartner: z.object({ id: z.number(), name: z.string() }).nullable(),
  suggestedDeliveryPartnerId: z.number().nullable(),
  cohort: z.object({ id: z.number(), name: z.string() }).nullable(),
  enrolmentId: z.number().nullable(),
  participantId: z.number().nullable(),
  history: z.array(
    z.object({
      dfeUpdatedAt: z.string(),
      pulledAt: z.string(),
      status: z.string(),
      changed: z.array(z.string()),
    }),
  ),
  actions: z.array(
    z.object({
      id: z.number(),
      action: z.string(),
      status: z.string(),
      attempts: z.number(),
      lastError: z.string().nullable(),
      createdAt: z.string(),
      sentAt: z.string().nullable(),
    }),
  ),
}).meta({ id: 'DfeApplication' });

const PullReport = z
  .object({
    pullId: z.number(),
    status: z.enum(['succeeded', 'failed']),
    updatedSince: z.string().nullable(),
    pages: z.number(),
    received: z.number(),
    created: z.number(),
    updated: z.number(),
    unchanged: z.number(),
    parked: z.number(),
    retries: z.number(),
    error: z.string().nullable(),
  })
  .meta({ id: 'DfePullReport' });

const SyncStatus = z
  .object({
    enabled: z.boolean(),
    lastSuccessfulPull: z
      .object({
        id: z.number(),
        startedAt: z.string(),
        finishedAt: z.string().nullable(),
        received: z.number(),
      })
      .nullable(),
    lastPull: z
      .object({
        id: z.number(),
        startedAt: z.string(),
        status: z.string(),
        error: z.string().nullable(),
        received: z.number(),
        parked: z.number(),
        retries: z.number(),
      })
      .nullable(),
    backlog: z.object({
      toDecide: z.number(),
      waitingToSend: z.number(),
      failed: z.number(),
      parked: z.number(),
    }),
    failures: z.array(
      z.object({
        id: z.number(),
        applicationId: z.number(),
        fullName: z.string(),
        action: z.string(),
        attempts: z.number(),
        message: z.string().nullable(),
        createdAt: z.string(),
      }),
    ),
    retrying: z.array(
      z.object({
        id: z.number(),
        applicationId: z.number(),
        fullName: z.string(),
        action: z.string(),
        attempts: z.number(),
        message: z.string().nullable(),
        nextAttemptAt: z.string(),
      }),
    ),
    parked: z.array(
      z.object({
        id: z.number(),
        source: z.string(),
        dfeId: z.string().nullable(),
        field: z.string(),
        problem: z.string(),
        createdAt: z.string(),
      }),
    ),
  })
  .meta({ id: 'DfeSyncStatus' });

const Decided = z.object({ applicationId: z.number() });
const errors = { 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody };
const TAGS = ['DfE applications'];

export function syncDepsFrom(deps: ApiDeps, log?: SyncDeps['logger']): SyncDeps {
  return { db: deps.db, clock: deps.clock, dfe: dfeClientFor(deps.dfeApi), logger: log };
}

/**
 * Applications from the DfE lead provider API v3 and the decisions on them (programme team and
 * admins only; anyone else gets 404), and the state of DfE sync.
 */
export const dfeApplicationsApi: ApiModule = (app, deps) => {
  const decisionDeps = { db: deps.db, clock: deps.clock, publicUrl: deps.publicUrl ?? '' };

  app.get(
    '/dfe/applications',
    {
      schema: {
        tags: TAGS,
        summary:
          'Applications pulled from the DfE, oldest change first (filter: to_decide by default)',
        querystring: z.object({
          filter: z.enum(QUEUE_FILTERS).optional(),
          limit: z.coerce.number().int().min(1).max(500).optional(),
          offset: z.coerce.number().int().min(0).max(10_000_000).optional(),
        }),
        response: {
          200: z.object({
            items: z.array(Summary),
            total: z.number(),
            counts: z.object({
              to_decide: z.number(),
              accepted: z.number(),
              rejected: z.number(),
              all: z.number(),
            }),
          }),
          401: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (request) =>
      listApplications(deps.db, actorOf(request), {
        ...(request.query.filter ? { filter: request.query.filter } : {}),
        limit: request.query.limit ?? 50,
        offset: request.query.offset ?? 0,
      }),
  );

  app.get(
    '/dfe/applications/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'One application: what the DfE sent, its history, our decision and its delivery',
        params: Id,
        response: { 200: Detail, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => getApplication(deps.db, actorOf(request), request.params.id),
  );

  app.post(
    '/dfe/applications/:id/accept',
    {
      schema: {
        tags: TAGS,
        summary:
          'Accept: creates the participant, their enrolment in the matching cohort with the delivery partner, their account and invitation email, and sends the acceptance to the DfE',
        params: Id,
        body: z.object({
          deliveryPartnerId: z.number().int().min(1).max(2_147_483_647),
          fundedPlace: z.boolean().optional(),
          expectedVersion: Version,
        }),
        response: {
          200: z.object({
            applicationId: z.number(),
            participantId: z.number(),
            enrolmentId: z.number(),
            invited: z.boolean(),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const result = await acceptApplication(
        decisionDeps,
        actorOf(request),
        request.params.id,
        request.body,
      );
      sendDecisionsSoon(syncDepsFrom(deps, request.log));
      return result;
    },
  );

  app.post(
    '/dfe/applications/:id/reject',
    {
      schema: {
        tags: TAGS,
        summary:
          'Reject with a reason (kept in npq-ops: the DfE reject takes none) and tell the DfE',
        params: Id,
        body: z.object({ reason: z.string().max(500), expectedVersion: Version }),
        response: { 200: Decided, ...errors },
      },
    },
    async (request) => {
      const result = await rejectApplication(
        decisionDeps,
        actorOf(request),
        request.params.id,
        request.body,
      );
      sendDecisionsSoon(syncDepsFrom(deps, request.log));
      return result;
    },
  );

  app.post(
    '/dfe/applications/:id/change-funded-place',
    {
      schema: {
        tags: TAGS,
        summary:
          'Change the funded place of an accepted application (sent to the DfE change-funded-place)',
        params: Id,
        body: z.object({ fundedPlace: z.boolean(), expectedVersion: Version }),
        response: { 200: Decided, ...errors },
      },
    },
    async (request) => {
      const result = await changeFundedPlace(
        decisionDeps,
        actorOf(request),
        request.params.id,
        request.body,
      );
      sendDecisionsSoon(syncDepsFrom(deps, request.log));
      return result;
    },
  );

  app.get(
    '/dfe/sync',
    {
      schema: {
        tags: TAGS,
        summary:
          'DfE sync: on or off, the last successful pull, the backlog and the failures with the DfE’s messages',
        response: { 200: SyncStatus, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => getSyncStatus(deps.db, actorOf(request), { enabled: Boolean(deps.dfeApi) }),
  );

  app.post(
    '/dfe/sync/pull',
    {
      schema: {
        tags: TAGS,
        summary:
          'Pull the applications changed since the last successful pull, now (422 when DfE sync is off)',
        response: { 200: PullReport, ...errors },
      },
    },
    async (request) => pullNow(syncDepsFrom(deps, request.log), actorOf(request)),
  );

  app.post(
    '/dfe/sync/actions/:id/retry',
    {
      schema: {
        tags: TAGS,
        summary: 'Send a refused or waiting decision to the DfE again, now',
        params: Id,
        response: { 200: z.object({ id: z.number() }), ...errors },
      },
    },
    async (request) => {
      const sync = syncDepsFrom(deps, request.log);
      const result = await retryAction(sync, actorOf(request), request.params.id);
      sendDecisionsSoon(sync);
      return result;
    },
  );

  for (const how of ['retry', 'dismiss'] as const)
    app.post(
      `/dfe/sync/parked/:id/${how}`,
      {
        schema: {
          tags: TAGS,
          summary:
            how === 'retry'
              ? 'A parked DfE response: read the application again from the DfE (stored if it now matches the contract)'
              : 'A parked DfE response: dismiss it',
          params: Id,
          response: {
            200: z.object({
              id: z.number(),
              resolved: z.boolean(),
              problem: z.string().nullable(),
            }),
            ...errors,
          },
        },
      },
      async (request) =>
        resolveParked(syncDepsFrom(deps, request.log), actorOf(request), request.params.id, how),
    );
};
