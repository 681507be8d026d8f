/**
 * Delivers the one DfE outbox (see enqueue.ts): participant changes, declarations and application
 * decisions, through the typed DfE client. This is the only code that sends them. The same guarantees as
 * the email outbox (src/services/email/delivery.ts), with any number of deliverers and processes
 * dying at any point:
 * - a request is claimed by one deliverer only: a short transaction takes due 'pending' rows with
 *   FOR UPDATE SKIP LOCKED and marks them 'sending' with a lease, then commits before sending;
 * - requests about one enrolment go in the order they were written: a request waits while an
 *   earlier one for the same enrolment is unsent, refused or failed (a resume is never sent before
 *   its deferral). Requests for a participant with no DfE participant id wait too;
 * - the request key (unique) means one change is one request. A request whose answer was lost (a
 *   timeout, a 5xx, or the process dying mid-delivery) stays 'sending' until its lease runs out,
 *   then it is reconciled: the DfE is asked whether it took effect (the participant's training
 *   status or schedule, the declaration by participant and type, the voided state). Taken effect
 *   means sent; not means it is sent again. Nothing is lost and nothing is sent twice;
 * - the DfE refusing a request (400, 404, 409, 422) refuses it for good, with the DfE's own error
 *   text, and opens a staff task; a duplicate declaration is reconciled (the DfE's existing one is
 *   adopted), never resubmitted, and so is an accept or reject the DfE says is already done.
 *   401, 403 and 429 are ours to fix or wait out: retried. An answer that does not match the
 *   contract is parked with a staff task, never half-applied (answers.ts);
 * - an application's decisions go in order too, and an enrolment's changes wait for the accept
 *   that created it.
 * - retries back off exponentially (1 and 5 minutes, half an hour, 2, 6, 12, 24 hours); after
 *   MAX_ATTEMPTS the request fails and a staff task is opened. None of this runs inside a
 *   participant's action: their change commits at once and the outbox catches up.
 */
import { sql } from 'drizzle-orm';
import type { Clock } from '../../../clock.js';
import { queryRows, type Db } from '../../../db/client.js';
import { SYSTEM } from '../../actor.js';
import { audit } from '../../audit.js';
import type { DfeClient } from '../client.js';
import { openStaffTask, recordSent, subjectOf } from './answers.js';
import {
  alreadyApplied,
  dfeErrorText,
  sendRequest,
  type DfeAnswer,
  type OutboxItem,
} from './requests.js';

export const MAX_ATTEMPTS = 8;
const BACKOFF_MINUTES = [1, 5, 30, 120, 360, 720, 1440] as const;
/** How long a claimed request may stay 'sending' before it is reconciled with the DfE. */
export const SENDING_LEASE_MS = 10 * 60_000;

export function retryDelayMs(failedAttempts: number): number {
  const index = Math.min(Math.max(failedAttempts, 1), BACKOFF_MINUTES.length) - 1;
  return BACKOFF_MINUTES[index]! * 60_000;
}

export interface DfeDeliveryOptions {
  db: Db;
  clock: Clock;
  client: DfeClient;
  batchSize?: number;
  maxRequests?: number;
}

export interface DfeDeliveryReport {
  sent: number;
  /** Taken by the DfE, but its answer broke the contract: parked for staff. */
  parked: number;
  reconciled: number;
  refused: number;
  retrying: number;
  failed: number;
  requeued: number;
}

interface Claimed extends OutboxItem {
  attempts: number;
  enrolment_id: number | null;
  application_id: number | null;
  declaration_id: number | null;
}

const REFUSALS = new Set([400, 404, 409, 422]);

export async function deliverDueDfeRequests(
  options: DfeDeliveryOptions,
): Promise<DfeDeliveryReport> {
  const report: DfeDeliveryReport = {
    sent: 0,
    parked: 0,
    reconciled: 0,
    refused: 0,
    retrying: 0,
    failed: 0,
    requeued: 0,
  };
  const batchSize = options.batchSize ?? 50;
  const max = options.maxRequests ?? 1000;
  await reconcileAbandoned(options, batchSize, report);
  let handled = 0;
  while (handled < max) {
    const claimed = await claim(options, 'pending', Math.min(batchSize, max - handled));
    if (claimed.length === 0) break;
    // One at a time: requests are ordered per enrolment, and the DfE asks for a gentle pace.
    for (const item of claimed) await sendOne(options, item, report);
    handled += claimed.length;
  }
  return report;
}

/** Takes due rows in `status` (pending, or sending with a lapsed lease) and leases them. */
async function claim(
  options: DfeDeliveryOptions,
  status: 'pending' | 'sending',
  limit: number,
): Promise<Claimed[]> {
  const now = options.clock.now();
  const leaseUntil = new Date(now.getTime() + SENDING_LEASE_MS);
  const held = sql`('pending', 'sending', 'refused', 'failed', 'parked')`;
  return options.db.transaction((tx) =>
    queryRows<Claimed>(
      tx,
      sql`update dfe_outbox o set status = 'sending', next_attempt_at = ${leaseUntil}
          from (select o2.id, p.dfe_participant_id, d.dfe_id as dfe_declaration_id,
                       a.dfe_id as dfe_application_id
                from dfe_outbox o2
                left join participant p on p.id = o2.participant_id
                left join dfe_declaration d on d.id = o2.declaration_id
                left join dfe_application a on a.id = o2.application_id
                where o2.status = ${status} and o2.next_attempt_at <= ${now}
                  and (o2.application_id is not null or p.dfe_participant_id is not null)
                  and not exists (select 1 from dfe_outbox earlier
                                  where earlier.enrolment_id = o2.enrolment_id and earlier.id < o2.id
                                    and earlier.status in ${held})
                  and not exists (select 1 from dfe_outbox earlier
                                  where earlier.application_id = o2.application_id and earlier.id < o2.id
                                    and earlier.status in ${held})
                order by o2.id limit ${limit}
                for update of o2 skip locked) due
          where o.id = due.id
          returning o.id::int as id, o.action, o.attributes, o.attempts, o.enrolment_id,
                    o.application_id, o.declaration_id::int as declaration_id,
                    due.dfe_participant_id, due.dfe_declaration_id, due.dfe_application_id`,
    ),
  );
}

async function sendOne(options: DfeDeliveryOptions, item: Claimed, report: DfeDeliveryReport) {
  let answer: DfeAnswer;
  try {
    answer = await sendRequest(options.client, item);
  } catch (error) {
    // No answer: it may have reached the DfE. Reconciled when the backoff lease runs out.
    await awaitReconciliation(options, item, error instanceof Error ? error.message : 'No answer');
    report.retrying += 1;
    return;
  }
  if (answer.status >= 200 && answer.status < 300) {
    await settle(options, item, answer.body, report);
  } else if (REFUSALS.has(answer.status)) {
    if (RECONCILED_ON_REFUSAL.has(item.action)) {
      // A duplicate declaration, or an accept/reject already done: adopt what the DfE has.
      const check = await alreadyApplied(options.client, item).catch(() => null);
      if (check?.applied) {
        await settle(options, item, check.body, report, dfeErrorText(answer.body), true);
        return;
      }
    }
    await refuse(options, item, answer, 'refused');
    report.refused += 1;
  } else if (answer.status >= 500) {
    // The DfE may have applied it before failing: reconcile before sending again.
    await awaitReconciliation(options, item, `DfE answered ${answer.status}`);
    report.retrying += 1;
  } else {
    // 401, 403, 408, 429 …: not about this request; try again later as it is.
    await retryLater(options, item, `DfE answered ${answer.status}: ${dfeErrorText(answer.body)}`);
    report.retrying += 1;
  }
}

const RECONCILED_ON_REFUSAL = new Set(['declare', 'accept', 'reject']);

async function settle(
  options: DfeDeliveryOptions,
  item: Claimed,
  body: unknown,
  report: DfeDeliveryReport,
  note?: string,
  reconciled = false,
) {
  const outcome = await recordSent(options, item, body, note);
  if (outcome === 'parked') report.parked += 1;
  else if (reconciled) report.reconciled += 1;
  else report.sent += 1;
}

/** Refused (4xx) or failed (out of attempts): stored with the DfE's words, and a staff task. */
async function refuse(
  { db, clock }: DfeDeliveryOptions,
  item: Claimed,
  answer: DfeAnswer | null,
  status: 'refused' | 'failed',
  message?: string,
) {
  const now = clock.now();
  const text = message ?? (answer ? dfeErrorText(answer.body) : 'No answer from the DfE');
  await db.transaction(async (tx) => {
    await tx.execute(
      sql`update dfe_outbox set status = ${status}, attempts = attempts + 1, last_error = ${text},
            response = ${JSON.stringify(answer?.body ?? null)}::jsonb
          where id = ${item.id} and status = 'sending'`,
    );
    if (item.declaration_id !== null && item.action === 'declare') {
      await tx.execute(
        sql`update dfe_declaration set status = 'refused', refusal = ${text}, updated_at = ${now}
            where id = ${item.declaration_id}`,
      );
    }
    await openStaffTask(tx, now, item);
    await audit(tx, {
      what: status === 'refused' ? 'DFE_REQUEST_REFUSED' : 'DFE_REQUEST_FAILED',
      who: SYSTEM,
      ...subjectOf(item),
      details: {
        outboxId: item.id,
        action: item.action,
        status: answer?.status ?? null,
        error: text,
      },
      at: now,
    });
  });
}

async function retryLater({ db, clock }: DfeDeliveryOptions, item: Claimed, error: string) {
  const attempts = item.attempts + 1;
  if (attempts >= MAX_ATTEMPTS)
    return refuse({ db, clock } as DfeDeliveryOptions, item, null, 'failed', error);
  const next = new Date(clock.now().getTime() + retryDelayMs(attempts));
  await db.execute(
    sql`update dfe_outbox set status = 'pending', attempts = ${attempts}, last_error = ${error},
          next_attempt_at = ${next}
        where id = ${item.id} and status = 'sending'`,
  );
}

/** Left 'sending' until the backoff delay passes; then reconcileAbandoned asks the DfE. */
async function awaitReconciliation(
  { db, clock }: DfeDeliveryOptions,
  item: Claimed,
  error: string,
) {
  const attempts = item.attempts + 1;
  const next = new Date(clock.now().getTime() + retryDelayMs(attempts));
  await db.execute(
    sql`update dfe_outbox set attempts = ${attempts}, last_error = ${error}, next_attempt_at = ${next}
        where id = ${item.id} and status = 'sending'`,
  );
}

/**
 * Requests still 'sending' after their lease (a lost answer, or a process that died): re-leased
 * one deliverer at a time, then the DfE is asked whether each took effect.
 */
async function reconcileAbandoned(
  options: DfeDeliveryOptions,
  batchSize: number,
  report: DfeDeliveryReport,
) {
  for (;;) {
    const stale = await claim(options, 'sending', batchSize);
    for (const item of stale) {
      let check: Awaited<ReturnType<typeof alreadyApplied>>;
      try {
        check = await alreadyApplied(options.client, item);
      } catch (error) {
        await awaitReconciliation(
          options,
          item,
          `Checking with the DfE: ${error instanceof Error ? error.message : 'lookup failed'}`,
        );
        if (item.attempts + 1 >= MAX_ATTEMPTS) {
          await refuse(options, item, null, 'failed', 'The DfE did not answer after many attempts');
          report.failed += 1;
        }
        continue;
      }
      if (check.applied) {
        await settle(options, item, check.body, report, 'the DfE already had this change', true);
      } else if (item.attempts >= MAX_ATTEMPTS) {
        await refuse(options, item, null, 'failed', 'The DfE did not answer after many attempts');
        report.failed += 1;
      } else {
        await options.db.execute(
          sql`update dfe_outbox set status = 'pending', next_attempt_at = ${options.clock.now()}
              where id = ${item.id} and status = 'sending'`,
        );
        report.requeued += 1;
      }
    }
    if (stale.length < batchSize) return;
  }
}
