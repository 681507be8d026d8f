import { sql } from 'drizzle-orm';
import { queryRows } from '../../db/client.js';
import { describeError } from '../../db/connection-errors.js';
import { processImportJob, type ImportProcessDeps } from './process.js';

/**
 * Who runs uploaded imports. On a PostgreSQL server, the job runner (pg-boss): the upload sends a
 * job to the imports queue and whichever instance is free works it, retried if the process dies.
 * On the embedded database (and in tests), a loop in this process. Either way an upload returns
 * as soon as its rows are staged.
 */
export interface ImportQueue {
  /** An import's rows are staged: run it soon. */
  queued(jobId: number): Promise<void>;
  /** Resolves when nothing is queued or running in this process (tests and the bench wait on it). */
  whenIdle(): Promise<void>;
  stop(): Promise<void>;
}

export interface ImportRunnerLogger {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const IMPORT_QUEUE = 'npq-ops-imports';

/** An upload abandoned while its file was arriving (the process stopped) is removed after this. */
const ABANDONED_AFTER = "interval '1 hour'";

async function dueJobs(deps: ImportProcessDeps): Promise<number[]> {
  await deps.db.execute(
    sql`delete from import_job where status = 'receiving'
        and created_at < ${deps.clock.now()}::timestamptz - ${sql.raw(ABANDONED_AFTER)}`,
  );
  const rows = await queryRows<{ id: number }>(
    deps.db,
    sql`select id from import_job where status in ('queued', 'running') order by id`,
  );
  return rows.map((r) => r.id);
}

/**
 * The in-process runner: one import at a time, started at once when a file is queued, and every
 * `intervalMs` it looks for any left queued or interrupted (a restart of this process).
 */
export function startImportLoop(
  deps: ImportProcessDeps & { logger: ImportRunnerLogger; intervalMs?: number },
): ImportQueue {
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  const run = async () => {
    do {
      again = false;
      for (const id of await dueJobs(deps)) {
        if (stopped) return;
        await processImportJob(deps, id).catch((error: unknown) =>
          deps.logger.error({ importJobId: id, ...describeError(error) }, 'Import failed'),
        );
      }
    } while (again && !stopped);
  };
  const tick = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = run()
      .catch((error: unknown) =>
        deps.logger.error(describeError(error), 'Import runner failed; trying again shortly'),
      )
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, deps.intervalMs ?? 10_000);
  timer.unref();
  return {
    async queued() {
      tick();
    },
    async whenIdle() {
      while (running) await running;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

/**
 * The runner on PostgreSQL: pg-boss's imports queue. A job that fails on a lost database
 * connection is retried (from its first row: the imports skip what is already there). Queued jobs
 * whose message was never sent (the process stopped in between) are sent again at start.
 */
export async function startImportWorker(
  deps: ImportProcessDeps & {
    databaseUrl: string;
    logger: ImportRunnerLogger;
    schema?: string;
    pollingIntervalSeconds?: number;
  },
): Promise<ImportQueue> {
  // Loaded only here: the embedded database never needs pg-boss, so start-up skips loading it.
  const { default: Boss } = await import('pg-boss');
  const boss = new Boss({
    connectionString: deps.databaseUrl,
    ...(deps.schema ? { schema: deps.schema } : {}),
  });
  boss.on('error', (err) => deps.logger.error(describeError(err), 'pg-boss error'));
  await boss.start();
  const queue = { name: IMPORT_QUEUE, retryLimit: 3, retryDelay: 30, expireInSeconds: 3600 };
  await boss.createQueue(IMPORT_QUEUE, queue);
  await boss.updateQueue(IMPORT_QUEUE, queue);
  const send = async (jobId: number) => {
    await boss.send(IMPORT_QUEUE, { jobId }, { singletonKey: `import-${jobId}` });
  };
  let active = 0;
  await boss.work<{ jobId: number }>(
    IMPORT_QUEUE,
    { pollingIntervalSeconds: deps.pollingIntervalSeconds ?? 1 },
    async (jobs) => {
      for (const job of jobs) {
        active += 1;
        try {
          await processImportJob(deps, job.data.jobId);
          deps.logger.info({ importJobId: job.data.jobId }, 'Import processed');
        } catch (error) {
          deps.logger.error(
            { importJobId: job.data.jobId, ...describeError(error) },
            'Import failed',
          );
          throw error;
        } finally {
          active -= 1;
        }
      }
    },
  );
  for (const id of await dueJobs(deps)) await send(id);
  return {
    queued: send,
    async whenIdle() {
      // Until nothing is queued or running in the database (whichever instance works it).
      for (;;) {
        const [row] = await queryRows<{ n: number }>(
          deps.db,
          sql`select count(*)::int as n from import_job where status in ('queued', 'running')`,
        );
        if (row!.n === 0 && active === 0) return;
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    stop: () => boss.stop({ graceful: true, wait: true }),
  };
}
