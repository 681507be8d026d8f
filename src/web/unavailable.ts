import type { FastifyReply, FastifyRequest } from 'fastify';
import { isConnectionError, RETRY_AFTER_SECONDS } from '../db/connection-errors.js';

export { isConnectionError } from '../db/connection-errors.js';

/** The API's answer while the database is unreachable: the documented error shape, code SERVICE_UNAVAILABLE. */
export const UNAVAILABLE_BODY = {
  error: 'The service is unavailable for a moment. Try again in a few seconds.',
  code: 'SERVICE_UNAVAILABLE',
} as const;

/**
 * When `error` is the database connection going away, answers 503 with Retry-After (JSON or the
 * "service unavailable" page) and returns true; otherwise returns false and sends nothing. Logged
 * as a warning with the error's code only: never the query or its parameters.
 */
export function replyIfUnavailable(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  as: 'json' | 'page',
): boolean {
  if (!isConnectionError(error)) return false;
  request.log.warn({ dbError: errorCode(error) }, 'database unavailable: answered 503');
  reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS));
  if (as === 'json') void reply.send({ ...UNAVAILABLE_BODY, reference: request.id });
  else void reply.view('unavailable.njk', { reference: request.id });
  return true;
}

/** The first code in the cause chain (SQLSTATE or socket code), else the error's class name. */
function errorCode(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current && typeof current === 'object'; depth++) {
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === 'string') return code;
    current = cause;
  }
  return error instanceof Error ? error.name : 'unknown';
}
