/**
 * The what-if's statement with and without the as-of counts (issue 16), alternating on the same
 * seeded data: npx tsx scripts/bench-what-if-as-of.ts [--participants N] [--runs R]
 * [--asOf YYYY-MM-DD] [--workMem 64MB] [--explain] [--keep | --schema existing]. With --explain it
 * writes EXPLAIN (ANALYZE, BUFFERS) of the as-of statement to /tmp/what-if-as-of-plan.txt.
 */
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { openDatabase, queryRows, type Db } from '../src/db/client.js';
import { engagementSql } from '../src/db/queries/cohort-engagement.js';
import { migrate } from '../src/db/migrate.js';
import { seedDemo } from '../src/db/seed/demo.js';
import { POLICY_REGISTER_V2_2 } from '../src/policy/register.js';
import type { Actor } from '../src/services/actor.js';
import { cohortVisibleTo, enrolmentVisibleTo } from '../src/services/authorisation.js';

const { values: args } = parseArgs({
  options: {
    participants: { type: 'string', default: '100000' },
    schema: { type: 'string' },
    keep: { type: 'boolean', default: false },
    runs: { type: 'string', default: '5' },
    asOf: { type: 'string', default: '2026-03-16' },
    workMem: { type: 'string' },
    explain: { type: 'boolean', default: false },
    url: {
      type: 'string',
      default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    },
  },
});
const schema = args.schema ?? `bench_asof_${Date.now()}`;
const admin = await openDatabase({ databaseUrl: args.url, maxConnections: 1 });
if (!args.schema) await admin.db.execute(sql.raw(`create schema ${schema}`));
const database = await openDatabase({ databaseUrl: args.url, schema, maxConnections: 2 });
const db: Db = database.db;
try {
  if (!args.schema) {
    await migrate(db);
    const t0 = performance.now();
    await seedDemo(db, { participants: Number(args.participants) });
    await db.execute(sql`vacuum analyze`);
    console.log(`schema ${schema}: seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const [lp] = await queryRows<{ id: number }>(
    db,
    sql`select id from lead_provider order by id limit 1`,
  );
  const actor: Actor = {
    userId: 0,
    email: 'bench@npq-ops.test',
    displayName: 'Bench',
    role: 'programme_team',
    leadProviderId: lp?.id ?? null,
    deliveryPartnerId: null,
    participantId: null,
  };
  // The statement runWhatIf runs over the whole lead provider, with or without the as-of counts.
  const statement = (asOf: boolean) =>
    engagementSql({
      cohorts: cohortVisibleTo(actor),
      visibleTo: sql`(${enrolmentVisibleTo(actor)}) and e.status in ('accepted', 'active', 'deferred')`,
      today: args.asOf,
      completedBy: args.asOf,
      ...(asOf ? { countersAsOf: args.asOf } : {}),
      register: POLICY_REGISTER_V2_2,
    });
  const inTransaction = <T>(work: (tx: Db) => Promise<T>) =>
    db.transaction(async (tx) => {
      await tx.execute(sql`set transaction read only`);
      if (args.workMem) await tx.execute(sql`select set_config('work_mem', ${args.workMem}, true)`);
      return work(tx as unknown as Db);
    });
  if (args.explain) {
    const rows = await inTransaction((tx) =>
      queryRows<{ 'QUERY PLAN': string }>(tx, sql`explain (analyze, buffers) ${statement(true)}`),
    );
    writeFileSync('/tmp/what-if-as-of-plan.txt', rows.map((r) => r['QUERY PLAN']).join('\n'));
    console.log('plan written to /tmp/what-if-as-of-plan.txt');
  }
  const time = async (asOf: boolean) => {
    const start = performance.now();
    const n = await inTransaction(async (tx) => (await queryRows(tx, statement(asOf))).length);
    return { ms: performance.now() - start, n };
  };
  await time(false);
  await time(true);
  const today: number[] = [];
  const asOf: number[] = [];
  let rowsToday = 0;
  let rowsAsOf = 0;
  for (let i = 0; i < Number(args.runs); i++) {
    const a = await time(false);
    const b = await time(true);
    today.push(a.ms);
    asOf.push(b.ms);
    rowsToday = a.n;
    rowsAsOf = b.n;
  }
  const fmt = (v: number[]) => {
    const s = [...v].sort((x, y) => x - y);
    return `median ${s[Math.floor(s.length / 2)]!.toFixed(0)} ms (min ${s[0]!.toFixed(0)}, max ${s.at(-1)!.toFixed(0)})`;
  };
  console.log(`as recorded today: ${rowsToday} rows; ${fmt(today)}`);
  console.log(`as of ${args.asOf}: ${rowsAsOf} rows; ${fmt(asOf)}`);
} finally {
  await database.close();
  if (!args.schema && !args.keep) await admin.db.execute(sql.raw(`drop schema ${schema} cascade`));
  await admin.close();
}
