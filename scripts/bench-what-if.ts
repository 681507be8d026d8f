/**
 * The policy what-if at scale (issue 16): a draft raising the engagement threshold to 95%, run over
 * the whole lead provider as the programme team's page runs it (one set-based statement in a
 * read-only transaction, then the pure comparison). `npm run bench` times it with the other
 * queries; on its own: npx tsx scripts/bench-what-if.ts [--participants N] [--pglite] [--runs R]
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { sql } from 'drizzle-orm';
import { fixedClock } from '../src/clock.js';
import { openDatabase, queryRows, type Db } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { DEFAULT_DEMO_NOW, seedDemo } from '../src/db/seed/demo.js';
import { POLICY_REGISTER_V2_2 } from '../src/policy/register.js';
import { withParameterValues } from '../src/policy/register-versions.js';
import type { Actor } from '../src/services/actor.js';
import { runWhatIf } from '../src/services/policy-what-if.js';

/** Times the 95% what-if over everyone; adds (and afterwards removes) a draft version for it. */
export async function benchWhatIf(
  db: Db,
  runs: number,
): Promise<{
  enrolments: number;
  changed: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
}> {
  const draft = withParameterValues(POLICY_REGISTER_V2_2.parameters, {
    engagementThresholdBp: 9500,
  });
  await db.execute(sql`delete from policy_version where version = 'bench-95'`);
  await db.execute(sql`insert into policy_version (version, status, summary, parameters)
    values ('bench-95', 'draft', 'Bench: threshold 95%', ${JSON.stringify(draft)}::jsonb)`);
  const [leadProvider] = await queryRows<{ id: number }>(
    db,
    sql`select id from lead_provider order by id limit 1`,
  );
  const actor: Actor = {
    userId: 0,
    email: 'bench@npq-ops.test',
    displayName: 'Bench',
    role: 'programme_team',
    leadProviderId: leadProvider?.id ?? null,
    deliveryPartnerId: null,
    participantId: null,
  };
  const deps = { db, clock: fixedClock(DEFAULT_DEMO_NOW) };
  const request = {
    version: 'bench-95',
    scope: { kind: 'all' as const },
    asOf: '2026-03-16',
  };
  try {
    await runWhatIf(deps, actor, request); // warm-up
    const times: number[] = [];
    let last = await runWhatIf(deps, actor, request);
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      last = await runWhatIf(deps, actor, request);
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    return {
      enrolments: last.enrolmentsConsidered,
      changed: last.participantsChanged,
      medianMs: times[Math.floor(times.length / 2)]!,
      minMs: times[0]!,
      maxMs: times.at(-1)!,
    };
  } finally {
    await db.execute(sql`delete from policy_version where version = 'bench-95'`);
  }
}

async function main() {
  const { values: args } = parseArgs({
    options: {
      participants: { type: 'string', default: '100000' },
      pglite: { type: 'boolean', default: false },
      runs: { type: 'string', default: '3' },
      url: {
        type: 'string',
        default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
      },
    },
  });
  const schema = `bench_whatif_${Date.now()}`;
  let database;
  let admin;
  if (args.pglite) database = await openDatabase({});
  else {
    admin = await openDatabase({ databaseUrl: args.url, maxConnections: 1 });
    await admin.db.execute(sql.raw(`create schema ${schema}`));
    database = await openDatabase({ databaseUrl: args.url, schema, maxConnections: 2 });
  }
  try {
    await migrate(database.db);
    const t0 = performance.now();
    await seedDemo(database.db, { participants: Number(args.participants) });
    await database.db.execute(sql`vacuum analyze`);
    console.log(
      `seeded ${args.participants} participants in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    const r = await benchWhatIf(database.db, Number(args.runs));
    console.log(
      `what-if (95% draft, whole lead provider): ${r.enrolments} open enrolments, ${r.changed} would change; median ${r.medianMs.toFixed(0)} ms (min ${r.minMs.toFixed(0)}, max ${r.maxMs.toFixed(0)})`,
    );
  } finally {
    await database.close();
    if (admin) {
      await admin.db.execute(sql.raw(`drop schema ${schema} cascade`));
      await admin.close();
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
