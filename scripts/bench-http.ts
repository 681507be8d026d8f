/**
 * Participant reads over HTTP at 50 connections, side by side with a bare route (issue 13).
 *
 * Two servers in this process, on the bench schema: the real app (createApp, as `npq-ops serve`
 * builds it, production settings) and a bare Fastify + node-postgres route doing one primary-key
 * SELECT of a participant — the most a route on this stack can serve. autocannon runs in its own
 * process (so the load generator does not share a core with the server it measures) against each
 * target in turn (each first warmed up for 2 s, not timed), alternating, and the medians are
 * compared as ratios:
 *
 * - the engagement API (`GET /api/v1/enrolments/{id}/engagement`, bearer token): goal ≥ 50% of
 *   the bare route's requests/s, p99 < 50 ms;
 * - My programme (`GET /my-programme`, signed in as the participant): goal ≥ 30%, p99 < 50 ms.
 *
 * Then the staff cohort dashboard of the largest cohort once, and the app process's resident
 * memory (and its peak): goal < 300 MiB.
 *
 * The app runs in a process of its own as `npm start` runs it, compiled (dist/, made by
 * `npm install`), through scripts/bench-http-server.mjs; the bare route runs in this one.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../src/db/client.js';
import { DEFAULT_DEMO_NOW } from '../src/db/seed/demo.js';
import { createApiToken, hashPassword } from '../src/services/auth.js';

export interface HttpBenchOptions {
  /** The PostgreSQL server and the schema the bench seeded. */
  databaseUrl: string;
  schema: string;
  seconds: number;
  connections: number;
  runs: number;
}

interface Measured {
  requestsPerSecond: number;
  p99: number;
  p50: number;
  errors: number;
}

const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

/** One autocannon run in a child process; its JSON result. */
function autocannon(
  url: string,
  headers: Record<string, string>,
  seconds: number,
  connections: number,
): Promise<Measured> {
  const args = [AUTOCANNON, '-j', '-c', String(connections), '-d', String(seconds)];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}=${v}`);
  args.push(url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}`));
      const r = JSON.parse(out) as {
        requests: { average: number };
        latency: { p99: number; p50: number };
        non2xx: number;
        errors: number;
        timeouts: number;
      };
      resolve({
        requestsPerSecond: r.requests.average,
        p99: r.latency.p99,
        p50: r.latency.p50,
        errors: r.non2xx + r.errors + r.timeouts,
      });
    });
  });
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

/** The app in its own process (compiled code, production settings); its URL and pid. */
async function appServer(databaseUrl: string, schema: string) {
  const script = fileURLToPath(new URL('./bench-http-server.mjs', import.meta.url));
  const child = spawn(process.execPath, [script, databaseUrl, schema], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      reject(new Error(`bench-http: the app exited ${code} (is dist/ built? npm run build)`)),
    );
  });
  return {
    url,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A process's resident memory now and at its peak, in MiB (Linux: /proc/PID/status). */
async function residentMemory(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

/** The bare route: Fastify and a pool of ten, one primary-key SELECT. */
async function bareServer(databaseUrl: string, schema: string) {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 10,
    options: `-c search_path=${schema}`,
  });
  const app = Fastify();
  app.get<{ Params: { id: string } }>('/bare/:id', async (request) => {
    const { rows } = await pool.query('select id, full_name from participant where id = $1', [
      Number(request.params.id),
    ]);
    return rows[0] ?? null;
  });
  return { app, close: async () => (await app.close(), await pool.end()) };
}

/** A participant account with a known password for the enrolment's participant, and an admin token. */
async function credentials(db: Db, participantId: number) {
  const password = randomBytes(12).toString('base64url');
  const email = `bench.participant.${participantId}@npq-ops.test`;
  await db.execute(
    sql`insert into app_user (email, display_name, password_hash, role, participant_id)
        values (${email}, 'Bench participant', ${await hashPassword(password)}, 'participant', ${participantId})
        on conflict (lower(email)) do update set password_hash = excluded.password_hash`,
  );
  const { token } = await createApiToken(
    db,
    { email: `bench.admin.${Date.now()}@npq-ops.test`, role: 'admin' },
    DEFAULT_DEMO_NOW,
  );
  // A programmes-team admin who signs in to the staff cohort dashboard (the memory figure).
  const adminEmail = `bench.staff.${participantId}@npq-ops.test`;
  await db.execute(
    sql`insert into app_user (email, display_name, password_hash, role)
        values (${adminEmail}, 'Bench admin', ${await hashPassword(password)}, 'admin')
        on conflict (lower(email)) do update set password_hash = excluded.password_hash`,
  );
  return { email, password, token, adminEmail };
}

async function signIn(base: string, email: string, password: string): Promise<string> {
  const form = await fetch(`${base}/sign-in`);
  const cookie = (form.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]).join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  const res = await fetch(`${base}/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ _csrf: csrf, email, password }).toString(),
  });
  if (res.status !== 303) throw new Error(`bench sign-in failed: ${res.status}`);
  return (res.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]).join('; ');
}

/** The cookies a browser would send next: those it had, with those the response set in their place. */
function keptCookie(cookie: string, res: Response): string {
  const jar = new Map(
    cookie
      .split('; ')
      .filter(Boolean)
      .map((c) => [c.split('=')[0]!, c] as const),
  );
  for (const set of res.headers.getSetCookie?.() ?? []) {
    const pair = set.split(';')[0]!;
    jar.set(pair.split('=')[0]!, pair);
  }
  return [...jar.values()].join('; ');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export async function benchHttp(db: Db, options: HttpBenchOptions): Promise<void> {
  const [target] = await queryRows<{ enrolment_id: number; participant_id: number }>(
    db,
    sql`select e.id as enrolment_id, e.participant_id from enrolment e join cohort c on c.id = e.cohort_id
        where c.year = 2025 and e.status = 'active' order by e.id limit 1`,
  );
  if (!target) throw new Error('bench-http: no active 2025 enrolment');
  const { email, password, token, adminEmail } = await credentials(db, target.participant_id);
  const [largest] = await queryRows<{ id: number }>(
    db,
    sql`select cohort_id as id from enrolment group by cohort_id order by count(*) desc, cohort_id limit 1`,
  );
  if (!largest) throw new Error('bench-http: no cohort');

  const server = await appServer(options.databaseUrl, options.schema);
  const bare = await bareServer(options.databaseUrl, options.schema);
  try {
    const appBase = server.url;
    const bareBase = await listen(bare.app);
    const cookie = await signIn(appBase, email, password);
    const targets = {
      bare: { url: `${bareBase}/bare/${target.participant_id}`, headers: {} },
      api: {
        url: `${appBase}/api/v1/enrolments/${target.enrolment_id}/engagement`,
        headers: { authorization: `Bearer ${token}` },
      },
      page: { url: `${appBase}/my-programme`, headers: { cookie } },
    };
    // A check that each target answers 200 before it is timed: a 302 to sign-in would look fast.
    // The page's cookie is then the one it set, as a browser keeps it (the session's CSRF secret is
    // added by the first page after signing in; a cookie without it is sealed again every time).
    for (const [name, t] of Object.entries(targets)) {
      const res = await fetch(t.url, { headers: t.headers, redirect: 'manual' });
      if (res.status !== 200) throw new Error(`bench-http: ${name} answered ${res.status}`);
      if (name === 'page') targets.page.headers.cookie = keptCookie(cookie, res);
    }
    // A warm-up, not timed: each target for two seconds, as a server in use has run for a while
    // (compiled hot code, planned statements, the answers and pages it stores and holds).
    for (const t of Object.values(targets)) {
      await autocannon(t.url, t.headers, 2, options.connections);
    }
    const results: Record<keyof typeof targets, Measured[]> = { bare: [], api: [], page: [] };
    for (let run = 0; run < options.runs; run++) {
      for (const name of ['bare', 'api', 'page'] as const) {
        const t = targets[name];
        results[name].push(
          await autocannon(t.url, t.headers, options.seconds, options.connections),
        );
      }
    }
    const med = (name: keyof typeof targets, key: keyof Measured) =>
      median(results[name].map((m) => m[key]));
    const bareRps = med('bare', 'requestsPerSecond');
    const rows: string[][] = [];
    for (const [name, label, goal] of [
      ['api', 'engagement API req/s', 0.5],
      ['page', 'My programme req/s', 0.3],
    ] as const) {
      const rps = med(name, 'requestsPerSecond');
      const p99 = med(name, 'p99');
      const ratio = rps / bareRps;
      rows.push([
        label,
        rps.toFixed(0),
        bareRps.toFixed(0),
        `${(ratio * 100).toFixed(1)}%`,
        `≥ ${goal * 100}%`,
        ratio >= goal ? 'yes' : 'no',
      ]);
      rows.push([
        `${label.replace(' req/s', '')} p99 ms`,
        p99.toFixed(0),
        med('bare', 'p99').toFixed(0),
        (p99 / Math.max(1, med('bare', 'p99'))).toFixed(2),
        '< 50 ms',
        p99 < 50 ? 'yes' : 'no',
      ]);
    }
    // Memory (issue 13: server RSS after the HTTP load and a dashboard request, < 300 MiB), read
    // from the app's own process.
    const staffCookie = await signIn(appBase, adminEmail, password);
    const dashboard = await fetch(`${appBase}/cohorts/${largest.id}`, {
      headers: { cookie: staffCookie },
      redirect: 'manual',
    });
    if (dashboard.status !== 200)
      throw new Error(`bench-http: dashboard answered ${dashboard.status}`);
    await dashboard.arrayBuffer();
    const memory = await residentMemory(server.pid);
    rows.push([
      'server RSS MiB (peak)',
      `${memory.rss.toFixed(0)} (${memory.peak.toFixed(0)})`,
      '',
      '',
      '< 300',
      memory.rss < 300 ? 'yes' : 'no',
    ]);
    const errors = Object.entries(results)
      .map(([n, ms]) => `${n} ${ms.reduce((s, m) => s + m.errors, 0)}`)
      .join(', ');
    const widths = [28, 9, 9, 8, 8, 4];
    const line = (cells: string[]) =>
      cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
    console.log(
      `\nHTTP at ${options.connections} connections, ${options.seconds} s per target after a 2 s warm-up, median of ${options.runs} alternating runs (errors: ${errors})`,
    );
    console.log(line(['Figure', 'product', 'bare', 'ratio', 'goal', 'met']));
    for (const r of rows) console.log(line(r));
  } finally {
    // autocannon ends its connections with requests still in the app's hands: let them finish
    // before the pool closes under them (p99 is well under a second).
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await server.stop();
    await bare.close();
  }
}
