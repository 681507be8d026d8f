import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/db/migrate.js';
import { loadConfig } from '../src/config.js';
import { EMAIL_TEMPLATE_KEYS } from '../src/domain/email-templates.js';
import { enqueueEmail } from '../src/services/email/outbox.js';
import { createCliDatabase, type CliDatabase } from './support/cli-database.js';

const LINK = 'http://localhost:3000/account/set-password/tok_cli_123';
let t: CliDatabase;
const cli = (args: string[], env: Record<string, string> = {}) => t.cli(args, env);

beforeAll(async () => {
  t = await createCliDatabase('email-cli');
  // The CLI opens the embedded database itself: queue the emails and close it first.
  const database = await t.open();
  await migrate(database.db);
  await enqueueEmail(
    database.db,
    {
      template: 'staff_invitation',
      to: 'new.starter@example.test',
      personalisation: {
        name: 'New Starter',
        invited_by: 'Ada Admin',
        role_description: 'a member of the programme team',
        link: LINK,
        expires: '10 December 2026',
      },
      subject: { type: 'app_user', id: 5 },
    },
    {
      template: 'password_changed',
      to: 'other@example.test',
      personalisation: { name: 'Other', when: 'today' },
      subject: { type: 'app_user', id: 6 },
    },
  );
  await database.close();
}, 120_000);
afterAll(async () => {
  await t?.destroy();
});

describe('npq-ops mailbox and email deliver', () => {
  it(
    'lists every email as the keys NOTIFY_TEMPLATE_IDS needs, accepted by the configuration as they are',
    { timeout: 120_000 },
    async () => {
      const listed = await cli(['email', 'templates', '--json']);
      expect(listed.code).toBe(0);
      const skeleton = JSON.parse(listed.stdout) as Record<string, string>;
      expect(Object.keys(skeleton)).toEqual(EMAIL_TEMPLATE_KEYS);
      expect(Object.keys(skeleton)).toEqual(
        expect.arrayContaining(['participant_invitation', 'notice_decision', 'event_changed']),
      );
      // Filled in, it is exactly what the configuration asks for; one short, and it names it.
      const ids = Object.fromEntries(Object.keys(skeleton).map((k) => [k, `id-${k}`]));
      expect(
        loadConfig({ NOTIFY_API_KEY: 'k', NOTIFY_TEMPLATE_IDS: JSON.stringify(ids) }).notify
          ?.templateIds,
      ).toEqual(ids);
      const { notice_decision: _dropped, ...short } = ids;
      expect(() =>
        loadConfig({ NOTIFY_API_KEY: 'k', NOTIFY_TEMPLATE_IDS: JSON.stringify(short) }),
      ).toThrow(/notice_decision/);
    },
  );

  it(
    'prints the newest emails with their link, and filters by recipient',
    { timeout: 120_000 },
    async () => {
      const all = await cli(['mailbox']);
      expect(all.code).toBe(0);
      expect(all.stdout).toContain('Showing 2 of 2 emails, newest first.');
      expect(all.stdout.indexOf('To: other@example.test')).toBeLessThan(
        all.stdout.indexOf('To: new.starter@example.test'),
      );
      expect(all.stdout).toContain('emails stay pending here and are not sent');

      const mine = await cli(['mailbox', '--to', 'New.Starter@example.test', '--limit', '5']);
      expect(mine.code).toBe(0);
      expect(mine.stdout).toContain('To: new.starter@example.test');
      expect(mine.stdout).toContain('Subject: You have been invited to npq-ops');
      expect(mine.stdout).toContain('pending · 0 attempts');
      expect(mine.stdout).toContain(`Set your password to start using it:\n${LINK}`);
      expect(mine.stdout).not.toContain('other@example.test');
      expect(mine.stdout).toContain('Showing 1 of 1 email, newest first.');

      const bad = await cli(['mailbox', '--limit', '0']);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain('must be a whole number from 1 to 500');
    },
  );

  it(
    'refuses to deliver without a Notify key, and says what to set',
    { timeout: 120_000 },
    async () => {
      const res = await cli(['email', 'deliver']);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain('GOV.UK Notify is not configured: set NOTIFY_API_KEY');
    },
  );
});
