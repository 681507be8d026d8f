import { mkdir } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import { fixedClock, systemClock, type Clock } from './clock.js';
import { isIsoDate } from './policy/dates.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { openDatabase, type Database } from './db/client.js';
import { migrate } from './db/migrate.js';
import { seedCatalogue } from './db/seed/catalogue.js';
import { DEMO_PASSWORD, seedDemo } from './db/seed/demo.js';
import { prepareDatabase } from './services/bootstrap.js';
import { importParticipantsCsv } from './services/participant-import.js';
import { runDailyProcessing } from './services/daily.js';
import { startScheduler } from './services/job-scheduler.js';
import { registerEmailCommands } from './email-cli.js';
import { registerTokenCommands } from './token-cli.js';
import { registerPrivacyCommands } from './privacy-cli.js';
import { registerDfeCommands } from './dfe-cli.js';
import { startDfeSyncLoop } from './services/dfe/applications/runner.js';
import { createNotifySender } from './services/email/sender.js';
import { startDeliveryLoop } from './services/email/runner.js';
import { startImportWorker } from './services/imports/runner.js';
import { createDfeClient } from './services/dfe/client.js';
import { startDfeOutboxLoop } from './services/dfe/outbox/runner.js';
import {
  refreshEngagementSummary,
  startEngagementSummaryLoop,
} from './services/engagement/summary.js';
import { registerTransferCommands } from './transfer-cli.js';
import { registerCohortCommands } from './cohort-cli.js';
import { registerPolicyCommands } from './policy-cli.js';
import { tuneServerRuntime } from './server-runtime.js';
import { AdminExistsError, createFirstAdmin } from './services/accounts/bootstrap.js';
import { ValidationError } from './services/errors.js';
import { importSchoolsFile } from './services/schools-import-cli.js';
import { createLogger } from './logger.js';
import { describeError } from './db/connection-errors.js';
import { guardConnectionFaults } from './db/connection-guard.js';

async function withDatabase<T>(
  config: Config,
  work: (database: Database) => Promise<T>,
): Promise<T> {
  if (!config.databaseUrl) await mkdir(config.dataDir, { recursive: true });
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    return await work(database);
  } finally {
    await database.close();
  }
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError('must be a whole number of 1 or more');
  return n;
}

/**
 * The clock the daily job runs on: the real one, or with --as-of a fixed instant on that day
 * (12:00 UTC, the same day in London in any season). Production runs on the real date only.
 * Null, with exit code 2 and a message, when the option is refused.
 */
function dailyClockFor(config: Config, asOf: string | undefined): Clock | null {
  if (asOf === undefined) return systemClock;
  if (config.env === 'production') {
    console.error(
      '--as-of is for tests, training and demos and is refused in production: the daily job runs for today.',
    );
    process.exitCode = 2;
    return null;
  }
  if (!isIsoDate(asOf)) {
    console.error(`--as-of must be a date as YYYY-MM-DD, like 2026-01-15 (got "${asOf}").`);
    process.exitCode = 2;
    return null;
  }
  return fixedClock(`${asOf}T12:00:00Z`);
}

function describeDatabase(config: Config): string {
  return config.databaseUrl
    ? 'PostgreSQL (DATABASE_URL)'
    : `embedded PostgreSQL (PGlite) in ${config.dataDir}`;
}

export function buildCli(config: Config): Command {
  const program = new Command('npq-ops').description(
    'Run NPQ programmes: policy-checked, audited.',
  );

  program
    .command('migrate')
    .description('apply database migrations')
    .action(() =>
      withDatabase(config, async ({ db }) => {
        const { applied, alreadyApplied } = await migrate(db);
        console.log(
          `Migrations applied: ${applied.length} (${applied.join(', ') || 'none'}); already applied: ${alreadyApplied}.`,
        );
      }),
    );

  program
    .command('seed')
    .description(
      'add the NPQ catalogue; with --demo, a demo lead provider, cohorts, participants and sign-ins',
    )
    .option('--demo', 'add demo data (never in production)')
    .option('--participants <n>', 'number of demo participants', positiveInteger, 100)
    .option('--seed <n>', 'random seed for the demo generator', positiveInteger, 1)
    .action((opts: { demo?: boolean; participants: number; seed: number }) =>
      withDatabase(config, async ({ db }) => {
        await migrate(db);
        await seedCatalogue(db);
        console.log('NPQ catalogue ready.');
        if (!opts.demo) return;
        if (!config.allowDemoData)
          throw new Error('Demo data is never created in production (NODE_ENV=production).');
        const started = performance.now();
        const summary = await seedDemo(db, {
          participants: opts.participants,
          seed: opts.seed,
          withUsers: true,
          now: systemClock.now(),
          onProgress: (done, total) => process.stderr.write(`\rParticipants: ${done}/${total}`),
        });
        process.stderr.write('\n');
        console.log(
          `Demo data seeded in ${((performance.now() - started) / 1000).toFixed(1)} s:`,
          summary,
        );
      }),
    );

  program
    .command('serve')
    .description(`serve the web app on HOST:PORT (default localhost:3000)`)
    .action(async () => {
      tuneServerRuntime();
      if (!config.databaseUrl) await mkdir(config.dataDir, { recursive: true });
      // Lost connections are logged and replaced; they never end the process (see src/db/client.ts).
      const dbLog = createLogger(config).child({ component: 'database' });
      guardConnectionFaults(dbLog);
      // The web app's modules load while the database opens (PGlite compiles its WebAssembly
      // off the main thread meanwhile): start-up is the longer of the two, not their sum.
      const [database, { createApp, startEngagementAnswerWarmer }] = await Promise.all([
        openDatabase({
          databaseUrl: config.databaseUrl,
          dataDir: config.dataDir,
          onConnectionError: (error) =>
            dbLog.warn(describeError(error), 'database connection lost; the pool will reconnect'),
        }),
        import('./app.js'),
      ]);
      const report = await prepareDatabase(database.db, config, systemClock.now());
      // Uploaded imports: pg-boss's imports queue on a PostgreSQL server, else a loop in this process.
      const importQueue = config.databaseUrl
        ? await startImportWorker({
            databaseUrl: config.databaseUrl,
            db: database.db,
            clock: systemClock,
            publicUrl: config.publicUrl,
            logger: dbLog,
          })
        : undefined;
      // The engagement API's answers of enrolments read, stored every second (issue 13).
      const engagementAnswers = startEngagementAnswerWarmer({
        db: database.db,
        clock: systemClock,
        logger: dbLog,
      });
      const app = await createApp({
        db: database.db,
        clock: systemClock,
        config,
        engagementAnswers,
        ...(importQueue ? { importQueue } : {}),
      });
      // With no Notify key nothing is sent: emails wait in the outbox (the mailbox page shows them).
      const emailSender = config.notify ? createNotifySender(config.notify) : undefined;
      // With DFE_API_URL and DFE_API_TOKEN the DfE outbox is delivered; without, it only fills.
      const dfeClient = config.dfeApi ? createDfeClient(config.dfeApi) : undefined;
      // On a PostgreSQL server pg-boss runs the daily job; on the embedded database run `npq-ops daily` (e.g. from cron).
      const stopScheduler = config.databaseUrl
        ? await startScheduler({
            databaseUrl: config.databaseUrl,
            db: database.db,
            clock: systemClock,
            logger: app.log,
            emailSender,
            retentionYearsAfterEnd: config.retentionYearsAfterEnd,
            publicUrl: config.publicUrl,
            dfeApi: config.dfeApi,
            dfeClient,
          })
        : async () => undefined;
      // The embedded database has no pg-boss: with DfE sync on, this process pulls every 15 minutes.
      const stopDfeSync =
        !config.databaseUrl && config.dfeApi
          ? startDfeSyncLoop({
              db: database.db,
              clock: systemClock,
              dfeApi: config.dfeApi,
              logger: app.log,
            })
          : async () => undefined;
      // The embedded database has no pg-boss: this process delivers emails every 30 seconds.
      const stopDelivery =
        !config.databaseUrl && emailSender
          ? startDeliveryLoop({
              db: database.db,
              clock: systemClock,
              sender: emailSender,
              logger: app.log,
            })
          : async () => undefined;
      const stopDfeOutbox =
        !config.databaseUrl && dfeClient
          ? startDfeOutboxLoop({
              db: database.db,
              clock: systemClock,
              client: dfeClient,
              logger: app.log,
            })
          : async () => undefined;
      // Every minute, on either database: the per-enrolment engagement figures that evidence,
      // bookings or a date falling due left missing are worked out again (cohort pages read them).
      const stopSummary = startEngagementSummaryLoop({
        db: database.db,
        clock: systemClock,
        logger: app.log,
      });
      const shutdown = async () => {
        await stopSummary();
        await engagementAnswers.stop();
        await stopDfeOutbox();
        await stopDelivery();
        await stopDfeSync();
        await stopScheduler();
        await app.close();
        await database.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void shutdown());
      process.once('SIGTERM', () => void shutdown());
      await app.listen({ port: config.port, host: config.host });
      console.log(
        `npq-ops is running at http://${config.host}:${config.port} on ${describeDatabase(config)}.`,
      );
      if (!config.notify)
        console.log(
          'GOV.UK Notify is not configured (NOTIFY_API_KEY): emails are not sent; read them at /admin/mailbox or with `npx npq-ops mailbox`.',
        );
      console.log(
        config.dfeApi
          ? `DfE sync is on (${config.dfeApi.url}): applications are pulled every 15 minutes.`
          : 'DfE sync is off (DFE_API_URL and DFE_API_TOKEN): nothing is read from or sent to the DfE.',
      );
      if (report.migrationsApplied.length)
        console.log(`Applied migrations: ${report.migrationsApplied.join(', ')}.`);
      if (report.demoSeeded) console.log('Seeded the NPQ catalogue and demo data.');
      if (report.demoSignIns.length) {
        console.log(`\nDemo sign-ins (password: ${DEMO_PASSWORD}):`);
        for (const s of report.demoSignIns)
          console.log(`  ${s.email.padEnd(38)} ${s.role.padEnd(24)} ${s.description}`);
      }
    });

  program
    .command('daily')
    .description('run the daily processing job once (idempotent: safe to run twice)')
    .option(
      '--as-of <date>',
      'run it for this day (YYYY-MM-DD, at noon in London), for tests, training and demos; refused in production',
    )
    .action((opts: { asOf?: string }) => {
      const clock = dailyClockFor(config, opts.asOf);
      if (!clock) return;
      return withDatabase(config, async ({ db }) => {
        await migrate(db);
        const report = await runDailyProcessing({
          db,
          clock,
          retentionYearsAfterEnd: config.retentionYearsAfterEnd,
          publicUrl: config.publicUrl,
        });
        if (opts.asOf) console.log(`Daily processing as of ${opts.asOf} (not today's date).`);
        console.log('Daily processing done:', report);
        const summary = await refreshEngagementSummary({ db, clock });
        console.log(`Engagement summary: ${summary.stored} enrolments' figures worked out again.`);
      });
    });

  program
    .command('engagement-summary')
    .description(
      'work out now the engagement figures of every enrolment whose stored figures no longer hold (the server does this every minute; cohort pages read them)',
    )
    .action(() =>
      withDatabase(config, async ({ db }) => {
        await migrate(db);
        const report = await refreshEngagementSummary({ db, clock: systemClock });
        console.log(
          report.deferred
            ? `Engagement summary: ${report.stored} enrolments' figures worked out; a change under way holds the rest until the next run.`
            : `Engagement summary: ${report.stored} enrolments' figures worked out; every enrolment's are current.`,
        );
      }),
    );

  registerTokenCommands(program, config, withDatabase);
  registerPrivacyCommands(program, config, withDatabase);
  registerDfeCommands(program, config, withDatabase);

  const admin = program.command('admin').description('administrator accounts');
  admin
    .command('create')
    .description(
      'create the first admin of an empty database and print their one-time invitation link (7 days) to set a password',
    )
    .requiredOption('--email <email>', 'their email address')
    .requiredOption('--name <name>', 'their full name')
    .action((opts: { email: string; name: string }) =>
      withDatabase(config, async ({ db }) => {
        await migrate(db);
        try {
          const { link, expiresAt } = await createFirstAdmin(
            db,
            opts,
            systemClock.now(),
            config.publicUrl,
          );
          console.log(link);
          console.error(
            `Admin ${opts.email} created. Open the link above to set their password: it works once and expires ${expiresAt.toISOString()}.`,
          );
        } catch (error) {
          if (!(error instanceof AdminExistsError) && !(error instanceof ValidationError))
            throw error;
          console.error(`Not created: ${error.message}`);
          process.exitCode = 2;
        }
      }),
    );

  const importCommand = program.command('import').description('import data from files');
  importCommand
    .command('participants')
    .argument('<file>', 'CSV file with a header row')
    .description(
      'import participants and their enrolments; re-running the same file changes nothing',
    )
    .action((file: string) =>
      withDatabase(config, async ({ db }) => {
        await migrate(db);
        const summary = await importParticipantsCsv(db, file, {
          today: systemClock.now().toISOString().slice(0, 10),
          now: systemClock.now(),
          publicUrl: config.publicUrl,
          who: 'system:cli-import',
          onProgress: (rows) => process.stderr.write(`\rRows read: ${rows}`),
        });
        process.stderr.write('\n');
        for (const e of summary.errors) console.log(`Line ${e.line}, ${e.field}: ${e.message}`);
        console.log(
          `Rows: ${summary.rows}. Participants created: ${summary.created}; already present: ${summary.unchanged}; enrolments added: ${summary.enrolled}; invitations emailed: ${summary.invited}; rows with errors: ${new Set(summary.errors.map((e) => e.line)).size}.`,
        );
        if (summary.errors.length > 0) process.exitCode = 1;
      }),
    );

  registerEmailCommands(program, config, withDatabase);

  registerTransferCommands(program, config, withDatabase);
  registerCohortCommands(program, config, withDatabase);
  registerPolicyCommands(program, config, withDatabase);
  importCommand
    .command('schools')
    .argument('<file>', 'GIAS establishment CSV (Windows-1252 or UTF-8)')
    .description(
      'import schools and local authorities from GIAS; re-running updates changed schools only',
    )
    .action((file: string) =>
      withDatabase(config, async ({ db }) => {
        await migrate(db);
        const ok = await importSchoolsFile({ db, clock: systemClock }, file);
        if (!ok) process.exitCode = 1;
      }),
    );

  return program;
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  await buildCli(config).parseAsync(process.argv);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
