/**
 * DfE sync for the programme team: its state (last successful pull, backlog, failures with the
 * DfE's messages), a pull on demand, retrying a refused decision, and re-reading or dismissing a
 * parked response. `runDfeSync` is what the scheduled job runs: a pull, then the one DfE outbox
 * delivery (decisions, participant changes and declarations that are due).
 */
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../../db/client.js';
import type { Clock } from '../../../clock.js';
import { actorLabel, type Actor } from '../../actor.js';
import { audit } from '../../audit.js';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import type { DfeClient } from '../client.js';
import { checkApplication } from './contract-check.js';
import { resolveOutboxRequest } from '../outbox/backlog.js';
import { deliverDueDfeRequests, type DfeDeliveryReport } from '../outbox/delivery.js';
import { pullApplications, storeApplications, type PullLogger, type PullReport } from './pull.js';
import { requireApplicationStaff } from './queue.js';
import type { RetryOptions } from './retry.js';

export interface SyncDeps {
  db: Db;
  clock: Clock;
  /** Null when DfE sync is off (no DFE_API_URL and DFE_API_TOKEN). */
  dfe: DfeClient | null;
  logger?: PullLogger | undefined;
  retry?: RetryOptions;
}

export const SYNC_OFF_MESSAGE =
  'DfE sync is off: DFE_API_URL and DFE_API_TOKEN are not set, so nothing is read from or sent to the DfE';

function requireDfe(dfe: DfeClient | null): DfeClient {
  if (!dfe) throw new ValidationError([{ path: 'dfe', message: SYNC_OFF_MESSAGE }]);
  return dfe;
}

/** The scheduled run: pull the applications changed since the last success, then send decisions. */
export async function runDfeSync(
  deps: SyncDeps,
  startedBy = 'system:schedule',
): Promise<{ pull: PullReport; delivery: DfeDeliveryReport }> {
  const dfe = requireDfe(deps.dfe);
  const pull = await pullApplications(
    { db: deps.db, clock: deps.clock, dfe, logger: deps.logger },
    { startedBy, ...deps.retry },
  );
  const delivery = await deliverDueDfeRequests({ db: deps.db, clock: deps.clock, client: dfe });
  return { pull, delivery };
}

export interface SyncStatus {
  enabled: boolean;
  lastSuccessfulPull: {
    id: number;
    startedAt: string;
    finishedAt: string | null;
    received: number;
  } | null;
  lastPull: {
    id: number;
    startedAt: string;
    status: string;
    error: string | null;
    received: number;
    parked: number;
    retries: number;
  } | null;
  backlog: { toDecide: number; waitingToSend: number; failed: number; parked: number };
  failures: {
    id: number;
    applicationId: number;
    fullName: string;
    action: string;
    attempts: number;
    message: string | null;
    createdAt: string;
  }[];
  retrying: {
    id: number;
    applicationId: number;
    fullName: string;
    action: string;
    attempts: number;
    message: string | null;
    nextAttemptAt: string;
  }[];
  parked: {
    id: number;
    source: string;
    dfeId: string | null;
    field: string;
    problem: string;
    createdAt: string;
  }[];
}

const iso = (v: string | Date | null) => (v === null ? null : new Date(v).toISOString());

export async function getSyncStatus(
  db: Db,
  actor: Actor,
  options: { enabled: boolean },
): Promise<SyncStatus> {
  requireApplicationStaff(actor);
  const [last] = await queryRows<{
    id: number;
    started_at: Date;
    status: string;
    error: string | null;
    received: number;
    parked: number;
    retries: number;
  }>(
    db,
    sql`select id, started_at, status, error, received, parked, retries from dfe_pull order by started_at desc, id desc limit 1`,
  );
  const [success] = await queryRows<{
    id: number;
    started_at: Date;
    finished_at: Date | null;
    received: number;
  }>(
    db,
    sql`select id, started_at, finished_at, received from dfe_pull where status = 'succeeded' order by started_at desc, id desc limit 1`,
  );
  const [counts] = await queryRows<SyncStatus['backlog']>(
    db,
    sql`select (select count(*)::int from dfe_application where decision is null and dfe_status = 'pending') as "toDecide",
               (select count(*)::int from dfe_outbox where application_id is not null and status in ('pending', 'sending')) as "waitingToSend",
               (select count(*)::int from dfe_outbox where application_id is not null and status in ('refused', 'failed', 'parked')) as failed,
               (select count(*)::int from dfe_parked_response where resolved_at is null) as parked`,
  );
  const actions = await queryRows<{
    id: number;
    application_id: number;
    full_name: string;
    action: string;
    status: string;
    attempts: number;
    last_error: string | null;
    created_at: Date;
    next_attempt_at: Date;
  }>(
    db,
    sql`select x.id::int as id, x.application_id, a.full_name, x.action, x.status, x.attempts, x.last_error, x.created_at, x.next_attempt_at
        from dfe_outbox x join dfe_application a on a.id = x.application_id
        where x.status in ('refused', 'failed', 'parked') or (x.status in ('pending', 'sending') and x.attempts > 0)
        order by x.id limit 200`,
  );
  const parked = await queryRows<{
    id: number;
    source: string;
    dfe_id: string | null;
    field: string;
    problem: string;
    created_at: Date;
  }>(
    db,
    sql`select id, source, dfe_id, field, problem, created_at from dfe_parked_response
        where resolved_at is null order by id limit 200`,
  );
  return {
    enabled: options.enabled,
    lastSuccessfulPull: success
      ? {
          id: success.id,
          startedAt: iso(success.started_at)!,
          finishedAt: iso(success.finished_at),
          received: success.received,
        }
      : null,
    lastPull: last
      ? {
          id: last.id,
          startedAt: iso(last.started_at)!,
          status: last.status,
          error: last.error,
          received: last.received,
          parked: last.parked,
          retries: last.retries,
        }
      : null,
    backlog: counts ?? { toDecide: 0, waitingToSend: 0, failed: 0, parked: 0 },
    failures: actions
      .filter((a) => ['refused', 'failed', 'parked'].includes(a.status))
      .map((a) => ({
        id: a.id,
        applicationId: a.application_id,
        fullName: a.full_name,
        action: a.action,
        attempts: a.attempts,
        message: a.last_error,
        createdAt: iso(a.created_at)!,
      })),
    retrying: actions
      .filter((a) => a.status === 'pending' || a.status === 'sending')
      .map((a) => ({
        id: a.id,
        applicationId: a.application_id,
        fullName: a.full_name,
        action: a.action,
        attempts: a.attempts,
        message: a.last_error,
        nextAttemptAt: iso(a.next_attempt_at)!,
      })),
    parked: parked.map((p) => ({
      id: p.id,
      source: p.source,
      dfeId: p.dfe_id,
      field: p.field,
      problem: p.problem,
      createdAt: iso(p.created_at)!,
    })),
  };
}

/** A pull now, on a member of staff's request. */
export async function pullNow(deps: SyncDeps, actor: Actor): Promise<PullReport> {
  requireApplicationStaff(actor);
  const dfe = requireDfe(deps.dfe);
  return pullApplications(
    { db: deps.db, clock: deps.clock, dfe, logger: deps.logger },
    { startedBy: actorLabel(actor), ...deps.retry },
  );
}

/**
 * Puts a refused, failed or parked decision back in the DfE outbox to be sent now (a parked one is
 * reconciled with the DfE first), or brings a waiting one forward: the outbox's own retry.
 */
export async function retryAction(
  deps: SyncDeps,
  actor: Actor,
  id: number,
): Promise<{ id: number }> {
  requireApplicationStaff(actor);
  const [row] = await queryRows<{ id: number }>(
    deps.db,
    sql`select id::int as id from dfe_outbox where id = ${id} and application_id is not null`,
  );
  if (!row) throw new NotFoundError('No such decision waiting or failed');
  await resolveOutboxRequest(deps, actor, id, 'retry').catch((error: unknown) => {
    throw error instanceof ConflictError
      ? new NotFoundError('No such decision waiting or failed')
      : error;
  });
  return { id };
}

/**
 * A parked response: read the application again from the DfE (stored if it now matches the
 * contract, which resolves it) or dismiss it.
 */
export async function resolveParked(
  deps: SyncDeps,
  actor: Actor,
  id: number,
  how: 'retry' | 'dismiss',
): Promise<{ id: number; resolved: boolean; problem: string | null }> {
  requireApplicationStaff(actor);
  const [row] = await queryRows<{ dfe_id: string | null }>(
    deps.db,
    sql`select dfe_id from dfe_parked_response where id = ${id} and resolved_at is null`,
  );
  if (!row) throw new NotFoundError('No such parked response');
  const now = deps.clock.now();
  if (how === 'retry') {
    const dfe = requireDfe(deps.dfe);
    if (!row.dfe_id)
      throw new ValidationError([
        { path: 'id', message: 'This response had no application id: run a pull again instead' },
      ]);
    let result: Awaited<ReturnType<DfeClient['GET']>>;
    try {
      result = await dfe.GET('/api/v3/npq-applications/{id}', {
        params: { path: { id: row.dfe_id } },
      });
    } catch {
      return { id, resolved: false, problem: 'Could not reach the DfE' };
    }
    if (!result.response.ok)
      return { id, resolved: false, problem: `The DfE answered ${result.response.status}` };
    const checked = checkApplication((result.data as { data?: unknown } | undefined)?.data);
    if (!checked.ok) {
      await deps.db.execute(sql`update dfe_parked_response set field = ${checked.problem.field},
        problem = ${checked.problem.problem} where id = ${id}`);
      return {
        id,
        resolved: false,
        problem: `${checked.problem.field}: ${checked.problem.problem}`,
      };
    }
    await deps.db.transaction(async (tx) => {
      await storeApplications(tx as unknown as Db, [checked.application], null, now);
      await tx.execute(sql`update dfe_parked_response set resolved_at = ${now}, resolved_by = ${actorLabel(actor)},
        resolution = 'read again' where id = ${id}`);
    });
    return { id, resolved: true, problem: null };
  }
  await deps.db.transaction(async (tx) => {
    await tx.execute(sql`update dfe_parked_response set resolved_at = ${now}, resolved_by = ${actorLabel(actor)},
      resolution = 'dismissed' where id = ${id}`);
    await audit(tx, {
      what: 'DFE_PARKED_RESPONSE_DISMISSED',
      who: actor,
      subjectType: 'dfe_parked_response',
      subjectId: id,
      at: now,
    });
  });
  return { id, resolved: true, problem: null };
}

/**
 * After a decision commits, tries to send it straight away without making the member of staff
 * wait: a failure here is left to the next scheduled run (the decision is safe in the outbox).
 */
export function sendDecisionsSoon(deps: SyncDeps): void {
  if (!deps.dfe) return;
  void deliverDueDfeRequests({ db: deps.db, clock: deps.clock, client: deps.dfe }).catch(
    (error: unknown) =>
      deps.logger?.warn(
        { err: (error as Error)?.name },
        'Sending to the DfE failed: the next run will retry',
      ),
  );
}
