import { sql, type SQL } from 'drizzle-orm';
import { queryRows } from '../../db/client.js';
import type { Actor } from '../actor.js';
import { NotFoundError } from '../errors.js';
import type { ServiceDeps } from '../participants.js';
import { requireImporter } from '../staff-dashboard.js';
import type { ImportKind } from './upload.js';

/**
 * Reading uploaded imports: their progress, counts and refused rows. Delivery partner staff see
 * their partner's imports, the programme team its lead provider's, admins all; anyone else is
 * refused as for the imports themselves. Reads never write.
 */

export type ImportStatus = 'receiving' | 'queued' | 'running' | 'completed' | 'failed';

export interface ImportRowError {
  line: number;
  field: string;
  message: string;
}

export interface ImportJobView {
  id: number;
  kind: ImportKind;
  fileName: string;
  status: ImportStatus;
  rowsReceived: number;
  rowsProcessed: number;
  /** Whole percent of rows processed. */
  percent: number;
  /** Participants added (participants) or engagement records added (engagement). */
  added: number;
  /** Enrolments added (participants only). */
  enrolled: number;
  /** Rows already there: participants already enrolled, engagement already recorded. */
  unchanged: number;
  /** Invitations to set a password emailed (participants only). */
  invited: number;
  /** Rows not imported, each listed in errors with its line and column. */
  rejected: number;
  errorCount: number;
  /** The first refused rows (all of them in the CSV report). */
  errors: ImportRowError[];
  failure: string | null;
  startedBy: string;
  createdAt: string;
  finishedAt: string | null;
}

/** Refused rows shown with the job (page and API); the CSV report has every one. */
export const ERRORS_SHOWN = 500;

export function importJobVisibleTo(actor: Actor): SQL {
  if (actor.role === 'admin') return sql`true`;
  if (actor.role === 'programme_team')
    return sql`j.lead_provider_id = ${actor.leadProviderId ?? -1}`;
  if (actor.role === 'delivery_partner_staff')
    return sql`j.delivery_partner_id = ${actor.deliveryPartnerId ?? -1}`;
  return sql`false`;
}

interface JobRow {
  id: number;
  kind: ImportKind;
  file_name: string;
  status: ImportStatus;
  rows_received: number;
  rows_processed: number;
  added: number;
  enrolled: number;
  unchanged: number;
  invited: number;
  rejected: number;
  error_count: number;
  failure: string | null;
  started_by: string;
  created_at: Date | string;
  finished_at: Date | string | null;
}

const iso = (v: Date | string | null) => (v === null ? null : new Date(v).toISOString());

const SELECT = sql`select j.id, j.kind, j.file_name, j.status, j.rows_received, j.rows_processed, j.added,
    j.enrolled, j.unchanged, j.invited, j.rejected, j.failure, u.display_name as started_by,
    j.created_at, j.finished_at,
    (select count(*)::int from import_error e where e.job_id = j.id) as error_count
  from import_job j join app_user u on u.id = j.started_by_user_id`;

function viewOf(r: JobRow, errors: ImportRowError[]): ImportJobView {
  return {
    id: r.id,
    kind: r.kind,
    fileName: r.file_name,
    status: r.status,
    rowsReceived: r.rows_received,
    rowsProcessed: r.rows_processed,
    percent:
      r.status === 'completed'
        ? 100
        : r.rows_received === 0
          ? 0
          : Math.min(99, Math.floor((100 * r.rows_processed) / r.rows_received)),
    added: r.added,
    enrolled: r.enrolled,
    unchanged: r.unchanged,
    invited: r.invited,
    rejected: r.rejected,
    errorCount: r.error_count,
    errors,
    failure: r.failure,
    startedBy: r.started_by,
    createdAt: iso(r.created_at)!,
    finishedAt: iso(r.finished_at),
  };
}

/** One import with its first refused rows; 404 when the actor may not see it. */
export async function getImportJob(
  { db }: ServiceDeps,
  actor: Actor,
  id: number,
): Promise<ImportJobView> {
  requireImporter(actor);
  const [row] = await queryRows<JobRow>(
    db,
    sql`${SELECT} where j.id = ${id} and j.status <> 'receiving' and (${importJobVisibleTo(actor)})`,
  );
  if (!row) throw new NotFoundError('Import not found');
  const errors = await queryRows<ImportRowError>(
    db,
    sql`select line, field, message from import_error where job_id = ${id} order by line, id limit ${ERRORS_SHOWN}`,
  );
  return viewOf(row, errors);
}

/** The actor's most recent imports (both kinds), newest first. */
export async function listImportJobs(
  { db }: ServiceDeps,
  actor: Actor,
  limit = 10,
): Promise<ImportJobView[]> {
  requireImporter(actor);
  const rows = await queryRows<JobRow>(
    db,
    sql`${SELECT} where j.status <> 'receiving' and (${importJobVisibleTo(actor)}) order by j.id desc limit ${limit}`,
  );
  return rows.map((r) => viewOf(r, []));
}

/** Every refused row of an import as CSV (line, column, problem), read a page at a time. */
export async function importErrorsCsv(
  deps: ServiceDeps,
  actor: Actor,
  id: number,
): Promise<{ job: ImportJobView; csv: AsyncGenerator<string> }> {
  const job = await getImportJob(deps, actor, id);
  return { job, csv: errorLines(deps, id) };
}

async function* errorLines(deps: ServiceDeps, id: number): AsyncGenerator<string> {
  yield 'line,column,problem\n';
  let after = 0;
  for (;;) {
    const page = await queryRows<ImportRowError & { id: number }>(
      deps.db,
      sql`select id, line, field, message from import_error where job_id = ${id} and id > ${after}
          order by id limit 5000`,
    );
    if (page.length === 0) return;
    after = page[page.length - 1]!.id;
    yield page.map((e) => `${e.line},${csvCell(e.field)},${csvCell(e.message)}\n`).join('');
  }
}

/** A CSV cell, quoted when it needs to be; a leading = + - @ is defused for spreadsheets. */
function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
