import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createApp } from '../../src/app.js';
import { fixedClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { MAX_URL_LENGTH } from '../../src/web/plugins/edge.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * What Node's HTTP parser refuses never reaches a route: these tests speak raw HTTP over a socket
 * and expect the documented error shape all the same.
 */
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

interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: { error?: unknown; code?: unknown; errors?: { path: unknown; message: unknown }[] };
}

/** Writes `send` on a fresh socket and reads everything until the server closes it. */
const raw = (send: string) =>
  new Promise<RawReply>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => {
      if (send) socket.write(send);
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('the server did not close the connection'));
    }, 5_000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined); // the server may reset while we still write
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(
        lines.map((l) => [
          l.slice(0, l.indexOf(':')).toLowerCase(),
          l.slice(l.indexOf(':') + 1).trim(),
        ]),
      );
      try {
        resolve({ status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(body) });
      } catch {
        reject(new Error(`not a JSON reply: ${text.slice(0, 200)}`));
      }
    });
  });

function expectShape(reply: RawReply, status: number, code: string) {
  expect(reply.status).toBe(status);
  expect(reply.body.code).toBe(code);
  expect(typeof reply.body.error).toBe('string');
  expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(reply.headers['cache-control']).toBe('no-store');
  expect(reply.headers['x-content-type-options']).toBe('nosniff');
  expect(reply.headers.connection).toBe('close');
  if (status === 400 || status === 414) {
    expect(reply.body.errors?.length).toBeGreaterThan(0);
    for (const e of reply.body.errors ?? []) {
      expect(typeof e.path).toBe('string');
      expect(typeof e.message).toBe('string');
    }
  }
}

describe('requests the HTTP parser refuses', () => {
  it('answers a URL over 16 KiB with 414 in the error shape', async () => {
    const reply = await raw(
      `GET /participants?q=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    expectShape(reply, 414, 'URI_TOO_LONG');
    expect(reply.body.errors).toEqual([
      { path: 'url', message: `Use at most ${MAX_URL_LENGTH} characters` },
    ]);
  });

  it('answers oversized headers with 431 in the error shape', async () => {
    const reply = await raw(
      `GET /sign-in HTTP/1.1\r\nHost: x\r\nCookie: ${'c'.repeat(20_000)}\r\n\r\n`,
    );
    expectShape(reply, 431, 'HEADERS_TOO_LARGE');
  });

  it('answers bytes that are not HTTP with 400 and a field error', async () => {
    expectShape(await raw('HELLO THERE\r\n\r\n'), 400, 'BAD_REQUEST');
    expectShape(await raw('GET / HTTP/1.1\r\nHost x\r\n\r\n'), 400, 'BAD_REQUEST');
  });

  it('answers a request whose headers do not arrive in time with 408', async () => {
    expectShape(await raw('GET /healthz HTTP/1.1\r\nHost: x\r\n'), 408, 'REQUEST_TIMEOUT');
  });

  it('still answers a URL the app refuses itself (8 KiB to 16 KiB) with its own 414', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/cohorts?q=${'a'.repeat(9_000)}`);
    expect(res.status).toBe(414);
    expect(((await res.json()) as { code: string }).code).toBe('URI_TOO_LONG');
  });
});
