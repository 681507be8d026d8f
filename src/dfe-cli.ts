import type { Command } from 'commander';
import { systemClock } from './clock.js';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import { migrate } from './db/migrate.js';
import { dfeClientFor } from './services/dfe/applications/connection.js';
import { pullApplications, type PullReport } from './services/dfe/applications/pull.js';
import { SYNC_OFF_MESSAGE } from './services/dfe/applications/sync.js';
import { sql } from 'drizzle-orm';
import { countDueDeclarations, countWithoutMilestones } from './db/queries/declarations-due.js';
import { londonDateOf } from './policy/index.js';
import { refreshStatements } from './services/dfe/declarations/statements.js';
import { syncDeclarations } from './services/dfe/declarations/sync.js';
import { runDfeOutbox, type DfeRunReport } from './services/dfe/outbox/runner.js';
import {
  listMilestoneSchedules,
  setMilestoneSchedule,
} from './services/dfe/declarations/milestones.js';
import { SYSTEM } from './services/actor.js';
import { ValidationError } from './services/errors.js';

type WithDatabase = <T>(config: Config, work: (database: Database) => Promise<T>) => Promise<T>;

/** One line a person (or cron's mail) can read. */
export function formatPullReport(r: PullReport): string {
  const head =
    r.status === 'succeeded'
      ? `DfE applications pulled${r.updatedSince ? ` (changed since ${r.updatedSince})` : ' (all)'}`
      : `DfE pull failed: ${r.error ?? 'unknown error'}`;
  return `${head}. Pages: ${r.pages}; received: ${r.received}; new: ${r.created}; changed: ${r.updated}; unchanged: ${r.unchanged}; parked (not as the contract says): ${r.parked}; retries: ${r.retries}.`;
}

/** One line for a run of the DfE outbox. */
export function formatRunReport(r: DfeRunReport): string {
  const d = r.declarations;
  return (
    `DfE outbox: sent ${r.sent}; reconciled (the DfE already had it) ${r.reconciled}; ` +
    `refused ${r.refused}; parked (answer not as the contract says) ${r.parked}; ` +
    `to retry later ${r.retrying}; failed ${r.failed}; sent again after checking ${r.requeued}. ` +
    `Declarations queued first: ${JSON.stringify(d)}.`
  );
}

/**
 * `npx npq-ops dfe …`: pull, send (alias run), declarations [--queue] and statements — the same
 * work the scheduled jobs do, once, from the command line. Exit 2 when DfE sync is off (where the
 * command needs the DfE), 1 when the work failed.
 */
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
    .alias('run')
    .description(
      'queue the declarations due now, then deliver the DfE outbox once: application decisions, participant changes, declarations and voids',
    )
    .action(() =>
      withDatabase(config, async ({ db }) => {
        const c = client();
        if (!c) return;
        await migrate(db);
        const report = await runDfeOutbox({ db, clock: systemClock, client: c });
        console.log(formatRunReport(report));
        if (report.refused + report.failed + report.parked > 0) process.exitCode = 1;
      }),
    );
  dfe
    .command('declarations')
    .description('count the declarations due today; with --queue, queue them in the DfE outbox')
    .option('--queue', 'queue them (and the voids corrections need); works with DfE sync off')
    .action((options: { queue?: boolean }) =>
      withDatabase(config, async ({ db }) => {
        await migrate(db);
        if (options.queue) {
          const r = await syncDeclarations({ db, clock: systemClock });
          console.log(`Declarations queued in the DfE outbox: ${JSON.stringify(r)}.`);
          if (!config.dfeApi)
            console.log(`${SYNC_OFF_MESSAGE}: they wait in the outbox until it is on.`);
          return;
        }
        const today = londonDateOf(systemClock.now());
        const counts = await countDueDeclarations(db, today);
        console.log(`Declarations due on ${today}: ${JSON.stringify(counts)}.`);
        for (const m of await countWithoutMilestones(db, sql`true`))
          console.log(
            `No DfE milestone dates for ${m.cohort_year} ${m.schedule_identifier}: nothing is declared for its ${m.enrolments} commenced participant(s) until they are entered (npx npq-ops dfe milestones set).`,
          );
      }),
    );
  const milestones = dfe
    .command('milestones')
    .description(
      'list the DfE milestone dates per cohort year and schedule; `set` enters or corrects one',
    )
    .action(() =>
      withDatabase(config, async ({ db }) => {
        await migrate(db);
        const rows = await listMilestoneSchedules({ db }, SYSTEM);
        if (rows.length === 0)
          console.log('No milestone dates: nothing is declared until they are entered.');
        for (const r of rows)
          console.log(
            `${r.cohortYear} ${r.schedule.padEnd(22)} started ${r.startedOn}  retained-1 ${r.retained1On}  ` +
              `retained-2 ${r.retained2On ?? '-'.padEnd(10)}  completed ${r.completedOn}`,
          );
      }),
    );
  milestones
    .command('set')
    .description('enter or correct one cohort year’s dates for a schedule (dates as YYYY-MM-DD)')
    .requiredOption('--year <year>', 'cohort year, e.g. 2026')
    .requiredOption('--schedule <identifier>', 'e.g. npq-leadership-spring')
    .requiredOption('--started <date>', 'the started milestone opens')
    .requiredOption('--retained-1 <date>', 'the retained-1 milestone opens')
    .option('--retained-2 <date>', 'the retained-2 milestone opens (leadership schedules only)')
    .requiredOption('--completed <date>', 'the completed milestone opens')
    .action(
      (opts: {
        year: string;
        schedule: string;
        started: string;
        retained1: string;
        retained2?: string;
        completed: string;
      }) =>
        withDatabase(config, async ({ db }) => {
          await migrate(db);
          try {
            const r = await setMilestoneSchedule(
              { db, clock: systemClock },
              SYSTEM,
              /^\d{4}$/.test(opts.year) ? Number(opts.year) : NaN,
              opts.schedule,
              {
                startedOn: opts.started,
                retained1On: opts.retained1,
                retained2On: opts.retained2 ?? null,
                completedOn: opts.completed,
              },
            );
            console.log(
              `${r.created ? 'Entered' : 'Changed'} the ${r.dates.cohortYear} ${r.dates.schedule} milestone dates: declarations use them from the next run.`,
            );
          } catch (error) {
            if (!(error instanceof ValidationError)) throw error;
            for (const e of error.errors) console.error(`${e.path}: ${e.message}`);
            process.exitCode = 2;
          }
        }),
    );
  dfe
    .command('statements')
    .description('read the DfE statements and the state of our declarations in each')
    .action(() =>
      withDatabase(config, async ({ db }) => {
        const c = client();
        if (!c) return;
        await migrate(db);
        const report = await refreshStatements({ db, clock: systemClock, client: c });
        console.log(`DfE statements read: ${JSON.stringify(report)}.`);
      }),
    );
}
