import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import PgBoss from 'pg-boss';
import { systemClock } from '../../../src/clock.js';
import { queryRows } from '../../../src/db/client.js';
import {
  seedApplications,
  startFakeDfe,
  type FakeDfe,
} from '../../../src/services/dfe/fake/index.js';
import { startDfeSyncLoop } from '../../../src/services/dfe/applications/runner.js';
import { DFE_CRON, DFE_QUEUE, startScheduler } from '../../../src/services/job-scheduler.js';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.js';

const url = process.env.TEST_DATABASE_URL;
const logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

let t: TestDatabase;
let fake: FakeDfe;
beforeAll(async () => {
  t = await createTestDatabase();
  fake = await startFakeDfe();
  seedApplications(fake.state, {
    count: 7,
    schoolUrns: ['100001'],
    offers: [{ courseIdentifier: 'npq-senco', cohortYear: 2026 }],
    before: new Date(),
  });
});
afterAll(async () => {
  await fake?.stop();
  await t?.destroy();
});

const applications = async () =>
  Number(
    (await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from dfe_application`))[0]!
      .n,
  );
async function until(check: () => Promise<boolean>, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!(await check()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
}

// pg-boss needs a PostgreSQL server; on the embedded database `serve` runs a loop in-process.
describe.skipIf(!url)('DfE sync on the job runner (pg-boss, PostgreSQL only)', () => {
  const bossSchema = `pgboss_${randomBytes(4).toString('hex')}`;
  afterAll(async () => {
    await t.db.execute(sql.raw(`drop schema if exists ${bossSchema} cascade`));
  });

  it('is scheduled every 15 minutes when the DfE API is configured, and pulls the applications', async () => {
    await t.db.execute(
      sql`truncate dfe_application_version, dfe_parked_response, dfe_application, dfe_pull restart identity cascade`,
    );
    const stop = await startScheduler({
      databaseUrl: url!,
      db: t.db,
      clock: systemClock,
      logger,
      schema: bossSchema,
      pollingIntervalSeconds: 0.5,
      dfeApi: { url: fake.url, token: 'fake' },
    });
    const boss = new PgBoss({ connectionString: url!, schema: bossSchema });
    try {
      const schedules = await queryRows<{ name: string; cron: string }>(
        t.db,
        sql.raw(`select name, cron from ${bossSchema}.schedule order by name`),
      );
      expect(schedules).toContainEqual({ name: DFE_QUEUE, cron: DFE_CRON });
      expect(DFE_CRON).toBe('*/15 * * * *');
      await boss.start();
      await boss.send(DFE_QUEUE, {});
      await until(async () => (await applications()) === 7);
      expect(await applications()).toBe(7);
    } finally {
      await boss.stop({ graceful: false });
      await stop();
    }
  });
});

describe('DfE sync on the embedded database (in-process loop)', () => {
  it('pulls at start-up and stops cleanly', async () => {
    await t.db.execute(
      sql`truncate dfe_application_version, dfe_parked_response, dfe_application, dfe_pull restart identity cascade`,
    );
    const stop = startDfeSyncLoop({
      db: t.db,
      clock: systemClock,
      dfeApi: { url: fake.url, token: 'fake' },
      logger,
    });
    await until(async () => (await applications()) === 7);
    await stop();
    expect(await applications()).toBe(7);
    const [pull] = await queryRows<{ started_by: string; status: string }>(
      t.db,
      sql`select started_by, status from dfe_pull`,
    );
    expect(pull).toEqual({ started_by: 'system:schedule', status: 'succeeded' });
  });
});
