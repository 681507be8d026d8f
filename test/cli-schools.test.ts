import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { openDatabase, queryRows } from '../src/db/client.js';
import { assertTestDatabaseUrl } from './support/test-database.js';

const run = promisify(execFile);
const SAMPLE = fileURLToPath(new URL('./fixtures/gias-sample.csv', import.meta.url));
let dataDir: string;
let databaseUrl = '';
const serverUrl = process.env.TEST_DATABASE_URL;

async function cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/npq-ops.js', ...args], {
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        NODE_ENV: 'development',
        DATABASE_URL: databaseUrl,
      },
      timeout: 120_000,
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'npq-cli-schools-'));
  if (serverUrl) {
    const name = `npq_cli_schools_${process.pid}`;
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

describe('npq-ops import schools', () => {
  it(
    'imports a GIAS file into an empty database, lists bad rows with line and field, exits 1, and re-runs idempotently',
    { timeout: 180_000 },
    async () => {
      const first = await cli('import', 'schools', SAMPLE);
      expect(first.code).toBe(1);
      expect(first.stderr).toContain('Rows read: 8');
      expect(first.stdout).toContain('Line 7, URN: URN must be 6 or 7 digits');
      expect(first.stdout).toContain('Line 7, EstablishmentName: Enter the establishment name');
      expect(first.stdout).toMatch(
        /Schools added: 7; updated: 0; unchanged: 0; rows with errors: 1/,
      );

      const again = await cli('import', 'schools', SAMPLE);
      expect(again.stdout).toMatch(
        /Schools added: 0; updated: 0; unchanged: 7; rows with errors: 1/,
      );

      const database = await openDatabase(
        databaseUrl ? { databaseUrl, maxConnections: 1 } : { dataDir },
      );
      const [welsh] = await queryRows<{ name: string }>(
        database.db,
        sql`select name from school where urn = '401234'`,
      );
      await database.close();
      expect(welsh?.name).toBe('Ysgol Gymraeg Bro Morgannwg – Côr');

      const missing = await cli('import', 'schools', path.join(dataDir, 'no-such-file.csv'));
      expect(missing.code).toBe(1);
    },
  );
});
