import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../src/db/client.js';

import { createCliDatabase, type CliDatabase } from './support/cli-database.js';

let t: CliDatabase;

/**
 * `npx npq-ops admin create` on an empty database: embedded in development, or, on the PostgreSQL
 * run, a fresh database of its own in production mode (as the bootstrap runs it).
 */
const cli = (...args: string[]) =>
  t.cli(args, {
    PUBLIC_URL: 'https://npq.example.test',
    NODE_ENV: t.databaseUrl ? 'production' : 'development',
    SESSION_SECRET: 'a-test-session-secret-of-at-least-32-characters',
  });

beforeAll(async () => {
  t = await createCliDatabase('cli-admin');
});
afterAll(async () => {
  await t?.destroy();
});

describe('npq-ops admin create', () => {
  it(
    'makes the first admin of an empty database and prints only a one-time link; a second is refused with exit 2',
    { timeout: 180_000 },
    async () => {
      const first = await cli(
        'admin',
        'create',
        '--email',
        'Ada@Example.test',
        '--name',
        'Ada Admin',
      );
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout.trim()).toMatch(
        /^https:\/\/npq\.example\.test\/account\/set-password\/[\w-]{40,}$/,
      );
      expect(first.stderr).toContain('expires');

      const again = await cli('admin', 'create', '--email', 'bob@example.test', '--name', 'Bob');
      expect(again.code).toBe(2);
      expect(again.stderr).toContain('use the Accounts page to invite');
      expect(again.stdout).toBe('');

      const bad = await cli('admin', 'create', '--email', 'not-an-email', '--name', 'X');
      expect(bad.code).toBe(2);

      const database = await t.open();
      try {
        const users = await queryRows<{
          email: string;
          role: string;
          password_hash: string | null;
        }>(database.db, sql`select email, role, password_hash from app_user`);
        expect(users).toEqual([{ email: 'Ada@Example.test', role: 'admin', password_hash: null }]);
      } finally {
        await database.close();
      }
    },
  );
});
