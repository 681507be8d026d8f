/**
 * Runs the daily processing job on a PostgreSQL server with pg-boss. pg-boss keeps the schedule in
 * the database, so with several app instances the cron fires once; the job's own advisory lock and
 * unique keys make a manual `npq-ops daily` beside it harmless too. PGlite has no scheduler: there
 * the CLI runs the job.
 */
import type PgBoss from 'pg-boss';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { describeError, isConnectionError } from '../db/connection-errors.js';
import { runDailyProcessing } from './daily.js';
import { deliverDueEmails } from './email/delivery.js';
import type { EmailSender } from './email/sender.js';
import { createDfeClient } from './dfe/client.js';
import { runDfeSync } from './dfe/applications/sync.js';
import type { DfeClient } from './dfe/client.js';
import { runDfeOutbox } from './dfe/outbox/runner.js';

export const DAILY_QUEUE = 'npq-ops-daily-processing';
/** 02:15 London time: after midnight imports, before staff start work. */
export const DAILY_CRON = '15 2 * * *';
export const DAILY_TIMEZONE = 'Europe/London';
/** The email outbox is delivered every minute when GOV.UK Notify is configured. */
export const EMAIL_QUEUE = 'npq-ops-email-delivery';
export const EMAIL_CRON = '* * * * *';
/** DfE sync (applications pulled, decisions sent) every 15 minutes when the DfE API is configured. */
export const DFE_QUEUE = 'npq-ops-dfe-sync';
export const DFE_CRON = '*/15 * * * *';

/** The DfE outbox (declarations due, participant changes) every minute when DfE sync is on. */
export const DFE_OUTBOX_QUEUE = 'npq-ops-dfe-outbox';
export const DFE_OUTBOX_CRON = '* * * * *';

export interface SchedulerLogger {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * A run that fails (the database restarting or failing over, say) is retried by pg-boss: the daily
 * run up to 5 times from 1 minute apart, doubling; email delivery runs every minute anyway.
 */
export const DAILY_QUEUE_OPTIONS = {
  name: DAILY_QUEUE,
  policy: 'singleton',
  retryLimit: 5,
  retryDelay: 60,
  retryBackoff: true,
} as const;
export const DFE_QUEUE_OPTIONS = {
  name: DFE_QUEUE,
  policy: 'singleton',
  retryLimit: 2,
  retryDelay: 60,
  retryBackoff: true,
} as const;
export const EMAIL_QUEUE_OPTIONS = {
  name: EMAIL_QUEUE,
  policy: 'singleton',
  retryLimit: 2,
  retryDelay: 20,
} as const;

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
  /** config.publicUrl: links in the daily notices start with it. */
  publicUrl?: string | undefined;
  /** config.dfeApi: with it, DfE sync runs every 15 minutes. */
  dfeApi?: { url: string; token: string } | null;
  /** With a client (DfE sync configured), the DfE outbox runs every minute too. */
  dfeClient?: DfeClient | undefined;
}

/** Starts pg-boss, schedules the daily run and works it; the returned function stops it all. */
export async function startScheduler(options: SchedulerOptions): Promise<() => Promise<void>> {
  // Loaded only here: the embedded database never needs pg-boss, so start-up skips loading it.
  const { default: Boss } = await import('pg-boss');
  const boss = new Boss({
    connectionString: options.databaseUrl,
    ...(options.schema ? { schema: options.schema } : {}),
  });
  // pg-boss reports its own failures (a lost connection while polling, say) here and carries on;
  // logged with the code and message only, never the SQL's parameters.
  boss.on('error', (err) => options.logger.error(describeError(err), 'pg-boss error'));
  await boss.start();
  // 'singleton': at most one daily run is active at a time, whichever instance picks it up.
  await ensureQueue(boss, DAILY_QUEUE_OPTIONS);
  await boss.schedule(DAILY_QUEUE, DAILY_CRON, {}, { tz: DAILY_TIMEZONE });
  await boss.work(
    DAILY_QUEUE,
    { pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2 },
    async (jobs) => {
      for (const job of jobs) {
        const report = await logFailure(options.logger, job.id, 'Daily processing', () =>
          runDailyProcessing({
            db: options.db,
            clock: options.clock,
            ...(options.retentionYearsAfterEnd
              ? { retentionYearsAfterEnd: options.retentionYearsAfterEnd }
              : {}),
            publicUrl: options.publicUrl,
          }),
        );
        options.logger.info({ jobId: job.id, report }, 'Daily processing done');
      }
    },
  );
  options.logger.info(
    { queue: DAILY_QUEUE, cron: DAILY_CRON, tz: DAILY_TIMEZONE },
    'Daily processing scheduled',
  );
  if (options.emailSender) await scheduleEmailDelivery(boss, options, options.emailSender);
  if (options.dfeApi) await scheduleDfeSync(boss, options, options.dfeApi);
  if (options.dfeClient) await scheduleDfeOutbox(boss, options, options.dfeClient);
  return () => boss.stop({ graceful: true, wait: true });
}

/** One delivery run at a time across instances ('singleton'); the run itself is safe to overlap too. */
async function scheduleEmailDelivery(boss: PgBoss, options: SchedulerOptions, sender: EmailSender) {
  await ensureQueue(boss, EMAIL_QUEUE_OPTIONS);
  await boss.schedule(EMAIL_QUEUE, EMAIL_CRON, {});
  await boss.work(
    EMAIL_QUEUE,
    { pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2 },
    async (jobs) => {
      for (const job of jobs) {
        const report = await logFailure(options.logger, job.id, 'Email delivery', () =>
          deliverDueEmails({ db: options.db, clock: options.clock, sender }),
        );
        // Counts only: never addresses or personalisation.
        options.logger.info({ jobId: job.id, report }, 'Email delivery done');
      }
    },
  );
  options.logger.info({ queue: EMAIL_QUEUE, cron: EMAIL_CRON }, 'Email delivery scheduled');
}

/** Pulls applications and sends decisions every 15 minutes, one run at a time across instances. */
async function scheduleDfeSync(
  boss: PgBoss,
  options: SchedulerOptions,
  dfeApi: { url: string; token: string },
) {
  const dfe = createDfeClient(dfeApi);
  await ensureQueue(boss, DFE_QUEUE_OPTIONS);
  await boss.schedule(DFE_QUEUE, DFE_CRON, {});
  await boss.work(
    DFE_QUEUE,
    { pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2 },
    async (jobs) => {
      for (const job of jobs) {
        const report = await logFailure(options.logger, job.id, 'DfE sync', () =>
          runDfeSync({
            db: options.db,
            clock: options.clock,
            dfe,
            logger: {
              info: options.logger.info.bind(options.logger),
              warn: options.logger.error.bind(options.logger),
            },
          }),
        );
        // Counts only: never personal data.
        options.logger.info({ jobId: job.id, report }, 'DfE sync done');
      }
    },
  );
  options.logger.info({ queue: DFE_QUEUE, cron: DFE_CRON }, 'DfE sync scheduled');
}

/** One DfE outbox run at a time across instances ('singleton'); the run is safe to overlap too. */
async function scheduleDfeOutbox(boss: PgBoss, options: SchedulerOptions, client: DfeClient) {
  const queue = {
    name: DFE_OUTBOX_QUEUE,
    policy: 'singleton',
    retryLimit: 2,
    retryDelay: 20,
  } as const;
  await ensureQueue(boss, queue);
  await boss.schedule(DFE_OUTBOX_QUEUE, DFE_OUTBOX_CRON, {});
  await boss.work(
    DFE_OUTBOX_QUEUE,
    { pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2 },
    async (jobs) => {
      for (const job of jobs) {
        const report = await logFailure(options.logger, job.id, 'DfE outbox', () =>
          runDfeOutbox({ db: options.db, clock: options.clock, client }),
        );
        options.logger.info({ jobId: job.id, report }, 'DfE outbox run done');
      }
    },
  );
  options.logger.info({ queue: DFE_OUTBOX_QUEUE, cron: DFE_OUTBOX_CRON }, 'DfE outbox scheduled');
}

/** Creates the queue, or brings an existing one's retry settings up to date. */
async function ensureQueue(boss: PgBoss, queue: PgBoss.Queue) {
  await boss.createQueue(queue.name, queue);
  await boss.updateQueue(queue.name, queue);
}

/** Runs a job's work; a failure is logged (code and message only) and rethrown so pg-boss retries. */
async function logFailure<T>(
  logger: SchedulerLogger,
  jobId: string,
  what: string,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const retry = isConnectionError(error) ? ' (database unavailable)' : '';
    logger.error({ jobId, ...describeError(error) }, `${what} failed${retry}: it will be retried`);
    throw error;
  }
}
