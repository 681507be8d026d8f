/**
 * `npq-ops daily --as-of YYYY-MM-DD` (issue 10, "Time for tests and training"): the daily job run
 * for another day, outside production only; a bad date or production exits with code 2.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { openDatabase, queryRows } from '../src/db/client.js';
import { londonDateOf } from '../src/policy/index.js';
import { assertTestDatabaseUrl } from './support/test-database.js';

const run = promisify(execFile);
let dataDir: string;
/** On the PostgreSQL run, the CLI gets a database of its own on that server (dropped afterwards). */
let databaseUrl = '';
const serverUrl = process.env.TEST_DATABASE_URL;

/** The CLI as a user runs it (`npx npq-ops …`), on an embedded database in a temporary directory. */
async function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/npq-ops.js', ...args], {
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        NODE_ENV: 'development',
        DATABASE_URL: databaseUrl,
        ...env,
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
  dataDir = await mkdtemp(path.join(tmpdir(), 'npq-cli-daily-'));
  if (serverUrl) {
    const name = `npq_cli_daily_test_${process.pid}`;
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

describe('npq-ops daily --as-of', () => {
  it('refuses a date that is not YYYY-MM-DD, with exit code 2', { timeout: 60_000 }, async () => {
    for (const bad of ['2026-02-30', '15/01/2026', 'tomorrow']) {
      const res = await cli(['daily', '--as-of', bad]);
      expect(res.code, bad).toBe(2);
      expect(res.stderr).toContain('--as-of must be a date as YYYY-MM-DD');
    }
  });

  it(
    'is refused in production, with exit code 2, before touching a database',
    { timeout: 60_000 },
    async () => {
      const res = await cli(['daily', '--as-of', '2026-01-15'], {
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
        SESSION_SECRET: 'a-production-session-secret-for-this-test-only',
        PUBLIC_URL: 'https://npq.example',
      });
      expect(res.code).toBe(2);
      expect(res.stderr).toContain('refused in production');
      expect(res.stdout).not.toContain('Daily processing done');
    },
  );

  it(
    'runs the job for those days: entered while the window is open, closed the day after it closes',
    { timeout: 300_000 },
    async () => {
      expect((await cli(['seed', '--demo', '--participants', '40'])).code).toBe(0);
      const open = () =>
        openDatabase(databaseUrl ? { databaseUrl, maxConnections: 1 } : { dataDir });
      const count = async (table: 'assessment_entry' | 'assessment_window_result', id: number) => {
        const database = await open();
        try {
          const [row] = await queryRows<{ n: number }>(
            database.db,
            sql`select count(*)::int as n from ${sql.raw(table)} where window_id = ${id}`,
          );
          return row!.n;
        } finally {
          await database.close();
        }
      };
      // The latest window (the one its cohort is entered into next) already past on the real
      // date, so its cohort's engagement is in (2.1.1), with the most active participants, that
      // no daily run has closed yet.
      const database = await open();
      let window: { id: number; opens_on: string; closes_on: string } | undefined;
      try {
        [window] = await queryRows<{ id: number; opens_on: string; closes_on: string }>(
          database.db,
          sql`select w.id, w.opens_on::text, w.closes_on::text from assessment_window w
              join enrolment e on e.cohort_id = w.cohort_id and e.status = 'active'
              where w.closes_on < current_date
                and not exists (select 1 from assessment_window_result r where r.window_id = w.id)
              group by w.id order by count(*) desc, w.opens_on desc limit 1`,
        );
      } finally {
        await database.close();
      }
      expect(window).toBeDefined();
      const { id, opens_on: opensOn, closes_on: closesOn } = window!;
      expect(await count('assessment_entry', id)).toBe(0);

      const during = await cli(['daily', '--as-of', opensOn]);
      expect(during.code, during.stderr).toBe(0);
      expect(during.stdout).toContain(`Daily processing as of ${opensOn}`);
      const entered = await count('assessment_entry', id);
      expect(entered).toBeGreaterThan(0);
      expect(during.stdout).toMatch(/assessmentEntries: [1-9]/);
      expect(await count('assessment_window_result', id)).toBe(0);

      const dayAfter = new Date(Date.parse(`${closesOn}T12:00:00Z`) + 86_400_000)
        .toISOString()
        .slice(0, 10);
      const after = await cli(['daily', '--as-of', dayAfter]);
      expect(after.code, after.stderr).toBe(0);
      expect(after.stdout).toMatch(/assessmentResultsProcessed: [1-9]/);
      // Every participant entered has a result: the window is closed.
      expect(await count('assessment_window_result', id)).toBe(entered);
      // The daily run left each enrolment's engagement figures stored for its day.
      expect(after.stdout).toMatch(
        /Engagement summary: [1-9]\d* enrolments' figures worked out again/,
      );
    },
  );
});

describe('npq-ops engagement-summary', () => {
  it(
    "stores every enrolment's figures for today, then finds nothing left to do",
    { timeout: 120_000 },
    async () => {
      // The demo seeded above (the test before this one).
      const first = await cli(['engagement-summary']);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toMatch(
        /Engagement summary: [1-9]\d* enrolments' figures worked out; every enrolment's are current/,
      );
      const database = await openDatabase(
        databaseUrl ? { databaseUrl, maxConnections: 1 } : { dataDir },
      );
      try {
        const today = londonDateOf(new Date());
        const [row] = await queryRows<{ missing: number }>(
          database.db,
          sql`select count(*)::int as missing from enrolment e
              where not exists (select 1 from enrolment_engagement s where s.enrolment_id = e.id
                                and s.valid_from <= ${today} and s.valid_until > ${today})`,
        );
        expect(row!.missing).toBe(0);
      } finally {
        await database.close();
      }
      const again = await cli(['engagement-summary']);
      expect(again.stdout).toContain("Engagement summary: 0 enrolments' figures worked out");
    },
  );
});
