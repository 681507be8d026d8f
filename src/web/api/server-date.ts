/**
 * `X-With-Server-Date`: outside production, an API request may say what time it is, as the DfE
 * lead provider API sandbox lets its callers do, so tests, training and demos can show a window
 * opening or closing without waiting for the calendar. In production the header is refused (400),
 * never silently ignored: a caller who believes they set the date must learn that they did not.
 *
 * The API's clock is request-scoped: the routes keep calling `deps.clock.now()`, and that clock
 * reads the request's date from AsyncLocalStorage, entered in a pre-handler hook, so the handler
 * and everything it awaits run inside it and no route or service needs another argument. Sign-in sessions and bearer
 * tokens are checked before that, on the app's own clocks, so the header can neither revive an
 * expired session or token nor extend one; idempotency keys run on the real time too.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../clock.js';

export const SERVER_DATE_HEADER = 'x-with-server-date';

const requestNow = new AsyncLocalStorage<Date>();

/** The base clock, unless the request being handled set its own date with the header. */
export function requestScopedClock(base: Clock): Clock {
  return {
    now: () => {
      const at = requestNow.getStore();
      return at ? new Date(at) : base.now();
    },
  };
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * An ISO 8601 date-time with its offset (`2026-09-24T10:42:00Z`, `…+01:00`), or a date alone
 * (`2026-09-24`, read as 12:00 UTC: the same day in London whatever the season). A date-time
 * without an offset is ambiguous and refused, as is a day that does not exist (2026-02-30).
 */
export function parseServerDate(value: string): Date | null {
  const trimmed = value.trim();
  const dateOnly = DATE_ONLY.test(trimmed);
  const match = dateOnly ? null : DATE_TIME.exec(trimmed);
  if (!dateOnly && !match) return null;
  const day = dateOnly ? trimmed : match![1]!;
  // The calendar day must exist: Date rolls 2026-02-30 over to March, so compare it back.
  const noon = new Date(`${day}T12:00:00Z`);
  if (Number.isNaN(noon.getTime()) || noon.toISOString().slice(0, 10) !== day) return null;
  const at = dateOnly ? noon : new Date(trimmed);
  return Number.isNaN(at.getTime()) ? null : at;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The instant X-With-Server-Date set for this request (outside production only). */
    serverDate?: Date;
  }
}

function badHeader(message: string) {
  return {
    error: 'The request is not valid',
    code: 'BAD_REQUEST',
    errors: [{ path: `headers.${SERVER_DATE_HEADER}`, message }],
  };
}

/** Reads the header on every /api/v1 request and runs the handler at that date when honoured. */
export function registerServerDate(api: FastifyInstance, options: { honoured: boolean }): void {
  api.addHook('onRequest', async (request, reply) => {
    const given = request.headers[SERVER_DATE_HEADER];
    if (given === undefined) return;
    if (!options.honoured) {
      return reply
        .code(400)
        .send(
          badHeader(
            'X-With-Server-Date is for tests and training and is not accepted in production: leave it out and the server uses the real date.',
          ),
        );
    }
    const at = typeof given === 'string' ? parseServerDate(given) : null;
    if (!at) {
      return reply
        .code(400)
        .send(
          badHeader(
            'Give an ISO 8601 date-time with its offset, like 2026-09-24T10:42:00Z, or a date like 2026-09-24',
          ),
        );
    }
    request.serverDate = at;
    void reply.header(SERVER_DATE_HEADER, at.toISOString());
  });
  // What runs inside `done` (the later pre-handlers and the handler, with everything it awaits)
  // reads this request's date from the clock. After body parsing, which would lose the context.
  api.addHook('preHandler', (request, _reply, done) => {
    if (request.serverDate) requestNow.run(request.serverDate, done);
    else done();
  });
}
