import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { accountLink, appUser } from '../../db/schema.js';
import { passwordProblem } from '../../domain/password-rules.js';
import {
  accountLinkUrl,
  inspectAccountLink,
  issueAccountLink,
  type AccountLinkPurpose,
  type LinkState,
} from '../account-links.js';
import { SYSTEM } from '../actor.js';
import { audit } from '../audit.js';
import { hashPassword } from '../auth.js';
import { enqueueEmail } from '../email/outbox.js';
import { ServiceError, ValidationError } from '../errors.js';
import { emailDateTime, normaliseEmail, revokeAccess } from './common.js';

/** A link that cannot set a password any more: used, expired, or not one we issued. */
export class AccountLinkError extends ServiceError {
  constructor(
    readonly state: 'used' | 'expired' | 'unknown',
    readonly purpose: AccountLinkPurpose | null,
  ) {
    super(
      state === 'used'
        ? 'This link has already been used'
        : state === 'expired'
          ? 'This link has expired'
          : 'This link is not valid',
      410,
      'LINK_NOT_VALID',
    );
  }
}

/** What the set-password page needs to know about a link: its state and whose account it is for. */
export async function describeAccountLink(
  db: Db,
  token: string,
  now: Date,
): Promise<LinkState & { email: string | null }> {
  const state = await inspectAccountLink(db, token, now);
  if (state.state !== 'valid') return { ...state, email: null };
  const [user] = await db
    .select({ email: appUser.email })
    .from(appUser)
    .where(eq(appUser.id, state.userId));
  return { ...state, email: user?.email ?? null };
}

/**
 * Sets a password from an invitation or reset link: the link must be valid, the password must
 * pass the rules; the link is then used up (with any other outstanding link of the account),
 * a reset ends the account's sessions, and the person is told by email that it changed.
 */
export async function setPasswordFromLink(
  db: Db,
  token: string,
  password: string,
  now: Date,
): Promise<{ userId: number; email: string; purpose: AccountLinkPurpose }> {
  const link = await inspectAccountLink(db, token, now);
  if (link.state !== 'valid') throw new AccountLinkError(link.state, link.purpose);
  const [user] = await db
    .select({ email: appUser.email, name: appUser.displayName })
    .from(appUser)
    .where(eq(appUser.id, link.userId));
  if (!user) throw new AccountLinkError('unknown', null);
  const problem = passwordProblem(password, { email: user.email });
  if (problem) throw new ValidationError([{ path: 'password', message: problem }]);
  const passwordHash = await hashPassword(password);
  return db.transaction(async (tx) => {
    // Used up only if nobody used it in the meantime: a link sets one password, once.
    const used = await tx
      .update(accountLink)
      .set({ usedAt: now })
      .where(and(eq(accountLink.id, link.linkId), isNull(accountLink.usedAt)))
      .returning({ id: accountLink.id });
    if (used.length === 0) throw new AccountLinkError('used', link.purpose);
    await tx
      .update(accountLink)
      .set({ usedAt: now })
      .where(and(eq(accountLink.userId, link.userId), isNull(accountLink.usedAt)));
    await tx
      .update(appUser)
      .set({ passwordHash, version: sql`${appUser.version} + 1` })
      .where(eq(appUser.id, link.userId));
    // Whoever had the old password is signed out; API tokens are the account's own and stay.
    if (link.purpose === 'password_reset')
      await revokeAccess(tx, link.userId, now, { tokens: false });
    await enqueueEmail(tx, {
      template: 'password_changed',
      to: user.email,
      personalisation: { name: user.name, when: emailDateTime(now) },
      subject: { type: 'app_user', id: link.userId },
    });
    await audit(tx, {
      what: link.purpose === 'invitation' ? 'PASSWORD_SET' : 'PASSWORD_RESET',
      who: SYSTEM,
      subjectType: 'app_user',
      subjectId: link.userId,
      details: { via: link.purpose },
      at: now,
    });
    return { userId: link.userId, email: user.email, purpose: link.purpose };
  });
}

/**
 * "Forgotten your password?": for an existing, active account, a 1-hour single-use reset link by
 * email. The caller always gets the same answer (nothing), so the form reveals nothing about which
 * emails have accounts.
 */
export async function requestPasswordReset(
  db: Db,
  email: string,
  now: Date,
  publicUrl: string,
): Promise<void> {
  await db.transaction(async (tx) => {
    const [user] = await tx
      .select({ id: appUser.id, email: appUser.email, name: appUser.displayName })
      .from(appUser)
      .where(
        and(sql`lower(${appUser.email}) = ${normaliseEmail(email)}`, isNull(appUser.deactivatedAt)),
      );
    if (!user) return;
    const { token, expiresAt } = await issueAccountLink(tx, {
      userId: user.id,
      purpose: 'password_reset',
      createdBy: SYSTEM,
      now,
    });
    await enqueueEmail(tx, {
      template: 'password_reset',
      to: user.email,
      personalisation: {
        name: user.name,
        link: accountLinkUrl(publicUrl, 'password_reset', token),
        expires: emailDateTime(expiresAt),
      },
      subject: { type: 'app_user', id: user.id },
    });
    await audit(tx, {
      what: 'PASSWORD_RESET_REQUESTED',
      who: SYSTEM,
      subjectType: 'app_user',
      subjectId: user.id,
      at: now,
    });
  });
}
