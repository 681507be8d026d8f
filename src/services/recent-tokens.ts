/**
 * Bearer tokens this server has recently checked, for the hottest API reads (issue 13).
 *
 * Checking a token is one statement before the route's own; on the engagement API's stored answer
 * that round trip was half the request's database work. A route that opts in (route config
 * `recheckToken`) takes the token's actor as this server last found it and checks the token again
 * *inside its own statement* (`tokenStillValid`): the same conditions as the lookup (not revoked,
 * not expired, the account not deactivated) and the actor unchanged (role, scope, name). So a
 * revoked token, a deactivated account or a changed role is refused or re-read on the very next
 * request, exactly as before; only the round trip goes. When the check fails the route forgets the
 * entry and authenticates the usual way.
 *
 * An entry is only used while the token's last_used_at needs no write (see authenticateToken), so
 * the usual lookup still records use to the hour. Bounded: the least recently used go first.
 */
import { createHash } from 'node:crypto';
import { sql, type Placeholder, type SQL } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import type { Db } from '../db/client.js';
import type { Actor } from './actor.js';

/** What a route checks again in its own statement. */
export interface TokenRecheck {
  readonly tokenId: number;
  readonly actor: Actor;
  /** The instant the token must still be unexpired at: the request's, as the lookup used. */
  readonly now: Date;
}

interface RecentToken {
  tokenId: number;
  actor: Actor;
  /** last_used_at as the lookup left it. */
  lastUsedAt: Date;
}

const MAX_RECENT_TOKENS = 1_000;
const recent = new WeakMap<Pick<Db, '_'>, LRUCache<string, RecentToken>>();

export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Remembers a token the lookup found valid (with last_used_at as it now stands). */
export function rememberToken(db: Pick<Db, '_'>, digest: string, entry: RecentToken): void {
  let tokens = recent.get(db);
  if (!tokens) recent.set(db, (tokens = new LRUCache({ max: MAX_RECENT_TOKENS })));
  tokens.set(digest, entry);
}

/** Forgets a token, so the next request looks it up the usual way. */
export function forgetToken(db: Pick<Db, '_'>, token: string): void {
  recent.get(db)?.delete(tokenDigest(token));
}

/**
 * The token's actor as this server last found it, to be checked again in the route's statement;
 * null when unknown or when its last_used_at is due a write (`staleBefore`): look it up instead.
 */
export function recentToken(
  db: Pick<Db, '_'>,
  token: string,
  now: Date,
  staleBefore: Date,
): TokenRecheck | null {
  const entry = recent.get(db)?.get(tokenDigest(token));
  if (!entry || entry.lastUsedAt < staleBefore) return null;
  return { tokenId: entry.tokenId, actor: entry.actor, now };
}

/**
 * True while the token still works and its user is still the actor remembered: the lookup's
 * conditions (authenticateToken) and every column the actor was made of. `now` is the instant the
 * token must be unexpired at (check.now, or a placeholder for it in a kept statement).
 */
export function tokenStillValid(
  check: Pick<TokenRecheck, 'tokenId' | 'actor'>,
  now: SQL | Placeholder,
): SQL {
  const a = check.actor;
  return sql`exists (
    select 1 from api_token t join app_user u on u.id = t.user_id
    where t.id = ${check.tokenId} and t.revoked_at is null
      and t.expires_at > ${now}::timestamptz and u.deactivated_at is null
      and u.id = ${a.userId} and u.email = ${a.email} and u.display_name = ${a.displayName}
      and u.role = ${a.role}
      and u.lead_provider_id is not distinct from ${a.leadProviderId}::int
      and u.delivery_partner_id is not distinct from ${a.deliveryPartnerId}::int
      and u.participant_id is not distinct from ${a.participantId}::int)`;
}
