import { and, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { appUser } from '../../db/schema.js';
import { ROLES, type Role } from '../../domain/catalogue.js';
import type { Actor } from '../actor.js';
import { audit } from '../audit.js';
import { ConflictError, ForbiddenError, ValidationError } from '../errors.js';
import { accountForWrite, rolesActorMayGive, scopeFor, type AccountDeps } from './common.js';

export const AccountChange = z.object({
  role: z.enum(ROLES, { message: 'Select a role' }).optional(),
  deliveryPartnerId: z.number().int().positive().nullish(),
  displayName: z
    .string()
    .trim()
    .min(1, 'Enter their full name')
    .max(200, 'Their name must be 200 characters or fewer')
    .optional(),
  expectedVersion: z.number().int().positive(),
});
export type AccountChange = z.input<typeof AccountChange>;

/**
 * Changes a member of staff's role, delivery partner or name, if nobody changed the account since
 * the caller read it (409 otherwise). The audit event names the old and new role and partner.
 * Participants' accounts follow their enrolments and are not re-roled here.
 */
export async function changeAccount(
  deps: AccountDeps,
  actor: Actor,
  userId: number,
  input: AccountChange,
): Promise<{ userId: number; version: number }> {
  const parsed = AccountChange.safeParse(input);
  if (!parsed.success)
    throw new ValidationError(
      parsed.error.issues.map((i) => ({ path: String(i.path[0] ?? 'form'), message: i.message })),
    );
  const change = parsed.data;
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const account = await accountForWrite(tx, actor, userId);
    const oldRole = account.role as Role;
    const newRole = change.role ?? oldRole;
    const roleOrPartnerChanges =
      newRole !== oldRole ||
      (change.deliveryPartnerId !== undefined &&
        (change.deliveryPartnerId ?? null) !== account.deliveryPartnerId);
    if (roleOrPartnerChanges) {
      if (account.id === actor.userId)
        throw new ForbiddenError('You cannot change your own role or partner');
      if (oldRole === 'participant' || newRole === 'participant')
        throw new ValidationError([
          {
            path: 'role',
            message: 'Participant accounts come from imports; their role cannot change',
          },
        ]);
      if (!rolesActorMayGive(actor).includes(newRole))
        throw new ForbiddenError('Only an admin can make someone an admin');
    }
    if (account.version !== change.expectedVersion) throw new ConflictError();
    const scope = roleOrPartnerChanges
      ? await scopeFor(
          tx,
          actor,
          newRole,
          change.deliveryPartnerId === undefined
            ? account.deliveryPartnerId
            : change.deliveryPartnerId,
        )
      : {
          leadProviderId: account.leadProviderId,
          deliveryPartnerId: account.deliveryPartnerId,
          partnerName: null,
        };
    const [row] = await tx
      .update(appUser)
      .set({
        role: newRole,
        leadProviderId: scope.leadProviderId,
        deliveryPartnerId: scope.deliveryPartnerId,
        displayName: change.displayName ?? account.displayName,
        version: sql`${appUser.version} + 1`,
      })
      .where(and(eq(appUser.id, account.id), eq(appUser.version, account.version)))
      .returning({ version: appUser.version });
    if (!row) throw new ConflictError();
    await audit(tx, {
      what: roleOrPartnerChanges ? 'ACCOUNT_ROLE_CHANGED' : 'ACCOUNT_CHANGED',
      who: actor,
      subjectType: 'app_user',
      subjectId: account.id,
      details: {
        from: {
          role: oldRole,
          deliveryPartnerId: account.deliveryPartnerId,
          displayName: account.displayName,
        },
        to: {
          role: newRole,
          deliveryPartnerId: scope.deliveryPartnerId,
          displayName: change.displayName ?? account.displayName,
        },
      },
      at: now,
    });
    return { userId: account.id, version: row.version };
  });
}
