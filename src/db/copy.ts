import pg from 'pg';
import type { Db } from './client.js';

/**
 * `COPY … FROM STDIN` on either engine, for bulk loads into a staging table: rows stream in
 * PostgreSQL's text format in one statement instead of being bound as parameters.
 *
 * - node-postgres: the COPY sub-protocol is driven through pg's documented extension point for
 *   custom queries (an object with `submit`, as pg-cursor and pg-query-stream use), writing
 *   CopyData messages with the connection's own `sendCopyFromChunk` / `endCopyFrom`. That is all
 *   the `pg-copy-streams` package does for COPY FROM; this keeps it to the ~60 lines we need.
 * - PGlite: `COPY … FROM '/dev/blob'` with the rows passed as the query's `blob` option.
 *
 * It needs the connection a transaction holds (a temporary staging table lives on one connection),
 * so it takes a drizzle transaction, never the pool.
 */

/** One row of cells: text as it is, null for SQL NULL. */
export type CopyRow = readonly (string | null)[];

/** A cell in COPY's text format (tab-separated, `\N` for NULL, backslash escapes). */
export function copyCell(value: string | null): string {
  if (value === null) return '\\N';
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/[\\\t\n\r]/g, (c) =>
        c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
      )
    : value;
}

/** The rows as COPY text; a NUL cannot be sent (PostgreSQL text refuses it), so callers reject it first. */
export function rowsAsCopyText(rows: readonly CopyRow[]): string {
  let out = '';
  for (const row of rows) {
    out += row.map(copyCell).join('\t') + '\n';
  }
  return out;
}

const SAFE_TARGET = /^[a-z_][a-z0-9_.]*\s*\(\s*[a-z_][a-z0-9_]*(\s*,\s*[a-z_][a-z0-9_]*)*\s*\)$/;

/** Bytes sent per CopyData message. */
const CHUNK = 64 * 1024;

/**
 * Streams `rows` into `target` (`table (col, …)`, identifiers only) with COPY and returns how many
 * rows the server took. Inside a transaction (`tx` from `db.transaction`).
 */
export async function copyRows(
  tx: Pick<Db, 'execute'>,
  target: string,
  rows: readonly CopyRow[],
): Promise<number> {
  return rows.length === 0 ? 0 : copyText(tx, target, rowsAsCopyText(rows));
}

/** The same for rows already in COPY's text format (each line ending with a newline). */
export async function copyText(
  tx: Pick<Db, 'execute'>,
  target: string,
  text: string,
): Promise<number> {
  if (!SAFE_TARGET.test(target))
    throw new Error(`copyRows: not a table and column list: ${target}`);
  if (text === '') return 0;
  const client = (tx as unknown as { session?: { client?: unknown } }).session?.client;
  const data = Buffer.from(text, 'utf8');
  if (client instanceof pg.Client) {
    return new Promise<number>((resolve, reject) => {
      const submittable = new CopyFromStdin(`copy ${target} from stdin`, data, resolve, reject);
      // pg's query() takes any object with submit(); its typings list only its own query kinds.
      (client as unknown as { query(query: CopyFromStdin): void }).query(submittable);
    });
  }
  if (client && typeof (client as PgliteLike).query === 'function') {
    const result = await (client as PgliteLike).query(`copy ${target} from '/dev/blob'`, [], {
      blob: new Blob([data]),
    });
    return result.affectedRows ?? 0;
  }
  throw new Error('copyRows: needs a transaction on node-postgres or PGlite');
}

interface PgliteLike {
  query(
    text: string,
    params: unknown[],
    options: { blob: Blob },
  ): Promise<{ affectedRows?: number }>;
}

/** The parts of pg's connection the COPY sub-protocol uses. */
interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

/**
 * A custom pg query: sends the COPY statement, answers CopyInResponse with the data and CopyDone,
 * and settles on ReadyForQuery (success) or ErrorResponse (the server then drops any CopyData
 * still in flight and sends ReadyForQuery, which pg does not pass on to a failed query).
 */
class CopyFromStdin {
  private rowCount = 0;
  private failed = false;

  constructor(
    private readonly text: string,
    private readonly data: Buffer,
    private readonly resolve: (rows: number) => void,
    private readonly reject: (error: Error) => void,
  ) {}

  submit(connection: CopyConnection): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: CopyConnection): void {
    for (let i = 0; i < this.data.length; i += CHUNK) {
      connection.sendCopyFromChunk(this.data.subarray(i, i + CHUNK));
    }
    connection.endCopyFrom();
  }

  handleCommandComplete(message: { text?: string }): void {
    const n = /^COPY (\d+)/.exec(message.text ?? '');
    this.rowCount = n ? Number(n[1]) : 0;
  }

  handleReadyForQuery(): void {
    if (!this.failed) this.resolve(this.rowCount);
  }

  handleError(error: Error): void {
    this.failed = true;
    this.reject(error);
  }

  // Messages a COPY FROM does not get; pg calls these only for other statements.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handlePortalSuspended(): void {}
  handleEmptyQuery(): void {}
  handleCopyData(): void {}
}
