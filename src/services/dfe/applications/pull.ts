/**
 * Applications in: pulls `GET /api/v3/npq-applications` page by page, with
 * `filter[updated_since]` set to the start of the last successful pull, and stores each page in
 * one transaction of set-based statements (the applications, a history row for every new version,
 * the records parked). A record that breaks the contract is never stored: it is parked for staff
 * with the field at fault and logged (the field and the DfE id only, no personal data).
 */
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../../db/client.js';
import type { Clock } from '../../../clock.js';
import type { DfeClient } from '../client.js';
import { checkApplication, dfeIdOf, type CheckedApplication } from './contract-check.js';
import { DfeCallError, dfeMessage, withRetry, type RetryOptions } from './retry.js';

export interface PullLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface PullDeps {
  db: Db;
  clock: Clock;
  dfe: DfeClient;
  logger?: PullLogger | undefined;
}

export interface PullOptions extends RetryOptions {
  /** Who asked: 'system:schedule', 'system:cli', 'user:12'. */
  startedBy: string;
  /** Records per page (the DfE allows up to 3000; default 1000). */
  perPage?: number;
  /** Ignore the cursor and read everything (a full resynchronisation). */
  full?: boolean;
}

export interface PullReport {
  pullId: number;
  status: 'succeeded' | 'failed';
  updatedSince: string | null;
  pages: number;
  received: number;
  created: number;
  updated: number;
  unchanged: number;
  parked: number;
  retries: number;
  error: string | null;
}

const APPLICATIONS_PATH = '/api/v3/npq-applications';

/** The start of the last successful pull: the next pull asks for what changed since. */
export async function pullCursor(db: Db): Promise<Date | null> {
  const [row] = await queryRows<{ at: string | Date | null }>(
    db,
    sql`select max(started_at) as at from dfe_pull where status = 'succeeded'`,
  );
  return row?.at ? new Date(row.at) : null;
}

export async function pullApplications(deps: PullDeps, options: PullOptions): Promise<PullReport> {
  const { db, clock } = deps;
  const startedAt = clock.now();
  const since = options.full ? null : await pullCursor(db);
  const perPage = options.perPage ?? 1000;
  const [pull] = await queryRows<{ id: number }>(
    db,
    sql`insert into dfe_pull (started_at, status, updated_since, started_by)
        values (${startedAt}, 'running', ${since}, ${options.startedBy}) returning id`,
  );
  const pullId = pull!.id;
  const report: PullReport = {
    pullId,
    status: 'succeeded',
    updatedSince: since?.toISOString() ?? null,
    pages: 0,
    received: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    parked: 0,
    retries: 0,
    error: null,
  };
  try {
    for (let page = 1; ; page += 1) {
      const { result, retries } = await withRetry(
        () =>
          deps.dfe.GET(APPLICATIONS_PATH, {
            params: {
              query: {
                ...(since ? { filter: { updated_since: since.toISOString() } } : {}),
                page: { page, per_page: perPage },
              },
            },
            // The body is checked here, record by record, before anything is stored.
            parseAs: 'json',
          }),
        options,
      );
      report.retries += retries;
      const { response } = result;
      if (!response.ok)
        throw new DfeCallError(
          `The DfE refused the request (${response.status}): ${dfeMessage(result.error)}`,
          response.status,
          false,
        );
      const items = (result.data as { data?: unknown } | undefined)?.data;
      const source = `GET ${APPLICATIONS_PATH} page ${page}`;
      if (!Array.isArray(items)) {
        // The page itself is broken: nothing of it can be trusted, and the cursor stays put.
        await park(db, pullId, [
          {
            source,
            dfeId: null,
            field: 'data',
            problem: 'must be a list of applications',
            payload: result.data ?? null,
          },
        ]);
        report.parked += 1;
        deps.logger?.warn(
          { pullId, source, field: 'data' },
          'DfE response does not match the contract',
        );
        throw new DfeCallError(
          'The DfE answered with a page that does not match the contract',
          response.status,
          false,
        );
      }
      report.pages += 1;
      report.received += items.length;
      const good: CheckedApplication[] = [];
      const bad: ParkedRecord[] = [];
      for (const item of items) {
        const checked = checkApplication(item);
        if (checked.ok) good.push(checked.application);
        else {
          bad.push({ source, dfeId: dfeIdOf(item), ...checked.problem, payload: item });
          deps.logger?.warn(
            { pullId, source, dfeId: dfeIdOf(item), field: checked.problem.field },
            'DfE application does not match the contract: parked',
          );
        }
      }
      const counts = await db.transaction(async (tx) => {
        const stored = await storeApplications(tx as unknown as Db, good, pullId, clock.now());
        await park(tx as unknown as Db, pullId, bad);
        await tx.execute(sql`update dfe_pull set pages = ${report.pages}, received = ${report.received},
          created = created + ${stored.created}, updated = updated + ${stored.updated},
          unchanged = unchanged + ${stored.unchanged}, parked = parked + ${bad.length}, retries = ${report.retries}
          where id = ${pullId}`);
        return stored;
      });
      report.created += counts.created;
      report.updated += counts.updated;
      report.unchanged += counts.unchanged;
      report.parked += bad.length;
      if (items.length < perPage) break;
    }
  } catch (error) {
    report.status = 'failed';
    report.error =
      error instanceof DfeCallError ? error.message : 'The pull failed: see the logs for details';
    if (!(error instanceof DfeCallError))
      deps.logger?.warn({ pullId, err: String((error as Error)?.name) }, 'DfE pull failed');
  }
  await db.execute(sql`update dfe_pull set status = ${report.status}, finished_at = ${clock.now()},
    error = ${report.error}, retries = ${report.retries}, parked = ${report.parked}
    where id = ${pullId}`);
  deps.logger?.info({ report }, 'DfE applications pull done');
  return report;
}

interface ParkedRecord {
  source: string;
  dfeId: string | null;
  field: string;
  problem: string;
  payload: unknown;
}

async function park(
  db: Db,
  pullId: number | null,
  records: readonly ParkedRecord[],
): Promise<void> {
  if (records.length === 0) return;
  await db.execute(sql`insert into dfe_parked_response (source, dfe_id, field, problem, payload, pull_id)
    select x.source, x.dfe_id, x.field, x.problem, x.payload, ${pullId}
    from jsonb_to_recordset(${JSON.stringify(
      records.map((r) => ({
        source: r.source,
        dfe_id: r.dfeId,
        field: r.field,
        problem: r.problem,
        payload: r.payload ?? null,
      })),
    )}::jsonb) as x(source text, dfe_id text, field text, problem text, payload jsonb)`);
}

/**
 * Upserts the applications of one page and adds a history row for each new version, in two
 * statements whatever the page size. Returns how many were new, changed and unchanged.
 */
export async function storeApplications(
  db: Db,
  applications: readonly CheckedApplication[],
  pullId: number | null,
  now: Date,
): Promise<{ created: number; updated: number; unchanged: number }> {
  if (applications.length === 0) return { created: 0, updated: 0, unchanged: 0 };
  // One row per application: a page never lists one twice, but if it did the newest wins.
  const latest = new Map<string, CheckedApplication>();
  for (const a of applications) {
    const seen = latest.get(a.id);
    if (!seen || Date.parse(seen.attributes.updated_at) < Date.parse(a.attributes.updated_at))
      latest.set(a.id, a);
  }
  const rows = [...latest.values()].map((a) => {
    const x = a.attributes;
    const year = Number.parseInt(x.cohort ?? '', 10);
    return {
      dfe_id: a.id,
      dfe_participant_id: x.participant_id,
      dfe_status: x.status,
      course_identifier: x.course_identifier,
      cohort_year: Number.isInteger(year) ? year : null,
      schedule_identifier: x.schedule_identifier ?? null,
      school_urn: x.school_urn ?? null,
      full_name: x.full_name,
      funded_place: x.funded_place ?? null,
      eligible_for_funding: x.eligible_for_funding,
      trn_validated: x.teacher_reference_number_validated,
      dfe_updated_at: x.updated_at,
      attributes: x,
    };
  });
  const changed = await queryRows<{ inserted: boolean }>(
    db,
    sql`with incoming as (
          select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(
            dfe_id text, dfe_participant_id text, dfe_status text, course_identifier text,
            cohort_year int, schedule_identifier text, school_urn text, full_name text,
            funded_place boolean, eligible_for_funding boolean, trn_validated boolean,
            dfe_updated_at timestamptz, attributes jsonb)),
        upserted as (
          insert into dfe_application as a (dfe_id, dfe_participant_id, dfe_status, course_identifier,
            cohort_year, schedule_identifier, school_urn, full_name, funded_place, eligible_for_funding,
            trn_validated, dfe_updated_at, attributes, first_pulled_at, last_pulled_at)
          select dfe_id, dfe_participant_id, dfe_status, course_identifier, cohort_year,
                 schedule_identifier, school_urn, full_name, funded_place, eligible_for_funding,
                 trn_validated, dfe_updated_at, attributes, ${now}, ${now}
          from incoming
          on conflict (dfe_id) do update set
            dfe_participant_id = excluded.dfe_participant_id, dfe_status = excluded.dfe_status,
            course_identifier = excluded.course_identifier, cohort_year = excluded.cohort_year,
            schedule_identifier = excluded.schedule_identifier, school_urn = excluded.school_urn,
            full_name = excluded.full_name, funded_place = excluded.funded_place,
            eligible_for_funding = excluded.eligible_for_funding, trn_validated = excluded.trn_validated,
            dfe_updated_at = excluded.dfe_updated_at, attributes = excluded.attributes,
            last_pulled_at = excluded.last_pulled_at, version = a.version + 1
          where a.dfe_updated_at < excluded.dfe_updated_at
          returning a.id, a.dfe_updated_at, a.attributes, (xmax = 0) as inserted),
        versions as (
          insert into dfe_application_version (application_id, dfe_updated_at, attributes, pull_id, pulled_at)
          select id, dfe_updated_at, attributes, ${pullId}, ${now} from upserted
          on conflict (application_id, dfe_updated_at) do nothing)
        select inserted from upserted`,
  );
  const created = changed.filter((c) => c.inserted).length;
  return {
    created,
    updated: changed.length - created,
    unchanged: rows.length - changed.length,
  };
}
