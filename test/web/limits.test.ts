import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createApp } from '../../src/app.js';
import { fixedClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createApiToken } from '../../src/services/auth.js';
import { BULK_LIMITS } from '../../src/web/limits.js';
import { createDemoWorld, type DemoWorld } from '../support/demo-world.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

let w: DemoWorld;
beforeAll(async () => {
  w = await createDemoWorld({ participants: 4 });
});
afterAll(async () => {
  await w?.destroy();
});

async function tokenFor(email: string): Promise<string> {
  return (await createApiToken(w.t.db, { email, role: 'admin' }, w.clock.now())).token;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('bulk request limits', () => {
  it('refuses a batch over the row limit with 413 saying the limit, before touching a row', async () => {
    const token = await tokenFor('bulk.rows@example.org');
    const rows = Array.from({ length: BULK_LIMITS.rows + 1 }, () => ({}));
    const res = await w.app.inject({
      method: 'POST',
      url: '/api/v1/engagement/batch',
      payload: rows,
      headers: bearer(token),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect((res.json() as { error: string }).error).toContain('at most 10,000 rows');

    const ok = await w.app.inject({
      method: 'POST',
      url: '/api/v1/engagement/batch',
      payload: rows.slice(1),
      headers: bearer(token),
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ received: BULK_LIMITS.rows, inserted: 0 });
  });

  it('refuses a CSV over the row limit, and a body over the byte limit, with 413', async () => {
    const token = await tokenFor('bulk.csv@example.org');
    const csv = [
      'participant,activity_id,kind,occurred_at,source,source_event_id',
      ...Array.from({ length: BULK_LIMITS.rows + 1 }, (_, i) => `1234567,1,,2025-01-01,,e${i}`),
    ].join('\n');
    const many = await w.app.inject({
      method: 'POST',
      url: '/api/v1/engagement/import',
      payload: csv,
      headers: { ...bearer(token), 'content-type': 'text/csv' },
    });
    expect(many.statusCode).toBe(413);
    expect((many.json() as { error: string }).error).toContain('10,001 rows');

    const big = await w.app.inject({
      method: 'POST',
      url: '/api/v1/engagement/batch',
      payload: JSON.stringify([{ participant: 'x'.repeat(BULK_LIMITS.bodyBytes) }]),
      headers: { ...bearer(token), 'content-type': 'application/json' },
    });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect((big.json() as { error: string }).error).toContain('over 5 MB');
  });

  it('refuses more xAPI statements than the limit with 413', async () => {
    const token = await tokenFor('bulk.xapi@example.org');
    const res = await w.app.inject({
      method: 'POST',
      url: '/xapi/statements',
      payload: Array.from({ length: BULK_LIMITS.statements + 1 }, () => ({})),
      headers: bearer(token),
    });
    expect(res.statusCode).toBe(413);
    expect((res.json() as { error: string }).error).toContain('at most 5,000 statements');
  });

  it('limits bulk requests per client: the next one gets 429 with Retry-After, others go on', async () => {
    const [greedy, other] = await Promise.all([
      tokenFor('bulk.greedy@example.org'),
      tokenFor('bulk.other@example.org'),
    ]);
    const send = (token: string) =>
      w.app.inject({
        method: 'POST',
        url: '/api/v1/engagement/batch',
        payload: [],
        headers: bearer(token),
      });
    for (let i = 0; i < BULK_LIMITS.perMinute; i += 1)
      expect((await send(greedy)).statusCode).toBe(200);
    const refused = await send(greedy);
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.json()).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    expect((refused.json() as { error: string }).error).toContain('at most 30 a minute');
    expect((await send(other)).statusCode).toBe(200);
    // Other endpoints are not counted against the bulk limit.
    const read = await w.app.inject({
      method: 'GET',
      url: '/api/v1/cohorts',
      headers: bearer(greedy),
    });
    expect(read.statusCode).toBe(200);
  });
});

describe('connection timeouts', () => {
  let t: TestDatabase;
  let app: FastifyInstance;
  let port: number;
  beforeAll(async () => {
    t = await createTestDatabase();
    app = await createApp({
      db: t.db,
      clock: fixedClock(new Date('2026-01-01T12:00:00Z')),
      config: loadConfig({ NODE_ENV: 'test' }),
      timeouts: { headersMs: 400, checkEveryMs: 100, idleMs: 30_000 },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await app?.close();
    await t?.destroy();
  });

  /** Opens a socket, writes `send` (maybe nothing), and resolves with how long until it closed. */
  const closedAfter = (send: string, giveUpMs: number) =>
    new Promise<number>((resolve, reject) => {
      const started = performance.now();
      const socket = connect(port, '127.0.0.1', () => {
        if (send) socket.write(send);
      });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`the socket was still open after ${giveUpMs} ms`));
      }, giveUpMs);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(performance.now() - started);
      });
      socket.resume();
    });

  it('closes a connection that never sends a byte', async () => {
    const ms = await closedAfter('', 5_000);
    expect(ms).toBeGreaterThanOrEqual(300);
    expect(ms).toBeLessThan(2_000);
  });

  it('closes a connection that sends half its headers and stops', async () => {
    const ms = await closedAfter('GET /healthz HTTP/1.1\r\nHost: x\r\n', 5_000);
    expect(ms).toBeLessThan(2_000);
  });

  it('still answers a request sent promptly', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/sign-in`);
    expect(res.status).toBe(200);
  });
});
