import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { createApp } from '../../src/app.js';
import { fixedClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase, queryRows, type Database } from '../../src/db/client.js';
import { isConnectionError } from '../../src/db/connection-errors.js';
import { seedCatalogue } from '../../src/db/seed/catalogue.js';
import { DEFAULT_DEMO_NOW, DEMO_PASSWORD, seedDemo } from '../../src/db/seed/demo.js';
import PgBoss from 'pg-boss';
import { startScheduler } from '../../src/services/job-scheduler.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const url = process.env.TEST_DATABASE_URL;

const CONCURRENCY = 20;
const PAGE = '/participants';
const API = '/api/v1/participants';
/** Service must be back this soon after the database is (the pool reconnects on demand). */
const RECOVERY_LIMIT_MS = 5_000;

interface Outcome {
  kind: 'page' | 'api';
  /** When the request was sent and when its answer came. */
  sentAt: number;
  at: number;
  /** 0: no HTTP answer at all (the app was gone or dropped the connection). */
  status: number;
  retryAfter: string | null;
  body: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// pg_terminate_backend and a lost server need a PostgreSQL server: PGlite runs inside this
// process and has no connections to lose.
describe.skipIf(!url)('database faults under load (PostgreSQL only)', () => {
  let t: TestDatabase;
  let proxy: TcpProxy;
  let appDb: Database;
  let app: FastifyInstance;
  let base: string;
  let cookie: string;
  const applicationName = `npq_fault_${randomBytes(4).toString('hex')}`;
  const lostConnections: Error[] = [];

  beforeAll(async () => {
    t = await createTestDatabase();
    await seedCatalogue(t.db);
    await seedDemo(t.db, { participants: 40, withUsers: true, now: DEFAULT_DEMO_NOW });
    const server = new URL(url!);
    proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port || 5432) });
    const viaProxy = new URL(url!);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    // The app's own pool, named so that only its sessions are terminated, reached through the proxy.
    appDb = await openDatabase({
      databaseUrl: viaProxy.toString(),
      schema: t.schema,
      maxConnections: 10,
      applicationName,
      onConnectionError: (error) => void lostConnections.push(error),
    });
    app = await createApp({
      db: appDb.db,
      clock: fixedClock(DEFAULT_DEMO_NOW),
      config: loadConfig({ NODE_ENV: 'test' }),
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    cookie = await signIn(app, 'partner.north@demo.npq-ops.test');
  });
  afterAll(async () => {
    await app?.close();
    await appDb?.close();
    await proxy?.close();
    await t?.destroy();
  });

  async function get(path: string): Promise<Omit<Outcome, 'kind' | 'sentAt' | 'at'>> {
    try {
      const res = await fetch(base + path, {
        headers: { cookie, accept: path.startsWith('/api/') ? 'application/json' : 'text/html' },
        redirect: 'manual',
        signal: AbortSignal.timeout(15_000),
      });
      return {
        status: res.status,
        retryAfter: res.headers.get('retry-after'),
        body: await res.text(),
      };
    } catch {
      return { status: 0, retryAfter: null, body: '' };
    }
  }

  /** CONCURRENCY clients, each asking for the page then the API in a loop until stopped. */
  function startLoad() {
    const outcomes: Outcome[] = [];
    let stopped = false;
    const clients = Array.from({ length: CONCURRENCY }, async () => {
      while (!stopped) {
        for (const kind of ['page', 'api'] as const) {
          const sentAt = Date.now();
          const outcome = await get(kind === 'page' ? PAGE : API);
          outcomes.push({ kind, sentAt, at: Date.now(), ...outcome });
        }
      }
    });
    return {
      outcomes,
      async stop() {
        stopped = true;
        await Promise.all(clients);
        return outcomes;
      },
    };
  }

  async function terminateAppConnections(): Promise<number> {
    const [row] = await queryRows<{ n: number }>(
      t.db,
      sql`select count(*) filter (where pg_terminate_backend(pid))::int as n
          from pg_stat_activity where application_name = ${applicationName}`,
    );
    return row!.n;
  }

  /** Waits until the page, the API and /healthz all answer 200; returns how long that took. */
  async function timeToRecover(): Promise<number> {
    const started = Date.now();
    while (Date.now() - started < 30_000) {
      const answers = await Promise.all([get(PAGE), get(API), get('/healthz')]);
      if (answers.every((a) => a.status === 200)) return Date.now() - started;
      await sleep(100);
    }
    return Number.POSITIVE_INFINITY;
  }

  /** Every answer is a success or a well-formed 503; never a 500, never a dropped connection. */
  function expectOnly200sAnd503s(outcomes: Outcome[]) {
    const statuses = new Set(outcomes.map((o) => o.status));
    expect([...statuses].filter((s) => s !== 200 && s !== 503)).toEqual([]);
    for (const o of outcomes.filter((o) => o.status === 503)) {
      expect(o.retryAfter).toBe('5');
      if (o.kind === 'api') {
        expect(JSON.parse(o.body)).toMatchObject({
          error: expect.stringContaining('Try again in a few seconds') as unknown,
          code: 'SERVICE_UNAVAILABLE',
          reference: expect.any(String) as unknown,
        });
      } else {
        expect(o.body).toContain('Sorry, the service is unavailable');
        expect(o.body).toContain('Try again in a few seconds');
      }
    }
  }

  const tally = (outcomes: Outcome[]) => ({
    requests: outcomes.length,
    ok: outcomes.filter((o) => o.status === 200).length,
    unavailable: outcomes.filter((o) => o.status === 503).length,
    other: outcomes.filter((o) => o.status !== 200 && o.status !== 503).length,
  });

  it('a transaction whose connection is terminated between statements fails cleanly; the process lives on', async () => {
    const before = lostConnections.length;
    const work = appDb.db.transaction(async (tx) => {
      await tx.execute(sql`select 1`);
      // The client is checked out and idle between statements: the 'error' event that follows
      // had no listener before, and killed the process.
      expect(await terminateAppConnections()).toBeGreaterThan(0);
      await sleep(300);
      await tx.execute(sql`select 1`);
    });
    const error = await work.then(
      () => null,
      (e: unknown) => e,
    );
    expect(isConnectionError(error)).toBe(true);
    expect(lostConnections.length).toBeGreaterThan(before);
    // The pool replaced the broken client.
    expect((await queryRows<{ one: number }>(appDb.db, sql`select 1 as one`))[0]!.one).toBe(1);
  });

  it('connections terminated under load: 503 with Retry-After in flight, never a 500, back within seconds', async () => {
    const load = startLoad();
    await sleep(1_000);
    const terminated: number[] = [];
    for (let round = 0; round < 5; round++) {
      terminated.push(await terminateAppConnections());
      await sleep(700);
    }
    const recoveryMs = await timeToRecover();
    await sleep(500);
    const outcomes = await load.stop();

    const figures = { ...tally(outcomes), terminated, recoveryMs };
    console.log('pg_terminate_backend x5 under load:', JSON.stringify(figures));
    expect(terminated.some((n) => n > 0)).toBe(true);
    expectOnly200sAnd503s(outcomes);
    expect(recoveryMs).toBeLessThan(RECOVERY_LIMIT_MS);
    // After recovery the load runs clean again.
    const lastSecond = outcomes.filter((o) => o.at > Date.now() - 400);
    expect(lastSecond.length).toBeGreaterThan(0);
    expect(lastSecond.every((o) => o.status === 200)).toBe(true);
  });

  it('the database away for 3 seconds (restart, failover): /healthz DOWN, 503s, then UP and serving on its own', async () => {
    const load = startLoad();
    await sleep(500);
    await proxy.down();
    const downAt = Date.now();
    await sleep(1_000);
    const health = await get('/healthz');
    expect(health.status).toBe(503);
    expect(JSON.parse(health.body)).toEqual({ status: 'DOWN', checks: { database: 'DOWN' } });
    expect(health.retryAfter).toBe('5');
    await sleep(2_000);
    await proxy.up();
    const outageMs = Date.now() - downAt;
    const recoveryMs = await timeToRecover();
    await sleep(500);
    const outcomes = await load.stop();

    // Sent and answered while the database was away.
    const during = outcomes.filter((o) => o.sentAt > downAt && o.at < downAt + outageMs);
    console.log(
      'database away for 3 s under load:',
      JSON.stringify({ ...tally(outcomes), duringOutage: tally(during), outageMs, recoveryMs }),
    );
    expectOnly200sAnd503s(outcomes);
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((o) => o.status === 503)).toBe(true);
    expect(recoveryMs).toBeLessThan(RECOVERY_LIMIT_MS);
    const health2 = await get('/healthz');
    expect(JSON.parse(health2.body)).toEqual({ status: 'UP', checks: { database: 'UP' } });
  });

  it('the job runner (pg-boss) logs a lost database, carries on, and runs the daily job once it is back', async () => {
    const bossSchema = `pgboss_${randomBytes(4).toString('hex')}`;
    const viaProxy = new URL(url!);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const logs: { msg: string; obj: object }[] = [];
    const logger = {
      info: (obj: object, msg?: string) => void logs.push({ obj, msg: msg ?? '' }),
      error: (obj: object, msg?: string) => void logs.push({ obj, msg: `error: ${msg ?? ''}` }),
    };
    const stop = await startScheduler({
      databaseUrl: viaProxy.toString(),
      db: appDb.db,
      clock: fixedClock(DEFAULT_DEMO_NOW),
      logger,
      schema: bossSchema,
      pollingIntervalSeconds: 0.5,
    });
    try {
      // A failed run is retried with backoff.
      const [queue] = await queryRows<{ retry_limit: number; retry_backoff: boolean }>(
        t.db,
        sql.raw(
          `select retry_limit, retry_backoff from ${bossSchema}.queue where name = 'npq-ops-daily-processing'`,
        ),
      );
      expect(queue).toEqual({ retry_limit: 5, retry_backoff: true });
      await proxy.down();
      await sleep(2_000);
      await proxy.up();
      expect(logs.some((l) => l.msg === 'error: pg-boss error')).toBe(true);
      // Nothing about a query's parameters reaches the log.
      expect(JSON.stringify(logs)).not.toMatch(/params:/);

      // Once the database is back, pg-boss works again: a queued daily run is done.
      const sender = new PgBoss({ connectionString: url!, schema: bossSchema });
      await sender.start();
      try {
        await sender.send('npq-ops-daily-processing', {});
        const deadline = Date.now() + 20_000;
        while (!logs.some((l) => l.msg === 'Daily processing done') && Date.now() < deadline) {
          await sleep(200);
        }
      } finally {
        await sender.stop({ graceful: false, wait: true });
      }
      expect(logs.map((l) => l.msg)).toContain('Daily processing done');
    } finally {
      await stop();
      await t.db.execute(sql.raw(`drop schema if exists ${bossSchema} cascade`));
    }
  });
});

async function signIn(app: FastifyInstance, email: string): Promise<string> {
  const form = await app.inject({ method: 'GET', url: '/sign-in' });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
  const cookies = Object.fromEntries(form.cookies.map((c) => [c.name, c.value]));
  const res = await app.inject({
    method: 'POST',
    url: '/sign-in',
    cookies,
    payload: { _csrf: csrf, email, password: DEMO_PASSWORD },
  });
  if (res.statusCode !== 303) throw new Error(`Sign-in as ${email} failed: ${res.statusCode}`);
  // As sent (still encoded): the cookie header for plain HTTP requests.
  const setCookie = res.headers['set-cookie'];
  const raw = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  return raw.map((c) => c.split(';')[0]).join('; ');
}
