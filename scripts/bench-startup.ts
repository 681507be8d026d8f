/**
 * How long `npm start` takes to serve its first page on the embedded database: from spawning
 * `npm start` until /healthz answers 200 and GET /sign-in has returned its page. Runs alternately
 * on a fresh data directory (first start: database created, migrated and seeded) and on the
 * directory the previous fresh run left behind (a restart), RUNS times each, and prints medians.
 *
 *   npm run bench:startup            # 3 runs of each
 *   RUNS=5 npm run bench:startup
 *   START_COMMAND="npx tsx src/cli.ts serve" npm run bench:startup   # compare another command
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';

const RUNS = Number(process.env.RUNS ?? 3);
const COMMAND = process.env.START_COMMAND ?? 'npm start';
const TIMEOUT_MS = 180_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function status(url: string): Promise<number> {
  try {
    const response = await fetch(url, { redirect: 'manual' });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

/**
 * CPU time (user + system, including reaped children such as `prestart`) of every process in
 * `group`, in ms. On a busy machine wall-clock time mostly measures the queue for the CPU; this
 * is the work the start itself did.
 */
async function groupCpuMs(group: number): Promise<number> {
  let ticks = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces): state is field 3.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== group) continue; // pgrp
      ticks += [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
    } catch {
      // The process ended meanwhile.
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

interface StartTiming {
  wallMs: number;
  cpuMs: number;
}

/** From spawn to the sign-in page, on `dataDir`. */
async function timeStart(dataDir: string): Promise<StartTiming> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child = spawn(COMMAND, {
    shell: true,
    detached: true,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      DATA_DIR: dataDir,
      DATABASE_URL: '',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => void (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => void (output += d.toString()));
  try {
    while (performance.now() - started < TIMEOUT_MS) {
      if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}:\n${output}`);
      if ((await status(`${base}/healthz`)) === 200) {
        const page = await status(`${base}/sign-in`);
        if (page !== 200) throw new Error(`GET /sign-in answered ${page}`);
        const wallMs = performance.now() - started;
        return { wallMs, cpuMs: await groupCpuMs(child.pid!) };
      }
      await sleep(20);
    }
    throw new Error(`no answer in ${TIMEOUT_MS} ms:\n${output}`);
  } finally {
    // npm runs the server in a shell of its own: end the whole process group.
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    await exited;
    // The server's own shutdown closes PGlite; give it a moment to let go of the directory.
    await sleep(200);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const fresh: StartTiming[] = [];
const existing: StartTiming[] = [];
for (let i = 0; i < RUNS; i++) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'npq-startup-'));
  try {
    fresh.push(await timeStart(dataDir));
    existing.push(await timeStart(dataDir));
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
  const show = (t: StartTiming) => `${t.wallMs.toFixed(0)} ms (CPU ${t.cpuMs} ms)`;
  console.error(`run ${i + 1}: fresh ${show(fresh.at(-1)!)}, existing ${show(existing.at(-1)!)}`);
}
const [load1] = (await readFile('/proc/loadavg', 'utf8')).split(' ');
const row = (name: string, timings: StartTiming[], goal: number) => {
  const wall = median(timings.map((t) => t.wallMs));
  const cpu = median(timings.map((t) => t.cpuMs));
  const runs = timings.map((t) => t.wallMs.toFixed(0)).join(', ');
  return `| ${name} | ${wall.toFixed(0)} ms | ${cpu.toFixed(0)} ms | ${runs} | ≤ ${goal} ms | ${wall <= goal ? 'yes' : 'no'} |`;
};
console.log(
  `\n\`${COMMAND}\` to the first page (GET /sign-in), ${RUNS} runs each, load average ${load1} on ${availableParallelism()} CPUs:\n`,
);
console.log('| data directory | median wall | median CPU | runs (wall) | goal | met |');
console.log('| --- | --- | --- | --- | --- | --- |');
console.log(row('fresh (created, migrated, demo seeded)', fresh, 3000));
console.log(row('existing (restart)', existing, 2000));
