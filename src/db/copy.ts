import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Db } from './client.js';

/**
 * `COPY … FROM STDIN` on either engine, for bulk loads into a staging table: rows stream in
 * PostgreSQL's text format in one statement instead of being bound as parameters.
 *
 * - node-postgres: `pg-copy-streams` (the COPY sub-protocol for pg, maintained alongside it): the
 *   text is piped into its COPY FROM STDIN stream, which reports the rows the server took.
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
    const stream = client.query(copyFrom(`copy ${target} from stdin`));
    await pipeline(Readable.from([data]), stream);
    return stream.rowCount;
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
