import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import PgBoss from 'pg-boss';
import { systemClock } from '../../src/clock.js';
import { queryRows } from '../../src/db/client.js';
import { enqueueEmail } from '../../src/services/email/outbox.js';
import { EMAIL_CRON, EMAIL_QUEUE, startScheduler } from '../../src/services/job-scheduler.js';
import { FakeEmailSender } from '../support/fake-email-sender.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const url = process.env.TEST_DATABASE_URL;

// pg-boss needs a PostgreSQL server; on the embedded database `serve` runs a loop in-process instead.
describe.skipIf(!url)('email delivery on the job runner (pg-boss, PostgreSQL only)', () => {
  let t: TestDatabase;
  const bossSchema = `pgboss_${randomBytes(4).toString('hex')}`;
  const logs: string[] = [];
  const logger = {
    info: (o: object, msg?: string) => void logs.push(`${msg ?? ''} ${JSON.stringify(o)}`),
    error: (_: object, msg?: string) => void logs.push(`error: ${msg ?? ''}`),
  };

  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t.db.execute(sql.raw(`drop schema if exists ${bossSchema} cascade`));
    await t.destroy();
  });

  it('is scheduled every minute when Notify is configured, and delivers the outbox', async () => {
    await enqueueEmail(t.db, {
      template: 'password_changed',
      to: 'jo@example.test',
      personalisation: { name: 'Jo', when: 'today' },
      subject: { type: 'app_user', id: 1 },
    });
    const emailSender = new FakeEmailSender();
    const stop = await startScheduler({
      databaseUrl: url!,
      db: t.db,
      clock: systemClock,
      logger,
      schema: bossSchema,
      pollingIntervalSeconds: 0.5,
      emailSender,
    });
    const boss = new PgBoss({ connectionString: url!, schema: bossSchema });
    try {
      const schedules = await queryRows<{ name: string; cron: string }>(
        t.db,
        sql.raw(`select name, cron from ${bossSchema}.schedule order by name`),
      );
      expect(schedules).toContainEqual({ name: EMAIL_QUEUE, cron: EMAIL_CRON });
      await boss.start();
      await boss.send(EMAIL_QUEUE, {});
      const deadline = Date.now() + 15_000;
      while (emailSender.sent.length === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 200));
      expect(emailSender.sent.map((s) => s.to)).toEqual(['jo@example.test']);
      const [row] = await queryRows<{ status: string }>(
        t.db,
        sql`select status from email_message`,
      );
      expect(row!.status).toBe('sent');
      // Counts only in the logs.
      expect(logs.join('\n')).not.toContain('jo@example.test');
    } finally {
      await boss.stop({ graceful: false, wait: true });
      await stop();
    }
  });
});
