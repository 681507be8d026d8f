import { describeError, isConnectionError } from './connection-errors.js';

/**
 * Background work that loses its database connection must not end the process. pg-boss, for one,
 * records a finished job without awaiting it: if the connection is lost at that moment the promise
 * rejects with nobody listening, and Node.js ends the process on an unhandled rejection.
 *
 * Installed by `serve`: a connection error is logged and the process carries on (the pool
 * reconnects, pg-boss retries); any other unhandled rejection is a bug and still ends the process,
 * as Node.js would.
 */
export function guardConnectionFaults(logger: {
  warn(obj: object, msg?: string): void;
}): () => void {
  const onRejection = (reason: unknown) => {
    if (isConnectionError(reason)) {
      logger.warn(
        describeError(reason),
        'database connection lost in background work; carrying on',
      );
      return;
    }
    throw reason;
  };
  process.on('unhandledRejection', onRejection);
  return () => void process.off('unhandledRejection', onRejection);
}
