import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { accountLink } from '../db/schema.js';

/** Invitations to set a first password last 7 days; password resets 1 hour. */
export const LINK_LIFETIME_MS = {
  invitation: 7 * 24 * 3_600_000,
  password_reset: 3_600_000,
} as const;

export type AccountLinkPurpose = keyof typeof LINK_LIFETIME_MS;

/** Where each kind of link leads: the page that sets the password. */
export function accountLinkUrl(
  publicUrl: string,
  purpose: AccountLinkPurpose,
  token: string,
): string {
  const page = purpose === 'invitation' ? 'set-password' : 'reset-password';
  return `${publicUrl}/account/${page}/${token}`;
}

export function linkDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Issues a single-use link for an account, in the caller's transaction. Earlier unused links of the
 * same purpose stop working, so only the newest email's link is live. Returns the secret (shown or
 * emailed once; only its digest is stored) and when it expires.
 */
export async function issueAccountLink(
  tx: Pick<Db, 'insert' | 'update'>,
  input: { userId: number; purpose: AccountLinkPurpose; createdBy: string; now: Date },
): Promise<{ token: string; expiresAt: Date }> {
  await tx
    .update(accountLink)
    .set({ usedAt: input.now })
    .where(
      and(
        eq(accountLink.userId, input.userId),
        eq(accountLink.purpose, input.purpose),
        isNull(accountLink.usedAt),
      ),
    );
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(input.now.getTime() + LINK_LIFETIME_MS[input.purpose]);
  await tx.insert(accountLink).values({
    userId: input.userId,
    purpose: input.purpose,
    tokenHash: linkDigest(token),
    createdBy: input.createdBy,
    createdAt: input.now,
    expiresAt,
  });
  return { token, expiresAt };
}

export type LinkState =
  | { state: 'valid'; linkId: number; userId: number; purpose: AccountLinkPurpose }
  | { state: 'used' | 'expired' | 'unknown'; purpose: AccountLinkPurpose | null };

/** What a link is now: valid, already used, expired, or not a link we issued. Reads only. */
export async function inspectAccountLink(
  db: Pick<Db, 'select'>,
  token: string,
  now: Date,
): Promise<LinkState> {
  const [link] = await db
    .select({
      id: accountLink.id,
      userId: accountLink.userId,
      purpose: accountLink.purpose,
      usedAt: accountLink.usedAt,
      expiresAt: accountLink.expiresAt,
      deactivated: sql<boolean>`exists (select 1 from app_user u where u.id = ${accountLink.userId} and u.deactivated_at is not null)`,
    })
    .from(accountLink)
    .where(eq(accountLink.tokenHash, linkDigest(token)));
  if (!link || link.deactivated) return { state: 'unknown', purpose: null };
  const purpose = link.purpose as AccountLinkPurpose;
  if (link.usedAt) return { state: 'used', purpose };
  if (link.expiresAt <= now) return { state: 'expired', purpose };
  return { state: 'valid', linkId: link.id, userId: link.userId, purpose };
}
