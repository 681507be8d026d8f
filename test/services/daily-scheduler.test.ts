import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import PgBoss from 'pg-boss';
import { fixedClock } from '../../src/clock.js';
import { queryRows } from '../../src/db/client.js';
import { seedCatalogue } from '../../src/db/seed/catalogue.js';
import { DEFAULT_DEMO_NOW, seedDemo } from '../../src/db/seed/demo.js';
import {
  DAILY_CRON,
  DAILY_QUEUE,
  DAILY_TIMEZONE,
  startScheduler,
} from '../../src/services/job-scheduler.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const url = process.env.TEST_DATABASE_URL;

// pg-boss needs a PostgreSQL server; on PGlite the CLI runs the job instead.
describe.skipIf(!url)('daily job scheduler (pg-boss, PostgreSQL only)', () => {
  let t: TestDatabase;
  const bossSchema = `pgboss_${randomBytes(4).toString('hex')}`;
  const logs: string[] = [];
  const logger = {
    info: (_: object, msg?: string) => void logs.push(msg ?? ''),
    error: (_: object, msg?: string) => void logs.push(`error: ${msg ?? ''}`),
  };

  beforeAll(async () => {
    t = await createTestDatabase();
    await seedCatalogue(t.db);
    await seedDemo(t.db, { participants: 40, now: DEFAULT_DEMO_NOW });
  });
  afterAll(async () => {
    await t.db.execute(sql.raw(`drop schema if exists ${bossSchema} cascade`));
    await t.destroy();
  });

  it('schedules the daily run in London time and runs the job when it is due', async () => {
    const stop = await startScheduler({
      databaseUrl: url!,
      db: t.db,
      clock: fixedClock(DEFAULT_DEMO_NOW),
      logger,
      schema: bossSchema,
      pollingIntervalSeconds: 0.5,
    });
    const sender = new PgBoss({ connectionString: url!, schema: bossSchema });
    try {
      const schedules = await queryRows<{ name: string; cron: string; timezone: string }>(
        t.db,
        sql.raw(`select name, cron, timezone from ${bossSchema}.schedule`),
      );
      expect(schedules).toEqual([
        { name: DAILY_QUEUE, cron: DAILY_CRON, timezone: DAILY_TIMEZONE },
      ]);

      await sender.start();
      await sender.send(DAILY_QUEUE, {});
      const deadline = Date.now() + 15_000;
      while (!logs.includes('Daily processing done') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(logs).toContain('Daily processing done');
      const [alerts] = await queryRows<{ n: number }>(
        t.db,
        sql`select count(*)::int as n from engagement_alert`,
      );
      expect(alerts!.n).toBeGreaterThan(0);
    } finally {
      await sender.stop({ graceful: false, wait: true });
      await stop();
    }
  });
});
