import { Readable } from 'node:stream';
import { TextDecoder } from 'node:util';
import { parse } from 'csv-parse';
import { csvCellProblem } from '../domain/text.js';

/**
 * Reading the DfE's Get Information About Schools (GIAS) establishment CSV as published: its own
 * column names, any other columns ignored, Windows-1252 (GIAS's usual encoding) or UTF-8 with or
 * without a BOM. Rows stream through; nothing holds the whole file.
 */
export const GIAS_COLUMNS = {
  urn: 'URN',
  name: 'EstablishmentName',
  town: 'Town',
  postcode: 'Postcode',
  laCode: 'LA (code)',
  laName: 'LA (name)',
  status: 'EstablishmentStatus (name)',
  type: 'TypeOfEstablishment (name)',
  phase: 'PhaseOfEducation (name)',
  region: 'GOR (name)',
} as const;

/** Without these a row cannot be placed; the others are kept when present. */
export const REQUIRED_GIAS_COLUMNS = [
  GIAS_COLUMNS.urn,
  GIAS_COLUMNS.name,
  GIAS_COLUMNS.laCode,
  GIAS_COLUMNS.laName,
  GIAS_COLUMNS.status,
] as const;

export interface GiasSchool {
  urn: string;
  name: string;
  town: string | null;
  postcode: string | null;
  laCode: string;
  laName: string;
  status: string;
  type: string | null;
  phase: string | null;
  /** GOR (name), or null for "Not Applicable" and blanks. */
  region: string | null;
}

export interface GiasRowError {
  line: number;
  field: string;
  message: string;
}

export type GiasRecord =
  { line: number; school: GiasSchool } | { line: number; errors: GiasRowError[] };

/** The file cannot be read at all (missing columns, not CSV): one clear message. */
export class GiasFileError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly field: string,
  ) {
    super(message);
  }
}

// Node 20's TextDecoder reads 0x80-0x9F of windows-1252 as C1 controls (ISO-8859-1): these are
// the characters Windows-1252 puts there (– — ‘ ’ “ ” € …).
const CP1252_C1 =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

function decode1252(bytes: Uint8Array, decoder: TextDecoder): string {
  return decoder
    .decode(bytes)
    .replace(/[\u0080-\u009f]/g, (c) => CP1252_C1[c.charCodeAt(0) - 0x80]!);
}

/** Bytes at the end of a chunk that begin a UTF-8 sequence the next chunk completes. */
function incompleteTail(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const b = bytes[bytes.length - back]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

/**
 * Text from bytes: UTF-8 while the bytes are valid UTF-8; from the first invalid sequence on,
 * Windows-1252 (which every byte is). GIAS files are one or the other, so in practice the first
 * chunk decides; a UTF-8 BOM is dropped.
 */
export async function* decodeGias(
  source: AsyncIterable<Uint8Array | string>,
): AsyncGenerator<string> {
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const cp1252 = new TextDecoder('windows-1252');
  let mode: 'utf8' | 'cp1252' = 'utf8';
  let carry = new Uint8Array(0);
  let first = true;
  for await (const piece of source) {
    const chunk = typeof piece === 'string' ? new TextEncoder().encode(piece) : piece;
    let bytes = carry.length ? concat(carry, chunk) : chunk;
    if (first && bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
      bytes = bytes.subarray(3);
    first = false;
    if (mode === 'cp1252') {
      carry = new Uint8Array(0);
      yield decode1252(bytes, cp1252);
      continue;
    }
    const tail = incompleteTail(bytes);
    const complete = bytes.subarray(0, bytes.length - tail);
    try {
      const text = utf8.decode(complete);
      carry = bytes.slice(bytes.length - tail);
      if (text) yield text;
    } catch {
      mode = 'cp1252';
      carry = new Uint8Array(0);
      yield decode1252(bytes, cp1252);
    }
  }
  // A sequence cut off by the end of the file is not UTF-8.
  if (carry.length) yield decode1252(carry, cp1252);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

const URN = /^[0-9]{6,7}$/;
const LA_CODE = /^[0-9]{3}$/;
const NO_REGION = new Set(['', 'not applicable', 'not recorded', 'wales (pseudo)']);

const blank = (v: string | undefined) => {
  const t = (v ?? '').trim();
  return t === '' ? null : t;
};

/** One GIAS record checked: the school, or every problem with the row (line and field). */
export function checkGiasRecord(line: number, record: Record<string, string>): GiasRecord {
  const errors: GiasRowError[] = [];
  const err = (field: string, message: string) => errors.push({ line, field, message });
  // Only the columns read: a NUL (0x00 byte) in a column we ignore does no harm.
  const bad = csvCellProblem(
    Object.fromEntries(Object.values(GIAS_COLUMNS).map((c) => [c, record[c]])),
  );
  if (bad) return { line, errors: [{ line, ...bad }] };
  const urn = (record[GIAS_COLUMNS.urn] ?? '').trim();
  if (urn === '') err(GIAS_COLUMNS.urn, 'Enter the URN');
  else if (!URN.test(urn))
    err(GIAS_COLUMNS.urn, `URN must be 6 or 7 digits, not "${urn.slice(0, 20)}"`);
  const name = (record[GIAS_COLUMNS.name] ?? '').trim();
  if (name === '') err(GIAS_COLUMNS.name, 'Enter the establishment name');
  else if (name.length > 300) err(GIAS_COLUMNS.name, 'The name must be 300 characters or fewer');
  const laCode = (record[GIAS_COLUMNS.laCode] ?? '').trim();
  if (!LA_CODE.test(laCode))
    err(GIAS_COLUMNS.laCode, laCode === '' ? 'Enter the LA code' : 'The LA code must be 3 digits');
  const laName = (record[GIAS_COLUMNS.laName] ?? '').trim();
  if (laName === '') err(GIAS_COLUMNS.laName, 'Enter the LA name');
  const status = (record[GIAS_COLUMNS.status] ?? '').trim();
  if (status === '') err(GIAS_COLUMNS.status, 'Enter the establishment status');
  if (errors.length) return { line, errors };
  const region = blank(record[GIAS_COLUMNS.region]);
  return {
    line,
    school: {
      urn,
      name,
      town: blank(record[GIAS_COLUMNS.town]),
      postcode: blank(record[GIAS_COLUMNS.postcode]),
      laCode,
      laName,
      status,
      type: blank(record[GIAS_COLUMNS.type]),
      phase: blank(record[GIAS_COLUMNS.phase]),
      region: region === null || NO_REGION.has(region.toLowerCase()) ? null : region,
    },
  };
}

/**
 * The file's rows, checked, with their line numbers. A missing required column or a file that
 * is not CSV throws GiasFileError; a URN seen earlier in the file is an error on the later line.
 */
export async function* readGias(
  source: AsyncIterable<Uint8Array | string>,
): AsyncGenerator<GiasRecord> {
  let missing: string[] = [];
  let sawHeader = false;
  const parser = parse({
    columns: (header: string[]) => {
      sawHeader = true;
      const names = header.map((h) => h.trim());
      missing = REQUIRED_GIAS_COLUMNS.filter((c) => !names.includes(c));
      if (missing.length) throw new Error('missing columns');
      return names;
    },
    bom: true,
    info: true,
    skip_empty_lines: true,
    relax_column_count: true,
  });
  const input = Readable.from(decodeGias(source), { objectMode: false });
  input.on('error', (e) => parser.destroy(e));
  input.pipe(parser);
  const seen = new Map<string, number>();
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: Record<string, string>;
      info: { lines: number };
    }>) {
      const checked = checkGiasRecord(info.lines, record);
      if ('school' in checked) {
        const earlier = seen.get(checked.school.urn);
        if (earlier !== undefined) {
          yield {
            line: checked.line,
            errors: [
              {
                line: checked.line,
                field: GIAS_COLUMNS.urn,
                message: `URN ${checked.school.urn} is also on line ${earlier}: only the first is imported`,
              },
            ],
          };
          continue;
        }
        seen.set(checked.school.urn, checked.line);
      }
      yield checked;
    }
    if (!sawHeader)
      throw new GiasFileError('The file is empty: it has no header row.', 1, 'header');
  } catch (error) {
    if (error instanceof GiasFileError) throw error;
    if (missing.length)
      throw new GiasFileError(
        `This is not a GIAS establishment file: it has no ${missing.map((m) => `"${m}"`).join(', ')} column${missing.length === 1 ? '' : 's'}. Download "All establishment data" (establishment fields CSV) from Get Information About Schools.`,
        1,
        'header',
      );
    const csv = error as { code?: string; lines?: number; message?: string };
    if (typeof csv.code === 'string' && csv.code.startsWith('CSV_'))
      throw new GiasFileError(
        `The file could not be read as CSV at line ${csv.lines ?? '?'}: ${csv.message ?? csv.code}`,
        csv.lines ?? 0,
        'file',
      );
    throw error;
  }
}
