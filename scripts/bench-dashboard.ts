/**
 * The staff cohort dashboard over HTTP (issue 13): `GET /cohorts/:id` for the largest 2025 cohort,
 * first page and the last page, signed in as the programme team, one request at a time. Prints the
 * page's size in bytes and the median, min and max time to the last byte. `npm run bench` runs it
 * on PostgreSQL; `npx tsx scripts/bench-dashboard.ts --schema bench_<id>` runs it alone on a kept
 * bench schema.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { createApp } from '../src/app.js';
import { fixedClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { assertSchemaName, openDatabase, queryRows, type Db } from '../src/db/client.js';
import { DEFAULT_DEMO_NOW } from '../src/db/seed/demo.js';
import { hashPassword } from '../src/services/auth.js';

export interface DashboardBenchOptions {
  databaseUrl: string;
  schema: string;
  runs: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function signIn(base: string, email: string, password: string): Promise<string> {
  const form = await fetch(`${base}/sign-in`);
  const cookie = (form.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]).join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  const res = await fetch(`${base}/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ _csrf: csrf, email, password }).toString(),
  });
  if (res.status !== 303) throw new Error(`bench-dashboard sign-in failed: ${res.status}`);
  return (res.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]).join('; ');
}

/** Times the dashboard's first page and last; returns the first page's median in ms. */
export async function benchDashboard(db: Db, options: DashboardBenchOptions): Promise<number> {
  const [cohort] = await queryRows<{
    id: number;
    name: string;
    n: number;
    lead_provider_id: number;
  }>(
    db,
    sql`select c.id, c.name, c.lead_provider_id, count(*)::int as n
        from cohort c join enrolment e on e.cohort_id = c.id
        where c.year = 2025 group by c.id, c.name order by count(*) desc, c.id limit 1`,
  );
  if (!cohort) throw new Error('bench-dashboard: no 2025 cohort');
  const password = randomBytes(12).toString('base64url');
  const email = 'bench.dashboard@npq-ops.test';
  await db.execute(
    sql`insert into app_user (email, display_name, password_hash, role, lead_provider_id)
        values (${email}, 'Bench programme team', ${await hashPassword(password)}, 'programme_team',
                ${cohort.lead_provider_id})
        on conflict (lower(email)) do update set password_hash = excluded.password_hash`,
  );
  const appDb = await openDatabase({
    databaseUrl: options.databaseUrl,
    schema: options.schema,
    maxConnections: 10,
  });
  const app = await createApp({
    db: appDb.db,
    clock: fixedClock(DEFAULT_DEMO_NOW),
    config: loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: options.databaseUrl,
      SESSION_SECRET: randomBytes(32).toString('hex'),
      PUBLIC_URL: 'http://127.0.0.1',
      LOG_LEVEL: 'warn',
    }),
  });
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const cookie = await signIn(base, email, password);
    const lines: string[] = [];
    let firstPageMs = 0;
    for (const [label, query] of [
      ['first page', ''],
      ['page 100 (past the last: the last page)', '?page=100'],
    ] as const) {
      const url = `${base}/cohorts/${cohort.id}${query}`;
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i <= options.runs; i++) {
        const start = performance.now();
        const res = await fetch(url, { headers: { cookie }, redirect: 'manual' });
        const body = Buffer.from(await res.arrayBuffer());
        const t = performance.now() - start;
        if (res.status !== 200) throw new Error(`bench-dashboard: ${url} answered ${res.status}`);
        bytes = body.length;
        if (i > 0) times.push(t); // the first is a warm-up
      }
      if (query === '') firstPageMs = median(times);
      lines.push(
        `${label.padEnd(42)} ${bytes.toLocaleString('en-GB').padStart(12)} ${median(times).toFixed(0).padStart(9)} ${Math.min(
          ...times,
        )
          .toFixed(0)
          .padStart(7)} ${Math.max(...times)
          .toFixed(0)
          .padStart(7)}`,
      );
    }
    console.log(
      `\nStaff cohort dashboard GET /cohorts/${cohort.id} (${cohort.name}, ${cohort.n.toLocaleString('en-GB')} enrolments), ${options.runs} runs after a warm-up`,
    );
    console.log(
      `${'Page'.padEnd(42)} ${'bytes'.padStart(12)} ${'median ms'.padStart(9)} ${'min'.padStart(7)} ${'max'.padStart(7)}`,
    );
    for (const l of lines) console.log(l);
    return firstPageMs;
  } finally {
    await app.close();
    await appDb.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values: args } = parseArgs({
    options: {
      schema: { type: 'string' },
      url: { type: 'string' },
      runs: { type: 'string', default: '5' },
    },
  });
  if (!args.schema)
    throw new Error('--schema bench_<id> (a schema `npm run bench -- --keep` left)');
  const schema = assertSchemaName(args.schema);
  const databaseUrl =
    args.url ?? process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const database = await openDatabase({ databaseUrl, schema, maxConnections: 2 });
  try {
    await benchDashboard(database.db, {
      databaseUrl,
      schema,
      runs: Math.max(1, Number(args.runs)),
    });
  } finally {
    await database.close();
  }
}
