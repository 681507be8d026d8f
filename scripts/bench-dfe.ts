/**
 * npm run bench:dfe -- [--applications N] [--per-page P] [--pglite] [--url URL] [--keep]
 *
 * Pulls N applications (default 10,000) from the fake DfE API over HTTP into a fresh database
 * schema, through the same code as the scheduled pull (pages, contract check, set-based upserts
 * with history), then pulls again with nothing changed, and times a plain SQL count of the same
 * rows alongside. `npm run bench` runs it too (--dfe 0 skips it there).
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { fixedClock } from '../src/clock.js';
import { openDatabase, queryRows, type Db } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { createDfeClient } from '../src/services/dfe/client.js';
import { pullApplications } from '../src/services/dfe/applications/pull.js';
import { seedApplications, startFakeDfe } from '../src/services/dfe/fake/index.js';

const fmt = (n: number) => Math.round(n).toLocaleString('en-GB');

export async function benchDfe(db: Db, count: number, perPage = 1000): Promise<void> {
  const now = new Date('2026-11-20T09:00:00Z');
  const fake = await startFakeDfe({ now: () => now });
  try {
    seedApplications(fake.state, {
      count,
      schoolUrns: Array.from({ length: 500 }, (_, i) => String(100000 + i * 7)),
      offers: [
        { courseIdentifier: 'npq-headship', cohortYear: 2026 },
        { courseIdentifier: 'npq-senior-leadership', cohortYear: 2026 },
        { courseIdentifier: 'npq-leading-teaching', cohortYear: 2026 },
        { courseIdentifier: 'npq-senco', cohortYear: 2026 },
        { courseIdentifier: 'npq-early-headship-coaching-offer', cohortYear: 2026 },
      ],
      before: now,
    });
    const deps = {
      db,
      clock: fixedClock(now),
      dfe: createDfeClient({ url: fake.url, token: 'bench' }),
    };
    let t = performance.now();
    const first = await pullApplications(deps, { startedBy: 'bench', perPage });
    const firstMs = performance.now() - t;
    const later = fixedClock(new Date(now.getTime() + 15 * 60_000));
    t = performance.now();
    const again = await pullApplications(
      { ...deps, clock: later },
      { startedBy: 'bench', perPage, full: true },
    );
    const againMs = performance.now() - t;
    t = performance.now();
    const [counted] = await queryRows<{ n: number }>(
      db,
      sql`select count(*)::int as n from dfe_application a join dfe_application_version v on v.application_id = a.id`,
    );
    const countMs = performance.now() - t;
    const rows = [
      ['pull, first (all new)', first.received, first.created, first.pages, firstMs],
      ['pull again, full (all unchanged)', again.received, again.unchanged, again.pages, againMs],
      ['plain SQL count of the same rows', counted!.n, 0, 0, countMs],
    ] as const;
    console.log(
      `\nDfE applications pull: ${fmt(count)} from the fake DfE over HTTP, ${perPage} per page`,
    );
    console.log(
      'step                               rows  stored/unchanged  pages  seconds   rows/s',
    );
    for (const [name, n, stored, pages, ms] of rows)
      console.log(
        `${name.padEnd(33)}${fmt(n).padStart(7)}${fmt(stored).padStart(18)}${String(pages).padStart(7)}${(ms / 1000).toFixed(2).padStart(9)}${fmt(n / (ms / 1000)).padStart(9)}`,
      );
    if (first.status !== 'succeeded' || first.created !== count)
      throw new Error(`The pull did not store all ${count}: ${JSON.stringify(first)}`);
  } finally {
    await fake.stop();
  }
}

if (process.argv[1]?.endsWith('bench-dfe.ts')) {
  const { values: args } = parseArgs({
    options: {
      applications: { type: 'string', default: '10000' },
      'per-page': { type: 'string', default: '1000' },
      pglite: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      url: { type: 'string' },
    },
  });
  const url =
    args.url ?? process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schema = `bench_dfe_${Date.now()}`;
  if (!args.pglite) {
    const admin = await openDatabase({ databaseUrl: url, maxConnections: 1 });
    await admin.db.execute(sql.raw(`create schema ${schema}`));
    await admin.close();
  }
  const database = args.pglite
    ? await openDatabase({})
    : await openDatabase({ databaseUrl: url, schema, maxConnections: 4 });
  try {
    await migrate(database.db);
    console.log(
      args.pglite ? 'Database: PGlite (in memory)' : `Database: PostgreSQL, schema ${schema}`,
    );
    await benchDfe(database.db, Number(args.applications), Number(args['per-page']));
  } finally {
    await database.close();
    if (!args.pglite && !args.keep) {
      const admin = await openDatabase({ databaseUrl: url, maxConnections: 1 });
      await admin.db.execute(sql.raw(`drop schema ${schema} cascade`));
      await admin.close();
    }
  }
}
