/**
 * Sends the application decisions waiting in dfe_application_action to the DfE: claimed in a short
 * transaction (FOR UPDATE SKIP LOCKED) so two runs never send one twice, one request each, in
 * order per application. A timeout, 429 or 5xx is tried again later (1 min, 5 min, 30 min, 2 h,
 * 6 h, 12 h, 24 h; failed after 8 attempts); a refusal (4xx) is failed at once with the DfE's own
 * words, for staff to see on the sync page and retry. A claim left by a process that died is taken
 * back after 10 minutes; if the DfE had already applied it, its "already accepted/rejected" answer
 * is reconciled by reading the application, so nothing is sent twice to effect.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../../db/client.js';
import type { Clock } from '../../../clock.js';
import type { DfeClient } from '../client.js';
import { checkApplication } from './contract-check.js';
import { storeApplications, type PullLogger } from './pull.js';
import { describeFetchFailure, dfeMessage, isTransientStatus } from './retry.js';

export const ACTION_BACKOFF_MS = [
  60_000, 300_000, 1_800_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000,
];
export const MAX_ACTION_ATTEMPTS = 8;
const STALE_CLAIM_MS = 10 * 60_000;

export interface DeliverDeps {
  db: Db;
  clock: Clock;
  dfe: DfeClient;
  logger?: PullLogger | undefined;
}

export interface DeliverReport {
  sent: number;
  retrying: number;
  failed: number;
}

interface Claimed {
  id: number;
  application_id: number;
  action: 'accept' | 'reject' | 'change_funded_place';
  body: unknown;
  attempts: number;
  dfe_id: string;
}

type Outcome =
  | { kind: 'sent'; application: unknown }
  | { kind: 'transient'; error: string }
  | { kind: 'refused'; error: string; status: number };

async function send(dfe: DfeClient, claimed: Claimed): Promise<Outcome> {
  const path = { params: { path: { id: claimed.dfe_id } } };
  try {
    const result =
      claimed.action === 'accept'
        ? await dfe.POST('/api/v3/npq-applications/{id}/accept', {
            ...path,
            body: claimed.body as never,
          })
        : claimed.action === 'reject'
          ? await dfe.POST('/api/v3/npq-applications/{id}/reject', path)
          : await dfe.PUT('/api/v3/npq-applications/{id}/change-funded-place', {
              ...path,
              body: claimed.body as never,
            });
    const status = result.response.status;
    if (result.response.ok)
      return { kind: 'sent', application: (result.data as { data?: unknown })?.data };
    if (isTransientStatus(status))
      return { kind: 'transient', error: `The DfE answered ${status}` };
    return { kind: 'refused', status, error: `${status}: ${dfeMessage(result.error)}` };
  } catch (error) {
    return { kind: 'transient', error: describeFetchFailure(error) };
  }
}

/** An accept or reject the DfE says is already done: read the application to see if it is so. */
async function reconcile(dfe: DfeClient, claimed: Claimed): Promise<unknown | undefined> {
  if (claimed.action === 'change_funded_place') return undefined;
  try {
    const { data, response } = await dfe.GET('/api/v3/npq-applications/{id}', {
      params: { path: { id: claimed.dfe_id } },
    });
    if (!response.ok) return undefined;
    const app = (data as { data?: { attributes?: { status?: unknown } } })?.data;
    const wanted = claimed.action === 'accept' ? 'accepted' : 'rejected';
    return app?.attributes?.status === wanted ? app : undefined;
  } catch {
    return undefined;
  }
}

export async function deliverApplicationActions(
  deps: DeliverDeps,
  options: { limit?: number } = {},
): Promise<DeliverReport> {
  const { db, clock } = deps;
  const now = clock.now();
  await db.execute(sql`update dfe_application_action set status = 'pending', next_attempt_at = ${now}
    where status = 'sending' and claimed_at < ${new Date(now.getTime() - STALE_CLAIM_MS)}`);
  const claimed = await db.transaction(async (tx) =>
    queryRows<Claimed>(
      tx,
      sql`with due as (
            select x.id from dfe_application_action x
            where x.status = 'pending' and x.next_attempt_at <= ${now}
              and not exists (select 1 from dfe_application_action o
                              where o.application_id = x.application_id and o.id < x.id and o.status <> 'sent')
            order by x.id
            limit ${options.limit ?? 100}
            for update skip locked)
          update dfe_application_action x set status = 'sending', claimed_at = ${now}
          from due, dfe_application a
          where x.id = due.id and a.id = x.application_id
          returning x.id, x.application_id, x.action, x.body, x.attempts, a.dfe_id`,
    ),
  );
  const report: DeliverReport = { sent: 0, retrying: 0, failed: 0 };
  for (const action of claimed.sort((a, b) => a.id - b.id)) {
    let outcome = await send(deps.dfe, action);
    if (outcome.kind === 'refused' && outcome.status === 422) {
      const done = await reconcile(deps.dfe, action);
      if (done) outcome = { kind: 'sent', application: done };
    }
    const attempts = action.attempts + 1;
    const at = clock.now();
    if (outcome.kind === 'sent') {
      const checked = checkApplication(outcome.application);
      await db.transaction(async (tx) => {
        await tx.execute(sql`update dfe_application_action set status = 'sent', attempts = ${attempts},
          sent_at = ${at}, last_error = null where id = ${action.id}`);
        if (checked.ok)
          await storeApplications(tx as unknown as Db, [checked.application], null, at);
        else {
          await tx.execute(sql`insert into dfe_parked_response (source, dfe_id, field, problem, payload)
            values (${`${action.action} answer`}, ${action.dfe_id}, ${checked.problem.field},
                    ${checked.problem.problem}, ${JSON.stringify(outcome.application ?? null)}::jsonb)`);
          deps.logger?.warn(
            { dfeId: action.dfe_id, field: checked.problem.field },
            'DfE answer does not match the contract: parked',
          );
        }
      });
      report.sent += 1;
    } else if (outcome.kind === 'refused' || attempts >= MAX_ACTION_ATTEMPTS) {
      await db.execute(sql`update dfe_application_action set status = 'failed', attempts = ${attempts},
        last_error = ${outcome.error} where id = ${action.id}`);
      deps.logger?.warn(
        { actionId: action.id, action: action.action },
        'DfE refused an application decision',
      );
      report.failed += 1;
    } else {
      const wait = ACTION_BACKOFF_MS[Math.min(attempts - 1, ACTION_BACKOFF_MS.length - 1)]!;
      await db.execute(sql`update dfe_application_action set status = 'pending', attempts = ${attempts},
        last_error = ${outcome.error}, next_attempt_at = ${new Date(at.getTime() + wait)}
        where id = ${action.id}`);
      report.retrying += 1;
    }
  }
  return report;
}
