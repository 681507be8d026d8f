import type { Command } from 'commander';
import { systemClock } from './clock.js';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import { migrate } from './db/migrate.js';
import { dfeClientFor } from './services/dfe/applications/connection.js';
import { deliverApplicationActions } from './services/dfe/applications/deliver.js';
import { pullApplications, type PullReport } from './services/dfe/applications/pull.js';
import { SYNC_OFF_MESSAGE } from './services/dfe/applications/sync.js';

type WithDatabase = <T>(config: Config, work: (database: Database) => Promise<T>) => Promise<T>;

/** One line a person (or cron's mail) can read. */
export function formatPullReport(r: PullReport): string {
  const head =
    r.status === 'succeeded'
      ? `DfE applications pulled${r.updatedSince ? ` (changed since ${r.updatedSince})` : ' (all)'}`
      : `DfE pull failed: ${r.error ?? 'unknown error'}`;
  return `${head}. Pages: ${r.pages}; received: ${r.received}; new: ${r.created}; changed: ${r.updated}; unchanged: ${r.unchanged}; parked (not as the contract says): ${r.parked}; retries: ${r.retries}.`;
}

/** `dfe pull` and `dfe send`: the same work the scheduled job does, once, from the command line. */
export function registerDfeCommands(
  program: Command,
  config: Config,
  withDatabase: WithDatabase,
): void {
  const dfe = program
    .command('dfe')
    .description('the DfE lead provider API (needs DFE_API_URL and DFE_API_TOKEN)');
  const client = () => {
    const c = dfeClientFor(config.dfeApi);
    if (!c) {
      console.error(`${SYNC_OFF_MESSAGE}.`);
      process.exitCode = 2;
    }
    return c;
  };
  dfe
    .command('pull')
    .description(
      'pull the NPQ applications changed since the last successful pull (--full: all of them)',
    )
    .option('--full', 'ignore the last pull and read every application')
    .option(
      '--per-page <n>',
      'records per page (1 to 3000)',
      (v) => Math.min(3000, Math.max(1, Number(v) || 1000)),
      1000,
    )
    .action((opts: { full?: boolean; perPage: number }) =>
      withDatabase(config, async ({ db }) => {
        const c = client();
        if (!c) return;
        await migrate(db);
        const report = await pullApplications(
          { db, clock: systemClock, dfe: c },
          { startedBy: 'system:cli', perPage: opts.perPage, ...(opts.full ? { full: true } : {}) },
        );
        console.log(formatPullReport(report));
        if (report.status !== 'succeeded') process.exitCode = 1;
      }),
    );
  dfe
    .command('send')
    .description(
      'send the application decisions that are due to the DfE (accept, reject, change of funded place)',
    )
    .action(() =>
      withDatabase(config, async ({ db }) => {
        const c = client();
        if (!c) return;
        await migrate(db);
        const r = await deliverApplicationActions({ db, clock: systemClock, dfe: c });
        console.log(
          `Decisions sent to the DfE: ${r.sent}; to retry later: ${r.retrying}; refused: ${r.failed}.`,
        );
      }),
    );
}
