/**
 * A page form that changes a participant's programme is sent once, however often it is submitted:
 * a double click, or Back to the check-answers page and Send again, carries the same one-time
 * token, and the second submission is answered with the first one's result.
 *
 * The token is reserved in the idempotency_key table (as the JSON API's Idempotency-Key, under a
 * "form:" prefix) in the SAME transaction as the change itself: a second submission racing the
 * first waits on the reserved key until the first commits, then finds its result; if the first
 * fails (a refusal, a validation error) nothing is kept and the token is free to try again.
 */
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { systemClock } from '../clock.js';
import type { Db } from '../db/client.js';
import { idempotencyKey } from '../db/schema.js';
import type { Actor } from './actor.js';
import type { ServiceDeps } from './participants.js';
import { ValidationError } from './errors.js';

const TOKEN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A new one-time token for a form. */
export function newFormToken(): string {
  return randomUUID();
}

export function isFormToken(value: unknown): value is string {
  return typeof value === 'string' && TOKEN.test(value);
}

/** What the first submission produced: where its confirmation is. */
export interface SubmissionResult {
  location: string;
  /** True when this submission was a repeat, answered with the first one's result. */
  replayed: boolean;
}

/**
 * Runs `work` once per (user, token). `work` gets deps whose db is the reserving transaction, so
 * the change and the reservation commit or roll back together; it returns the confirmation path.
 */
export async function submitOnce(
  deps: ServiceDeps,
  actor: Actor,
  token: string,
  work: (deps: ServiceDeps) => Promise<string>,
): Promise<SubmissionResult> {
  if (!isFormToken(token)) {
    throw new ValidationError([
      { path: 'token', message: 'This form has expired. Start again from the first question.' },
    ]);
  }
  const key = `form:${token}`;
  const mine = and(eq(idempotencyKey.userId, actor.userId), eq(idempotencyKey.key, key));
  return deps.db.transaction(async (tx) => {
    // A concurrent submission with this token blocks here until the first commits or rolls back.
    const reserved = await tx
      .insert(idempotencyKey)
      .values({
        userId: actor.userId,
        key,
        requestHash: 'form',
        responseStatus: 0,
        responseBody: {},
        // Keys age in real time (the purge job clears old ones), whatever the policy clock says.
        createdAt: systemClock.now(),
      })
      .onConflictDoNothing()
      .returning({ key: idempotencyKey.key });
    if (reserved.length === 0) {
      const [stored] = await tx.select().from(idempotencyKey).where(mine);
      const location = (stored?.responseBody as { location?: unknown } | undefined)?.location;
      if (typeof location === 'string') return { location, replayed: true };
      throw new ValidationError([
        { path: 'token', message: 'This form has expired. Start again from the first question.' },
      ]);
    }
    const location = await work({ ...deps, db: tx as unknown as Db });
    await tx
      .update(idempotencyKey)
      .set({ responseStatus: 303, responseBody: { location } })
      .where(mine);
    return { location, replayed: false };
  });
}
