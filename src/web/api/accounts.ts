import { z } from 'zod';
import { ROLES } from '../../domain/catalogue.js';
import type { AccountDeps } from '../../services/accounts/common.js';
import { changeAccount } from '../../services/accounts/changes.js';
import { inviteStaff, resendInvitation } from '../../services/accounts/invitations.js';
import { getAccount, listAccounts, type AccountDetail } from '../../services/accounts/queries.js';
import { deactivateAccount, reactivateAccount } from '../../services/accounts/status.js';
import { actorOf, ErrorBody, type ApiModule } from './plugin.js';
import { Id, IdParam, Pagination, writeErrors } from './schemas.js';

const AccountStatus = z.enum(['invited', 'active', 'deactivated']);

const Account = z
  .object({
    id: z.number(),
    email: z.string(),
    displayName: z.string(),
    role: z.enum(ROLES),
    deliveryPartnerId: z.number().nullable(),
    deliveryPartnerName: z.string().nullable(),
    leadProviderName: z.string().nullable(),
    status: AccountStatus.describe('invited: no password set yet'),
    version: z.number(),
    // ISO strings, not Dates: an idempotent replay sends the stored JSON through this schema.
    createdAt: z.string(),
    deactivatedAt: z.string().nullable(),
    invitationExpiresAt: z.string().nullable().optional(),
    lastSignInAt: z.string().nullable().optional(),
  })
  .meta({ id: 'Account' });

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
const toBody = (
  a: Omit<AccountDetail, 'invitationExpiresAt' | 'lastSignInAt'> & Partial<AccountDetail>,
) => ({
  id: a.id,
  email: a.email,
  displayName: a.displayName,
  role: a.role,
  deliveryPartnerId: a.deliveryPartnerId,
  deliveryPartnerName: a.deliveryPartnerName,
  leadProviderName: a.leadProviderName,
  status: a.status,
  version: a.version,
  createdAt: a.createdAt.toISOString(),
  deactivatedAt: iso(a.deactivatedAt),
  ...(a.invitationExpiresAt !== undefined
    ? { invitationExpiresAt: iso(a.invitationExpiresAt) }
    : {}),
  ...(a.lastSignInAt !== undefined ? { lastSignInAt: iso(a.lastSignInAt) } : {}),
});

const StatusBody = z.object({
  expectedVersion: Id.optional().describe('The account version you read (409 if stale)'),
});

const tags = ['Accounts'];

/** Staff accounts: invitations, role and partner changes, deactivation (admins and the programme team). */
export const accountsApi: ApiModule = (app, deps) => {
  if (!deps.publicUrl) throw new Error('The accounts API needs publicUrl for invitation links');
  // Account links expire on real time: X-With-Server-Date must not make one last longer.
  const services: AccountDeps = {
    db: deps.db,
    clock: deps.realClock ?? deps.clock,
    publicUrl: deps.publicUrl,
  };
  const detail = async (actor: ReturnType<typeof actorOf>, id: number) =>
    toBody(await getAccount(deps, actor, id));

  app.get(
    '/accounts',
    {
      schema: {
        tags,
        summary: 'Accounts you manage, by name (admins and the programme team)',
        querystring: Pagination.extend({
          search: z.string().max(100).optional().describe('Part of a name or email address'),
          role: z.enum(ROLES).optional(),
          status: AccountStatus.optional(),
          includeParticipants: z.enum(['true', 'false']).optional(),
        }),
        response: {
          200: z.object({ items: z.array(Account), total: z.number() }),
          401: ErrorBody,
          403: ErrorBody,
        },
      },
    },
    async (request) => {
      const q = request.query;
      const { accounts, total } = await listAccounts(deps, actorOf(request), {
        search: q.search,
        role: q.role,
        status: q.status,
        includeParticipants: q.includeParticipants === 'true',
        limit: q.limit,
        offset: q.offset,
      });
      return { items: accounts.map(toBody), total };
    },
  );

  app.post(
    '/accounts',
    {
      schema: {
        tags,
        summary: 'Invite a member of staff: they get an email with a 7-day link to set a password',
        body: z.object({
          email: z.string().max(320),
          name: z.string().max(200),
          role: z
            .string()
            .describe(`One of: ${ROLES.filter((r) => r !== 'participant').join(', ')}`),
          deliveryPartnerId: Id.optional().describe('Required for delivery_partner_staff'),
        }),
        response: { 201: Account, ...writeErrors },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const { userId } = await inviteStaff(services, actor, {
        ...request.body,
        role: request.body.role as (typeof ROLES)[number],
      });
      return reply.code(201).send(await detail(actor, userId));
    },
  );

  app.get(
    '/accounts/:id',
    {
      schema: {
        tags,
        summary: 'One account',
        params: IdParam,
        response: { 200: Account, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => detail(actorOf(request), request.params.id),
  );

  app.patch(
    '/accounts/:id',
    {
      schema: {
        tags,
        summary: 'Change a member of staff’s role, delivery partner or name (audited)',
        params: IdParam,
        body: z.object({
          role: z.string().optional(),
          deliveryPartnerId: Id.nullable().optional(),
          displayName: z.string().max(200).optional(),
          expectedVersion: Id.describe('The account version you read (409 if stale)'),
        }),
        response: { 200: Account, ...writeErrors },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const { role, ...rest } = request.body;
      await changeAccount(services, actor, request.params.id, {
        ...rest,
        ...(role !== undefined ? { role: role as (typeof ROLES)[number] } : {}),
      });
      return detail(actor, request.params.id);
    },
  );

  const action = (
    path: string,
    summary: string,
    run: (
      actor: ReturnType<typeof actorOf>,
      id: number,
      body: z.infer<typeof StatusBody>,
    ) => Promise<unknown>,
  ) =>
    app.post(
      `/accounts/:id/${path}`,
      {
        schema: {
          tags,
          summary,
          params: IdParam,
          body: StatusBody.optional(),
          response: { 200: Account, ...writeErrors },
        },
      },
      async (request) => {
        const actor = actorOf(request);
        await run(actor, request.params.id, request.body ?? {});
        return detail(actor, request.params.id);
      },
    );

  action(
    'deactivate',
    'Deactivate an account: its sessions and API tokens stop working at once',
    (actor, id, body) => deactivateAccount(services, actor, id, body),
  );
  action('reactivate', 'Let a deactivated account sign in again', (actor, id, body) =>
    reactivateAccount(services, actor, id, body),
  );
  action(
    'resend-invitation',
    'Send a new invitation link to someone who has not set a password; older links stop working',
    (actor, id) => resendInvitation(services, actor, id),
  );
};
