import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { sql } from 'drizzle-orm';
import { openDatabase, queryRows, type Database } from '../src/db/client.js';
import { DEMO_PASSWORD } from '../src/db/seed/demo.js';
import { assertTestDatabaseUrl } from './support/test-database.js';

const url = process.env.TEST_DATABASE_URL;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The real process, as deployed: `npq-ops serve` (web app and pg-boss) on a database of its own,
 * whose every connection is terminated, several times, as a failover or restart would.
 */
describe.skipIf(!url)(
  'npq-ops serve survives its database connections being terminated (PostgreSQL only)',
  () => {
    const dbName = `test_faults_${randomBytes(4).toString('hex')}`;
    let admin: Database;
    let child: ChildProcess;
    let base: string;
    let output = '';

    beforeAll(async () => {
      admin = await openDatabase({ databaseUrl: assertTestDatabaseUrl(url!), maxConnections: 1 });
      await admin.db.execute(sql.raw(`create database ${dbName}`));
      const dbUrl = new URL(url!);
      dbUrl.pathname = `/${dbName}`;
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      child = spawn(process.execPath, ['bin/npq-ops.js', 'serve'], {
        env: {
          PATH: process.env.PATH,
          NODE_ENV: 'development',
          DATABASE_URL: dbUrl.toString(),
          HOST: '127.0.0.1',
          PORT: String(port),
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (d: Buffer) => void (output += d.toString()));
      child.stderr!.on('data', (d: Buffer) => void (output += d.toString()));
      // Migrations and the demo data (100 participants) come first.
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline && child.exitCode === null) {
        if ((await health()) === 200) return;
        await sleep(500);
      }
      throw new Error(`serve did not start:\n${output}`);
    }, 150_000);

    afterAll(async () => {
      if (child && child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(10_000)]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await admin?.db.execute(sql.raw(`drop database if exists ${dbName} with (force)`));
      await admin?.close();
    });

    async function health(): Promise<number> {
      try {
        return (await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(10_000) })).status;
      } catch {
        return 0;
      }
    }

    async function signIn(email: string): Promise<string> {
      const cookieOf = (res: Response) =>
        res.headers
          .getSetCookie()
          .map((c) => c.split(';')[0])
          .join('; ');
      const form = await fetch(`${base}/sign-in`);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
      const res = await fetch(`${base}/sign-in`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: cookieOf(form), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf, email, password: DEMO_PASSWORD }).toString(),
      });
      if (res.status !== 303) throw new Error(`sign-in failed: ${res.status}`);
      return cookieOf(res);
    }

    async function page(cookie: string): Promise<{ status: number; retryAfter: string | null }> {
      try {
        const res = await fetch(`${base}/participants`, {
          headers: { cookie },
          redirect: 'manual',
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer();
        return { status: res.status, retryAfter: res.headers.get('retry-after') };
      } catch {
        return { status: 0, retryAfter: null };
      }
    }

    /** Ends every session on the dedicated database: the app's pool and pg-boss's alike. */
    async function terminateAll(): Promise<number> {
      const [row] = await queryRows<{ n: number }>(
        admin.db,
        sql`select count(*) filter (where pg_terminate_backend(pid))::int as n
          from pg_stat_activity where datname = ${dbName} and pid <> pg_backend_pid()`,
      );
      return row!.n;
    }

    it('keeps running and serving: in-flight requests get 503 with Retry-After, then it answers again by itself', async () => {
      const cookie = await signIn('partner.north@demo.npq-ops.test');
      expect((await page(cookie)).status).toBe(200);

      const answers: { status: number; retryAfter: string | null }[] = [];
      let stopped = false;
      const clients = Array.from({ length: 10 }, async () => {
        while (!stopped) answers.push(await page(cookie));
      });
      const terminated: number[] = [];
      for (let round = 0; round < 4; round++) {
        await sleep(800);
        terminated.push(await terminateAll());
      }
      const lastTermination = Date.now();
      let recoveryMs = Number.POSITIVE_INFINITY;
      while (Date.now() - lastTermination < 30_000) {
        if ((await health()) === 200 && (await page(cookie)).status === 200) {
          recoveryMs = Date.now() - lastTermination;
          break;
        }
        await sleep(100);
      }
      // pg-boss polls every 2 s: give it time to meet its lost connections too.
      await sleep(3_000);
      stopped = true;
      await Promise.all(clients);

      const count = (s: number) => answers.filter((a) => a.status === s).length;
      console.log(
        'npq-ops serve, all sessions terminated x4:',
        JSON.stringify({
          requests: answers.length,
          ok: count(200),
          unavailable: count(503),
          other: answers.length - count(200) - count(503),
          terminated,
          recoveryMs,
        }),
      );
      expect(terminated.every((n) => n > 0)).toBe(true);
      expect(child.exitCode).toBeNull();
      expect(answers.filter((a) => a.status !== 200 && a.status !== 503)).toEqual([]);
      expect(answers.filter((a) => a.status === 503).every((a) => a.retryAfter === '5')).toBe(true);
      expect(recoveryMs).toBeLessThan(5_000);
      expect(await health()).toBe(200);
      expect((await page(cookie)).status).toBe(200);
      // The lost connections were logged, without any query's parameters.
      expect(output).toContain('database connection lost');
      expect(output).not.toMatch(/params:/);
    }, 90_000);
  },
);
