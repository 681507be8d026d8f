import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Db } from '../../../db/client.js';
import type { Clock } from '../../../clock.js';
import { ROLES, type Role } from '../../../domain/catalogue.js';
import type { Actor } from '../../../services/actor.js';
import {
  isAccountManager,
  ROLE_NAMES,
  type AccountDeps,
} from '../../../services/accounts/common.js';
import { changeAccount } from '../../../services/accounts/changes.js';
import { inviteStaff, resendInvitation } from '../../../services/accounts/invitations.js';
import {
  accountFormOptions,
  getAccount,
  listAccounts,
  type AccountFilters,
} from '../../../services/accounts/queries.js';
import { deactivateAccount, reactivateAccount } from '../../../services/accounts/status.js';
import { pageQueryParam, type FormErrors } from '../../forms.js';
import { pagination } from './participants.js';
import {
  idParam,
  notFound,
  page,
  requireStaffPage,
  submit,
  withNotice,
  type FormFailure,
} from './support.js';

const PAGE_SIZE = 50;

const ListQuery = z.object({
  q: z.string().trim().max(100).optional().catch(undefined),
  status: z.enum(['invited', 'active', 'deactivated']).optional().catch(undefined),
  participants: z.literal('yes').optional().catch(undefined),
  page: pageQueryParam,
});

type Body = Record<string, unknown>;
const str = (body: Body, key: string): string => {
  const v = body[key];
  return typeof v === 'string' ? v.trim() : '';
};
const optionalId = (value: string): number | null =>
  /^\d{1,9}$/.test(value) ? Number(value) : null;
const roleOf = (value: string): Role | undefined =>
  (ROLES as readonly string[]).includes(value) ? (value as Role) : undefined;

const NOTICES: Record<string, string> = {
  changed: 'Account changed',
  deactivated: 'Account deactivated: its sessions and API tokens have stopped working',
  reactivated: 'Account reactivated: they can sign in again',
  resent: 'Invitation sent again: only the newest link works',
};

/** Admin pages to invite staff and manage their accounts (admins and the programme team). */
export function accountAdminRoutes(
  app: FastifyInstance,
  deps: { db: Db; clock: Clock; publicUrl: string },
): void {
  const services: AccountDeps = deps;

  /** Account pages are for account managers; anyone else is told they do not exist. */
  const manager = (request: Parameters<typeof requireStaffPage>[0], reply: FastifyReply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return null;
    if (!isAccountManager(actor)) {
      void notFound(reply);
      return null;
    }
    return actor;
  };

  app.get('/admin/accounts', async (request, reply) => {
    const actor = manager(request, reply);
    if (!actor) return reply;
    const q = ListQuery.parse(request.query ?? {});
    const current = q.page ?? 1;
    const filters: AccountFilters = {
      search: q.q,
      status: q.status,
      includeParticipants: q.participants === 'yes',
      limit: PAGE_SIZE,
      offset: (current - 1) * PAGE_SIZE,
    };
    return page(reply, async () => {
      const { accounts, total } = await listAccounts(deps, actor, filters);
      const params = new URLSearchParams();
      if (q.q) params.set('q', q.q);
      if (q.status) params.set('status', q.status);
      if (q.participants) params.set('participants', q.participants);
      const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
      return reply.view('staff/accounts.njk', {
        accounts,
        total,
        q: q.q,
        status: q.status,
        participants: q.participants === 'yes',
        roleNames: ROLE_NAMES,
        from: total ? filters.offset! + 1 : 0,
        to: filters.offset! + accounts.length,
        pagination: pagination('/admin/accounts', params, current, pages),
      });
    });
  });

  const renderInvite = async (
    reply: FastifyReply,
    actor: Actor,
    values: Body,
    errors: FormErrors | undefined,
    status = 200,
  ) => {
    const options = await accountFormOptions(deps, actor);
    return reply.code(status).view('staff/account-new.njk', {
      ...options,
      roleNames: ROLE_NAMES,
      values,
      errors,
    });
  };

  app.get('/admin/accounts/new', async (request, reply) => {
    const actor = manager(request, reply);
    if (!actor) return reply;
    return page(reply, () => renderInvite(reply, actor, {}, undefined));
  });

  app.post('/admin/accounts', async (request, reply) => {
    const actor = manager(request, reply);
    if (!actor) return reply;
    const body = (request.body ?? {}) as Body;
    return submit(
      reply,
      async () => {
        const role = roleOf(str(body, 'role'));
        const { userId } = await inviteStaff(services, actor, {
          name: str(body, 'name'),
          email: str(body, 'email'),
          role: role as Role,
          deliveryPartnerId:
            role === 'delivery_partner_staff' ? optionalId(str(body, 'deliveryPartnerId')) : null,
        });
        return `/admin/accounts/${userId}/invited`;
      },
      (failure: FormFailure, status) => renderInvite(reply, actor, body, failure.errors, status),
    );
  });

  app.get<{ Params: { id: string } }>('/admin/accounts/:id/invited', async (request, reply) => {
    const actor = manager(request, reply);
    if (!actor) return reply;
    const id = idParam(request.params.id);
    if (id === undefined) return notFound(reply);
    return page(reply, async () =>
      reply.view('staff/account-invited.njk', {
        account: await getAccount(deps, actor, id),
        roleNames: ROLE_NAMES,
      }),
    );
  });

  const renderAccount = async (
    reply: FastifyReply,
    actor: Actor,
    id: number,
    failure?: FormFailure,
    status = 200,
    values?: Body,
  ) => {
    const account = await getAccount(deps, actor, id);
    const options = await accountFormOptions(deps, actor);
    const mayChange =
      account.id !== actor.userId &&
      account.role !== 'participant' &&
      (account.role !== 'admin' || actor.role === 'admin');
    return reply.code(status).view('staff/account.njk', {
      account,
      ...options,
      roleNames: ROLE_NAMES,
      mayChange,
      mayChangeStatus:
        account.id !== actor.userId && (account.role !== 'admin' || actor.role === 'admin'),
      values: values ?? {
        role: account.role,
        deliveryPartnerId: account.deliveryPartnerId,
        displayName: account.displayName,
      },
      errors: failure?.errors,
      conflict: failure?.conflict,
      notice: NOTICES[String((reply.request.query as { notice?: string }).notice)],
    });
  };

  app.get<{ Params: { id: string } }>('/admin/accounts/:id', async (request, reply) => {
    const actor = manager(request, reply);
    if (!actor) return reply;
    const id = idParam(request.params.id);
    if (id === undefined) return notFound(reply);
    return page(reply, () => renderAccount(reply, actor, id));
  });

  app.post<{ Params: { id: string } }>('/admin/accounts/:id', async (request, reply) => {
    const actor = manager(request, reply);
    if (!actor) return reply;
    const id = idParam(request.params.id);
    if (id === undefined) return notFound(reply);
    const body = (request.body ?? {}) as Body;
    return page(reply, () =>
      submit(
        reply,
        async () => {
          const role = roleOf(str(body, 'role'));
          await changeAccount(services, actor, id, {
            ...(role ? { role } : {}),
            deliveryPartnerId:
              role === 'delivery_partner_staff' ? optionalId(str(body, 'deliveryPartnerId')) : null,
            displayName: str(body, 'displayName'),
            expectedVersion: Number(str(body, 'expectedVersion')) || 0,
          });
          return withNotice(`/admin/accounts/${id}`, 'changed');
        },
        (failure, status) => renderAccount(reply, actor, id, failure, status, body),
      ),
    );
  });

  app.post<{ Params: { id: string } }>('/admin/accounts/:id/resend', async (request, reply) => {
    const actor = manager(request, reply);
    if (!actor) return reply;
    const id = idParam(request.params.id);
    if (id === undefined) return notFound(reply);
    return page(reply, () =>
      submit(
        reply,
        async () => {
          await resendInvitation(services, actor, id);
          return withNotice(`/admin/accounts/${id}`, 'resent');
        },
        (failure, status) => renderAccount(reply, actor, id, failure, status),
      ),
    );
  });

  for (const action of ['deactivate', 'reactivate'] as const) {
    app.get<{ Params: { id: string } }>(`/admin/accounts/:id/${action}`, async (request, reply) => {
      const actor = manager(request, reply);
      if (!actor) return reply;
      const id = idParam(request.params.id);
      if (id === undefined) return notFound(reply);
      return page(reply, async () =>
        reply.view('staff/account-confirm.njk', {
          account: await getAccount(deps, actor, id),
          action,
          roleNames: ROLE_NAMES,
        }),
      );
    });

    app.post<{ Params: { id: string } }>(
      `/admin/accounts/:id/${action}`,
      async (request, reply) => {
        const actor = manager(request, reply);
        if (!actor) return reply;
        const id = idParam(request.params.id);
        if (id === undefined) return notFound(reply);
        const body = (request.body ?? {}) as Body;
        const expectedVersion = Number(str(body, 'expectedVersion')) || 0;
        return page(reply, () =>
          submit(
            reply,
            async () => {
              const run = action === 'deactivate' ? deactivateAccount : reactivateAccount;
              await run(services, actor, id, { expectedVersion });
              return withNotice(`/admin/accounts/${id}`, `${action}d`);
            },
            (failure, status) => renderAccount(reply, actor, id, failure, status),
          ),
        );
      },
    );
  }
}
