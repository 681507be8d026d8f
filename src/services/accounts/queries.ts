import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client.js';
import type { Role } from '../../domain/catalogue.js';
import type { Actor } from '../actor.js';
import { ForbiddenError, NotFoundError } from '../errors.js';
import {
  accountVisibleTo,
  isAccountManager,
  rolesActorMayGive,
  type AccountStatus,
} from './common.js';

export interface AccountSummary {
  id: number;
  email: string;
  displayName: string;
  role: Role;
  deliveryPartnerId: number | null;
  deliveryPartnerName: string | null;
  leadProviderName: string | null;
  status: AccountStatus;
  version: number;
  createdAt: Date;
  deactivatedAt: Date | null;
}

export interface AccountDetail extends AccountSummary {
  /** When the newest invitation link of an account still without a password expires. */
  invitationExpiresAt: Date | null;
  lastSignInAt: Date | null;
}

interface Row {
  id: number;
  email: string;
  display_name: string;
  role: string;
  delivery_partner_id: number | null;
  delivery_partner_name: string | null;
  lead_provider_name: string | null;
  has_password: boolean;
  version: number;
  created_at: Date | string;
  deactivated_at: Date | string | null;
}

const asDate = (v: Date | string | null): Date | null => (v === null ? null : new Date(v));

function summary(r: Row): AccountSummary {
  return {
    id: r.id,
    email: r.email,
    displayName: r.display_name,
    role: r.role as Role,
    deliveryPartnerId: r.delivery_partner_id,
    deliveryPartnerName: r.delivery_partner_name,
    leadProviderName: r.lead_provider_name,
    status: r.deactivated_at ? 'deactivated' : r.has_password ? 'active' : 'invited',
    version: r.version,
    createdAt: new Date(r.created_at),
    deactivatedAt: asDate(r.deactivated_at),
  };
}

const SELECT = sql`select u.id, u.email, u.display_name, u.role, u.delivery_partner_id, dp.name as delivery_partner_name,
  lp.name as lead_provider_name, u.password_hash is not null as has_password, u.version, u.created_at, u.deactivated_at
  from app_user u left join delivery_partner dp on dp.id = u.delivery_partner_id
  left join lead_provider lp on lp.id = coalesce(u.lead_provider_id, dp.lead_provider_id)`;

function requireManager(actor: Actor): void {
  if (!isAccountManager(actor))
    throw new ForbiddenError('Only admins and the programme team manage accounts');
}

export interface AccountFilters {
  /** Part of a name or email address. */
  search?: string | undefined;
  role?: Role | undefined;
  status?: AccountStatus | undefined;
  /** Staff only (participants' accounts are many, and come from imports) unless asked for. */
  includeParticipants?: boolean | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}

/** Accounts the actor manages, staff first by name; filtered and paged in the database. */
export async function listAccounts(
  deps: { db: Db },
  actor: Actor,
  filters: AccountFilters = {},
): Promise<{ accounts: AccountSummary[]; total: number }> {
  requireManager(actor);
  const search = filters.search?.trim().toLowerCase();
  const where = sql.join(
    [
      accountVisibleTo(actor),
      search
        ? sql`(strpos(lower(u.email), ${search}) > 0 or strpos(lower(u.display_name), ${search}) > 0)`
        : sql`true`,
      filters.role ? sql`u.role = ${filters.role}` : sql`true`,
      filters.includeParticipants || filters.role === 'participant'
        ? sql`true`
        : sql`u.role <> 'participant'`,
      filters.status === 'deactivated'
        ? sql`u.deactivated_at is not null`
        : filters.status === 'active'
          ? sql`u.deactivated_at is null and u.password_hash is not null`
          : filters.status === 'invited'
            ? sql`u.deactivated_at is null and u.password_hash is null`
            : sql`true`,
    ],
    sql` and `,
  );
  const rows = await queryRows<Row & { total: number | string }>(
    deps.db,
    sql`select s.*, count(*) over () as total from (${SELECT} where ${where}) s
        order by lower(s.display_name), s.id limit ${filters.limit ?? 100} offset ${filters.offset ?? 0}`,
  );
  return { accounts: rows.map(summary), total: Number(rows[0]?.total ?? 0) };
}

/** One account the actor manages (404 otherwise), with its invitation's expiry and last sign-in. */
export async function getAccount(
  deps: { db: Db },
  actor: Actor,
  userId: number,
): Promise<AccountDetail> {
  if (!isAccountManager(actor)) throw new NotFoundError('Account not found');
  const [row] = await queryRows<
    Row & { invitation_expires_at: Date | string | null; last_sign_in_at: Date | string | null }
  >(
    deps.db,
    sql`select s.*,
          (select max(l.expires_at) from account_link l where l.user_id = s.id and l.purpose = 'invitation' and l.used_at is null) as invitation_expires_at,
          (select max(us.created_at) from user_session us where us.user_id = s.id) as last_sign_in_at
        from (${SELECT} where u.id = ${userId} and ${accountVisibleTo(actor)}) s`,
  );
  if (!row) throw new NotFoundError('Account not found');
  return {
    ...summary(row),
    invitationExpiresAt: asDate(row.invitation_expires_at),
    lastSignInAt: asDate(row.last_sign_in_at),
  };
}

/** What the invitation and change forms offer this actor: the roles they may give and the partners. */
export async function accountFormOptions(
  deps: { db: Db },
  actor: Actor,
): Promise<{ roles: readonly Role[]; partners: { id: number; name: string }[] }> {
  requireManager(actor);
  const partners = await queryRows<{ id: number; name: string }>(
    deps.db,
    sql`select dp.id, dp.name from delivery_partner dp
        where ${actor.role === 'admin' ? sql`true` : sql`dp.lead_provider_id = ${actor.leadProviderId ?? -1}`}
        order by dp.name`,
  );
  return { roles: rolesActorMayGive(actor), partners };
}
