import type { FastifyInstance, FastifyReply } from 'fastify';
import { pageQueryParam } from '../../forms.js';
import { z } from 'zod';
import type { ApiDeps } from '../../api/plugin.js';
import { syncDepsFrom } from '../../api/dfe-applications.js';
import type { Actor } from '../../../services/actor.js';
import {
  acceptApplication,
  changeFundedPlace,
  rejectApplication,
} from '../../../services/dfe/applications/decisions.js';
import {
  getApplication,
  listApplications,
  partnersFor,
  QUEUE_FILTERS,
  requireApplicationStaff,
  type QueueFilter,
} from '../../../services/dfe/applications/queue.js';
import {
  getSyncStatus,
  pullNow,
  resolveParked,
  retryAction,
  sendDecisionsSoon,
} from '../../../services/dfe/applications/sync.js';
import { ValidationError } from '../../../services/errors.js';
import { pagination } from './participants.js';
import { idParam, notFound, page, requireStaffPage, submit, type FormFailure } from './support.js';

const PAGE_SIZE = 25;

type Body = Record<string, unknown>;
const str = (body: Body, key: string): string => {
  const v = body[key];
  return typeof v === 'string' ? v.trim() : '';
};

const Query = z.object({
  filter: z.enum(QUEUE_FILTERS).optional().catch(undefined),
  page: pageQueryParam,
});

export const DFE_DONE: Record<string, string> = {
  accepted:
    'Application accepted: the participant, their enrolment and their invitation email are ready',
  rejected: 'Application rejected',
  'funded-place': 'Funded place changed',
  pulled: 'Pull finished',
  'pull-failed': 'The pull failed: see the last pull below',
  retried: 'Sent again',
  'parked-resolved': 'Read again from the DfE and stored',
  'parked-still': 'Read again from the DfE: it still does not match the contract',
  dismissed: 'Dismissed',
};

const doneText = (query: unknown) => {
  const key = (query as { done?: unknown } | undefined)?.done;
  return typeof key === 'string' ? DFE_DONE[key] : undefined;
};

/** Staff pages of the applications queue and DfE sync (programme team and admins). */
export function dfeApplicationRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const decisionDeps = { db: deps.db, clock: deps.clock, publicUrl: deps.publicUrl ?? '' };
  const dfeSyncOn = Boolean(deps.dfeApi);

  /** Staff who may see the queue; everyone else is told the page does not exist. */
  const queueActor = (request: Parameters<typeof requireStaffPage>[0], reply: FastifyReply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return null;
    try {
      requireApplicationStaff(actor);
    } catch {
      void notFound(reply);
      return null;
    }
    return actor;
  };

  app.get('/dfe/applications', async (request, reply) => {
    const actor = queueActor(request, reply);
    if (!actor) return reply;
    const query = Query.parse(request.query ?? {});
    const filter: QueueFilter = query.filter ?? 'to_decide';
    const current = Math.max(1, query.page ?? 1);
    return page(reply, async () => {
      const { items, total, counts } = await listApplications(deps.db, actor, {
        filter,
        limit: PAGE_SIZE,
        offset: (current - 1) * PAGE_SIZE,
      });
      const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
      return reply.view('staff/dfe-applications.njk', {
        items,
        total,
        counts,
        filter,
        current,
        pages,
        pagination: pagination(
          '/dfe/applications',
          new URLSearchParams({ filter }),
          current,
          pages,
        ),
      });
    });
  });

  const renderApplication = async (
    reply: FastifyReply,
    actor: Actor,
    id: number,
    options: { failure?: FormFailure; values?: Record<string, string>; notice?: string } = {},
    status = 200,
  ) => {
    const application = await getApplication(deps.db, actor, id);
    const partners = await partnersFor(deps.db, actor);
    return reply.code(status).view('staff/dfe-application.njk', {
      a: application,
      partners,
      values: options.values ?? {
        deliveryPartnerId: String(application.suggestedDeliveryPartnerId ?? ''),
      },
      errors: options.failure?.errors,
      conflict: options.failure?.conflict ?? false,
      notice: options.notice,
    });
  };

  app.get<{ Params: { id: string } }>('/dfe/applications/:id', async (request, reply) => {
    const actor = queueActor(request, reply);
    if (!actor) return reply;
    const id = idParam(request.params.id);
    if (id === undefined) return notFound(reply);
    return page(reply, () =>
      renderApplication(reply, actor, id, { notice: doneText(request.query) }),
    );
  });

  const decision = (
    path: string,
    run: (actor: Actor, id: number, body: Body) => Promise<unknown>,
    done: string,
  ) =>
    app.post<{ Params: { id: string } }>(path, async (request, reply) => {
      const actor = queueActor(request, reply);
      if (!actor) return reply;
      const id = idParam(request.params.id);
      if (id === undefined) return notFound(reply);
      const body = (request.body ?? {}) as Body;
      const values = Object.fromEntries(
        Object.entries(body).filter((e): e is [string, string] => typeof e[1] === 'string'),
      );
      return page(reply, () =>
        submit(
          reply,
          async () => {
            await run(actor, id, body);
            sendDecisionsSoon(syncDepsFrom(deps, request.log));
            return `/dfe/applications/${id}?done=${done}`;
          },
          (failure, status) => renderApplication(reply, actor, id, { failure, values }, status),
        ),
      );
    });

  const version = (body: Body) => Number(str(body, 'expectedVersion')) || 0;
  const yesNo = (v: string) => (v === 'yes' ? true : v === 'no' ? false : undefined);

  decision(
    '/dfe/applications/:id/accept',
    (actor, id, body) =>
      acceptApplication(decisionDeps, actor, id, {
        deliveryPartnerId: Number(str(body, 'deliveryPartnerId')) || 0,
        fundedPlace: yesNo(str(body, 'fundedPlace')),
        expectedVersion: version(body),
      }),
    'accepted',
  );
  decision(
    '/dfe/applications/:id/reject',
    (actor, id, body) =>
      rejectApplication(decisionDeps, actor, id, {
        reason: str(body, 'reason'),
        expectedVersion: version(body),
      }),
    'rejected',
  );
  decision(
    '/dfe/applications/:id/change-funded-place',
    (actor, id, body) => {
      const funded = yesNo(str(body, 'newFundedPlace'));
      if (funded === undefined)
        throw new ValidationError([
          { path: 'newFundedPlace', message: 'Select whether they have a funded place' },
        ]);
      return changeFundedPlace(decisionDeps, actor, id, {
        fundedPlace: funded,
        expectedVersion: version(body),
      });
    },
    'funded-place',
  );

  /* DfE sync */
  app.get('/dfe/sync', async (request, reply) => {
    const actor = queueActor(request, reply);
    if (!actor) return reply;
    return page(reply, async () =>
      reply.view('staff/dfe-sync.njk', {
        s: await getSyncStatus(deps.db, actor, { enabled: dfeSyncOn }),
        notice: doneText(request.query),
      }),
    );
  });

  const syncAction = (path: string, run: (actor: Actor, id: number) => Promise<string>) =>
    app.post<{ Params: { id?: string } }>(path, async (request, reply) => {
      const actor = queueActor(request, reply);
      if (!actor) return reply;
      const id = request.params.id === undefined ? 0 : idParam(request.params.id);
      if (id === undefined) return notFound(reply);
      return page(reply, () =>
        submit(
          reply,
          async () => `/dfe/sync?done=${await run(actor, id)}`,
          async (failure, status) =>
            reply.code(status).view('staff/dfe-sync.njk', {
              s: await getSyncStatus(deps.db, actor, { enabled: dfeSyncOn }),
              errors: failure.errors,
            }),
        ),
      );
    });

  syncAction('/dfe/sync/pull', async (actor) => {
    const report = await pullNow(syncDepsFrom(deps, app.log), actor);
    return report.status === 'succeeded' ? 'pulled' : 'pull-failed';
  });
  syncAction('/dfe/sync/actions/:id/retry', async (actor, id) => {
    const sync = syncDepsFrom(deps, app.log);
    await retryAction(sync, actor, id);
    sendDecisionsSoon(sync);
    return 'retried';
  });
  syncAction('/dfe/sync/parked/:id/retry', async (actor, id) => {
    const result = await resolveParked(syncDepsFrom(deps, app.log), actor, id, 'retry');
    return result.resolved ? 'parked-resolved' : 'parked-still';
  });
  syncAction('/dfe/sync/parked/:id/dismiss', async (actor, id) => {
    await resolveParked(syncDepsFrom(deps, app.log), actor, id, 'dismiss');
    return 'dismissed';
  });
}
