/**
 * Is this error the database connection going away (a restart, a failover, an operator ending
 * sessions, the network) rather than something wrong with the request or the code? Such an error
 * is temporary: the pool opens new connections, so the caller should be told to try again shortly
 * (503 with Retry-After) and never gets a 500.
 *
 * Drivers and query builders wrap errors (drizzle's "Failed query" keeps the driver's error as its
 * `cause`), so the whole cause chain is examined.
 */

/** SQLSTATEs of a connection that is gone or cannot be made right now. */
const CONNECTION_SQLSTATES = new Set([
  '57P01', // admin_shutdown: pg_terminate_backend, a fast shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: the server is starting or in recovery
  '57P05', // idle_session_timeout
  '53300', // too_many_connections: a failover brings everyone back at once
  '25006', // read_only_sql_transaction: connected to a standby during failover
]);

/** Socket errors of Node.js on a lost or refused connection. */
const SOCKET_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Messages node-postgres and pg-pool use when the connection is lost or cannot be had. */
const CONNECTION_MESSAGES = [
  /connection terminated/i,
  /terminating connection/i,
  /not queryable/i, // "Client has encountered a connection error and is not queryable"
  /timeout exceeded when trying to connect/i,
  /connection timeout/i,
  /server closed the connection/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
];

const MAX_DEPTH = 8;

export function isConnectionError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < MAX_DEPTH && current; depth++) {
    if (typeof current !== 'object') return false;
    const { code, message, cause } = current as {
      code?: unknown;
      message?: unknown;
      cause?: unknown;
    };
    if (typeof code === 'string') {
      if (code.startsWith('08') && code.length === 5) return true; // connection_exception class
      if (CONNECTION_SQLSTATES.has(code) || SOCKET_CODES.has(code)) return true;
    }
    if (typeof message === 'string' && CONNECTION_MESSAGES.some((m) => m.test(message))) {
      return true;
    }
    // AggregateError (e.g. a refused connection to every address of a host name).
    const errors = (current as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.some((e) => isConnectionError(e))) return true;
    current = cause;
  }
  return false;
}

/** An error for the log: its class, code and message, never a query's parameters. */
export function describeError(error: unknown): { error: string; code?: string } {
  // pg-boss reports worker failures as plain objects copied from the error.
  if (!error || typeof error !== 'object') return { error: 'unknown' };
  const e = error as { name?: unknown; message?: unknown; code?: unknown; cause?: unknown };
  const message = typeof e.message === 'string' ? e.message : '';
  // drizzle's "Failed query: … params: …" carries the parameters: report the driver's error instead.
  if (message.startsWith('Failed query') && e.cause) return describeError(e.cause);
  const name = typeof e.name === 'string' ? e.name : 'Error';
  return {
    error: `${name}: ${message.split('\n')[0] ?? ''}`,
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
  };
}

/** Seconds a client should wait before retrying when the database is unavailable. */
export const RETRY_AFTER_SECONDS = 5;
