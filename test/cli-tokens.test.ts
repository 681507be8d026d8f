import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateToken } from '../src/services/auth.js';
import { createCliDatabase, type CliDatabase } from './support/cli-database.js';

let t: CliDatabase;
/** `npx npq-ops …` as an operator runs it, on a database of its own. */
const cli = (...args: string[]) => t.cli(args);

/** Whether the token is accepted at `at`, checked on the CLI's database (closed again after). */
async function accepted(token: string, at: Date): Promise<boolean> {
  const database = await t.open();
  try {
    return (await authenticateToken(database.db, token, at)) !== null;
  } finally {
    await database.close();
  }
}

beforeAll(async () => {
  t = await createCliDatabase('cli-tokens');
});
afterAll(async () => {
  await t?.destroy();
});

describe('npq-ops token', () => {
  it(
    'creates a token that expires, lists tokens without their secret, and revokes one',
    { timeout: 400_000 },
    async () => {
      const refused = await cli(
        'token',
        'create',
        '--role',
        'admin',
        '--email',
        'bot@example.test',
        '--expires-in-days',
        '0',
      );
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('must be a whole number of days from 1 to 730');

      const created = await cli(
        'token',
        'create',
        '--role',
        'admin',
        '--email',
        'bot@example.test',
        '--name',
        'nightly export',
        '--expires-in-days',
        '7',
      );
      expect(created.code, created.stderr).toBe(0);
      const token = created.stdout.trim();
      expect(token).toMatch(/^npq_[\w-]{43}$/);
      const expires = /Token (\d+) expires (\S+)\./.exec(created.stderr);
      expect(expires, created.stderr).not.toBeNull();
      const id = expires![1]!;
      const expiresAt = new Date(expires![2]!);
      const inDays = (expiresAt.getTime() - Date.now()) / 86_400_000;
      expect(inDays).toBeGreaterThan(6.9);
      expect(inDays).toBeLessThanOrEqual(7);

      const standard = await cli(
        'token',
        'create',
        '--role',
        'admin',
        '--email',
        'ci@example.test',
      );
      expect(standard.code, standard.stderr).toBe(0);
      const standardDays =
        (new Date(/expires (\S+)\./.exec(standard.stderr)![1]!).getTime() - Date.now()) /
        86_400_000;
      expect(Math.round(standardDays)).toBe(90);

      expect(await accepted(token, new Date())).toBe(true);
      expect(await accepted(token, new Date(expiresAt.getTime() + 1))).toBe(false);

      const list = await cli('token', 'list');
      expect(list.code, list.stderr).toBe(0);
      expect(list.stdout).toMatch(
        /^ID\s+ACCOUNT\s+ROLE\s+NAME\s+CREATED\s+LAST USED\s+EXPIRES\s+STATE/,
      );
      const row = list.stdout.split('\n').find((l) => l.startsWith(`${id} `));
      expect(row).toContain('bot@example.test');
      expect(row).toContain('nightly export');
      expect(row).toContain(expiresAt.toISOString().slice(0, 10));
      expect(row).toMatch(/active$/);
      expect(list.stdout).not.toContain(token);
      expect(list.stdout).not.toContain(standard.stdout.trim());

      const mine = await cli('token', 'list', '--email', 'CI@example.test');
      expect(mine.stdout).toContain('ci@example.test');
      expect(mine.stdout).not.toContain('bot@example.test');
      const revoked = await cli('token', 'revoke', id);
      expect(revoked.code, revoked.stderr).toBe(0);
      expect(revoked.stdout).toContain(`Token ${id} revoked.`);
      expect(await accepted(token, new Date())).toBe(false);
      const unknown = await cli('token', 'revoke', '9999');
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('No API token with id 9999');

      const after = await cli('token', 'list', '--email', 'bot@example.test');
      expect(after.stdout).toMatch(/revoked \d{4}-\d\d-\d\d \d\d:\d\d/);
    },
  );
});
