import type { Command } from 'commander';
import { systemClock } from './clock.js';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import { migrate } from './db/migrate.js';
import { countDueDeclarations } from './db/queries/declarations-due.js';
import { londonDateOf } from './policy/index.js';
import { createDfeClient } from './services/dfe/client.js';
import { refreshStatements } from './services/dfe/declarations/statements.js';
import { syncDeclarations } from './services/dfe/declarations/sync.js';
import { runDfeOutbox } from './services/dfe/outbox/runner.js';

type WithDatabase = <T>(config: Config, work: (database: Database) => Promise<T>) => Promise<T>;

const SYNC_OFF =
  'DfE sync is off (set DFE_API_URL and DFE_API_TOKEN): requests wait in the DfE outbox and are sent once it is on.';

/** `dfe-out run`, `dfe-out declarations` and `dfe-out statements`. */
export function registerDfeOutCommands(
  program: Command,
  config: Config,
  withDatabase: WithDatabase,
): void {
  const dfe = program
    .command('dfe-out')
    .description('DfE lead provider API: participant changes, declarations and statements');
  dfe
    .command('run')
    .description('queue the declarations due now and deliver the DfE outbox once')
    .action(() =>
      withDatabase(config, async ({ db }) => {
        await migrate(db);
        if (!config.dfeApi) {
          console.log(SYNC_OFF);
          process.exitCode = 1;
          return;
        }
        const report = await runDfeOutbox({
          db,
          clock: systemClock,
          client: createDfeClient(config.dfeApi),
        });
        console.log('DfE outbox run done:', report);
      }),
    );
  dfe
    .command('declarations')
    .description('count the declarations due today; with --queue, queue them in the DfE outbox')
    .option('--queue', 'queue them (and the voids corrections need)')
    .action((options: { queue?: boolean }) =>
      withDatabase(config, async ({ db }) => {
        await migrate(db);
        if (options.queue) {
          console.log('Declarations:', await syncDeclarations({ db, clock: systemClock }));
          if (!config.dfeApi) console.log(SYNC_OFF);
          return;
        }
        const today = londonDateOf(systemClock.now());
        console.log(`Declarations due on ${today}:`, await countDueDeclarations(db, today));
      }),
    );
  dfe
    .command('statements')
    .description('read the DfE statements and the declarations in each')
    .action(() =>
      withDatabase(config, async ({ db }) => {
        await migrate(db);
        if (!config.dfeApi) {
          console.log(SYNC_OFF);
          process.exitCode = 1;
          return;
        }
        const report = await refreshStatements({
          db,
          clock: systemClock,
          client: createDfeClient(config.dfeApi),
        });
        console.log('Statements read:', report);
      }),
    );
}
