import { and, eq, isNull, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { apiToken, appUser, deliveryPartner, leadProvider, userSession } from '../../db/schema.js';
import type { Clock } from '../../clock.js';
import type { Role } from '../../domain/catalogue.js';
import { STAFF_ROLES, type Actor } from '../actor.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors.js';

export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** Account use cases build links that go into emails, so they need the address people use. */
export interface AccountDeps {
  db: Db;
  clock: Clock;
  publicUrl: string;
}

export type AccountStatus = 'invited' | 'active' | 'deactivated';

/** Roles that manage accounts: admins (any account) and the programme team (any but admins'). */
export const ACCOUNT_MANAGERS: readonly Role[] = ['admin', 'programme_team'];

export function isAccountManager(actor: Actor): boolean {
  return ACCOUNT_MANAGERS.includes(actor.role);
}

/** The staff roles an actor may give: admins any, the programme team any but admin. */
export function rolesActorMayGive(actor: Actor): readonly Role[] {
  if (actor.role === 'admin') return STAFF_ROLES;
  if (actor.role === 'programme_team') return STAFF_ROLES.filter((r) => r !== 'admin');
  return [];
}

export const ROLE_NAMES: Record<Role, string> = {
  participant: 'Participant',
  delivery_partner_staff: 'Delivery partner staff',
  programme_team: 'Programme team',
  coach: 'Coach',
  facilitator: 'Facilitator',
  assessor: 'Assessor',
  admin: 'Admin',
};

/** How the invitation email describes the role: "… has given you an npq-ops account as …". */
export function roleDescription(role: Role, partnerName: string | null): string {
  switch (role) {
    case 'delivery_partner_staff':
      return `a member of staff at ${partnerName ?? 'a delivery partner'}`;
    case 'programme_team':
      return 'a member of the programme team';
    case 'admin':
      return 'an administrator';
    case 'participant':
      return 'a participant';
    default:
      return `a ${role}`;
  }
}

/** "10 November 2025 at 9:00am" (London time), as emails give an expiry. */
export function emailDateTime(at: Date): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    hour12: true,
    timeZone: 'Europe/London',
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('day')} ${get('month')} ${get('year')} at ${get('hour')}:${get('minute')}${get('dayPeriod').toLowerCase().replace(/\s/g, '')}`;
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Accounts an actor may see, as one SQL condition over app_user (alias `u`): admins see all; the
 * programme team sees the admins and the accounts of its own lead provider (its staff, its
 * partners' staff and its participants); nobody else manages accounts.
 */
export function accountVisibleTo(actor: Actor): SQL {
  if (actor.role === 'admin') return sql`true`;
  if (actor.role !== 'programme_team') return sql`false`;
  const lp = actor.leadProviderId ?? -1;
  return sql`(u.role = 'admin' or u.lead_provider_id = ${lp}
    or exists (select 1 from delivery_partner dp where dp.id = u.delivery_partner_id and dp.lead_provider_id = ${lp})
    or exists (select 1 from enrolment e join cohort c on c.id = e.cohort_id where e.participant_id = u.participant_id and c.lead_provider_id = ${lp}))`;
}

export type AccountRow = typeof appUser.$inferSelect;

/**
 * An account the actor may act on: 404 when they may not see it, 403 when they may see it but not
 * change it (only admins change admin accounts; nobody deactivates or re-roles themselves).
 */
export async function accountForWrite(
  tx: Pick<Db, 'select' | 'execute'>,
  actor: Actor,
  userId: number,
  options: { notSelf?: string } = {},
): Promise<AccountRow> {
  if (!isAccountManager(actor))
    throw new ForbiddenError('Only admins and the programme team manage accounts');
  const [row] = await tx
    .select()
    .from(appUser)
    .where(
      and(
        eq(appUser.id, userId),
        sql`exists (select 1 from app_user u where u.id = ${appUser.id} and ${accountVisibleTo(actor)})`,
      ),
    );
  if (!row) throw new NotFoundError('Account not found');
  if (row.role === 'admin' && actor.role !== 'admin')
    throw new ForbiddenError('Only an admin can change an admin account');
  if (options.notSelf && row.id === actor.userId) throw new ForbiddenError(options.notSelf);
  return row;
}

/** Whether an email is taken by any account, whatever its case. */
export async function emailTaken(tx: Pick<Db, 'select'>, email: string): Promise<boolean> {
  const [row] = await tx
    .select({ id: appUser.id })
    .from(appUser)
    .where(sql`lower(${appUser.email}) = ${normaliseEmail(email)}`);
  return row !== undefined;
}

export const DUPLICATE_EMAIL = 'There is already an account with this email address';

/**
 * Two invitations for one email at the same moment both pass the check; the unique index on
 * lower(email) stops the second, which becomes the same field error instead of a 500.
 */
export function duplicateEmailError(error: unknown): ValidationError | null {
  const code = (e: unknown) => (e as { code?: unknown } | null)?.code;
  const unique =
    code(error) === '23505' || code((error as { cause?: unknown } | null)?.cause) === '23505';
  return unique ? new ValidationError([{ path: 'email', message: DUPLICATE_EMAIL }]) : null;
}

/**
 * Which lead provider and delivery partner an account of this role belongs to. Partner staff need
 * a partner (of the actor's lead provider, for the programme team); lead provider staff get the
 * actor's lead provider, or the only one there is; admins belong to none.
 */
export async function scopeFor(
  tx: Pick<Db, 'select'>,
  actor: Actor,
  role: Role,
  deliveryPartnerId: number | null | undefined,
): Promise<{
  leadProviderId: number | null;
  deliveryPartnerId: number | null;
  partnerName: string | null;
}> {
  if (role === 'delivery_partner_staff') {
    if (!deliveryPartnerId)
      throw new ValidationError([
        { path: 'deliveryPartnerId', message: 'Select the delivery partner they work for' },
      ]);
    const [dp] = await tx
      .select({
        id: deliveryPartner.id,
        leadProviderId: deliveryPartner.leadProviderId,
        name: deliveryPartner.name,
      })
      .from(deliveryPartner)
      .where(eq(deliveryPartner.id, deliveryPartnerId));
    if (!dp || (actor.role !== 'admin' && dp.leadProviderId !== actor.leadProviderId))
      throw new ValidationError([
        { path: 'deliveryPartnerId', message: 'Select one of the delivery partners listed' },
      ]);
    return { leadProviderId: dp.leadProviderId, deliveryPartnerId: dp.id, partnerName: dp.name };
  }
  if (role === 'admin' || role === 'participant')
    return { leadProviderId: null, deliveryPartnerId: null, partnerName: null };
  if (actor.leadProviderId !== null)
    return { leadProviderId: actor.leadProviderId, deliveryPartnerId: null, partnerName: null };
  const lps = await tx.select({ id: leadProvider.id }).from(leadProvider).limit(2);
  if (lps.length !== 1)
    throw new ValidationError([
      {
        path: 'role',
        message:
          lps.length === 0
            ? 'Set up the lead provider before inviting its staff'
            : 'There is more than one lead provider: ask a programme team member of the right one to invite them',
      },
    ]);
  return { leadProviderId: lps[0]!.id, deliveryPartnerId: null, partnerName: null };
}

/** Ends every session and API token of an account at once (deactivation, a password reset). */
export async function revokeAccess(
  tx: Pick<Db, 'update'>,
  userId: number,
  now: Date,
  options: { tokens: boolean; keepSessionId?: string } = { tokens: true },
): Promise<void> {
  await tx
    .update(userSession)
    .set({ revokedAt: now })
    .where(
      and(
        eq(userSession.userId, userId),
        isNull(userSession.revokedAt),
        options.keepSessionId ? sql`${userSession.id} <> ${options.keepSessionId}` : undefined,
      ),
    );
  if (options.tokens)
    await tx
      .update(apiToken)
      .set({ revokedAt: now })
      .where(and(eq(apiToken.userId, userId), isNull(apiToken.revokedAt)));
}
