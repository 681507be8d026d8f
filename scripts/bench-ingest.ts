/**
 * npm run bench:ingest -- --reuse SCHEMA [--rows N] [--runs R] [--url URL]
 *
 * The engagement import (issue 13, ingestion) side by side with its two baselines, on the same
 * rows (N evidence rows not yet recorded, default 100,000), in alternating runs:
 *
 *   (a) product: ingestEngagement as the API runs it (per-row shape checks, COPY into a staging
 *       table per chunk, one set-based statement resolving, checking and inserting, audit,
 *       commencement); its rows are deleted again after each run but the last;
 *   (b) a raw COPY of the finished rows straight into engagement_record (its indexes, foreign keys,
 *       checks and the engagement_completion trigger), in a transaction rolled back;
 *   (c) a raw COPY of the same rows into a bare table with the same columns (no index, key,
 *       check or trigger), created in a transaction rolled back;
 *   (d) the floor of the design the issue prescribes, for (c)'s goal: a COPY into a temporary
 *       staging table and one INSERT … SELECT … ON CONFLICT (source, source_event_id) DO NOTHING
 *       into a new table with only the identity primary key and that unique key (no foreign key,
 *       read index, check or trigger, nothing resolved or checked), in a transaction rolled back.
 *       What no import through staging with conflict handling can beat.
 *
 * Goals: a ≥ 75% of b and ≥ 50% of c in rows/s (medians). Then an idempotent re-run of (a).
 * `npm run bench` runs it on its seeded schema (PostgreSQL; on PGlite the COPYs go through
 * '/dev/blob'). Standalone it needs a schema a `npm run bench -- --keep` left (--reuse).
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { sql } from 'drizzle-orm';
import { assertSchemaName, openDatabase, queryRows, type Db } from '../src/db/client.js';
import { copyRows, type CopyRow } from '../src/db/copy.js';
import { DEFAULT_DEMO_NOW } from '../src/db/seed/demo.js';
import { fixedClock } from '../src/clock.js';
import { loadActor, type Actor } from '../src/services/actor.js';
import { ingestEngagement } from '../src/services/engagement/ingest.js';
import type { IngestResult } from '../src/services/engagement/ingest-rows.js';

const COLUMNS =
  '(participant_id, activity_id, kind, occurred_at, source, source_event_id, recorded_at)';
const BARE = `create table engagement_record_bare (participant_id int, activity_id int, kind text,
  occurred_at timestamptz, source text, source_event_id text, recorded_at timestamptz)`;

/** (d): the staging table and a table with only the keys conflict handling and rows need. */
const FLOOR = [
  `create temporary table engagement_stage_floor (participant_id int, activity_id int, kind text,
    occurred_at timestamptz, source text, source_event_id text, recorded_at timestamptz) on commit drop`,
  `create table engagement_record_floor (id bigint generated always as identity primary key,
    participant_id int not null, activity_id int not null, kind text not null,
    occurred_at timestamptz not null, source text not null, source_event_id text not null,
    recorded_at timestamptz not null)`,
  `create unique index engagement_record_floor_uq on engagement_record_floor (source, source_event_id)`,
];
const FLOOR_INSERT = `insert into engagement_record_floor ${COLUMNS}
  select participant_id, activity_id, kind, occurred_at, source, source_event_id, recorded_at
  from engagement_stage_floor on conflict (source, source_event_id) do nothing`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-GB');

class RolledBack extends Error {}

/** Times `work` inside a transaction that is then rolled back; returns milliseconds. */
async function timedRollback(db: Db, work: (tx: Db) => Promise<unknown>): Promise<number> {
  let ms = 0;
  try {
    await db.transaction(async (tx) => {
      const start = performance.now();
      await work(tx as unknown as Db);
      ms = performance.now() - start;
      throw new RolledBack();
    });
  } catch (error) {
    if (!(error instanceof RolledBack)) throw error;
  }
  return ms;
}

async function benchActor(db: Db): Promise<Actor> {
  const [admin] = await queryRows<{ id: number }>(
    db,
    sql`select id from app_user where role = 'admin' limit 1`,
  );
  const actor = admin ? await loadActor(db, admin.id) : null;
  return (
    actor ?? {
      userId: 0,
      email: 'bench@npq-ops.test',
      displayName: 'Bench',
      role: 'admin',
      leadProviderId: null,
      deliveryPartnerId: null,
      participantId: null,
    }
  );
}

export interface IngestBench {
  rows: number;
  runs: number;
  productMs: number;
  tableCopyMs: number;
  bareCopyMs: number;
  /** (d), the prescribed design's floor. */
  floorMs: number;
  first: IngestResult;
  again: IngestResult;
  againMs: number;
}

/** The measurement on an open, seeded database; prints the tables and returns the figures. */
export async function benchIngest(db: Db, wanted: number, runs: number): Promise<IngestBench> {
  const pairs = await queryRows<{ participant_id: number; activity_id: number; kind: string }>(
    db,
    sql`select e.participant_id, a.id as activity_id, a.kind
        from enrolment e join cohort c on c.id = e.cohort_id
        join programme_activity a on a.programme_id = c.programme_id
        where e.status = 'active'
          and not exists (select 1 from engagement_record r where r.participant_id = e.participant_id and r.activity_id = a.id)
        order by e.id, a.position limit ${wanted}`,
  );
  const actor = await benchActor(db);
  const occurredAt = new Date(DEFAULT_DEMO_NOW.getTime() - 86_400_000).toISOString();
  const input = pairs.map((r) => ({
    participant: `id:${r.participant_id}`,
    activityId: r.activity_id,
    kind: r.kind,
    occurredAt,
    source: 'import',
    sourceEventId: `bench-${r.participant_id}-${r.activity_id}`,
  }));
  // What the product ends up writing, as COPY rows: the baselines' input.
  const recordedAt = DEFAULT_DEMO_NOW.toISOString();
  const finished: CopyRow[] = input.map((r, i) => [
    String(pairs[i]!.participant_id),
    String(r.activityId),
    r.kind,
    r.occurredAt,
    r.source,
    r.sourceEventId,
    recordedAt,
  ]);
  const deps = { db, clock: fixedClock(DEFAULT_DEMO_NOW) };
  const times = {
    product: [] as number[],
    table: [] as number[],
    bare: [] as number[],
    floor: [] as number[],
  };
  let first: IngestResult | null = null;
  for (let run = 0; run < runs; run++) {
    times.table.push(
      await timedRollback(db, (tx) => copyRows(tx, `engagement_record ${COLUMNS}`, finished)),
    );
    times.bare.push(
      await timedRollback(db, async (tx) => {
        await tx.execute(sql.raw(BARE));
        return copyRows(tx, `engagement_record_bare ${COLUMNS}`, finished);
      }),
    );
    times.floor.push(
      await timedRollback(db, async (tx) => {
        for (const statement of FLOOR) await tx.execute(sql.raw(statement));
        await copyRows(tx, `engagement_stage_floor ${COLUMNS}`, finished);
        await tx.execute(sql.raw(FLOOR_INSERT));
      }),
    );
    const start = performance.now();
    first = await ingestEngagement(deps, actor, input);
    times.product.push(performance.now() - start);
    if (first.inserted !== input.length) {
      throw new Error(`The product path inserted ${first.inserted} of ${input.length} rows`);
    }
    if (run < runs - 1) {
      // Not yet recorded again, for the next run (untimed).
      await db.execute(
        sql`delete from engagement_record where source = 'import' and source_event_id like 'bench-%'`,
      );
    }
  }
  const againStart = performance.now();
  const again = await ingestEngagement(deps, actor, input);
  const againMs = performance.now() - againStart;

  const rate = (ms: number) => input.length / (ms / 1000);
  const productMs = median(times.product);
  const tableCopyMs = median(times.table);
  const bareCopyMs = median(times.bare);
  const floorMs = median(times.floor);
  const widths = [58, 9, 9, 7, 6, 4];
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(
    `\nEngagement import, ${fmt(input.length)} new rows, rows/s, median of ${runs} alternating runs`,
  );
  console.log(line(['Figure', 'product', 'baseline', 'ratio', 'goal', 'met']));
  for (const [label, measuredMs, baselineMs, goal] of [
    ['import (API path) vs raw COPY into engagement_record', productMs, tableCopyMs, 0.75],
    ['import (API path) vs raw COPY into a bare table', productMs, bareCopyMs, 0.5],
    ["the design's floor (staging + ON CONFLICT, keys only) vs bare", floorMs, bareCopyMs, 0.5],
  ] as const) {
    const ratio = rate(measuredMs) / rate(baselineMs);
    console.log(
      line([
        label,
        fmt(rate(measuredMs)),
        fmt(rate(baselineMs)),
        `${(ratio * 100).toFixed(1)}%`,
        `≥ ${goal * 100}%`,
        ratio >= goal ? 'yes' : 'no',
      ]),
    );
  }
  const ms = (xs: number[]) => xs.map((x) => fmt(x)).join(', ');
  console.log(
    `runs (ms): product ${ms(times.product)}; COPY into engagement_record ${ms(times.table)}; COPY into a bare table ${ms(times.bare)}; the design's floor ${ms(times.floor)}`,
  );
  console.log(
    `re-run of the same rows (idempotent): ${fmt(again.inserted)} inserted, ${fmt(again.duplicates)} already there, ${(againMs / 1000).toFixed(2)} s, ${fmt(rate(againMs))} rows/s`,
  );
  return {
    rows: input.length,
    runs,
    productMs,
    tableCopyMs,
    bareCopyMs,
    floorMs,
    first: first!,
    again,
    againMs,
  };
}

async function main() {
  const { values: args } = parseArgs({
    options: {
      reuse: { type: 'string' },
      rows: { type: 'string', default: '100000' },
      runs: { type: 'string', default: '3' },
      url: { type: 'string' },
    },
  });
  if (!args.reuse) throw new Error('--reuse SCHEMA (a schema `npm run bench -- --keep` left)');
  const url =
    args.url ?? process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schema = assertSchemaName(args.reuse);
  const database = await openDatabase({ databaseUrl: url, schema, maxConnections: 2 });
  try {
    console.log(`npq-ops bench:ingest on PostgreSQL, schema ${schema}`);
    await benchIngest(database.db, Number(args.rows), Math.max(1, Number(args.runs)));
    // Leave the schema as it was: the rows of the last run and the re-run go again.
    await database.db.execute(
      sql`delete from engagement_record where source = 'import' and source_event_id like 'bench-%'`,
    );
  } finally {
    await database.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
