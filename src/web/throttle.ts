import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import rateLimit, { type FastifyRateLimitStore } from '@fastify/rate-limit';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import {
  claimSignInAttempt,
  recordSignInSuccess,
  type SignInClaim,
} from '../services/sign-in-throttle.js';
import { LRUCache } from 'lru-cache';

const MINUTE = 60_000;

/**
 * Sign-in throttling, in two layers:
 * - Per address (@fastify/rate-limit, counters in this process's memory, on the app's clock):
 *   POST /sign-in, /forgotten-password and the set-password forms, each within its window;
 *   generous enough for an office behind one address, tight enough to stop guessing.
 * - Per account: a slow-down, not a lock-out (src/services/sign-in-throttle.ts, in the database,
 *   shared by every instance). After 5 failures for an email, each address waits before its next
 *   attempt on it, at most 60 seconds; an address that has not tried that email does not wait.
 */
export const THROTTLE = {
  signIn: { max: 30, timeWindow: 15 * MINUTE },
  forgottenPassword: { max: 10, timeWindow: 15 * MINUTE },
  setPassword: { max: 20, timeWindow: 15 * MINUTE },
} as const;

/** The refusal of an attempt that must wait; the same words whether or not the account exists. */
export const tooManySignIns = (seconds: number) =>
  `There have been several attempts to sign in with this email address that were not right. Wait ${seconds} ${seconds === 1 ? 'second' : 'seconds'}, then try again.`;

/** Thrown by the per-address limits; the scope's error handler turns it into a page. */
interface TooManyRequests extends Error {
  statusCode: 429;
  retryAfterMinutes: number;
}

/** The per-address limit of a route, for its `config.rateLimit`. */
export function perAddress(limit: { max: number; timeWindow: number }) {
  return {
    max: limit.max,
    timeWindow: limit.timeWindow,
    errorResponseBuilder: (_req: FastifyRequest, context: { ttl: number }): TooManyRequests =>
      Object.assign(new Error('Too many requests'), {
        statusCode: 429 as const,
        retryAfterMinutes: Math.max(1, Math.ceil(context.ttl / MINUTE)),
      }),
  };
}

/**
 * @fastify/rate-limit's fixed-window memory store, on the app's clock instead of `Date.now()` (so
 * the attack tests can move time on), one map per route, oldest keys dropped beyond `capacity`.
 */
function clockedStore(clock: Clock, capacity = 20_000) {
  return class ClockedStore implements FastifyRateLimitStore {
    // The least recently counted keys go first when there are more than `capacity`.
    private readonly windows = new LRUCache<string, { count: number; startedAt: number }>({
      max: capacity,
    });
    incr(
      key: string,
      callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
      timeWindow: number,
    ): void {
      const now = clock.now().getTime();
      let w = this.windows.get(key);
      if (!w || w.startedAt + timeWindow <= now) {
        w = { count: 0, startedAt: now };
        this.windows.set(key, w);
      }
      w.count += 1;
      callback(null, { current: w.count, ttl: w.startedAt + timeWindow - now });
    }
    child(): FastifyRateLimitStore {
      return new ClockedStore();
    }
  };
}

export interface SignInSlowDown {
  /** May this attempt check the password? (An allowed one counts as a failure until `succeeded`.) */
  claim(request: FastifyRequest, email: string): Promise<SignInClaim>;
  succeeded(email: string): Promise<void>;
}

/**
 * Registers the rate-limit plugin in this (encapsulated) scope, a 429 page for its refusals, and
 * returns the per-account slow-down. Routes registered in the scope afterwards may set
 * `config: { rateLimit: perAddress(THROTTLE.x) }`.
 */
export async function registerThrottle(
  scope: FastifyInstance,
  deps: { db: Db; clock: Clock },
): Promise<SignInSlowDown> {
  await scope.register(rateLimit, { global: false, store: clockedStore(deps.clock) });
  scope.setErrorHandler((error: FastifyError, _request, reply: FastifyReply) => {
    if (error.statusCode !== 429) throw error;
    const minutes = (error as unknown as TooManyRequests).retryAfterMinutes ?? 15;
    return reply.code(429).view('account/too-many-attempts.njk', { minutes });
  });
  return {
    claim: (request, email) =>
      claimSignInAttempt(deps.db, { email, address: request.ip, at: deps.clock.now() }),
    succeeded: (email) => recordSignInSuccess(deps.db, email),
  };
}
