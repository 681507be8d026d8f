/**
 * npm run bench:gias -- [--rows N] [--pglite] [--keep] [--url URL]
 *
 * Times the GIAS schools import (src/services/schools-import.ts) on a generated GIAS-shaped
 * establishment file (Windows-1252, 22 columns of which 10 are read), then the same file again
 * (an idempotent re-run), and alongside them a raw server-side COPY of the same file into a
 * temporary table: the floor for getting those bytes into PostgreSQL at all. PostgreSQL
 * (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test) in a fresh schema, dropped
 * afterwards unless --keep; or an in-memory PGlite (--pglite, no COPY). `npm run bench` runs it too.
 */
import { createReadStream } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { sql } from 'drizzle-orm';
import { openDatabase, type Db } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { systemClock } from '../src/clock.js';
import { SYSTEM } from '../src/services/actor.js';
import { importSchools } from '../src/services/schools-import.js';

const HEADER = [
  'URN', 'LA (code)', 'LA (name)', 'EstablishmentNumber', 'EstablishmentName',
  'TypeOfEstablishment (code)', 'TypeOfEstablishment (name)', 'EstablishmentStatus (code)',
  'EstablishmentStatus (name)', 'PhaseOfEducation (code)', 'PhaseOfEducation (name)',
  'StatutoryLowAge', 'StatutoryHighAge', 'Street', 'Town', 'County (name)', 'Postcode',
  'SchoolWebsite', 'TelephoneNum', 'GOR (code)', 'GOR (name)', 'UKPRN',
]; // prettier-ignore
const REGIONS = ['North East', 'North West', 'Yorkshire and the Humber', 'East Midlands', 'West Midlands', 'East of England', 'London', 'South East', 'South West']; // prettier-ignore
const TYPES = ['Community school', 'Academy converter', 'Voluntary aided school', 'Foundation school', 'Academy sponsor led']; // prettier-ignore
const PHASES = ['Primary', 'Secondary', 'Nursery', 'All-through', 'Not applicable'];
const PLACES = ['Oakfield', 'Brookside', 'Hillcrest', 'Meadowbank', 'Riverside', 'Westfield', 'Côte', 'St Mary’s']; // prettier-ignore

/** A GIAS-shaped file of `rows` establishments in Windows-1252, as GIAS publishes it. */
export function giasFile(rows: number): Buffer {
  const q = (v: string) => (/[",]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const lines = [HEADER.join(',')];
  for (let i = 0; i < rows; i++) {
    const la = 200 + (i % 150);
    const region = REGIONS[la % REGIONS.length]!;
    const name = `${PLACES[i % PLACES.length]} ${['Primary School', 'Academy', 'High School', 'Infant School'][i % 4]} ${i}`;
    lines.push(
      [
        String(100000 + i), String(la), `Authority ${la}`, String(2000 + (i % 7000)), name,
        '1', TYPES[i % TYPES.length]!, i % 10 === 0 ? '2' : '1', i % 10 === 0 ? 'Closed' : 'Open',
        '2', PHASES[i % PHASES.length]!, '4', '11', `${i % 300} High Street`, `Town ${la}`, 'Shire',
        `AB${i % 99} ${i % 9}CD`, 'www.example.sch.uk', '01632960000', 'X', region, '',
      ].map(q).join(','),
    ); // prettier-ignore
  }
  // Windows-1252: Latin-1 but for the curly apostrophe, which is 0x92 there.
  return Buffer.from((lines.join('\r\n') + '\r\n').replace(/\u2019/g, '\x92'), 'latin1');
}

const secs = (ms: number) => (ms / 1000).toFixed(2);

/** The measurement on an open, migrated database; prints a table and returns the figures. */
export async function benchGias(db: Db, rows: number, options: { copy: boolean }) {
  const dir = await mkdtemp(path.join(tmpdir(), 'npq-gias-'));
  const file = path.join(dir, 'gias.csv');
  try {
    await writeFile(file, giasFile(rows));
    await chmod(dir, 0o755);
    await chmod(file, 0o644);
    const deps = { db, clock: systemClock };
    let t = performance.now();
    const first = await importSchools(deps, SYSTEM, createReadStream(file), {
      fileName: 'bench.csv',
    });
    const firstMs = performance.now() - t;
    t = performance.now();
    const again = await importSchools(deps, SYSTEM, createReadStream(file), {
      fileName: 'bench.csv',
    });
    const againMs = performance.now() - t;
    let copyMs: number | null = null;
    if (options.copy) {
      // One transaction: the temporary table and the COPY share a connection.
      copyMs = await db.transaction(async (tx) => {
        await tx.execute(
          sql.raw(
            `create temp table gias_copy (${HEADER.map((_, i) => `c${i} text`).join(', ')}) on commit drop`,
          ),
        );
        const started = performance.now();
        await tx.execute(
          sql.raw(
            `copy gias_copy from '${file}' with (format csv, header true, encoding 'WIN1252')`,
          ),
        );
        return performance.now() - started;
      });
    }
    const line = (label: string, ms: number, detail: string) =>
      `${label.padEnd(34)} ${secs(ms).padStart(7)} s  ${String(Math.round(rows / (ms / 1000))).padStart(9)} rows/s  ${detail}`;
    console.log(
      `\nGIAS schools import: ${rows.toLocaleString('en-GB')} rows (22 columns, Windows-1252)`,
    );
    console.log(
      line('import (first run)', firstMs, `${first.created} added, ${first.rejected} bad`),
    );
    console.log(
      line(
        'import again (idempotent)',
        againMs,
        `${again.updated} updated, ${again.unchanged} unchanged`,
      ),
    );
    if (copyMs !== null) {
      console.log(line('raw COPY into a temp table', copyMs, ''));
      console.log(
        `import / COPY: ${(firstMs / copyMs).toFixed(1)}x (first run), ${(againMs / copyMs).toFixed(1)}x (re-run)`,
      );
    }
    return { firstMs, againMs, copyMs, first, again };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main() {
  const { values: args } = parseArgs({
    options: {
      rows: { type: 'string', default: '50000' },
      pglite: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      url: { type: 'string' },
    },
  });
  const rows = Number(args.rows);
  if (!Number.isInteger(rows) || rows < 1) throw new Error(`--rows must be a positive integer`);
  if (args.pglite) {
    const database = await openDatabase({});
    await migrate(database.db);
    console.log('npq-ops bench:gias on PGlite (in memory)');
    await benchGias(database.db, rows, { copy: false });
    await database.close();
    return;
  }
  const url =
    args.url ?? process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schema = `bench_gias_${Date.now()}`;
  const admin = await openDatabase({ databaseUrl: url, maxConnections: 1 });
  await admin.db.execute(sql.raw(`create schema ${schema}`));
  const database = await openDatabase({ databaseUrl: url, schema, maxConnections: 1 });
  try {
    await migrate(database.db);
    const where = new URL(url);
    console.log(
      `npq-ops bench:gias on PostgreSQL ${where.host}${where.pathname}, schema ${schema}`,
    );
    await benchGias(database.db, rows, { copy: true });
  } finally {
    await database.close();
    if (args.keep) console.log(`Kept schema ${schema} (--keep).`);
    else await admin.db.execute(sql.raw(`drop schema ${schema} cascade`));
    await admin.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
