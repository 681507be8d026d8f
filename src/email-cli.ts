import { EMAIL_TEMPLATES, EMAIL_TEMPLATE_KEYS } from './domain/email-templates.js';
import { InvalidArgumentError, type Command } from 'commander';
import { systemClock } from './clock.js';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import { migrate } from './db/migrate.js';
import { SYSTEM } from './services/actor.js';
import { deliverDueEmails } from './services/email/delivery.js';
import { listEmailMessages, type EmailMessageView } from './services/email/mailbox.js';
import { createNotifySender } from './services/email/sender.js';

type WithDatabase = <T>(config: Config, work: (database: Database) => Promise<T>) => Promise<T>;

function limitOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 500)
    throw new InvalidArgumentError('must be a whole number from 1 to 500');
  return n;
}

/** The mailbox as text: what each message says (links in full), who it is to and where it is. */
export function formatMailbox(items: readonly EmailMessageView[], total: number): string {
  if (items.length === 0) return 'No emails.';
  const blocks = items.map((m) =>
    [
      `── Email ${m.id} · ${m.status} · ${m.attempts} attempt${m.attempts === 1 ? '' : 's'} · created ${m.createdAt}${m.sentAt ? ` · sent ${m.sentAt}` : ''}`,
      `To: ${m.to}`,
      `Subject: ${m.subject}`,
      ...(m.lastError ? [`Last error: ${m.lastError}`] : []),
      '',
      m.body ??
        `(This email cannot be shown: its template "${m.template}" is unknown or incomplete.)`,
    ].join('\n'),
  );
  const shown = `Showing ${items.length} of ${total} email${total === 1 ? '' : 's'}, newest first.`;
  return `${blocks.join('\n\n')}\n\n${shown}`;
}

/** `email deliver` and `mailbox`. */
export function registerEmailCommands(
  program: Command,
  config: Config,
  withDatabase: WithDatabase,
): void {
  program
    .command('mailbox')
    .description('show the newest emails in the outbox (how to read an invitation link locally)')
    .option('--to <email>', 'only emails to this address')
    .option('--limit <n>', 'how many (1 to 500)', limitOption, 10)
    .action((opts: { to?: string; limit: number }) =>
      withDatabase(config, async ({ db }) => {
        await migrate(db);
        const { items, total } = await listEmailMessages({ db, clock: systemClock }, SYSTEM, {
          to: opts.to,
          limit: opts.limit,
        });
        console.log(formatMailbox(items, total));
        if (!config.notify)
          console.log(
            'GOV.UK Notify is not configured (NOTIFY_API_KEY): emails stay pending here and are not sent.',
          );
      }),
    );

  const email = program.command('email').description('the email outbox');
  email
    .command('templates')
    .description(
      'list every email npq-ops sends, for making the GOV.UK Notify templates; --json prints a NOTIFY_TEMPLATE_IDS skeleton',
    )
    .option('--json', 'print {"<email>": "", …} to fill in with the Notify template ids')
    .action((options: { json?: boolean }) => {
      if (options.json) {
        console.log(
          JSON.stringify(Object.fromEntries(EMAIL_TEMPLATE_KEYS.map((k) => [k, ''])), null, 2),
        );
        return;
      }
      for (const key of EMAIL_TEMPLATE_KEYS) {
        const template = EMAIL_TEMPLATES[key];
        console.log(
          `${key}\n  subject: ${template.subject}\n  placeholders: ${template.placeholders.map((p) => `((${p}))`).join(' ')}`,
        );
      }
      console.log(
        `\n${EMAIL_TEMPLATE_KEYS.length} emails: make one Notify template for each (subject and body from src/domain/email-templates.ts and notice-templates.ts).`,
      );
    });
  email
    .command('deliver')
    .description('send the emails that are due through GOV.UK Notify, once')
    .action(() => {
      const notify = config.notify;
      if (!notify)
        throw new Error(
          'GOV.UK Notify is not configured: set NOTIFY_API_KEY and NOTIFY_TEMPLATE_IDS to send emails. Without them emails stay in the outbox: read them with `npq-ops mailbox`.',
        );
      return withDatabase(config, async ({ db }) => {
        await migrate(db);
        const report = await deliverDueEmails({
          db,
          clock: systemClock,
          sender: createNotifySender(notify),
        });
        console.log(
          `Emails sent: ${report.sent}; to retry later: ${report.retrying}; failed: ${report.failed}; awaiting Notify's answer: ${report.unconfirmed}; found already sent after an interruption: ${report.recoveredAsSent}; re-queued: ${report.requeued}.`,
        );
        if (report.failed > 0) process.exitCode = 1;
      });
    });
}
