import type { Clock } from '../../clock.js';
import type { Db } from '../../db/client.js';
import { describeError } from '../../db/connection-errors.js';
import { deliverDueEmails, type DeliveryReport } from './delivery.js';
import type { EmailSender } from './sender.js';

export interface DeliveryLoopLogger {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * Delivers the outbox in this process every `intervalMs` (the embedded database has no pg-boss).
 * Runs never overlap; the returned function stops the loop and waits for a run in progress.
 */
export function startDeliveryLoop(options: {
  db: Db;
  clock: Clock;
  sender: EmailSender;
  logger: DeliveryLoopLogger;
  intervalMs?: number;
}): () => Promise<void> {
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running) return;
    running = deliverDueEmails(options)
      .then((report: DeliveryReport) => {
        if (Object.values(report).some((n) => n > 0))
          options.logger.info({ report }, 'Email delivery done');
      })
      // Logged and retried at the next tick (a database restart, say). The error's class, code and
      // first line only: a failed query's parameters (addresses) never reach the log.
      .catch((error: unknown) =>
        options.logger.error(describeError(error), 'Email delivery failed; trying again shortly'),
      )
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, options.intervalMs ?? 30_000);
  timer.unref();
  tick();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
