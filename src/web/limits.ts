import type { FastifyInstance, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { ServiceError } from '../services/errors.js';

/**
 * Limits that keep one client from stalling the others: how long a connection may stay silent,
 * how big a bulk request may be, and how often one client may send one.
 */

/** Connection timeouts (milliseconds), handed to Fastify and Node's HTTP server. */
export interface ServerTimeouts {
  /** A connection must send its request line and headers within this: silent sockets close. */
  headersMs: number;
  /** The whole request, body included, must arrive within this (slow uploads are cut off). */
  requestMs: number;
  /** A socket with no traffic either way for this long is closed, mid-request or not. */
  idleMs: number;
  /** An idle keep-alive connection between requests is closed after this. */
  keepAliveMs: number;
  /** How often Node checks connections against headersMs and requestMs. */
  checkEveryMs: number;
}

export const SERVER_TIMEOUTS: ServerTimeouts = {
  headersMs: 20_000,
  // Uploads of the GIAS file (up to 200 MB) must fit: 10 minutes is about 2.7 Mbit/s.
  requestMs: 600_000,
  idleMs: 120_000,
  // Longer than a load balancer's usual 60 s idle timeout, so it never reuses a closed socket.
  keepAliveMs: 72_000,
  checkEveryMs: 5_000,
};

/** The Fastify options for the timeouts (spread into `Fastify({...})`). */
export function timeoutOptions(overrides: Partial<ServerTimeouts> = {}) {
  const t = { ...SERVER_TIMEOUTS, ...overrides };
  return {
    connectionTimeout: t.idleMs,
    keepAliveTimeout: t.keepAliveMs,
    requestTimeout: t.requestMs,
    http: { headersTimeout: t.headersMs, connectionsCheckingInterval: t.checkEveryMs },
  };
}

export const BULK_LIMITS = {
  /** Largest body of a bulk request (JSON batch, CSV, xAPI statements). */
  bodyBytes: 5 * 1024 * 1024,
  /** Rows in one engagement batch or CSV; a 10,000-row JSON batch is about 1.5 MB. */
  rows: 10_000,
  /** Statements in one xAPI request. */
  statements: 5_000,
  /** Bulk requests one client (token or signed-in user) may send per minute. */
  perMinute: 30,
} as const;

const MB = (bytes: number) => `${Math.round(bytes / (1024 * 1024))} MB`;

/** A request over a limit: 413 with a message that names the limit. */
export class TooLargeError extends ServiceError {
  constructor(message: string) {
    super(message, 413, 'PAYLOAD_TOO_LARGE');
  }
}

export function tooManyRows(count: number, limit: number, what = 'rows'): TooLargeError {
  return new TooLargeError(
    `This request has ${count.toLocaleString('en-GB')} ${what}: send at most ${limit.toLocaleString('en-GB')} ${what} in one request, and split larger loads into several requests.`,
  );
}

export const BODY_TOO_LARGE = `The request body is over ${MB(BULK_LIMITS.bodyBytes)}, the limit for one request: split the load into smaller requests (at most ${BULK_LIMITS.rows.toLocaleString('en-GB')} rows, or ${BULK_LIMITS.statements.toLocaleString('en-GB')} xAPI statements, each).`;

/** Who a bulk request is from, for its rate limit: the token's or session's user, else the address. */
export function clientKey(request: FastifyRequest): string {
  return request.actor ? `user:${request.actor.userId}` : `ip:${request.ip}`;
}

/**
 * Registers the per-client rate limit in this (encapsulated) scope; routes registered in it
 * afterwards pass `config: { rateLimit: BULK_RATE_LIMIT }`. Counters live in this process's
 * memory. A refusal is 429 with Retry-After and a message saying the limit.
 */
export async function registerBulkRateLimit(scope: FastifyInstance): Promise<void> {
  await scope.register(rateLimit, { global: false, cache: 10_000 });
}

export const BULK_RATE_LIMIT = {
  max: BULK_LIMITS.perMinute,
  timeWindow: 60_000,
  keyGenerator: clientKey,
  errorResponseBuilder: (_request: FastifyRequest, context: { ttl: number }) =>
    new ServiceError(
      `Too many bulk requests: at most ${BULK_LIMITS.perMinute} a minute for one client. Try again in ${Math.max(1, Math.ceil(context.ttl / 1000))} seconds.`,
      429,
      'TOO_MANY_REQUESTS',
    ),
};
