import { InvalidArgumentError, type Command } from 'commander';
import { systemClock } from './clock.js';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import { migrate } from './db/migrate.js';
import { SYSTEM } from './services/actor.js';
import { NotFoundError, ValidationError } from './services/errors.js';
import { eraseParticipantOnRequest } from './services/privacy/erasure.js';

type WithDatabase = <T>(config: Config, work: (database: Database) => Promise<T>) => Promise<T>;

function participantId(value: string): number {
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError('must be a participant id (digits)');
  return Number(value);
}

/** `privacy erase`: erasure on request by an operator (audited as the system, "command line"). */
export function registerPrivacyCommands(
  program: Command,
  config: Config,
  withDatabase: WithDatabase,
): void {
  const privacy = program.command('privacy').description('personal data: erasure on request');
  privacy
    .command('erase')
    .description(
      "erase (anonymise) a participant's personal data now, as the retention schedule would; refused while an enrolment is still open",
    )
    .requiredOption('--participant <id>', 'the participant id', participantId)
    .requiredOption('--reason <text>', 'why, for the audit trail (not the person’s name)')
    .action((opts: { participant: number; reason: string }) =>
      withDatabase(config, async ({ db }) => {
        await migrate(db);
        try {
          const result = await eraseParticipantOnRequest(
            { db, clock: systemClock },
            SYSTEM,
            opts.participant,
            { reason: opts.reason },
          );
          console.log(
            `Participant ${result.participantId} erased: ${result.auditEventsRedacted} audit events redacted, ${result.emailsDeleted} emails deleted.`,
          );
        } catch (error) {
          if (error instanceof NotFoundError) {
            console.error(`No participant ${opts.participant}.`);
            process.exitCode = 2;
            return;
          }
          if (error instanceof ValidationError) {
            for (const e of error.errors) console.error(e.message);
            process.exitCode = 2;
            return;
          }
          throw error;
        }
      }),
    );
}
