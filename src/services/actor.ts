import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { appUser } from '../db/schema.js';
import type { Role } from '../domain/catalogue.js';

/** Who is acting: a signed-in person or a machine client's token, with the scope of its role. */
export interface Actor {
  readonly userId: number;
  readonly email: string;
  readonly displayName: string;
  readonly role: Role;
  readonly leadProviderId: number | null;
  readonly deliveryPartnerId: number | null;
  readonly participantId: number | null;
}

/** The daily job and imports act as the system; audit events record it by this name. */
export const SYSTEM = 'system';

export function actorLabel(actor: Actor | typeof SYSTEM): string {
  return actor === SYSTEM ? SYSTEM : `user:${actor.userId}`;
}

/** The columns an Actor is made of, for queries that load one alongside something else. */
export const ACTOR_COLUMNS = {
  userId: appUser.id,
  email: appUser.email,
  displayName: appUser.displayName,
  role: appUser.role,
  leadProviderId: appUser.leadProviderId,
  deliveryPartnerId: appUser.deliveryPartnerId,
  participantId: appUser.participantId,
};

export function actorFromRow(row: Omit<Actor, 'role'> & { role: string }): Actor {
  return { ...row, role: row.role as Role };
}

export async function loadActor(db: Db, userId: number): Promise<Actor | null> {
  const [user] = await db
    .select(ACTOR_COLUMNS)
    .from(appUser)
    // A deactivated account's sessions and tokens stop working at once.
    .where(and(eq(appUser.id, userId), isNull(appUser.deactivatedAt)));
  return user ? actorFromRow(user) : null;
}

export const STAFF_ROLES: readonly Role[] = [
  'delivery_partner_staff',
  'programme_team',
  'coach',
  'facilitator',
  'assessor',
  'admin',
];

export function isStaff(actor: Actor): boolean {
  return STAFF_ROLES.includes(actor.role);
}

/**
 * An actor as a key, for statements kept per actor (a remembered token's or session's actor is
 * the same object at every request, so it is written out once).
 */
const actorKeys = new WeakMap<Actor, string>();
export function actorKey(actor: Actor): string {
  let key = actorKeys.get(actor);
  if (key === undefined) actorKeys.set(actor, (key = JSON.stringify(actor)));
  return key;
}
