import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';

const MINUTE = 60_000;

/**
 * Sign-in throttling (@fastify/rate-limit, counters in this process's memory: they restart with
 * the app, and each app instance keeps its own).
 * - Per address: POST /sign-in, /forgotten-password and the set-password forms, each within its
 *   window; generous enough for an office behind one address, tight enough to stop guessing.
 * - Per account: 5 failed sign-ins for one email (normalised) within 15 minutes lock that email
 *   for 15 minutes from the 5th, from every address. Unknown emails are counted and locked the
 *   same way, so the answer never tells whether an account exists.
 */
export const THROTTLE = {
  signIn: { max: 30, timeWindow: 15 * MINUTE },
  forgottenPassword: { max: 10, timeWindow: 15 * MINUTE },
  setPassword: { max: 20, timeWindow: 15 * MINUTE },
  accountFailures: { max: 5, timeWindow: 15 * MINUTE },
  accountLock: 15 * MINUTE,
} as const;

export const TOO_MANY_SIGN_INS =
  'You have tried to sign in too many times with this email address. Wait 15 minutes, then try again.';

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

export interface AccountLockout {
  /** Whether the email in the request's form is locked out. */
  isLocked(request: FastifyRequest): Promise<boolean>;
  /** Counts a failed sign-in for the email in the request's form; true when it locks the email. */
  recordFailure(request: FastifyRequest): Promise<boolean>;
}

const accountKey = (email: string) => `account:${email.trim().toLowerCase()}`;

/**
 * Registers the rate-limit plugin in this (encapsulated) scope, a 429 page for its refusals, and
 * returns the per-account lockout. Routes registered in the scope afterwards may set
 * `config: { rateLimit: perAddress(THROTTLE.x) }`.
 */
export async function registerThrottle(scope: FastifyInstance): Promise<AccountLockout> {
  await scope.register(rateLimit, { global: false, cache: 20_000 });
  scope.setErrorHandler((error: FastifyError, _request, reply: FastifyReply) => {
    if (error.statusCode !== 429) throw error;
    const minutes = (error as unknown as TooManyRequests).retryAfterMinutes ?? 15;
    return reply.code(429).view('account/too-many-attempts.njk', { minutes });
  });

  // The email is read from the parsed form, so these run in the handler, not a request hook.
  const emailOf = (request: FastifyRequest) => {
    const body = request.body as { email?: unknown } | undefined;
    return accountKey(typeof body?.email === 'string' ? body.email : '');
  };
  const failures = scope.createRateLimit({
    keyGenerator: emailOf,
    max: THROTTLE.accountFailures.max,
    timeWindow: THROTTLE.accountFailures.timeWindow,
  });
  const locks = scope.createRateLimit({
    keyGenerator: emailOf,
    max: 1,
    timeWindow: THROTTLE.accountLock,
  });
  const count = (r: Awaited<ReturnType<typeof failures>>) =>
    r.isAllowed ? 0 : r.max - r.remaining;

  return {
    async isLocked(request) {
      const [f, l] = await Promise.all([
        failures(request, { increment: false }),
        locks(request, { increment: false }),
      ]);
      return count(f) >= THROTTLE.accountFailures.max || count(l) >= 1;
    },
    async recordFailure(request) {
      const f = await failures(request);
      if (count(f) < THROTTLE.accountFailures.max) return false;
      await locks(request);
      return true;
    },
  };
}
