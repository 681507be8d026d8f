import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { ApiDeps } from '../../api/plugin.js';
import { milestoneReport } from '../../../services/dfe/declarations/report.js';
import {
  listStatements,
  statementDeclarations,
} from '../../../services/dfe/declarations/statements.js';
import { voidDeclaration } from '../../../services/dfe/declarations/sync.js';
import { outboxSummary, resolveOutboxRequest } from '../../../services/dfe/outbox/backlog.js';
import { parseForm } from '../../forms.js';
import { whenText } from '../../email-view.js';
import {
  idParam,
  notFound,
  page,
  requireStaffPage,
  submit,
  withNotice,
  type FormFailure,
} from './support.js';

export type DfeOutDeps = ApiDeps & { dfeSyncOn: boolean };

const VoidForm = z.object({
  reason: z
    .string()
    .trim()
    .min(1, 'Say why the declaration is voided')
    .max(500, 'Reason must be 500 characters or fewer'),
  participantId: z.string().regex(/^\d{1,9}$/),
});

const NOTICES: Record<string, string> = {
  retried: 'The request will be sent again at the next run',
  dismissed: 'The request was dismissed',
  voiding: 'The declaration will be voided at the DfE at the next run',
};
const noticeOf = (query: unknown) => {
  const key = (query as { notice?: unknown } | undefined)?.notice;
  return typeof key === 'string' ? NOTICES[key] : undefined;
};

/**
 * DfE pages: the milestone report of declarations, statements for reconciliation, and the DfE
 * outbox backlog with retry and dismiss. The programme team and admins; delivery-partner staff
 * read their own partner's milestone report.
 */
export function dfeOutRoutes(app: FastifyInstance, deps: DfeOutDeps): void {
  app.get('/dfe/declarations', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    return page(reply, async () =>
      reply.view('staff/dfe-declarations.njk', {
        report: await milestoneReport(deps, actor),
        dfeSyncOn: deps.dfeSyncOn,
        mayAct: ['admin', 'programme_team'].includes(actor.role),
      }),
    );
  });

  app.get('/dfe/statements', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    return page(reply, async () =>
      reply.view('staff/dfe-statements.njk', {
        statements: await listStatements(deps, actor),
        dfeSyncOn: deps.dfeSyncOn,
      }),
    );
  });

  app.get<{ Params: { id: string } }>('/dfe/statements/:id', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    if (!/^[0-9a-f-]{36}$/i.test(request.params.id)) return notFound(reply);
    return page(reply, async () =>
      reply.view(
        'staff/dfe-statement.njk',
        await statementDeclarations(deps, actor, request.params.id),
      ),
    );
  });

  app.get('/dfe/outbox', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    return page(reply, async () => {
      const summary = await outboxSummary(deps, actor);
      const view = (r: (typeof summary.attention)[number]) => ({
        ...r,
        createdText: whenText(new Date(r.createdAt).toISOString()),
        nextAttemptText: whenText(new Date(r.nextAttemptAt).toISOString()),
      });
      return reply.view('staff/dfe-outbox.njk', {
        ...summary,
        attention: summary.attention.map(view),
        waiting: summary.waiting.map(view),
        dfeSyncOn: deps.dfeSyncOn,
        notice: noticeOf(request.query),
      });
    });
  });

  for (const how of ['retry', 'dismiss'] as const) {
    app.post<{ Params: { id: string } }>(`/dfe/outbox/:id/${how}`, async (request, reply) => {
      const actor = requireStaffPage(request, reply);
      if (!actor) return reply;
      const id = idParam(request.params.id);
      if (id === undefined) return notFound(reply);
      return page(reply, async () =>
        submit(
          reply,
          async () => {
            await resolveOutboxRequest(deps, actor, id, how);
            return withNotice('/dfe/outbox', how === 'retry' ? 'retried' : 'dismissed');
          },
          () => reply.redirect('/dfe/outbox', 303),
        ),
      );
    });
  }

  const renderVoid = (
    reply: FastifyReply,
    id: number,
    values: Record<string, unknown>,
    failure?: FormFailure,
    status = 200,
  ) =>
    reply.code(status).view('staff/dfe-void.njk', {
      id,
      dfeSyncOn: deps.dfeSyncOn,
      values,
      errors: failure?.errors,
      conflict: failure?.conflict,
    });

  app.get<{ Params: { id: string }; Querystring: { participant?: string } }>(
    '/dfe/declarations/:id/void',
    async (request, reply) => {
      const actor = requireStaffPage(request, reply);
      if (!actor) return reply;
      const id = idParam(request.params.id);
      const participantId = idParam(request.query.participant);
      if (id === undefined || participantId === undefined) return notFound(reply);
      if (!['admin', 'programme_team'].includes(actor.role)) return notFound(reply);
      return renderVoid(reply, id, { participantId: String(participantId) });
    },
  );

  app.post<{ Params: { id: string } }>('/dfe/declarations/:id/void', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    const id = idParam(request.params.id);
    if (id === undefined) return notFound(reply);
    const body = (request.body ?? {}) as Record<string, unknown>;
    return page(reply, async () => {
      const form = parseForm(VoidForm, body);
      if (!form.ok) return renderVoid(reply, id, body, { errors: form.errors }, 422);
      return submit(
        reply,
        async () => {
          await voidDeclaration(deps, actor, id, { reason: form.data.reason });
          return withNotice(`/participants/${form.data.participantId}`, 'dfe-voiding');
        },
        (failure, status) => renderVoid(reply, id, body, failure, status),
      );
    });
  });
}
