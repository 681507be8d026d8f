import { and, eq, sql } from 'drizzle-orm';
import { appUser } from '../../db/schema.js';
import type { Actor } from '../actor.js';
import { audit } from '../audit.js';
import { ConflictError, ValidationError } from '../errors.js';
import { accountForWrite, revokeAccess, type AccountDeps } from './common.js';

export interface StatusChange {
  /** The account version the caller read; a stale one is refused with 409. Optional for the CLI. */
  expectedVersion?: number | undefined;
}

/**
 * Deactivates an account: it can no longer sign in, and its browser sessions and API tokens stop
 * working at once (they are revoked in the same transaction). Admins may deactivate anyone but
 * themselves; the programme team, accounts other than admins'.
 */
export async function deactivateAccount(
  deps: AccountDeps,
  actor: Actor,
  userId: number,
  input: StatusChange = {},
): Promise<{ userId: number; version: number }> {
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const account = await accountForWrite(tx, actor, userId, {
      notSelf: 'You cannot deactivate your own account',
    });
    if (input.expectedVersion !== undefined && account.version !== input.expectedVersion)
      throw new ConflictError();
    if (account.deactivatedAt)
      throw new ValidationError([
        { path: 'status', message: 'This account is already deactivated' },
      ]);
    const version = await bump(tx, account.id, account.version, { deactivatedAt: now });
    await revokeAccess(tx, account.id, now, { tokens: true });
    await audit(tx, {
      what: 'ACCOUNT_DEACTIVATED',
      who: actor,
      subjectType: 'app_user',
      subjectId: account.id,
      details: { role: account.role },
      at: now,
    });
    return { userId: account.id, version };
  });
}

/** Lets a deactivated account sign in again (its old sessions and tokens stay revoked). */
export async function reactivateAccount(
  deps: AccountDeps,
  actor: Actor,
  userId: number,
  input: StatusChange = {},
): Promise<{ userId: number; version: number }> {
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const account = await accountForWrite(tx, actor, userId, {
      notSelf: 'You cannot reactivate your own account',
    });
    if (input.expectedVersion !== undefined && account.version !== input.expectedVersion)
      throw new ConflictError();
    if (!account.deactivatedAt)
      throw new ValidationError([{ path: 'status', message: 'This account is not deactivated' }]);
    const version = await bump(tx, account.id, account.version, { deactivatedAt: null });
    await audit(tx, {
      what: 'ACCOUNT_REACTIVATED',
      who: actor,
      subjectType: 'app_user',
      subjectId: account.id,
      details: { role: account.role },
      at: now,
    });
    return { userId: account.id, version };
  });
}

async function bump(
  tx: Parameters<typeof revokeAccess>[0],
  id: number,
  version: number,
  set: { deactivatedAt: Date | null },
): Promise<number> {
  const [row] = await tx
    .update(appUser)
    .set({ ...set, version: sql`${appUser.version} + 1` })
    .where(and(eq(appUser.id, id), eq(appUser.version, version)))
    .returning({ version: appUser.version });
  if (!row) throw new ConflictError();
  return row.version;
}
