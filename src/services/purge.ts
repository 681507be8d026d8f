/**
 * Short-lived rows the daily job deletes once they can no longer be used: a set-based DELETE per
 * table, so a second run the same day finds nothing left. Nothing here is audited personal data:
 * the audit trail keeps its own record of sign-ins, links issued and tokens.
 */
import { sql } from 'drizzle-orm';
import { queryRows } from '../db/client.js';
import { SLOW_DOWN } from './sign-in-throttle.js';
import type { Tx } from './withdrawals.js';

/** A replay is only useful while a client may still be retrying: a day is ample. */
export const IDEMPOTENCY_KEY_RETENTION_HOURS = 24;
/**
 * Used or expired invitation and reset links are kept a while, so someone who opens an old link
 * is told it was used or has expired rather than that it was never issued.
 */
export const ACCOUNT_LINK_RETENTION_DAYS = 30;

export interface PurgeReport {
  idempotencyKeysPurged: number;
  sessionsPurged: number;
  accountLinksPurged: number;
  /** Sign-in slow-down rows (src/services/sign-in-throttle.ts) no longer counted. */
  signInThrottleRowsPurged: number;
}

async function deleted(tx: Tx, statement: ReturnType<typeof sql>): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    tx,
    sql`with gone as (${statement} returning 1) select count(*)::int as n from gone`,
  );
  return row?.n ?? 0;
}

/**
 * `at` is the job's "now" (account links are issued and checked on the app's clock); `wallNow` is
 * real time, on which the web app starts and checks sessions and reserves idempotency keys.
 */
export async function purgeShortLivedRows(
  tx: Tx,
  { at, wallNow }: { at: Date; wallNow: Date },
): Promise<PurgeReport> {
  const keysBefore = new Date(wallNow.getTime() - IDEMPOTENCY_KEY_RETENTION_HOURS * 3_600_000);
  const linksBefore = new Date(at.getTime() - ACCOUNT_LINK_RETENTION_DAYS * 86_400_000);
  // The slow-down runs on the app's clock, like account links.
  const throttleBefore = new Date(at.getTime() - SLOW_DOWN.forgetAfterMinutes * 60_000);
  return {
    idempotencyKeysPurged: await deleted(
      tx,
      sql`delete from idempotency_key where created_at < ${keysBefore}`,
    ),
    // Signed out, ended by an administrator, or past their expiry: they can never be used again.
    sessionsPurged: await deleted(
      tx,
      sql`delete from user_session where revoked_at <= ${wallNow} or expires_at <= ${wallNow}`,
    ),
    accountLinksPurged: await deleted(
      tx,
      sql`delete from account_link where used_at < ${linksBefore} or expires_at < ${linksBefore}`,
    ),
    signInThrottleRowsPurged:
      (await deleted(
        tx,
        sql`delete from sign_in_throttle_account where last_failure_at < ${throttleBefore}`,
      )) +
      (await deleted(
        tx,
        sql`delete from sign_in_throttle_address where checked_at < ${throttleBefore}`,
      )),
  };
}
