/**
 * `npm run load`: a 60-second mixed load at 50 connections on a fresh PostgreSQL database.
 *
 * 1. (Re)creates the database LOAD_DATABASE (default npq_load_test) on LOAD_SERVER_URL
 *    (default postgres://postgres@127.0.0.1:5432) and seeds the demo with LOAD_PARTICIPANTS
 *    (default 3,000) participants through the seed CLI.
 * 2. Issues API tokens (one reader, and writers enough for the per-token bulk limit).
 * 3. Starts `npq-ops serve` (its own process, as in production) and signs in the five demo
 *    participants, the programme team and a partner through the sign-in form.
 * 4. Runs autocannon for LOAD_SECONDS (60) at LOAD_CONNECTIONS (50): participant pages, staff
 *    pages, API reads with a bearer token, and engagement batches written through the API.
 * 5. Prints requests, errors (4xx/5xx replies, socket errors and timeouts), p50/p99 latency, and
 *    the server's resident memory (RSS) before, at its peak and after.
 * CPU heavy: not part of `npm test`. The database is left in place for inspection.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon, { type RequestParams } from 'autocannon';
import { sql } from 'drizzle-orm';
import { openDatabase, queryRows } from '../src/db/client.js';
import { createApiToken } from '../src/services/auth.js';
import { DEMO_PASSWORD } from '../src/db/seed/demo.js';
import { BULK_LIMITS } from '../src/web/limits.js';

const SERVER_URL = process.env.LOAD_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432';
const DATABASE = process.env.LOAD_DATABASE ?? 'npq_load_test';
const PARTICIPANTS = Number(process.env.LOAD_PARTICIPANTS ?? 3000);
const SECONDS = Number(process.env.LOAD_SECONDS ?? 60);
const CONNECTIONS = Number(process.env.LOAD_CONNECTIONS ?? 50);
const PORT = Number(process.env.LOAD_PORT ?? 3999);
const BASE = `http://127.0.0.1:${PORT}`;
if (!/^[a-z_][a-z0-9_]*$/.test(DATABASE)) throw new Error('LOAD_DATABASE: letters, digits, _');
const databaseUrl = `${SERVER_URL.replace(/\/+$/, '')}/${DATABASE}`;

const log = (message: string) => console.error(`[load] ${message}`);

function run(args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/npq-ops.js', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`npq-ops ${args[0]} exited ${code}`)),
    );
  });
}

async function freshDatabase(): Promise<void> {
  const admin = await openDatabase({ databaseUrl: `${SERVER_URL}/postgres`, maxConnections: 1 });
  try {
    await admin.db.execute(sql.raw(`drop database if exists ${DATABASE} with (force)`));
    await admin.db.execute(sql.raw(`create database ${DATABASE}`));
  } finally {
    await admin.close();
  }
}

interface Fixtures {
  readToken: string;
  writeTokens: string[];
  participantIds: number[];
  /** (participant id, activity id) pairs of active enrolments, for engagement writes. */
  pairs: { participant: number; activity: number }[];
}

async function fixtures(writers: number): Promise<Fixtures> {
  const { db, close } = await openDatabase({ databaseUrl, maxConnections: 2 });
  try {
    const now = new Date();
    const token = async (email: string) =>
      (await createApiToken(db, { email, role: 'programme_team', name: 'load test' }, now)).token;
    const readToken = await token('programme.team@demo.npq-ops.test');
    const writeTokens: string[] = [];
    for (let i = 0; i < writers; i += 1)
      writeTokens.push(await token(`load.writer${i}@example.org`));
    const participantIds = (
      await queryRows<{ id: number }>(db, sql`select id from participant order by id`)
    ).map((r) => r.id);
    const pairs = await queryRows<{ participant: number; activity: number }>(
      db,
      sql`select e.participant_id as participant, a.id as activity
          from enrolment e join cohort c on c.id = e.cohort_id
          join programme_activity a on a.programme_id = c.programme_id
          where e.status = 'active' order by e.id, a.position limit 2000`,
    );
    return { readToken, writeTokens, participantIds, pairs };
  } finally {
    await close();
  }
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

async function startServer(): Promise<ChildProcess> {
  const server = spawn(process.execPath, ['bin/npq-ops.js', 'serve'], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(PORT),
      HOST: '127.0.0.1',
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      NOTIFY_API_KEY: '',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 240; i += 1) {
    if (server.exitCode !== null) throw new Error(`the server exited ${server.exitCode}`);
    const ok = await fetch(`${BASE}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return server;
    await sleep(500);
  }
  throw new Error('the server did not answer /healthz within 2 minutes');
}

/** Signs in through the form; returns the Cookie header of the session. */
async function signIn(email: string): Promise<string> {
  const form = await fetch(`${BASE}/sign-in`);
  const jar = (res: Response) => res.headers.getSetCookie().map((c) => c.split(';')[0]!);
  const cookies = jar(form);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  const res = await fetch(`${BASE}/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: cookies.join('; '),
    },
    body: new URLSearchParams({ _csrf: csrf, email, password: DEMO_PASSWORD }).toString(),
  });
  if (res.status !== 303) throw new Error(`sign-in of ${email} answered ${res.status}`);
  const merged = new Map(
    [...cookies, ...jar(res)].map((c) => [c.slice(0, c.indexOf('=')), c] as const),
  );
  return [...merged.values()].join('; ');
}

type Kind = 'participant page' | 'staff page' | 'API read' | 'API write';

async function main() {
  const started = Date.now();
  log(`fresh database ${DATABASE}; seeding ${PARTICIPANTS} demo participants (seed CLI)…`);
  await freshDatabase();
  await run(['seed', '--demo', '--participants', String(PARTICIPANTS)], {
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'warn',
  });
  // Writes are at most ~10% of requests; the bulk limit is per token per minute.
  const writers = 60;
  const fx = await fixtures(writers);
  log(`seeded in ${Math.round((Date.now() - started) / 1000)} s; starting the server…`);
  const server = await startServer();
  const pid = server.pid!;
  try {
    const participants = await Promise.all(
      [1, 2, 3, 4, 5].map((n) => signIn(`participant${n}@demo.npq-ops.test`)),
    );
    const team = await signIn('programme.team@demo.npq-ops.test');
    const partner = await signIn('partner.south@demo.npq-ops.test');
    await sleep(2000);
    const rssBefore = rssMb(pid);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, rssMb(pid));
    }, 1000);

    let writeSeq = 0;
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;
    const byKind = new Map<Kind, Map<number, number>>();
    const participantPaths = [
      '/',
      '/my-programme',
      '/events',
      '/assessment',
      '/changes',
      '/my-data',
    ];

    const result = await autocannon({
      url: BASE,
      connections: CONNECTIONS,
      duration: SECONDS,
      timeout: 30,
      requests: [
        {
          setupRequest: (_req, context): RequestParams => {
            const r = Math.random();
            if (r < 0.35) {
              context.kind = 'participant page';
              return {
                method: 'GET',
                path: pick(participantPaths),
                headers: { cookie: pick(participants) },
              };
            }
            if (r < 0.5) {
              context.kind = 'staff page';
              // The team sees every participant; the partner only its own, so lists and cases.
              if (Math.random() < 0.5)
                return {
                  method: 'GET',
                  path: `/participants/${pick(fx.participantIds)}`,
                  headers: { cookie: team },
                };
              return {
                method: 'GET',
                path: pick([`/participants?page=${1 + Math.floor(Math.random() * 20)}`, '/cases']),
                headers: { cookie: pick([team, partner]) },
              };
            }
            if (r < 0.9) {
              context.kind = 'API read';
              const id = pick(fx.participantIds);
              return {
                method: 'GET',
                path: pick([
                  `/api/v1/participants?limit=50&offset=${50 * Math.floor(Math.random() * 40)}`,
                  `/api/v1/participants/${id}`,
                  `/api/v1/participants/${id}/audit-events`,
                  '/api/v1/cohorts',
                ]),
                headers: { authorization: `Bearer ${fx.readToken}` },
              };
            }
            context.kind = 'API write';
            writeSeq += 1;
            const rows = Array.from({ length: 5 }, (_, i) => {
              const pair = pick(fx.pairs);
              return {
                participant: `id:${pair.participant}`,
                activityId: pair.activity,
                occurredAt: new Date(Date.UTC(2026, 0, 1) + writeSeq * 1000 + i).toISOString(),
                source: 'import',
                sourceEventId: `load-${started}-${writeSeq}-${i}`,
              };
            });
            return {
              method: 'POST',
              path: '/api/v1/engagement/batch',
              headers: {
                authorization: `Bearer ${fx.writeTokens[writeSeq % fx.writeTokens.length]}`,
                'content-type': 'application/json',
              },
              body: JSON.stringify(rows),
            };
          },
          onResponse: (status, _body, context) => {
            const kind = context.kind as Kind;
            const counts = byKind.get(kind) ?? new Map<number, number>();
            counts.set(status, (counts.get(status) ?? 0) + 1);
            byKind.set(kind, counts);
          },
        },
      ],
    });
    clearInterval(sampler);
    await sleep(2000);
    const rssAfter = rssMb(pid);

    const replyErrors = Object.entries(result.statusCodeStats)
      .filter(([code]) => Number(code) >= 400)
      .reduce((n, [, s]) => n + s.count, 0);
    const report = {
      database: `PostgreSQL ${DATABASE}, ${PARTICIPANTS} demo participants`,
      seconds: SECONDS,
      connections: CONNECTIONS,
      requests: result.requests.total,
      requestsPerSecond: Math.round(result.requests.average),
      errors: replyErrors + result.errors + result.timeouts,
      errorReplies4xx5xx: replyErrors,
      socketErrors: result.errors,
      timeouts: result.timeouts,
      latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
      statusCodes: Object.fromEntries(
        Object.entries(result.statusCodeStats).map(([c, s]) => [c, s.count]),
      ),
      byKind: Object.fromEntries([...byKind].map(([k, counts]) => [k, Object.fromEntries(counts)])),
      rssMb: { before: rssBefore, peak: rssPeak, after: rssAfter },
      bulkWritesPerTokenPerMinute: BULK_LIMITS.perMinute,
    };
    console.log(JSON.stringify(report, null, 2));
  } finally {
    server.kill('SIGTERM');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
