import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { fixedClock } from '../../src/clock.js';
import { queryRows } from '../../src/db/client.js';
import { seedCatalogue } from '../../src/db/seed/catalogue.js';
import { DEFAULT_DEMO_NOW, seedDemo } from '../../src/db/seed/demo.js';
import { loadActor } from '../../src/services/actor.js';
import { startImportLoop, startImportWorker } from '../../src/services/imports/runner.js';
import { stageImport } from '../../src/services/imports/upload.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const url = process.env.TEST_DATABASE_URL;
const clock = fixedClock(DEFAULT_DEMO_NOW);
const logger = { info: () => undefined, error: () => undefined };

let t: TestDatabase;
let csv: string;

beforeAll(async () => {
  t = await createTestDatabase();
  await seedCatalogue(t.db);
  await seedDemo(t.db, { participants: 6, withUsers: true, now: DEFAULT_DEMO_NOW });
  const rows = await queryRows<{ participant_id: number; activity_id: number }>(
    t.db,
    sql`select e.participant_id, a.id as activity_id from enrolment e join cohort c on c.id = e.cohort_id
        join programme_activity a on a.programme_id = c.programme_id order by e.id, a.position limit 40`,
  );
  const when = new Date(DEFAULT_DEMO_NOW.getTime() - 86_400_000).toISOString();
  csv = [
    'participant,activity_id,occurred_at,source_event_id',
    ...rows.map((r, i) => `id:${r.participant_id},${r.activity_id},${when},worker-${i}`),
  ].join('\n');
});
afterAll(async () => {
  await t?.destroy();
});

async function stage(name: string) {
  const [admin] = await queryRows<{ id: number }>(
    t.db,
    sql`select id from app_user where role = 'admin' limit 1`,
  );
  const actor = (await loadActor(t.db, admin!.id))!;
  return stageImport(
    { db: t.db, clock },
    actor,
    'engagement',
    Readable.from([Buffer.from(csv)]),
    name,
  );
}

async function statusOf(id: number) {
  const [row] = await queryRows<{ status: string; added: number; rows_processed: number }>(
    t.db,
    sql`select status, added, rows_processed from import_job where id = ${id}`,
  );
  return row;
}

describe('the in-process import runner', () => {
  it('runs a queued import, and one left queued or interrupted when it starts', async () => {
    const left = await stage('left-over.csv');
    // As if the process had stopped mid-run.
    await t.db.execute(sql`update import_job set status = 'running' where id = ${left.id}`);
    const loop = startImportLoop({ db: t.db, clock, publicUrl: 'http://x.test', logger });
    try {
      const queued = await stage('new.csv');
      await loop.queued(queued.id);
      await loop.whenIdle();
      expect(await statusOf(left.id)).toMatchObject({ status: 'completed', rows_processed: 40 });
      expect(await statusOf(queued.id)).toMatchObject({ status: 'completed', rows_processed: 40 });
    } finally {
      await loop.stop();
    }
  });
});

// pg-boss needs a PostgreSQL server; on the embedded database the loop above runs imports.
describe.skipIf(!url)('imports on the job runner (pg-boss, PostgreSQL only)', () => {
  const bossSchema = `pgboss_${randomBytes(4).toString('hex')}`;
  afterAll(async () => {
    await t.db.execute(sql.raw(`drop schema if exists ${bossSchema} cascade`));
  });

  it('works an import sent to the imports queue', async () => {
    await t.db.execute(sql`delete from engagement_record where source_event_id like 'worker-%'`);
    const job = await stage('worker.csv');
    const queue = await startImportWorker({
      databaseUrl: url!,
      db: t.db,
      clock,
      publicUrl: 'http://x.test',
      logger,
      schema: bossSchema,
      pollingIntervalSeconds: 0.5,
    });
    try {
      await queue.queued(job.id);
      const deadline = Date.now() + 20_000;
      while ((await statusOf(job.id))?.status !== 'completed' && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 200));
      expect(await statusOf(job.id)).toMatchObject({ status: 'completed', added: 40 });
      const [jobs] = await queryRows<{ n: number }>(
        t.db,
        sql.raw(`select count(*)::int as n from ${bossSchema}.job where name = 'npq-ops-imports'`),
      );
      expect(jobs!.n).toBeGreaterThan(0);
    } finally {
      await queue.stop();
    }
  });
});
