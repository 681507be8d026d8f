import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import { MAX_URL_LENGTH } from './plugins/edge.js';

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (a URL or headers over Node's
 * 16 KiB, bytes that are not HTTP, a request that did not arrive in time) are answered in the
 * API's documented error shape, `{ error, code }` (with `errors: [{ path, message }]` for 400),
 * with the same no-store and nosniff headers as every other reply, and the connection is closed.
 * There is no route, session or Accept header to go by at this point, so the answer is JSON.
 */
export interface ClientErrorAnswer {
  status: number;
  body: { error: string; code: string; errors?: { path: string; message: string }[] };
}

const METHOD_AND_TARGET = /^[A-Z]{3,10} /;

/** What to answer for a parser error (exported for the tests' table of cases). */
export function clientErrorAnswer(err: { code?: string; rawPacket?: unknown }): ClientErrorAnswer {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return {
      status: 408,
      body: {
        error: 'The request did not arrive in time. Send it again.',
        code: 'REQUEST_TIMEOUT',
      },
    };
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    // Node counts the request line with the headers. The bytes it had read when it gave up tell
    // which was too long (best effort: they are the last chunk read, normally all of it).
    const text = Buffer.isBuffer(err.rawPacket) ? err.rawPacket.toString('latin1') : '';
    const firstLine = text.split('\r\n', 1)[0] ?? '';
    if (METHOD_AND_TARGET.test(text) && firstLine.length > MAX_URL_LENGTH)
      return {
        status: 414,
        body: {
          error: `The URL is too long: at most ${MAX_URL_LENGTH} characters`,
          code: 'URI_TOO_LONG',
          errors: [{ path: 'url', message: `Use at most ${MAX_URL_LENGTH} characters` }],
        },
      };
    return {
      status: 431,
      body: {
        error: 'The request headers are too large: at most 16 KiB in all, URL included',
        code: 'HEADERS_TOO_LARGE',
      },
    };
  }
  return {
    status: 400,
    body: {
      error: 'The request is not valid HTTP',
      code: 'BAD_REQUEST',
      errors: [{ path: 'request', message: 'Send a well-formed HTTP/1.1 request' }],
    },
  };
}

/** Fastify's `clientErrorHandler` option. */
export function clientErrorHandler(
  this: { log: FastifyBaseLogger },
  err: Error & { code?: string; rawPacket?: unknown },
  socket: Socket,
): void {
  // A reset connection has nobody to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, body } = clientErrorAnswer(err);
  // The error code only: the raw bytes may hold cookies, tokens or personal data.
  this.log.info({ clientError: err.code ?? 'unknown', statusCode: status }, 'client error');
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const json = JSON.stringify(body);
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(json)}`,
    'Cache-Control: no-store',
    'X-Content-Type-Options: nosniff',
    "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'",
    'Referrer-Policy: no-referrer',
    'Connection: close',
  ].join('\r\n');
  socket.end(`${head}\r\n\r\n${json}`, () => socket.destroy());
}
