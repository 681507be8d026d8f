import { InvalidArgumentError, type Command } from 'commander';
import { sql } from 'drizzle-orm';
import { systemClock } from './clock.js';
import type { Config } from './config.js';
import { queryRows, type Database } from './db/client.js';
import { migrate } from './db/migrate.js';
import {
  changeReleaseLeadDays,
  getCohortSettings,
  setUpCohort,
  type CohortSettings,
} from './services/cohort-settings.js';
import { ServiceError } from './services/errors.js';
import { actorFor, refusing } from './cli-acting.js';

type WithDatabase = <T>(config: Config, work: (database: Database) => Promise<T>) => Promise<T>;

function wholeNumber(value: string): number {
  if (!/^\d{1,4}$/.test(value)) throw new InvalidArgumentError('must be a whole number');
  return Number(value);
}

function cohortId(value: string): number {
  if (!/^[1-9]\d{0,8}$/.test(value)) throw new InvalidArgumentError('must be a cohort id');
  return Number(value);
}

function describe(c: CohortSettings): string {
  return [
    `Cohort ${c.id}: ${c.name} (${c.course}), ${c.startDate} to ${c.endDate}; engagement deadline ${c.engagementDeadline}.`,
    `Modules released at least ${c.releaseLeadDays} days before their ideal window:`,
    ...c.modules.map(
      (m) =>
        `  Module ${m.position}: released ${m.releaseDate}, ideal window ${m.idealWindowStart} to ${m.idealWindowEnd}`,
    ),
    `${c.events} event slots; ${c.assessmentWindows.length} assessment windows.`,
  ].join('\n');
}

/**
 * `cohorts create | show | lead-time`: cohort set-up as on the pages and in the API, acting as the
 * account given with --as (the programme team or an admin).
 */
export function registerCohortCommands(
  program: Command,
  config: Config,
  withDatabase: WithDatabase,
): void {
  const cohorts = program.command('cohorts').description('set up cohorts (programme team)');
  cohorts
    .command('create')
    .description(
      'set up a cohort with its generated schedule, checked by the calendar rules (as Cohorts → Set up a cohort)',
    )
    .requiredOption('--as <email>', 'the programme team account to act as')
    .requiredOption(
      '--programme <identifier>',
      'course identifier, e.g. npq-headship, or programme id',
    )
    .requiredOption('--start <date>', "YYYY-MM-DD: the day module 1's ideal window starts")
    .option(
      '--lead-days <n>',
      'days each module is released ahead of its window (0 to 28)',
      wholeNumber,
    )
    .option('--clinic-capacity <n>', 'places in each clinic slot', wholeNumber, 20)
    .option('--final', 'the final cohort of this programme')
    .option('--contract-end <date>', 'YYYY-MM-DD')
    .option('--name <name>', 'default: course code and year')
    .option('--json', 'print the cohort as JSON')
    .action(
      (opts: {
        as: string;
        programme: string;
        start: string;
        leadDays?: number;
        clinicCapacity: number;
        final?: boolean;
        contractEnd?: string;
        name?: string;
        json?: boolean;
      }) =>
        withDatabase(config, async ({ db }) => {
          await migrate(db);
          await refusing(async () => {
            const actor = await actorFor(db, opts.as);
            const [programme] = await queryRows<{ id: number }>(
              db,
              /^\d+$/.test(opts.programme)
                ? sql`select id from programme where id = ${Number(opts.programme)}`
                : sql`select p.id from programme p join course c on c.id = p.course_id
                      where c.identifier = ${opts.programme} order by p.id desc limit 1`,
            );
            if (!programme) {
              throw new ServiceError(`No programme ${opts.programme}`, 422, 'NO_PROGRAMME');
            }
            const created = await setUpCohort({ db, clock: systemClock }, actor, {
              programmeId: programme.id,
              startDate: opts.start,
              ...(opts.leadDays !== undefined ? { releaseLeadDays: opts.leadDays } : {}),
              clinicCapacity: opts.clinicCapacity,
              isFinal: opts.final === true,
              contractEndDate: opts.contractEnd ?? null,
              name: opts.name,
            });
            console.log(opts.json ? JSON.stringify(created, null, 2) : describe(created));
          });
        }),
    );

  cohorts
    .command('show')
    .argument('<id>', 'cohort id', cohortId)
    .description("a cohort's settings and schedule")
    .requiredOption('--as <email>', 'the programme team account to act as')
    .option('--json', 'print the cohort as JSON')
    .action((id: number, opts: { as: string; json?: boolean }) =>
      withDatabase(config, async ({ db }) => {
        await migrate(db);
        await refusing(async () => {
          const c = await getCohortSettings({ db }, await actorFor(db, opts.as), id);
          console.log(opts.json ? JSON.stringify(c, null, 2) : describe(c));
        });
      }),
    );

  cohorts
    .command('lead-time')
    .argument('<id>', 'cohort id', cohortId)
    .argument(
      '<days>',
      'days each module is released ahead of its ideal window (0 to 28)',
      wholeNumber,
    )
    .description(
      "change a cohort's release lead time, checked against its scheduled releases (policy 2.2.1.1); audited",
    )
    .requiredOption('--as <email>', 'the programme team account to act as')
    .action((id: number, days: number, opts: { as: string }) =>
      withDatabase(config, async ({ db }) => {
        await migrate(db);
        await refusing(async () => {
          const actor = await actorFor(db, opts.as);
          const { cohort, changed } = await changeReleaseLeadDays(
            { db, clock: systemClock },
            actor,
            id,
            { releaseLeadDays: days },
          );
          console.log(
            changed
              ? `${cohort.name}: modules are now released at least ${days} days before their ideal window.`
              : `${cohort.name}: the lead time was already ${days} days; nothing changed.`,
          );
        });
      }),
    );
}
