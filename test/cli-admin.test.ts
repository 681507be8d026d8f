import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { openDatabase, queryRows } from '../src/db/client.js';
import { assertTestDatabaseUrl } from './support/test-database.js';

const run = promisify(execFile);
let dataDir: string;
let databaseUrl = '';
const serverUrl = process.env.TEST_DATABASE_URL;

/**
 * `npx npq-ops admin create` on an empty database: embedded in development, or, on the PostgreSQL
 * run, a fresh database of its own in production mode (as the bootstrap runs it).
 */
async function cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    PUBLIC_URL: 'https://npq.example.test',
    NODE_ENV: databaseUrl ? 'production' : 'development',
    SESSION_SECRET: 'a-test-session-secret-of-at-least-32-characters',
    LOG_LEVEL: 'silent',
  };
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/npq-ops.js', ...args], {
      env,
      timeout: 120_000,
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'npq-cli-admin-'));
  if (serverUrl) {
    const name = `npq_cli_admin_test_${process.pid}`;
    const admin = await openDatabase({
      databaseUrl: assertTestDatabaseUrl(serverUrl),
      maxConnections: 1,
    });
    await admin.db.execute(sql.raw(`drop database if exists ${name}`));
    await admin.db.execute(sql.raw(`create database ${name}`));
    await admin.close();
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
  }
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
  if (serverUrl && databaseUrl) {
    const admin = await openDatabase({ databaseUrl: serverUrl, maxConnections: 1 });
    await admin.db.execute(
      sql.raw(`drop database if exists ${new URL(databaseUrl).pathname.slice(1)}`),
    );
    await admin.close();
  }
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

      const database = await openDatabase(
        databaseUrl ? { databaseUrl, maxConnections: 1 } : { dataDir },
      );
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
