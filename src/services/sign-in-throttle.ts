/**
 * The per-account sign-in slow-down, kept in the database so that every app instance shares it.
 *
 * - Failures are counted per email (normalised), from every address, and forgotten 15 minutes
 *   after the last one. The first 5 cost nothing.
 * - From then on, each address must wait before its next attempt on that email: 4 s, 8 s, 16 s,
 *   32 s, then 60 s at most (`delaySeconds`), counted from that address's own last attempt.
 * - An attempt that has to wait is refused before the password is looked at and changes nothing,
 *   so hammering an email never lengthens anyone's wait, and an address that has not tried this
 *   email is never made to wait for it: an attacker cannot keep the person out.
 *
 * Keys are SHA-256 digests, so the tables hold neither the email typed nor the client's address.
 * A known and an unknown email are counted and answered in exactly the same way.
 */
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../db/client.js';

export const SLOW_DOWN = {
  /** Failures for one email that cost nothing (typing mistakes). */
  freeFailures: 5,
  firstDelaySeconds: 4,
  /** The longest anyone is ever made to wait for an email (the cap an attacker cannot raise). */
  maxDelaySeconds: 60,
  /** Failures are forgotten this long after the last one. */
  forgetAfterMinutes: 15,
} as const;

/** The wait between two attempts from one address after `failures` failures for the email. */
export function delaySeconds(failures: number): number {
  if (failures < SLOW_DOWN.freeFailures) return 0;
  return Math.min(
    SLOW_DOWN.maxDelaySeconds,
    SLOW_DOWN.firstDelaySeconds * 2 ** (failures - SLOW_DOWN.freeFailures),
  );
}

const digest = (kind: string, value: string) =>
  createHash('sha256').update(`${kind}:${value}`).digest('hex');

export const accountKeyOf = (email: string) => digest('email', email.trim().toLowerCase());
export const addressKeyOf = (address: string) => digest('address', address);

export type SignInClaim = { allowed: true } | { allowed: false; waitSeconds: number };

/**
 * Decides whether this attempt may check a password. An allowed attempt is counted as a failure
 * straight away (so parallel requests cannot slip past the count) and `recordSignInSuccess`
 * takes it back. One transaction per attempt, serialised per email by a row lock.
 */
export async function claimSignInAttempt(
  db: Db,
  { email, address, at }: { email: string; address: string; at: Date },
): Promise<SignInClaim> {
  const accountKey = accountKeyOf(email);
  const addressKey = addressKeyOf(address);
  const forgetBefore = new Date(at.getTime() - SLOW_DOWN.forgetAfterMinutes * 60_000);
  return db.transaction(async (tx) => {
    await tx.execute(sql`
      insert into sign_in_throttle_account (account_key, failures, last_failure_at)
      values (${accountKey}, 0, ${at}) on conflict (account_key) do nothing`);
    const [state] = await queryRows<{ failures: number; checked_at: string | Date | null }>(
      tx,
      sql`
        select case when a.last_failure_at <= ${forgetBefore} then 0 else a.failures end as failures,
               d.checked_at
        from sign_in_throttle_account a
        left join sign_in_throttle_address d
          on d.account_key = a.account_key and d.address_key = ${addressKey}
        where a.account_key = ${accountKey}
        for update of a`,
    );
    const failures = state?.failures ?? 0;
    const delayMs = delaySeconds(failures) * 1000;
    if (state?.checked_at != null && delayMs > 0) {
      const readyAt = new Date(state.checked_at).getTime() + delayMs;
      if (readyAt > at.getTime())
        return { allowed: false, waitSeconds: Math.ceil((readyAt - at.getTime()) / 1000) };
    }
    await tx.execute(sql`
      insert into sign_in_throttle_address (account_key, address_key, checked_at)
      values (${accountKey}, ${addressKey}, ${at})
      on conflict (account_key, address_key) do update set checked_at = excluded.checked_at`);
    await tx.execute(sql`
      update sign_in_throttle_account set failures = ${failures + 1}, last_failure_at = ${at}
      where account_key = ${accountKey}`);
    return { allowed: true };
  });
}

/** A correct password: the attempt claimed as a failure is taken back. */
export async function recordSignInSuccess(db: Db, email: string): Promise<void> {
  await db.execute(sql`
    update sign_in_throttle_account set failures = greatest(failures - 1, 0)
    where account_key = ${accountKeyOf(email)}`);
}
