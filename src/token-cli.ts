import { InvalidArgumentError, type Command } from 'commander';
import { systemClock } from './clock.js';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import { migrate } from './db/migrate.js';
import { listApiTokens, revokeApiToken, type ApiTokenSummary } from './services/api-tokens.js';
import { createApiToken, DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS } from './services/auth.js';
import { NotFoundError } from './services/errors.js';

type WithDatabase = <T>(config: Config, work: (database: Database) => Promise<T>) => Promise<T>;

function daysOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_TOKEN_DAYS)
    throw new InvalidArgumentError(`must be a whole number of days from 1 to ${MAX_TOKEN_DAYS}`);
  return n;
}

function idArgument(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a token id');
  return n;
}

const at = (d: Date | null) => (d ? d.toISOString().slice(0, 16).replace('T', ' ') : '-');

/** The tokens as a table: never the token itself (only its digest is stored). */
export function formatTokens(tokens: readonly ApiTokenSummary[], now: Date): string {
  if (tokens.length === 0) return 'No API tokens.';
  const header = ['ID', 'ACCOUNT', 'ROLE', 'NAME', 'CREATED', 'LAST USED', 'EXPIRES', 'STATE'];
  const rows = tokens.map((t) => [
    String(t.id),
    t.email,
    t.role,
    t.name,
    at(t.createdAt),
    at(t.lastUsedAt),
    at(t.expiresAt),
    t.revokedAt ? `revoked ${at(t.revokedAt)}` : t.expiresAt <= now ? 'expired' : 'active',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `token create`, `token list` and `token revoke`. */
export function registerTokenCommands(
  program: Command,
  config: Config,
  withDatabase: WithDatabase,
): void {
  const token = program.command('token').description('API tokens for machine clients');
  token
    .command('create')
    .description(
      'create a bearer token (shown once) for the account with this email, creating a machine account if none exists',
    )
    .requiredOption('--role <role>', 'role of the account, e.g. programme_team')
    .requiredOption('--email <email>', 'email of the account')
    .option('--name <name>', 'a label for the token')
    .option('--lead-provider <slug>', 'lead provider, for staff roles (default: the only one)')
    .option('--delivery-partner <slug>', 'delivery partner, for delivery_partner_staff')
    .option(
      '--expires-in-days <n>',
      `days until the token stops working (1 to ${MAX_TOKEN_DAYS})`,
      daysOption,
      DEFAULT_TOKEN_DAYS,
    )
    .action(
      (opts: {
        role: string;
        email: string;
        name?: string;
        leadProvider?: string;
        deliveryPartner?: string;
        expiresInDays: number;
      }) =>
        withDatabase(config, async ({ db }) => {
          await migrate(db);
          const created = await createApiToken(db, opts, systemClock.now());
          console.log(created.token);
          console.error(
            `Token ${created.id} expires ${created.expiresAt.toISOString()}. Keep it secret: it is shown only once. Send it as "Authorization: Bearer <token>".`,
          );
        }),
    );

  token
    .command('list')
    .description(
      'list API tokens: id, account, name, created, last used (to the hour), expires, revoked',
    )
    .option('--email <email>', 'only the tokens of this account')
    .action((opts: { email?: string }) =>
      withDatabase(config, async ({ db }) => {
        await migrate(db);
        console.log(formatTokens(await listApiTokens(db, opts), systemClock.now()));
      }),
    );

  token
    .command('revoke')
    .argument('<id>', 'the token id, from `token list`', idArgument)
    .description('revoke a token: it is refused from now on')
    .action((id: number) =>
      withDatabase(config, async ({ db }) => {
        await migrate(db);
        try {
          const result = await revokeApiToken(db, id, systemClock.now());
          console.log(
            result.revoked
              ? `Token ${id} revoked.`
              : `Token ${id} was already revoked on ${result.revokedAt.toISOString()}.`,
          );
        } catch (error) {
          if (!(error instanceof NotFoundError)) throw error;
          console.error(error.detail);
          process.exitCode = 2;
        }
      }),
    );
}
