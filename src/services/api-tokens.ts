/**
 * Managing bearer tokens from the command line: list them (never the token itself, which is kept
 * only as a digest) and revoke one. Issuing is createApiToken in auth.ts.
 */
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { apiToken, appUser } from '../db/schema.js';
import { SYSTEM } from './actor.js';
import { audit } from './audit.js';
import { NotFoundError } from './errors.js';

export interface ApiTokenSummary {
  id: number;
  email: string;
  role: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date;
  revokedAt: Date | null;
}

/** Every token, or those of one account (email, any case), oldest first. */
export async function listApiTokens(
  db: Db,
  filter: { email?: string | undefined } = {},
): Promise<ApiTokenSummary[]> {
  return db
    .select({
      id: apiToken.id,
      email: appUser.email,
      role: appUser.role,
      name: apiToken.name,
      createdAt: apiToken.createdAt,
      lastUsedAt: apiToken.lastUsedAt,
      expiresAt: apiToken.expiresAt,
      revokedAt: apiToken.revokedAt,
    })
    .from(apiToken)
    .innerJoin(appUser, eq(appUser.id, apiToken.userId))
    .where(
      filter.email
        ? sql`lower(${appUser.email}) = ${filter.email.trim().toLowerCase()}`
        : undefined,
    )
    .orderBy(asc(apiToken.id));
}

/**
 * Revokes a token: from now on it is refused. Revoking one already revoked changes nothing and
 * says so; an unknown id is a NotFoundError.
 */
export async function revokeApiToken(
  db: Db,
  id: number,
  now: Date,
): Promise<{ revoked: boolean; revokedAt: Date }> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(apiToken)
      .set({ revokedAt: now })
      .where(and(eq(apiToken.id, id), isNull(apiToken.revokedAt)))
      .returning({ userId: apiToken.userId, revokedAt: apiToken.revokedAt });
    if (row) {
      await audit(tx, {
        what: 'API_TOKEN_REVOKED',
        who: SYSTEM,
        subjectType: 'api_token',
        subjectId: id,
        details: { userId: row.userId },
        at: now,
      });
      return { revoked: true, revokedAt: now };
    }
    const [existing] = await tx
      .select({ revokedAt: apiToken.revokedAt })
      .from(apiToken)
      .where(eq(apiToken.id, id));
    if (!existing?.revokedAt) throw new NotFoundError(`No API token with id ${id}`);
    return { revoked: false, revokedAt: existing.revokedAt };
  });
}
