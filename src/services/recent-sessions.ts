/**
 * Browser sessions this server has recently looked up, for the hottest page (issue 13: My programme).
 *
 * Looking a session up is one statement before the route's own. A route that opts in (route config
 * `recheckSession`) takes the session's actor as this server last found it and checks the session
 * again *inside its own statement* (`sessionStillValid`): the same conditions as the lookup
 * (loadSessionActor: not ended, not expired, the account not deactivated) and the actor unchanged
 * (every column it is made of). So signing out, an expired session, a deactivated account or a
 * changed name or role shows on the very next request, exactly as before; only the round trip
 * goes. When the check fails the route forgets the entry and looks the session up the usual way.
 *
 * As recent-tokens.ts does for bearer tokens. Keyed by a digest of the session's id (the id is a
 * secret); bounded: the least recently used go first.
 */
import { createHash } from 'node:crypto';
import { sql, type Placeholder, type SQL } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import type { Db } from '../db/client.js';
import type { Actor } from './actor.js';

/** What a route checks again in its own statement. */
export interface SessionRecheck {
  /** The session's id (user_session.id), as the cookie carries it. */
  readonly sessionId: string;
  readonly actor: Actor;
  /** The instant the session must still be unexpired at: the session clock's, as the lookup uses. */
  readonly now: Date;
}

const MAX_RECENT_SESSIONS = 10_000;
const recent = new WeakMap<Pick<Db, '_'>, LRUCache<string, Actor>>();

function digestOf(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('base64url');
}

/** Remembers a session the lookup found valid, with its actor. */
export function rememberSession(db: Pick<Db, '_'>, sessionId: string, actor: Actor): void {
  let sessions = recent.get(db);
  if (!sessions) recent.set(db, (sessions = new LRUCache({ max: MAX_RECENT_SESSIONS })));
  sessions.set(digestOf(sessionId), actor);
}

/** Forgets a session, so the next request looks it up the usual way. */
export function forgetSession(db: Pick<Db, '_'>, sessionId: string): void {
  recent.get(db)?.delete(digestOf(sessionId));
}

/** The session's actor as this server last found it, to be checked again; null when unknown. */
export function recentSession(
  db: Pick<Db, '_'>,
  sessionId: string,
  now: Date,
): SessionRecheck | null {
  const actor = recent.get(db)?.get(digestOf(sessionId));
  return actor ? { sessionId, actor, now } : null;
}

/**
 * True while the session still works and its user is still the actor remembered: the lookup's
 * conditions and every column the actor was made of. The session's id and instant are
 * placeholders (`sessionId`, `sessionNow`) in a kept statement, or the values themselves.
 */
export function sessionStillValid(
  check: Pick<SessionRecheck, 'actor'>,
  sessionId: SQL | Placeholder,
  now: SQL | Placeholder,
): SQL {
  const a = check.actor;
  return sql`exists (
    select 1 from user_session s join app_user u on u.id = s.user_id
    where s.id = ${sessionId}::text and s.revoked_at is null
      and s.expires_at > ${now}::timestamptz and u.deactivated_at is null
      and u.id = ${a.userId} and u.email = ${a.email} and u.display_name = ${a.displayName}
      and u.role = ${a.role}
      and u.lead_provider_id is not distinct from ${a.leadProviderId}::int
      and u.delivery_partner_id is not distinct from ${a.deliveryPartnerId}::int
      and u.participant_id is not distinct from ${a.participantId}::int)`;
}
