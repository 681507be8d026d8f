/**
 * Runs the daily processing job on a PostgreSQL server with pg-boss. pg-boss keeps the schedule in
 * the database, so with several app instances the cron fires once; the job's own advisory lock and
 * unique keys make a manual `npq-ops daily` beside it harmless too. PGlite has no scheduler: there
 * the CLI runs the job.
 */
import PgBoss from 'pg-boss';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { runDailyProcessing } from './daily.js';
import { deliverDueEmails } from './email/delivery.js';
import type { EmailSender } from './email/sender.js';

export const DAILY_QUEUE = 'npq-ops-daily-processing';
/** 02:15 London time: after midnight imports, before staff start work. */
export const DAILY_CRON = '15 2 * * *';
export const DAILY_TIMEZONE = 'Europe/London';
/** The email outbox is delivered every minute when GOV.UK Notify is configured. */
export const EMAIL_QUEUE = 'npq-ops-email-delivery';
export const EMAIL_CRON = '* * * * *';

export interface SchedulerLogger {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface SchedulerOptions {
  databaseUrl: string;
  db: Db;
  clock: Clock;
  logger: SchedulerLogger;
  /** pg-boss's own schema (default 'pgboss'); tests use one of their own. */
  schema?: string;
  /** How often the worker looks for a due job, in seconds (pg-boss default 2). */
  pollingIntervalSeconds?: number;
  /** With a sender (GOV.UK Notify configured), the outbox is delivered every minute too. */
  emailSender?: EmailSender | undefined;
  /** config.retentionYearsAfterEnd, for the retention step of the daily job. */
  retentionYearsAfterEnd?: number;
}

/** Starts pg-boss, schedules the daily run and works it; the returned function stops it all. */
export async function startScheduler(options: SchedulerOptions): Promise<() => Promise<void>> {
  const boss = new PgBoss({
    connectionString: options.databaseUrl,
    ...(options.schema ? { schema: options.schema } : {}),
  });
  boss.on('error', (err) => options.logger.error({ err }, 'pg-boss error'));
  await boss.start();
  // 'singleton': at most one daily run is active at a time, whichever instance picks it up.
  await boss.createQueue(DAILY_QUEUE, { name: DAILY_QUEUE, policy: 'singleton' });
  await boss.schedule(DAILY_QUEUE, DAILY_CRON, {}, { tz: DAILY_TIMEZONE });
  await boss.work(
    DAILY_QUEUE,
    { pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2 },
    async (jobs) => {
      for (const job of jobs) {
        const report = await runDailyProcessing({
          db: options.db,
          clock: options.clock,
          ...(options.retentionYearsAfterEnd
            ? { retentionYearsAfterEnd: options.retentionYearsAfterEnd }
            : {}),
        });
        options.logger.info({ jobId: job.id, report }, 'Daily processing done');
      }
    },
  );
  options.logger.info(
    { queue: DAILY_QUEUE, cron: DAILY_CRON, tz: DAILY_TIMEZONE },
    'Daily processing scheduled',
  );
  if (options.emailSender) await scheduleEmailDelivery(boss, options, options.emailSender);
  return () => boss.stop({ graceful: true, wait: true });
}

/** One delivery run at a time across instances ('singleton'); the run itself is safe to overlap too. */
async function scheduleEmailDelivery(boss: PgBoss, options: SchedulerOptions, sender: EmailSender) {
  await boss.createQueue(EMAIL_QUEUE, { name: EMAIL_QUEUE, policy: 'singleton' });
  await boss.schedule(EMAIL_QUEUE, EMAIL_CRON, {});
  await boss.work(
    EMAIL_QUEUE,
    { pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2 },
    async (jobs) => {
      for (const job of jobs) {
        const report = await deliverDueEmails({ db: options.db, clock: options.clock, sender });
        // Counts only: never addresses or personalisation.
        options.logger.info({ jobId: job.id, report }, 'Email delivery done');
      }
    },
  );
  options.logger.info({ queue: EMAIL_QUEUE, cron: EMAIL_CRON }, 'Email delivery scheduled');
}
