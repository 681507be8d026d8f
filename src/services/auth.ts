import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { and, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { apiToken, appUser, deliveryPartner, leadProvider, userSession } from '../db/schema.js';
import { ROLES, type Role } from '../domain/catalogue.js';
import { ACTOR_COLUMNS, actorFromRow, loadActor, type Actor } from './actor.js';
import { audit } from './audit.js';
import { rememberToken, tokenDigest } from './recent-tokens.js';
import { ValidationError } from './errors.js';

// Verifying against this when the email is unknown keeps the answer time the same either way.
// Hashed once, on the first sign-in, rather than at start-up (each start spent an Argon2 hash on
// it before serving a page).
let unknownUserHash: Promise<string> | undefined;
const unknownUserHashOnce = () => (unknownUserHash ??= hash('npq-ops-unknown-user'));

export async function hashPassword(password: string): Promise<string> {
  return hash(password);
}

export async function authenticatePassword(
  db: Db,
  email: string,
  password: string,
): Promise<Actor | null> {
  // Awaited whichever the account, so only the first sign-in of all waits for it.
  const unknownUser = await unknownUserHashOnce();
  const [user] = await db
    .select({
      id: appUser.id,
      passwordHash: appUser.passwordHash,
      deactivatedAt: appUser.deactivatedAt,
    })
    .from(appUser)
    .where(sql`lower(${appUser.email}) = ${email.trim().toLowerCase()}`);
  // An account with no password yet (invited) or a deactivated one cannot sign in; the check
  // costs the same as for a real account, so the answer time says nothing either way.
  const usable = user?.passwordHash != null && user.deactivatedAt === null;
  const ok = await verify(usable ? user.passwordHash! : unknownUser, password).catch(() => false);
  return ok && usable ? loadActor(db, user.id) : null;
}

/**
 * A valid token and its user. Prepared: built once rather than at every API request, and on a
 * PostgreSQL server a named statement each connection plans once (on the engagement API, building
 * and planning it cost more than running it).
 */
function prepareTokenLookup(db: Db) {
  return db
    .select({ ...ACTOR_COLUMNS, tokenId: apiToken.id, lastUsedAt: apiToken.lastUsedAt })
    .from(apiToken)
    .innerJoin(appUser, eq(appUser.id, apiToken.userId))
    .where(
      and(
        eq(apiToken.tokenHash, sql.placeholder('hash')),
        isNull(apiToken.revokedAt),
        gt(apiToken.expiresAt, sql`${sql.placeholder('now')}::timestamptz`),
        // A deactivated account's tokens stop working at once.
        isNull(appUser.deactivatedAt),
      ),
    )
    .prepare('npq_ops_token_lookup');
}
const tokenLookups = new WeakMap<Db, ReturnType<typeof prepareTokenLookup>>();

/** last_used_at is written at most this often per token: a write on every request queues them on the row lock. */
export const TOKEN_LAST_USED_RESOLUTION_MS = 3_600_000;

/**
 * The actor behind a bearer token that is neither revoked nor expired. Records when the token was
 * last used, to the hour: only the first request of an hour writes, so busy clients do not queue.
 */
export async function authenticateToken(db: Db, token: string, now: Date): Promise<Actor | null> {
  // The token and its user in one statement, prepared once per database (issue 13).
  let lookup = tokenLookups.get(db);
  if (!lookup) tokenLookups.set(db, (lookup = prepareTokenLookup(db)));
  const digest = tokenDigest(token);
  const [row] = await lookup.execute({ hash: digest, now: now.toISOString() });
  if (!row) return null;
  const { tokenId, lastUsedAt, ...user } = row;
  const staleBefore = tokenUseStaleBefore(now);
  const actor = actorFromRow(user);
  if (lastUsedAt === null || lastUsedAt < staleBefore) {
    // Conditional, so of several requests arriving together only one writes.
    await db
      .update(apiToken)
      .set({ lastUsedAt: now })
      .where(
        and(
          eq(apiToken.id, tokenId),
          or(isNull(apiToken.lastUsedAt), lt(apiToken.lastUsedAt, staleBefore)),
        ),
      );
  }
  // For routes that check the token again in their own statement (services/recent-tokens.ts).
  rememberToken(db, digest, {
    tokenId,
    actor,
    lastUsedAt: lastUsedAt === null || lastUsedAt < staleBefore ? now : lastUsedAt,
  });
  return actor;
}

/** A token last used before this instant is due a last_used_at write. */
export function tokenUseStaleBefore(now: Date): Date {
  return new Date(now.getTime() - TOKEN_LAST_USED_RESOLUTION_MS);
}

/** How long a token works unless `--expires-in-days` says otherwise, and the longest allowed. */
export const DEFAULT_TOKEN_DAYS = 90;
export const MAX_TOKEN_DAYS = 730;

export interface CreateTokenInput {
  email: string;
  role: string;
  name?: string | undefined;
  /** Slug of the lead provider, for staff roles scoped to one. */
  leadProvider?: string | undefined;
  /** Slug of the delivery partner, for delivery_partner_staff. */
  deliveryPartner?: string | undefined;
  /** Days until the token stops working (1 to MAX_TOKEN_DAYS; default DEFAULT_TOKEN_DAYS). */
  expiresInDays?: number | undefined;
}

/**
 * Issues a bearer token for a machine client. The token is shown once; only its digest is kept.
 * A token for an email with no account creates a machine account with that role (no password
 * sign-in: its password hash is of random bytes nobody knows).
 */
export async function createApiToken(
  db: Db,
  input: CreateTokenInput,
  now: Date,
): Promise<{ token: string; userId: number; id: number; expiresAt: Date }> {
  const days = input.expiresInDays ?? DEFAULT_TOKEN_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > MAX_TOKEN_DAYS) {
    throw new ValidationError([
      {
        path: 'expires-in-days',
        message: `Expiry must be a whole number of days from 1 to ${MAX_TOKEN_DAYS}`,
      },
    ]);
  }
  const expiresAt = new Date(now.getTime() + days * 86_400_000);
  if (!(ROLES as readonly string[]).includes(input.role)) {
    throw new ValidationError([
      { path: 'role', message: `Role must be one of ${ROLES.join(', ')}` },
    ]);
  }
  const role = input.role as Role;
  if (role === 'participant') {
    throw new ValidationError([
      { path: 'role', message: 'API tokens are for staff and machine clients, not participants' },
    ]);
  }
  return db.transaction(async (tx) => {
    let [user] = await tx
      .select({ id: appUser.id, role: appUser.role })
      .from(appUser)
      .where(sql`lower(${appUser.email}) = ${input.email.trim().toLowerCase()}`);
    if (user && user.role !== role) {
      throw new ValidationError([
        { path: 'role', message: `${input.email} has the role ${user.role}, not ${role}` },
      ]);
    }
    if (!user) {
      const scope = await resolveScope(tx as unknown as Db, role, input);
      [user] = await tx
        .insert(appUser)
        .values({
          email: input.email.trim(),
          displayName: input.name ?? input.email,
          passwordHash: await hash(randomBytes(32).toString('hex')),
          role,
          ...scope,
        })
        .returning({ id: appUser.id, role: appUser.role });
    }
    const token = `npq_${randomBytes(32).toString('base64url')}`;
    const [row] = await tx
      .insert(apiToken)
      .values({
        userId: user!.id,
        name: input.name ?? 'cli',
        tokenHash: tokenDigest(token),
        createdAt: now,
        expiresAt,
      })
      .returning({ id: apiToken.id });
    await audit(tx, {
      what: 'API_TOKEN_CREATED',
      who: 'system',
      subjectType: 'api_token',
      subjectId: row!.id,
      details: { userId: user!.id, role, expiresAt: expiresAt.toISOString() },
      at: now,
    });
    return { token, userId: user!.id, id: row!.id, expiresAt };
  });
}

async function resolveScope(db: Db, role: Role, input: CreateTokenInput) {
  if (role === 'delivery_partner_staff') {
    if (!input.deliveryPartner)
      throw new ValidationError([
        {
          path: 'delivery-partner',
          message: 'Give the delivery partner for delivery_partner_staff',
        },
      ]);
    const [dp] = await db
      .select({ id: deliveryPartner.id, leadProviderId: deliveryPartner.leadProviderId })
      .from(deliveryPartner)
      .where(eq(deliveryPartner.slug, input.deliveryPartner));
    if (!dp)
      throw new ValidationError([
        { path: 'delivery-partner', message: `No delivery partner "${input.deliveryPartner}"` },
      ]);
    return { deliveryPartnerId: dp.id, leadProviderId: dp.leadProviderId };
  }
  if (role === 'admin') return {};
  const lps = await db.select({ id: leadProvider.id, slug: leadProvider.slug }).from(leadProvider);
  const lp = input.leadProvider
    ? lps.find((l) => l.slug === input.leadProvider)
    : lps.length === 1
      ? lps[0]
      : undefined;
  if (!lp)
    throw new ValidationError([
      { path: 'lead-provider', message: 'Give the lead provider (its slug) for this role' },
    ]);
  return { leadProviderId: lp.id };
}

/** Starts a browser session on the server; the cookie carries only its random id. */
export async function startSession(
  db: Db,
  userId: number,
  now: Date,
  hours: number,
): Promise<string> {
  const id = randomBytes(32).toString('base64url');
  await db.insert(userSession).values({
    id,
    userId,
    createdAt: now,
    expiresAt: new Date(now.getTime() + hours * 3_600_000),
  });
  return id;
}

/** The actor behind a session that is neither ended nor expired. */
export async function loadSessionActor(
  db: Db,
  sessionId: string,
  now: Date,
): Promise<Actor | null> {
  // The session and its user in one statement: every signed-in request pays for this.
  const [user] = await db
    .select(ACTOR_COLUMNS)
    .from(userSession)
    .innerJoin(appUser, eq(appUser.id, userSession.userId))
    .where(
      and(
        eq(userSession.id, sessionId),
        isNull(userSession.revokedAt),
        gt(userSession.expiresAt, now),
        // A deactivated account's sessions stop working at once.
        isNull(appUser.deactivatedAt),
      ),
    );
  return user ? actorFromRow(user) : null;
}

/**
 * Whose session this was, ended or not (null when it never existed or has been purged). Used only
 * to bind a form sent after the session ended to the person who typed it (src/web/kept-form.ts).
 */
export async function sessionOwner(db: Db, sessionId: string): Promise<number | null> {
  const [row] = await db
    .select({ userId: userSession.userId })
    .from(userSession)
    .where(eq(userSession.id, sessionId));
  return row?.userId ?? null;
}

export async function endSession(db: Db, sessionId: string, now: Date): Promise<void> {
  await db
    .update(userSession)
    .set({ revokedAt: now })
    .where(and(eq(userSession.id, sessionId), isNull(userSession.revokedAt)));
}
