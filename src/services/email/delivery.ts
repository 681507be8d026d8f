/**
 * Delivers the email outbox (see outbox.ts) through an EmailSender (GOV.UK Notify).
 *
 * Guarantees, with any number of deliverers running at once and processes dying at any point:
 * - a message is claimed by one deliverer only: a short transaction takes due 'pending' rows with
 *   FOR UPDATE SKIP LOCKED and marks them 'sending' with a lease (next_attempt_at = now + 10
 *   minutes), then commits before anything is sent;
 * - each message carries Notify's `reference` npq-ops-email-<id>. A message still 'sending' when its
 *   lease runs out (the process died mid-send, or Notify did not answer) is looked up by that
 *   reference: found means sent, not found means it goes back to 'pending' and is sent again. So
 *   nothing is lost and nothing is sent twice;
 * - Notify refusing a message for good (400 bad address or template, 403) fails it at once; a
 *   rate limit or a Notify outage retries it with backoff, and it fails after MAX_ATTEMPTS.
 * Addresses and personalisation are never logged, and errors are stored without the address.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client.js';
import type { Clock } from '../../clock.js';
import type { EmailTemplateKey, Personalisation } from '../../domain/email-templates.js';
import { SYSTEM } from '../actor.js';
import { audit } from '../audit.js';
import { EmailSendError, notifyReference, type EmailSender } from './sender.js';

/** Attempts before a message that keeps failing is given up as 'failed'. */
export const MAX_ATTEMPTS = 8;
/** Wait after the 1st, 2nd, … failed attempt: 1 and 5 minutes, half an hour, 2, 6, 12 and 24 hours. */
const BACKOFF_MINUTES = [1, 5, 30, 120, 360, 720, 1440] as const;
/** How long a claimed message may stay 'sending' before it is checked with Notify. */
export const SENDING_LEASE_MS = 10 * 60_000;
/** Messages sent at once by one deliverer (Notify allows 3,000 a minute). */
const PARALLEL_SENDS = 4;

/** Delay before the next try, after `failedAttempts` failed attempts (1 or more). */
export function retryDelayMs(failedAttempts: number): number {
  const index = Math.min(Math.max(failedAttempts, 1), BACKOFF_MINUTES.length) - 1;
  return BACKOFF_MINUTES[index]! * 60_000;
}

export interface DeliveryOptions {
  db: Db;
  clock: Clock;
  sender: EmailSender;
  /** Messages claimed per transaction (default 50). */
  batchSize?: number;
  /** Stop after this many messages in one run (default 1,000); the rest wait for the next run. */
  maxMessages?: number;
}

export interface DeliveryReport {
  sent: number;
  /** Failed this time, to be tried again later. */
  retrying: number;
  failed: number;
  /** No answer from Notify: looked up by reference when the lease runs out. */
  unconfirmed: number;
  /** Left 'sending' by a process that died: found at Notify and marked sent. */
  recoveredAsSent: number;
  /** Left 'sending' and not at Notify: back to 'pending' (and sent again in this run). */
  requeued: number;
}

interface Claimed {
  id: number;
  template: string;
  to_email: string;
  personalisation: Personalisation;
  attempts: number;
}

export async function deliverDueEmails(options: DeliveryOptions): Promise<DeliveryReport> {
  const report: DeliveryReport = {
    sent: 0,
    retrying: 0,
    failed: 0,
    unconfirmed: 0,
    recoveredAsSent: 0,
    requeued: 0,
  };
  const batchSize = options.batchSize ?? 50;
  const maxMessages = options.maxMessages ?? 1000;
  await recoverAbandoned(options, batchSize, report);
  let handled = 0;
  while (handled < maxMessages) {
    const claimed = await claimDue(options, Math.min(batchSize, maxMessages - handled));
    if (claimed.length === 0) break;
    await inParallel(claimed, PARALLEL_SENDS, (m) => sendOne(options, m, report));
    handled += claimed.length;
  }
  return report;
}

/** One short transaction: due messages become 'sending', leased to this deliverer. */
async function claimDue(options: DeliveryOptions, limit: number): Promise<Claimed[]> {
  const now = options.clock.now();
  const leaseUntil = new Date(now.getTime() + SENDING_LEASE_MS);
  return options.db.transaction((tx) =>
    queryRows<Claimed>(
      tx,
      sql`update email_message m set status = 'sending', next_attempt_at = ${leaseUntil}
          from (select id from email_message
                where status = 'pending' and next_attempt_at <= ${now}
                order by next_attempt_at, id limit ${limit}
                for update skip locked) due
          where m.id = due.id
          returning m.id::int as id, m.template, m.to_email, m.personalisation, m.attempts`,
    ),
  );
}

async function sendOne(options: DeliveryOptions, m: Claimed, report: DeliveryReport) {
  const { db, clock, sender } = options;
  try {
    const { notifyId } = await sender.send({
      template: m.template as EmailTemplateKey,
      to: m.to_email,
      personalisation: m.personalisation,
      reference: notifyReference(m.id),
    });
    await db.execute(
      sql`update email_message set status = 'sent', sent_at = ${clock.now()}, notify_id = ${notifyId},
            attempts = attempts + 1, last_error = null
          where id = ${m.id} and status = 'sending'`,
    );
    report.sent += 1;
  } catch (error) {
    const e =
      error instanceof EmailSendError
        ? error
        : new EmailSendError('The sender failed unexpectedly', 'unknown');
    const attempts = m.attempts + 1;
    const now = clock.now();
    if (e.outcome === 'unknown') {
      // It may have reached Notify: keep it 'sending' until the lease runs out, then look it up.
      await db.execute(
        sql`update email_message set attempts = ${attempts}, last_error = ${e.message}
            where id = ${m.id} and status = 'sending'`,
      );
      report.unconfirmed += 1;
    } else if (e.outcome === 'permanent' || attempts >= MAX_ATTEMPTS) {
      await db.transaction(async (tx) => {
        await tx.execute(
          sql`update email_message set status = 'failed', attempts = ${attempts}, last_error = ${e.message}
              where id = ${m.id} and status = 'sending'`,
        );
        await audit(tx, {
          what: 'EMAIL_FAILED',
          who: SYSTEM,
          subjectType: 'email_message',
          subjectId: m.id,
          details: { template: m.template, attempts, error: e.message, status: e.status },
          at: now,
        });
      });
      report.failed += 1;
    } else {
      const next = new Date(now.getTime() + retryDelayMs(attempts));
      await db.execute(
        sql`update email_message set status = 'pending', attempts = ${attempts}, last_error = ${e.message},
              next_attempt_at = ${next}
            where id = ${m.id} and status = 'sending'`,
      );
      report.retrying += 1;
    }
  }
}

/**
 * Messages whose lease ran out while 'sending': ask Notify by reference. Each is re-leased first
 * (in its own short transaction), so two deliverers never check, or re-send, the same one.
 */
async function recoverAbandoned(
  options: DeliveryOptions,
  batchSize: number,
  report: DeliveryReport,
) {
  const { db, clock, sender } = options;
  for (;;) {
    const now = clock.now();
    const leaseUntil = new Date(now.getTime() + SENDING_LEASE_MS);
    const stale = await db.transaction((tx) =>
      queryRows<{ id: number }>(
        tx,
        sql`update email_message m set next_attempt_at = ${leaseUntil}
            from (select id from email_message
                  where status = 'sending' and next_attempt_at <= ${now}
                  order by id limit ${batchSize}
                  for update skip locked) stale
            where m.id = stale.id
            returning m.id::int as id`,
      ),
    );
    if (stale.length === 0) return;
    await inParallel(stale, PARALLEL_SENDS, async ({ id }) => {
      let found: Awaited<ReturnType<EmailSender['findByReference']>>;
      try {
        found = await sender.findByReference(notifyReference(id));
      } catch (error) {
        // Notify cannot say: leave it 'sending' and ask again when the new lease runs out.
        const message = error instanceof Error ? error.message : 'Lookup failed';
        await db.execute(
          sql`update email_message set last_error = ${`Checking with Notify: ${message}`}
              where id = ${id} and status = 'sending'`,
        );
        return;
      }
      if (found) {
        await db.execute(
          sql`update email_message set status = 'sent', notify_id = ${found.notifyId},
                sent_at = ${found.sentAt ?? clock.now()}, last_error = null
              where id = ${id} and status = 'sending'`,
        );
        report.recoveredAsSent += 1;
      } else {
        await db.execute(
          sql`update email_message set status = 'pending', next_attempt_at = ${clock.now()}
              where id = ${id} and status = 'sending'`,
        );
        report.requeued += 1;
      }
    });
    if (stale.length < batchSize) return;
  }
}

async function inParallel<T>(items: T[], width: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}
