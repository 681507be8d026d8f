import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { parse } from 'csv-parse';
import { sql } from 'drizzle-orm';
import { arrayParam, queryRows } from '../../db/client.js';
import { csvCellProblem } from '../../domain/text.js';
import type { Actor } from '../actor.js';
import { ENGAGEMENT_CSV_COLUMNS } from '../engagement/ingest-rows.js';
import { ServiceError, ValidationError } from '../errors.js';
import { PARTICIPANT_CSV_COLUMNS } from '../participant-import.js';
import type { ServiceDeps } from '../participants.js';
import { requireImporter } from '../staff-dashboard.js';
import { limitBytes, UploadTooLargeError } from '../upload-limit.js';

/**
 * A participants or engagement CSV uploaded as a file. It streams through the CSV parser into the
 * import's staging rows a batch at a time (one multi-row INSERT … SELECT FROM unnest per batch,
 * never the whole file in memory, never row by row); the rows are then processed by the job
 * runner (process.ts). A file refused here (wrong type, too big, too many rows, a bad header,
 * unreadable) leaves nothing behind: its staged rows go with it.
 */

export type ImportKind = 'participants' | 'engagement';
export const IMPORT_KINDS: readonly ImportKind[] = ['participants', 'engagement'];

export const IMPORT_LIMITS = {
  /** Rows under the header in one file. */
  rows: 100_000,
  /** Bytes in one file (a 100,000-row engagement file is about 9 MB; participants about 15 MB). */
  bytes: 50 * 1024 * 1024,
} as const;

/** Staged rows per INSERT. */
const STAGE_BATCH = 5_000;

/** The limits as people read them: "100,000 rows and 50 MB". */
export const IMPORT_LIMITS_TEXT = `${IMPORT_LIMITS.rows.toLocaleString('en-GB')} rows and ${IMPORT_LIMITS.bytes / 1024 / 1024} MB`;

/** The columns a file must have (others it may have are optional). */
export const REQUIRED_COLUMNS: Record<ImportKind, readonly string[]> = {
  participants: PARTICIPANT_CSV_COLUMNS.filter(
    (c) => !['trn', 'dfe_registration_id', 'part_time_fraction', 'working_pattern'].includes(c),
  ),
  engagement: ['participant', 'activity_id', 'occurred_at', 'source_event_id'],
};

export const IMPORT_COLUMNS: Record<ImportKind, readonly string[]> = {
  participants: PARTICIPANT_CSV_COLUMNS,
  engagement: Object.values(ENGAGEMENT_CSV_COLUMNS),
};

/** A file refused as a whole: 413 when too big, 415 for the wrong type, else 422; field `file`. */
export class ImportFileError extends ServiceError {
  constructor(message: string, status: 413 | 415 | 422 = 422) {
    super(
      message,
      status,
      status === 413
        ? 'PAYLOAD_TOO_LARGE'
        : status === 415
          ? 'UNSUPPORTED_MEDIA_TYPE'
          : 'VALIDATION',
    );
  }
}

export const tooBigMessage = (fileName?: string) =>
  `${fileName ? `${fileName} is` : 'The file is'} larger than ${IMPORT_LIMITS.bytes / 1024 / 1024} MB, the most one import takes: split it into smaller files`;

/** Refuses a file that is plainly not a CSV, by its name and declared type, before reading it. */
export function checkFileType(fileName: string, mimeType: string | undefined): void {
  const name = fileName.toLowerCase();
  const csvType =
    mimeType === undefined ||
    ['text/csv', 'application/csv', 'text/plain', 'application/vnd.ms-excel'].includes(
      mimeType.toLowerCase(),
    );
  if (!name.endsWith('.csv') && !(name.endsWith('.txt') && csvType)) {
    throw new ImportFileError(
      `${fileName} is not a CSV file: choose a file that ends in .csv (in a spreadsheet, use "Save as" and choose CSV)`,
      415,
    );
  }
}

export interface StagedUpload {
  id: number;
  kind: ImportKind;
  fileName: string;
  rowsReceived: number;
}

/**
 * Streams an uploaded CSV into a new import job's staging rows and queues the job. Throws
 * ImportFileError (the job and its rows removed) when the file cannot be imported as a whole.
 * The source is read to its end (up to the byte limit) even when the file is refused, so the
 * client's upload completes and it reads the answer.
 */
export async function stageImport(
  { db, clock }: ServiceDeps,
  actor: Actor,
  kind: ImportKind,
  source: AsyncIterable<Uint8Array | string>,
  fileName: string,
): Promise<StagedUpload> {
  requireImporter(actor);
  const name = fileName.trim().slice(0, 255) || 'upload.csv';
  const [job] = await queryRows<{ id: number }>(
    db,
    sql`insert into import_job (kind, file_name, status, started_by_user_id, delivery_partner_id, lead_provider_id, created_at)
        values (${kind}, ${name}, 'receiving', ${actor.userId}, ${actor.deliveryPartnerId},
                coalesce(${actor.leadProviderId}::int, (select lead_provider_id from delivery_partner where id = ${actor.deliveryPartnerId}::int)),
                ${clock.now()})
        returning id`,
  );
  const jobId = job!.id;
  const input = Readable.from(limitBytes(toBytes(source), IMPORT_LIMITS.bytes));
  const parser = parse({
    columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
    info: true,
    skip_empty_lines: true,
    bom: true,
    relax_column_count: true,
  });
  input.on('error', (error) => parser.destroy(error));
  input.pipe(parser);

  let rows = 0;
  let batch: { line: number; record: string }[] = [];
  // While one batch is written the next is parsed: reading the upload and the database overlap.
  let writing: Promise<unknown> = Promise.resolve();
  const flush = async () => {
    await writing;
    if (batch.length === 0) return;
    const b = batch;
    batch = [];
    writing = db.execute(
      sql`insert into import_row (job_id, line, record)
          select ${jobId}, u.line, u.record::jsonb
          from unnest(${arrayParam(b.map((r) => r.line))}::int[], ${arrayParam(b.map((r) => r.record))}::text[]) as u(line, record)
          on conflict do nothing`,
    );
    writing.catch(() => undefined); // awaited at the next flush or at the end
  };
  try {
    try {
      for await (const { record, info } of parser as AsyncIterable<{
        record: Record<string, string>;
        info: { lines: number };
      }>) {
        if (rows === 0) checkHeader(kind, record);
        rows += 1;
        if (rows > IMPORT_LIMITS.rows) break;
        // A cell the database cannot store (NUL, a lone surrogate) is kept as the row's problem.
        const problem = csvCellProblem(record);
        batch.push({
          line: info.lines,
          record: JSON.stringify(problem ? { __problem: problem } : record),
        });
        if (batch.length >= STAGE_BATCH) await flush();
      }
    } finally {
      // Whatever stopped the reading, take in the rest of the upload (bounded by the byte limit).
      await drain(input);
      await writing.catch(() => undefined);
    }
    if (rows > IMPORT_LIMITS.rows)
      throw new ImportFileError(
        `${name} has more than ${IMPORT_LIMITS.rows.toLocaleString('en-GB')} rows, the most one import takes: split it into smaller files`,
        413,
      );
    if (rows === 0) throw new ImportFileError(`${name} has no rows under its header`);
    await flush();
    await writing;
    await db.execute(
      sql`update import_job set status = 'queued', rows_received = ${rows} where id = ${jobId}`,
    );
    return { id: jobId, kind, fileName: name, rowsReceived: rows };
  } catch (error) {
    await db.execute(sql`delete from import_job where id = ${jobId}`);
    throw refusalOf(error, name);
  }
}

function checkHeader(kind: ImportKind, first: Record<string, string>): void {
  const missing = REQUIRED_COLUMNS[kind].filter((c) => !(c in first));
  if (missing.length > 0) {
    const known = new Set(IMPORT_COLUMNS[kind]);
    const matched = Object.keys(first).filter((c) => known.has(c)).length;
    throw new ImportFileError(
      matched === 0
        ? `The first line must be the header with the column names: ${IMPORT_COLUMNS[kind].join(', ')}`
        : `The header is missing ${missing.length === 1 ? 'the column' : 'these columns'}: ${missing.join(', ')}`,
    );
  }
}

function refusalOf(error: unknown, name: string): unknown {
  if (error instanceof ImportFileError || error instanceof ValidationError) return error;
  if (
    error instanceof UploadTooLargeError ||
    (error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE'
  )
    return new ImportFileError(tooBigMessage(name), 413);
  const code = (error as { code?: string }).code;
  if (typeof code === 'string' && code.startsWith('CSV_')) {
    const line = (error as { lines?: number }).lines;
    return new ImportFileError(
      `${name} could not be read as a CSV${line ? ` at line ${line}` : ''}: ${(error as Error).message}`,
    );
  }
  return error;
}

async function* toBytes(source: AsyncIterable<Uint8Array | string>): AsyncGenerator<Uint8Array> {
  for await (const chunk of source)
    yield typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
}

async function drain(input: Readable): Promise<void> {
  if (input.readableEnded || input.destroyed) return;
  input.unpipe();
  input.resume();
  await finished(input).catch(() => undefined);
}
