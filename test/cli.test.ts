import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { openDatabase, queryRows } from '../src/db/client.js';
import { PARTICIPANT_CSV_COLUMNS } from '../src/services/participant-import.js';
import { assertTestDatabaseUrl } from './support/test-database.js';

const run = promisify(execFile);
let dataDir: string;
/** On the PostgreSQL run, the CLI gets a database of its own on that server (dropped afterwards). */
let databaseUrl = '';
const serverUrl = process.env.TEST_DATABASE_URL;

/** The CLI as a user runs it (`npx npq-ops …`), on an embedded database in a temporary directory. */
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
  dataDir = await mkdtemp(path.join(tmpdir(), 'npq-cli-'));
  if (serverUrl) {
    const name = `npq_cli_test_${process.pid}`;
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

describe('npq-ops CLI', () => {
  it(
    'migrates, seeds demo data and imports participants idempotently',
    { timeout: 180_000 },
    async () => {
      const migrated = await cli('migrate');
      expect(migrated.code).toBe(0);
      expect(migrated.stdout).toMatch(/Migrations applied: \d+/);

      const seeded = await cli('seed', '--demo', '--participants', '5');
      expect(seeded.code).toBe(0);
      expect(seeded.stdout).toContain('Demo data seeded');

      const database = await openDatabase(
        databaseUrl ? { databaseUrl, maxConnections: 1 } : { dataDir },
      );
      const [school] = await queryRows<{ urn: string }>(
        database.db,
        sql`select urn from school order by urn limit 1`,
      );
      const [cohort] = await queryRows<{ identifier: string; year: number }>(
        database.db,
        sql`select co.identifier, c.year from cohort c join programme p on p.id = c.programme_id join course co on co.id = p.course_id order by c.id limit 1`,
      );
      await database.close();

      const row = (trn: string, email: string) =>
        [
          trn,
          '',
          'Ada Lovelace',
          email,
          school!.urn,
          'self',
          'full_time',
          '',
          'yes',
          'yes',
          cohort!.identifier,
          String(cohort!.year),
          'north',
        ].join(',');
      const file = path.join(dataDir, 'participants.csv');
      await writeFile(
        file,
        [
          PARTICIPANT_CSV_COLUMNS.join(','),
          row('7654321', 'ada@school.test'),
          row('12', 'bad'),
        ].join('\n'),
      );

      const first = await cli('import', 'participants', file);
      expect(first.code).toBe(1);
      expect(first.stdout).toContain('Line 3, trn: TRN must be 7 digits');
      expect(first.stdout).toContain(
        'Participants created: 1; already present: 0; enrolments added: 1; invitations emailed: 1; rows with errors: 1',
      );
      expect(first.stderr).toContain('Rows read: 2');

      const again = await cli('import', 'participants', file);
      expect(again.stdout).toContain(
        'Participants created: 0; already present: 1; enrolments added: 0; invitations emailed: 0',
      );

      const token = await cli(
        'token',
        'create',
        '--role',
        'programme_team',
        '--email',
        'robot@example.test',
        '--name',
        'robot',
      );
      expect(token.code).toBe(0);
      expect(token.stdout.trim()).toMatch(/^npq_[A-Za-z0-9_-]{40,}$/);
      expect(token.stderr).toContain('shown only once');
      const wrongRole = await cli(
        'token',
        'create',
        '--role',
        'admin',
        '--email',
        'robot@example.test',
      );
      expect(wrongRole.code).toBe(1);
      expect(wrongRole.stderr).toContain('has the role programme_team');

      const missing = await cli('import', 'participants', path.join(dataDir, 'nope.csv'));
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/no such file|ENOENT/i);
    },
  );

  it('refuses demo data in production', async () => {
    const { stdout, stderr, code } = await run(
      process.execPath,
      ['bin/npq-ops.js', 'seed', '--demo'],
      {
        env: { ...process.env, NODE_ENV: 'production', DATABASE_URL: '', SESSION_SECRET: '' },
      },
    ).then(
      (r) => ({ ...r, code: 0 }),
      (e: { stdout: string; stderr: string; code: number }) => e,
    );
    expect(code).toBe(2);
    expect(stdout + stderr).toContain('DATABASE_URL is required in production');
  });
});
