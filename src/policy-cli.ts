import { InvalidArgumentError, type Command } from 'commander';
import { systemClock } from './clock.js';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import { migrate } from './db/migrate.js';
import { REPORT_DIMENSIONS, type ReportDimension } from './db/queries/reports.js';
import { EDITABLE_PARAMETERS, isIsoDate, londonDateOf } from './policy/index.js';
import { ValidationError } from './services/errors.js';
import {
  approveDraft,
  createDraft,
  draftEditProblems,
  formValuesOf,
  getPolicyVersion,
  listPolicyVersions,
  updateDraft,
  valuesFromForm,
} from './services/policy-register.js';
import { runWhatIf, whatIfCsv, type WhatIfScope } from './services/policy-what-if.js';
import {
  programmeReport,
  REPORT_TABLES,
  reportTableCsv,
  type ReportTable,
} from './services/reports.js';
import { actorFor, refusing } from './cli-acting.js';

type WithDatabase = <T>(config: Config, work: (database: Database) => Promise<T>) => Promise<T>;

function id(what: string) {
  return (value: string): number => {
    if (!/^[1-9]\d{0,8}$/.test(value)) throw new InvalidArgumentError(`must be a ${what} id`);
    return Number(value);
  };
}

function date(value: string): string {
  if (!isIsoDate(value)) throw new InvalidArgumentError('must be a date as YYYY-MM-DD');
  return value;
}

function oneOf<T extends string>(values: readonly T[]) {
  return (value: string): T => {
    if (!(values as readonly string[]).includes(value))
      throw new InvalidArgumentError(`must be one of ${values.join(', ')}`);
    return value as T;
  };
}

/** `--set field=value`, repeatable: the edit form's fields and values (the threshold as a %). */
function setting(value: string, previous: [string, string][]): [string, string][] {
  const match = /^([A-Za-z_.]+)=(.+)$/.exec(value);
  if (!match) throw new InvalidArgumentError('must be field=value, e.g. engagementThresholdBp=95');
  if (!EDITABLE_PARAMETERS.some((e) => e.field === match[1]))
    throw new InvalidArgumentError(
      `unknown field ${match[1]}; the fields are ${EDITABLE_PARAMETERS.map((e) => e.field).join(', ')}`,
    );
  return [...previous, [match[1]!, match[2]!]];
}

const STANDING: Record<string, string> = {
  in_force: 'in force',
  superseded: 'superseded',
  scheduled: 'approved, not yet in force',
  history: 'history',
  draft: 'draft',
  discarded: 'discarded',
};

/**
 * `policy versions | what-if | approve` and `reports`: the policy register (issue 16, 3.1.1) and
 * the programme reports from the command line, acting as the account given with --as, through the
 * same services as the pages and the API (authorisation, read-only what-if, audit).
 */
export function registerPolicyCommands(
  program: Command,
  config: Config,
  withDatabase: WithDatabase,
): void {
  const policy = program
    .command('policy')
    .description('the policy register: versions, the what-if and approval (3.1.1)');

  policy
    .command('versions')
    .description('every version in the register, with its standing today')
    .requiredOption(
      '--as <email>',
      'the account to act as (programme team, admin or partner staff)',
    )
    .option('--json', 'print the versions as JSON')
    .action((opts: { as: string; json?: boolean }) =>
      withDatabase(config, async ({ db }) => {
        await migrate(db);
        await refusing(async () => {
          const actor = await actorFor(db, opts.as);
          const versions = await listPolicyVersions({ db, clock: systemClock }, actor);
          if (opts.json) {
            console.log(JSON.stringify(versions, null, 2));
            return;
          }
          for (const v of versions) {
            const issued = v.issuedOn ? `issued ${v.issuedOn}` : 'not issued';
            const review = v.nextReviewOn ? `, next review ${v.nextReviewOn}` : '';
            console.log(
              `${v.version}\t${STANDING[v.standing] ?? v.standing}\t${issued}${review}\t${v.summary}`,
            );
          }
        });
      }),
    );

  policy
    .command('draft')
    .argument(
      '<version>',
      'a new version number (starts a draft from the version in force) or the draft',
    )
    .description(
      'start or edit the draft: its summary, next review date and parameters, checked as on the edit form; audited',
    )
    .requiredOption('--as <email>', 'the programme team or admin account to act as')
    .option('--summary <text>', 'the summary of changes (needed to start a draft)')
    .option('--next-review <date>', 'YYYY-MM-DD: when the version is due for review', date)
    .option(
      '--set <field=value>',
      'a parameter as the edit form takes it, repeatable, e.g. engagementThresholdBp=95 assessmentAttempts=3',
      setting,
      [] as [string, string][],
    )
    .action(
      (
        version: string,
        opts: { as: string; summary?: string; nextReview?: string; set: [string, string][] },
      ) =>
        withDatabase(config, async ({ db }) => {
          await migrate(db);
          await refusing(async () => {
            const deps = { db, clock: systemClock };
            const actor = await actorFor(db, opts.as);
            const versions = await listPolicyVersions(deps, actor);
            const existing = versions.find((v) => v.version === version);
            if (existing && existing.status !== 'draft')
              throw new ValidationError([
                {
                  path: 'version',
                  message: `Version ${version} is ${existing.status}, not a draft`,
                },
              ]);
            if (!existing && !opts.summary?.trim())
              throw new ValidationError([
                { path: 'summary', message: 'Enter a summary of the changes (--summary)' },
              ]);
            // A new draft starts as a copy of the version in force: check the edit against that
            // first, so that a refused edit leaves no half-made draft behind.
            const base = existing ?? versions.find((v) => v.standing === 'in_force')!;
            const edit = (revision: number) => ({
              revision,
              summary: opts.summary ?? base.summary,
              owner: base.owner ?? '',
              ownerEmail: base.ownerEmail ?? '',
              appliesTo: base.appliesTo ?? '',
              nextReviewOn: opts.nextReview ?? base.nextReviewOn ?? '',
              values: valuesFromForm({
                ...formValuesOf(base.parameters!),
                ...Object.fromEntries(opts.set),
              }),
            });
            const problems = draftEditProblems(edit(0));
            if (problems.length) throw new ValidationError(problems);
            const draft =
              existing ??
              (await createDraft(deps, actor, { version, summary: opts.summary!.trim() }));
            const saved = await updateDraft(deps, actor, version, edit(draft.revision));
            const values = formValuesOf(saved.parameters!);
            console.log(
              `Draft ${saved.version} saved (revision ${saved.revision}): ${saved.summary}`,
            );
            for (const e of EDITABLE_PARAMETERS)
              console.log(`  ${e.field} = ${values[e.field]}${e.unit === 'percent' ? '%' : ''}`);
          });
        }),
    );

  policy
    .command('what-if')
    .argument('<version>', 'the version to try, usually the draft')
    .description(
      'who would change outcome under <version> against the version in force on the date; nothing is written',
    )
    .requiredOption('--as <email>', 'the programme team or admin account to act as')
    .option('--as-of <date>', 'YYYY-MM-DD (default: today in London)', date)
    .option('--cohort <id>', 'only this cohort', id('cohort'))
    .option('--partner <id>', "only this delivery partner's participants", id('delivery partner'))
    .option('--csv', 'print the differences as CSV (one row per participant and outcome)')
    .option('--json', 'print the whole result as JSON')
    .action(
      (
        version: string,
        opts: {
          as: string;
          asOf?: string;
          cohort?: number;
          partner?: number;
          csv?: boolean;
          json?: boolean;
        },
      ) =>
        withDatabase(config, async ({ db }) => {
          await migrate(db);
          await refusing(async () => {
            if (opts.cohort !== undefined && opts.partner !== undefined)
              throw new ValidationError([
                { path: 'scope', message: 'Choose a cohort or a delivery partner, not both' },
              ]);
            const scope: WhatIfScope =
              opts.cohort !== undefined
                ? { kind: 'cohort', cohortId: opts.cohort }
                : opts.partner !== undefined
                  ? { kind: 'partner', deliveryPartnerId: opts.partner }
                  : { kind: 'all' };
            const actor = await actorFor(db, opts.as);
            const result = await runWhatIf({ db, clock: systemClock }, actor, {
              version,
              scope,
              asOf: opts.asOf ?? londonDateOf(systemClock.now()),
            });
            if (opts.csv) {
              process.stdout.write(whatIfCsv(result));
              return;
            }
            if (opts.json) {
              console.log(JSON.stringify(result, null, 2));
              return;
            }
            console.log(
              `Version ${result.version} against ${result.comparedWith} (in force on ${result.asOf}), ${result.scopeLabel}:`,
            );
            for (const p of result.changedParameters)
              console.log(`  ${p.label}: ${p.from} → ${p.to}`);
            console.log(
              `${result.participantsChanged} of ${result.enrolmentsConsidered} enrolments would change outcome.`,
            );
            for (const [outcome, c] of Object.entries(result.counts))
              if (c.gained || c.lost)
                console.log(`  ${outcome}: ${c.gained} gained, ${c.lost} lost`);
            for (const p of result.participants)
              for (const d of p.differences)
                console.log(`  ${p.fullName} (enrolment ${p.enrolmentId}): ${d.explanation}`);
            if (result.listTruncated) console.log('  … the list is cut short; use --csv.');
          });
        }),
    );

  policy
    .command('approve')
    .argument('<version>', 'the draft to approve')
    .description(
      'approve the draft, in force from the date given (not by the person who drafted or last edited it); audited',
    )
    .requiredOption('--as <email>', 'the programme team or admin account to act as')
    .requiredOption('--in-force-from <date>', 'YYYY-MM-DD: today or later', date)
    .requiredOption('--approver <name>', 'who approved it, as the version table shows it')
    .action((version: string, opts: { as: string; inForceFrom: string; approver: string }) =>
      withDatabase(config, async ({ db }) => {
        await migrate(db);
        await refusing(async () => {
          const deps = { db, clock: systemClock };
          const actor = await actorFor(db, opts.as);
          const draft = await getPolicyVersion(deps, actor, version);
          const approved = await approveDraft(deps, actor, version, {
            revision: draft.revision,
            issuedOn: opts.inForceFrom,
            approver: opts.approver,
          });
          console.log(
            `Version ${approved.version} approved by ${opts.approver}: in force from ${opts.inForceFrom} (reference POLICY-${approved.version}).`,
          );
        });
      }),
    );

  program
    .command('reports')
    .description(
      'a table of the programme reports as CSV, with the figures the Reports page shows (programme team, admin; partner staff see their own)',
    )
    .requiredOption('--as <email>', 'the account to act as')
    .option('--table <name>', REPORT_TABLES.join(' | '), oneOf(REPORT_TABLES), 'funnel')
    .option('--by <dimension>', REPORT_DIMENSIONS.join(' | '), oneOf(REPORT_DIMENSIONS), 'cohort')
    .option('--cohort <id>', 'only this cohort', id('cohort'))
    .option('--course <identifier>', 'only this course, e.g. npq-headship')
    .option('--partner <id>', 'only this delivery partner', id('delivery partner'))
    .option('--pattern <pattern>', 'full_time | part_time', oneOf(['full_time', 'part_time']))
    .action(
      (opts: {
        as: string;
        table: ReportTable;
        by: ReportDimension;
        cohort?: number;
        course?: string;
        partner?: number;
        pattern?: 'full_time' | 'part_time';
      }) =>
        withDatabase(config, async ({ db }) => {
          await migrate(db);
          await refusing(async () => {
            const actor = await actorFor(db, opts.as);
            const report = await programmeReport(
              { db, clock: systemClock },
              actor,
              {
                ...(opts.cohort !== undefined ? { cohortId: opts.cohort } : {}),
                ...(opts.course !== undefined ? { course: opts.course } : {}),
                ...(opts.partner !== undefined ? { deliveryPartnerId: opts.partner } : {}),
                ...(opts.pattern !== undefined ? { workingPattern: opts.pattern } : {}),
              },
              opts.by,
            );
            process.stdout.write(reportTableCsv(report, opts.table));
          });
        }),
    );
}
