/**
 * npm run bench -- [--participants N] [--pglite] [--keep] [--reuse SCHEMA] [--seed S] [--runs R] [--url URL] [--gias N] [--upload N] [--dfe N] [--http SECONDS] [--connections C]
 *
 * --reuse SCHEMA runs the measurements on a schema an earlier `--keep` run left (migrated to the
 * current migrations, not seeded again; the schema is kept). --http SECONDS (default 10; 0 to skip) times participant reads over
 * HTTP against a bare route (scripts/bench-http.ts), PostgreSQL only.
 *
 * The engagement import (--ingest rows, default 100,000; 0 to skip) is timed on the API path side
 * by side with a raw COPY of the same rows into engagement_record and into a bare table (ratios
 * against the goals, scripts/bench-ingest.ts), and, with --upload rows (default 100,000; 0 to
 * skip), as a CSV file uploaded through the imports page and processed by the import runner.
 *
 * The DfE applications pull (--dfe applications, default 10,000; 0 to skip) is timed after the
 * GIAS import, next to a plain SQL count of the same rows (`npm run bench:dfe` runs it alone).
 *
 * The staff cohort dashboard page (GET /cohorts/:id, largest 2025 cohort, first and last page) is
 * timed over HTTP after the queries, with its size in bytes (scripts/bench-dashboard.ts).
 *
 * The programme reports (issue 16) are timed after the daily job (which raises the engagement
 * alerts the at-risk series counts), each next to a hand-written SQL count of the same figures.
 *
 * The GIAS schools import (--gias rows, default 50,000; 0 to skip) is timed last, against a raw
 * COPY of the same file; `npm run bench:gias` runs that measurement on its own.
 *
 * Seeds the demo generator at scale and times the cohort-wide queries later features need.
 * PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test) in a fresh
 * schema bench_<timestamp>, dropped afterwards unless --keep; or an in-memory PGlite (--pglite).
 *
 * The queries are written inline here for now; they move to the engagement service when it exists.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { sql, type SQL } from 'drizzle-orm';
import {
  assertSchemaName,
  openDatabase,
  queryRows,
  type Database,
  type Db,
} from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { DEFAULT_DEMO_NOW, seedDemo } from '../src/db/seed/demo.js';
import { cohortEngagement, engagementSql } from '../src/db/queries/cohort-engagement.js';
import { londonDateOf } from '../src/policy/index.js';
import { fixedClock } from '../src/clock.js';
import { refreshEngagementSummary } from '../src/services/engagement/summary.js';
import { runDailyProcessing } from '../src/services/daily.js';
import { benchGias } from './bench-gias.js';
import { benchUpload } from './bench-upload.js';
import { benchIngest as benchIngestSideBySide } from './bench-ingest.js';
import { benchDfe } from './bench-dfe.js';
import { benchDeclarations } from './bench-declarations.js';
import { benchReports } from './bench-reports.js';
import { benchHttp } from './bench-http.js';
import { benchWhatIf } from './bench-what-if.js';
import { benchDashboard } from './bench-dashboard.js';

const { values: args } = parseArgs({
  options: {
    participants: { type: 'string', default: '100000' },
    pglite: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    seed: { type: 'string' },
    runs: { type: 'string', default: '5' },
    ingest: { type: 'string', default: '100000' },
    url: { type: 'string' },
    gias: { type: 'string', default: '50000' },
    upload: { type: 'string', default: '100000' },
    dfe: { type: 'string', default: '10000' },
    reuse: { type: 'string' },
    http: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
  },
});

const participants = Number(args.participants);
const runs = Math.max(1, Number(args.runs));
if (!Number.isInteger(participants) || participants < 1) {
  throw new Error(`--participants must be a positive integer, got ${args.participants}`);
}
const url = args.url ?? process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const fmt = (n: number) => Math.round(n).toLocaleString('en-GB');
const ms = (n: number) => (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : fmt(n));

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

// --- The queries --------------------------------------------------------------------------------

const countsPerCohort = sql`
  select c.id, c.name, c.year, count(e.id) as enrolments,
         count(e.id) filter (where e.status = 'active') as active,
         count(e.id) filter (where e.status = 'deferred') as deferred,
         count(e.id) filter (where e.status = 'withdrawn') as withdrawn,
         count(e.id) filter (where e.status like 'completed%') as completed
  from cohort c left join enrolment e on e.cohort_id = c.id
  group by c.id, c.name, c.year order by c.year, c.name`;

/**
 * The heavy one: average engagement of every cohort (a programme-team dashboard). Completed
 * weight is aggregated per participant and programme once (materialized), then joined to
 * enrolments; letting the planner inline it re-ran the aggregate per cohort (25 s at 100,000).
 */
function engagementByHand(cohorts: SQL) {
  return sql`
  with req as (
    select id, programme_id, coalesce(weight, planned_minutes) as w from programme_activity where required
  ), totals as (select programme_id, sum(w) as total from req group by programme_id),
  done as materialized (
    select r.participant_id, req.programme_id, sum(req.w) as completed
    from (select distinct participant_id, activity_id from engagement_record) r
    join req on req.id = r.activity_id
    group by r.participant_id, req.programme_id
  )
  select c.id, c.name, count(e.id) as enrolments,
         round(avg(coalesce(d.completed, 0)::numeric / t.total), 4) as average_engagement
  from cohort c join totals t on t.programme_id = c.programme_id
  left join enrolment e on e.cohort_id = c.id
  left join done d on d.participant_id = e.participant_id and d.programme_id = c.programme_id
  where ${cohorts}
  group by c.id, c.name order by c.id`;
}
const engagementAllCohorts = engagementByHand(sql`true`);

/** One participant's timeline (their dashboard page). */
function participantTimeline(participantId: number): SQL {
  return sql`
    select pa.position, pa.kind, pa.title, r.occurred_at
    from enrolment e join cohort c on c.id = e.cohort_id
    join programme_activity pa on pa.programme_id = c.programme_id
    left join engagement_record r on r.participant_id = e.participant_id and r.activity_id = pa.id
    where e.participant_id = ${participantId}
    order by pa.position`;
}

// --- Running -------------------------------------------------------------------------------------

async function open(): Promise<{
  database: Database;
  label: string;
  schema: string | null;
  cleanup: () => Promise<void>;
}> {
  if (args.reuse) {
    const schema = assertSchemaName(args.reuse);
    const database = await openDatabase({ databaseUrl: url, schema, maxConnections: 2 });
    return {
      database,
      label: `PostgreSQL, reused schema ${schema}`,
      schema,
      cleanup: () => database.close(),
    };
  }
  if (args.pglite) {
    const database = await openDatabase({});
    return {
      database,
      label: 'PGlite (in memory)',
      schema: null,
      cleanup: () => database.close(),
    };
  }
  const schema = `bench_${Date.now()}`;
  const admin = await openDatabase({ databaseUrl: url, maxConnections: 1 });
  await admin.db.execute(sql.raw(`create schema ${schema}`));
  const database = await openDatabase({ databaseUrl: url, schema, maxConnections: 2 });
  const where = new URL(url);
  return {
    database,
    label: `PostgreSQL ${where.host}${where.pathname}, schema ${schema}`,
    schema,
    cleanup: async () => {
      await database.close();
      if (args.keep) console.log(`\nKept schema ${schema} (--keep).`);
      else await admin.db.execute(sql.raw(`drop schema ${schema} cascade`));
      await admin.close();
    },
  };
}

async function time<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await fn();
  return [result, performance.now() - start];
}

async function count(db: Db, table: string): Promise<number> {
  const [row] = await queryRows<{ n: string }>(db, sql.raw(`select count(*) as n from ${table}`));
  return Number(row?.n ?? 0);
}

async function main() {
  const { database, label, schema, cleanup } = await open();
  const { db } = database;
  try {
    console.log(`npq-ops bench: ${fmt(participants)} participants on ${label}\n`);
    // A reused schema is brought up to the current migrations (cheap when it already is).
    if (args.reuse) await migrate(db);
    else await seedAndReport(db);

    // The largest in-progress cohort and its first active participant.
    const [cohort] = await queryRows<{ id: number; name: string; n: string }>(
      db,
      sql`select c.id, c.name, count(*) as n from cohort c join enrolment e on e.cohort_id = c.id
          where c.year = 2025 group by c.id, c.name order by count(*) desc, c.id limit 1`,
    );
    if (!cohort) throw new Error('No 2025 cohort was seeded');
    const [someone] = await queryRows<{ participant_id: number }>(
      db,
      sql`select participant_id from enrolment where cohort_id = ${cohort.id} and status = 'active'
          order by id limit 1`,
    );

    // The per-enrolment engagement summary (enrolment_engagement), worked out from empty for the
    // whole deployment as the job runner does, then again with nothing to do.
    const clock = fixedClock(DEFAULT_DEMO_NOW);
    await db.execute(sql`delete from enrolment_engagement`);
    const [fromEmpty, fromEmptyMs] = await time(() => refreshEngagementSummary({ db, clock }));
    const [again, againMs] = await time(() => refreshEngagementSummary({ db, clock }));
    console.log(
      `Engagement summary refreshed from empty: ${fmt(fromEmpty.stored)} enrolments in ${ms(fromEmptyMs)} ms; again with nothing to do: ${fmt(again.stored)} in ${ms(againMs)} ms\n`,
    );

    // The dashboard's own query (src/db/queries/cohort-engagement.ts), exactly as the app runs it.
    const today = londonDateOf(DEFAULT_DEMO_NOW);
    const everyone = sql`true`;
    const raw = (query: SQL) => () => queryRows(db, query);
    const queries: [string, () => Promise<unknown[]>][] = [
      [
        `engagement per enrolment (${cohort.name}, ${fmt(Number(cohort.n))})`,
        () => cohortEngagement(db, { cohortId: cohort.id, today, visibleTo: everyone }),
      ],
      [
        `the same worked out live (no summary)`,
        raw(
          engagementSql({
            cohorts: sql`c.id = ${cohort.id}`,
            today,
            visibleTo: everyone,
            live: true,
          }),
        ),
      ],
      [
        `average engagement (${cohort.name}), hand-written`,
        raw(engagementByHand(sql`c.id = ${cohort.id}`)),
      ],
      [
        `at-risk list (${cohort.name})`,
        async () =>
          (await cohortEngagement(db, { cohortId: cohort.id, today, visibleTo: everyone })).filter(
            (r) => r.atRisk,
          ),
      ],
      [
        'engagement per enrolment, every cohort (the whole deployment)',
        raw(engagementSql({ cohorts: sql`true`, today, visibleTo: everyone })),
      ],
      [
        'the same worked out live (no summary)',
        raw(engagementSql({ cohorts: sql`true`, today, visibleTo: everyone, live: true })),
      ],
      ['participant counts per cohort', raw(countsPerCohort)],
      ['average engagement, every cohort', raw(engagementAllCohorts)],
      ...(someone
        ? [
            ['one participant timeline', raw(participantTimeline(someone.participant_id))] as [
              string,
              () => Promise<unknown[]>,
            ],
          ]
        : []),
    ];
    const results: string[][] = [];
    const medians: number[] = [];
    for (const [name, run] of queries) {
      await run(); // warm-up
      const times: number[] = [];
      let returned = 0;
      for (let i = 0; i < runs; i++) {
        const [rowsOut, t] = await time(run);
        times.push(t);
        returned = rowsOut.length;
      }
      medians.push(median(times));
      results.push([
        name,
        fmt(returned),
        ms(median(times)),
        ms(Math.min(...times)),
        ms(Math.max(...times)),
      ]);
    }
    console.log(
      `\n${table(['Query (' + runs + ' runs after a warm-up)', 'rows', 'median ms', 'min ms', 'max ms'], results)}`,
    );
    // The dashboard page itself over HTTP, first page and last (PostgreSQL: the app needs a URL).
    const dashboardMs = schema
      ? await benchDashboard(db, { databaseUrl: url, schema, runs })
      : null;
    // Issue 13's cohort figures against their goals (the order of `queries` above).
    const [largest, , largestByHand, , whole, , , byHand] = medians as number[];
    const goals = [
      [
        `engagement per enrolment (${cohort.name})`,
        ms(largest!),
        ms(largestByHand!),
        (largest! / largestByHand!).toFixed(2),
        '≤ 1.5× and < 300 ms',
        largest! <= 1.5 * largestByHand! && largest! < 300 ? 'yes' : 'no',
      ],
      [
        'engagement per enrolment, whole deployment',
        ms(whole!),
        ms(byHand!),
        (whole! / byHand!).toFixed(2),
        '< 1,000 ms',
        whole! < 1000 ? 'yes' : 'no',
      ],
      ...(dashboardMs === null
        ? []
        : [
            [
              'staff cohort dashboard, first page',
              ms(dashboardMs),
              '',
              '',
              '< 200 ms',
              dashboardMs < 200 ? 'yes' : 'no',
            ],
          ]),
    ];
    console.log(
      `\n${table(['Cohort figures (median ms)', 'product', 'hand-written', 'ratio', 'goal', 'met'], goals)}`,
    );
    const whatIf = await benchWhatIf(db, runs);
    console.log(
      `\nPolicy what-if (95% draft, whole lead provider): ${fmt(whatIf.enrolments)} open enrolments, ${fmt(whatIf.changed)} would change; median ${ms(whatIf.medianMs)} ms (min ${ms(whatIf.minMs)}, max ${ms(whatIf.maxMs)})`,
    );
    await benchDeclarations(db, today, DEFAULT_DEMO_NOW, runs);
    await benchIngest(db);
    await benchDaily(db);
    await benchReports(db, DEFAULT_DEMO_NOW, runs);
    if (Number(args.gias) > 0) await benchGias(db, Number(args.gias), { copy: !args.pglite });
    if (Number(args.dfe) > 0) await benchDfe(db, Number(args.dfe));
    if (Number(args.http) > 0 && schema) {
      await benchHttp(db, {
        databaseUrl: url,
        schema,
        seconds: Number(args.http),
        connections: Number(args.connections),
        runs: Math.min(runs, 3),
      });
    }
  } finally {
    await cleanup();
  }
}

async function seedAndReport(db: Db) {
  const [, migrateMs] = await time(() => migrate(db));
  const tty = process.stderr.isTTY;
  let lastReport = 0;
  const [summary, seedMs] = await time(() =>
    seedDemo(db, {
      participants,
      ...(args.seed ? { seed: Number(args.seed) } : {}),
      onProgress: (done, total) => {
        const now = performance.now();
        if (done < total && now - lastReport < 1000) return;
        lastReport = now;
        const line = `  seeding… ${fmt(done)} / ${fmt(total)} participants`;
        if (tty) process.stderr.write(`\r${line}`);
        else console.error(line);
      },
    }),
  );
  if (tty) process.stderr.write('\n');
  // After a bulk load: statistics for the planner, and the visibility map for index-only scans
  // (autovacuum would get there on its own, later).
  const [, analyzeMs] = await time(() => db.execute(sql`vacuum analyze`));

  const counts = {
    schools: await count(db, 'school'),
    cohorts: await count(db, 'cohort'),
    participants: await count(db, 'participant'),
    employments: await count(db, 'participant_employment'),
    enrolments: await count(db, 'enrolment'),
    engagementRecords: await count(db, 'engagement_record'),
  };
  const rows =
    counts.schools +
    counts.participants +
    counts.employments +
    counts.enrolments +
    counts.engagementRecords;
  console.log(
    table(
      ['Generation', 'value'],
      [
        ['migrate (ms)', ms(migrateMs)],
        ['seed (s)', (seedMs / 1000).toFixed(2)],
        ['vacuum analyze (ms)', ms(analyzeMs)],
        ['schools', fmt(counts.schools)],
        ['cohorts', fmt(counts.cohorts)],
        ['participants', fmt(counts.participants)],
        ['enrolments', fmt(counts.enrolments)],
        ['employment rows', fmt(counts.employments)],
        ['engagement records', fmt(counts.engagementRecords)],
        ['rows written', fmt(rows)],
        ['rows/s', fmt(rows / (seedMs / 1000))],
        ['participants/s', fmt(counts.participants / (seedMs / 1000))],
      ],
    ),
  );
  if (counts.engagementRecords !== summary.engagementRecords) {
    throw new Error('Engagement count differs from the seed summary');
  }
}

/**
 * The engagement import path as the API runs it, side by side with a raw COPY of the same rows into
 * engagement_record and into a bare table, then an idempotent re-run (scripts/bench-ingest.ts);
 * then, with --upload, the same number of rows as a CSV file through the imports page.
 */
async function benchIngest(db: Db) {
  const wanted = Number(args.ingest);
  if (!wanted) return;
  const ingest = await benchIngestSideBySide(db, wanted, Math.min(runs, 3));
  const upload = Number(args.upload) > 0 ? await benchUpload(db, Number(args.upload)) : null;
  if (!upload) return;
  console.log(
    `\n${table(
      ['Engagement import', 'rows', 'inserted', 'seconds', 'rows/s'],
      [
        [
          'API path: first run (median)',
          fmt(ingest.rows),
          fmt(ingest.first.inserted),
          (ingest.productMs / 1000).toFixed(2),
          fmt(ingest.rows / (ingest.productMs / 1000)),
        ],
        [
          'page upload: request answered (file staged)',
          fmt(upload.rows),
          '',
          (upload.uploadMs / 1000).toFixed(2),
          fmt(upload.rows / (upload.uploadMs / 1000)),
        ],
        [
          'page upload: job processed',
          fmt(upload.rows),
          fmt(upload.added),
          (upload.processMs / 1000).toFixed(2),
          fmt(upload.rows / (upload.processMs / 1000)),
        ],
        [
          `page upload: total (${(upload.bytes / 1024 / 1024).toFixed(1)} MB, ${upload.status})`,
          fmt(upload.rows),
          fmt(upload.added),
          ((upload.uploadMs + upload.processMs) / 1000).toFixed(2),
          fmt(upload.rows / ((upload.uploadMs + upload.processMs) / 1000)),
        ],
      ],
    )}`,
  );
}

/** The daily job over the whole deployment, then again (it must find nothing left to do). */
async function benchDaily(db: Db) {
  const deps = { db, clock: fixedClock(DEFAULT_DEMO_NOW) };
  const [first, firstMs] = await time(() => runDailyProcessing(deps));
  const [, againMs] = await time(() => runDailyProcessing(deps));
  console.log(
    `\n${table(
      ['Daily job', 'seconds'],
      [
        ['first run', (firstMs / 1000).toFixed(2)],
        ['second run (nothing left to do)', (againMs / 1000).toFixed(2)],
      ],
    )}\n${JSON.stringify(first)}`,
  );
}

await main();
