import pino, { type DestinationStream, type Logger } from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config.js';

/**
 * The server log holds no personal data and no secrets:
 * - request URLs lose the secrets in their paths (calendar feed tokens, invitation and reset
 *   links) and the values of their query strings (searches by name, email or TRN);
 * - errors keep their type, a cleaned message, the database's code and constraint and the stack
 *   frames, never the SQL parameters, the row the database quotes back (`detail`), or the query
 *   options a driver attaches;
 * - no request or response bodies, no cookie or authorization headers;
 * - emails and seven-digit numbers (TRNs) left in any message are masked.
 */

const REDACTED = '[redacted]';

/** Paths whose last segment is a secret: the capability itself. */
const SECRET_PATHS: readonly RegExp[] = [
  /^(\/calendar\/)(?!feed(?:\/|$))[^/?#]+?(\.ics)?$/,
  /^(\/account\/(?:set|reset)-password\/)[^/?#]+()$/,
];

/** A URL fit for the log: secrets in the path replaced, query values replaced, keys kept. */
export function redactUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const q = url.indexOf('?');
  let path = q === -1 ? url : url.slice(0, q);
  for (const pattern of SECRET_PATHS) {
    path = path.replace(
      pattern,
      (_m, head: string, tail: string | undefined) => `${head}${REDACTED}${tail ?? ''}`,
    );
  }
  if (q === -1) return path;
  const keys = url
    .slice(q + 1)
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const key = pair.split('=')[0] ?? '';
      return `${/^[\w.[\]-]{1,40}$/.test(key) ? key : 'param'}=${REDACTED}`;
    });
  return `${path}?${keys.join('&')}`;
}

const EMAIL = /[^\s@"'<>(),;:]+@[^\s@"'<>(),;:]+\.[^\s@"'<>(),;:]+/g;
const SEVEN_DIGITS = /(?<![\d.:])\d{7}(?![\d])/g;

/** Free text bound for the log (messages): secrets, query values, emails and TRNs masked. */
export function redactText(text: string): string {
  return (
    text
      // A failed query's message ends with its parameters: keep the SQL, drop the values.
      .replace(/\nparams: [\s\S]*$/, `\nparams: ${REDACTED}`)
      // A value the database quotes back: `invalid input syntax for type integer: "…"`, `Key (trn)=(…)`.
      .replace(/: "(?:[^"\\]|\\.)*"/g, `: "${REDACTED}"`)
      .replace(/\)=\([^)]*\)/g, `)=(${REDACTED})`)
      .replace(/\/calendar\/(?!feed\b)[^/\s?#"]+\.ics/g, `/calendar/${REDACTED}.ics`)
      .replace(/\/account\/(set|reset)-password\/[^/\s?#"]+/g, `/account/$1-password/${REDACTED}`)
      .replace(/\?[^\s"]+/g, `?${REDACTED}`)
      .replace(EMAIL, '[email]')
      .replace(SEVEN_DIGITS, '[number]')
  );
}

/** What an error may say in the log: nothing its driver attached about the data. */
const SAFE_ERROR_FIELDS = [
  'code',
  'statusCode',
  'status',
  'constraint',
  'table',
  'column',
  'schema',
  'dataType',
  'severity',
  'routine',
] as const;

const MAX_MESSAGE = 2000;

export function safeError(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value !== 'object') return redactText(String(value)).slice(0, MAX_MESSAGE);
  const e = value as Record<string, unknown> & { message?: unknown; stack?: unknown };
  const out: Record<string, unknown> = {
    type: (value as object).constructor?.name ?? 'Error',
    message: redactText(typeof e.message === 'string' ? e.message : '').slice(0, MAX_MESSAGE),
  };
  for (const field of SAFE_ERROR_FIELDS) {
    const v = e[field];
    if (typeof v === 'string' || typeof v === 'number') out[field] = v;
  }
  // The stack's first lines repeat the message (with its parameters): keep the frames only.
  if (typeof e.stack === 'string') {
    const frames = e.stack.split('\n').filter((l) => /^\s+at /.test(l));
    out.stack = [`${String(out.type)}: ${String(out.message)}`, ...frames].join('\n');
  }
  if (e.cause !== undefined && depth < 5) out.cause = safeError(e.cause, depth + 1);
  return out;
}

interface RequestLike {
  method?: string;
  url?: string;
  ip?: string;
  host?: string;
  routeOptions?: { url?: string };
  socket?: { remotePort?: number };
}

export const LOG_SERIALIZERS = {
  req: (req: RequestLike) => ({
    method: req.method,
    url: redactUrl(req.url),
    route: req.routeOptions?.url,
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  }),
  res: (reply: { statusCode?: number }) => ({ statusCode: reply.statusCode }),
  err: (err: unknown) => safeError(err),
  error: (err: unknown) => safeError(err),
};

const REDACT_PATHS = [
  'req.headers',
  'headers.cookie',
  'headers.authorization',
  '*.headers.cookie',
  '*.headers.authorization',
  'body',
  '*.body',
  'password',
  '*.password',
  'token',
  '*.token',
];

/**
 * The app's logger. `destination` is for tests, which read what would have been written.
 * String messages pass through redactText too, so a message that quotes a URL or an error's
 * text (Fastify's own, e.g. "Route GET:/calendar/… not found") holds no secret either.
 */
export function createLogger(
  config: Pick<Config, 'logLevel' | 'env'>,
  destination?: DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    level: config.env === 'test' && !destination ? 'silent' : config.logLevel,
    serializers: LOG_SERIALIZERS,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    hooks: {
      logMethod(args, method) {
        const safe = args.map((a) => (typeof a === 'string' ? redactText(a) : a));
        return method.apply(this, safe as Parameters<typeof method>);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * Any logger the app is handed (a test's, an operator's) gets the same serializers, so Fastify's
 * request and error logs are cleaned whatever logger was configured.
 */
export function withSafeSerializers(logger: FastifyBaseLogger): FastifyBaseLogger {
  return logger.child({}, { serializers: LOG_SERIALIZERS, redact: REDACT_PATHS });
}
