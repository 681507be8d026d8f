import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client.js';
import type { Actor } from '../actor.js';
import { isStaff } from '../actor.js';
import { ForbiddenError, NotFoundError } from '../errors.js';

/**
 * Who may set up the organisation: admins and the programme team change the lead provider, its
 * delivery partners and the areas they serve; other staff may read the lead provider's details;
 * nobody else learns any of it exists.
 */
const ORGANISERS: readonly Actor['role'][] = ['admin', 'programme_team'];

export function isOrganiser(actor: Actor): boolean {
  return ORGANISERS.includes(actor.role);
}

/** Reads of partners, areas and imports: not allowed means "not found". */
export function requireOrganiserRead(actor: Actor): void {
  if (!isOrganiser(actor)) throw new NotFoundError('Organisation set-up');
}

/** Writes: staff who may read but not change get 403; anyone else 404. */
export function requireOrganiserWrite(actor: Actor): void {
  if (isOrganiser(actor)) return;
  if (isStaff(actor)) throw new ForbiddenError();
  throw new NotFoundError('Organisation set-up');
}

export function requireStaffRead(actor: Actor): void {
  if (!isStaff(actor)) throw new NotFoundError('Organisation set-up');
}

/**
 * The actor's lead provider: the one their account belongs to, or for an admin with none, the
 * installation's only lead provider. Null when none is set up yet.
 */
export async function leadProviderIdOf(
  db: Pick<Db, 'execute'>,
  actor: Actor,
): Promise<number | null> {
  const rows = await queryRows<{ id: number }>(
    db,
    actor.leadProviderId !== null
      ? sql`select id from lead_provider where id = ${actor.leadProviderId}`
      : sql`select id from lead_provider order by id limit 2`,
  );
  return rows.length === 1 ? rows[0]!.id : null;
}

export async function requireLeadProviderId(
  db: Pick<Db, 'execute'>,
  actor: Actor,
): Promise<number> {
  const id = await leadProviderIdOf(db, actor);
  if (id === null) throw new NotFoundError('Lead provider');
  return id;
}

/** Postgres unique violation on the named constraint (both drivers expose `code`). */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = (error as { cause?: unknown }).cause ?? error;
  const pg = e as { code?: string; constraint?: string; message?: string };
  if (pg.code !== '23505') return false;
  return (
    constraint === undefined ||
    pg.constraint === constraint ||
    (pg.message ?? '').includes(constraint)
  );
}
