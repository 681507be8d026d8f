import type { Clock } from '../../clock.js';
import type { Db } from '../../db/client.js';
import { startRepeatingRun, type RepeatingRunLogger } from '../repeating-run.js';
import { deliverDueEmails, type DeliveryReport } from './delivery.js';
import type { EmailSender } from './sender.js';

/**
 * Delivers the outbox in this process every `intervalMs` (the embedded database has no pg-boss).
 * Runs never overlap; the returned function stops the loop and waits for a run in progress.
 */
export function startDeliveryLoop(options: {
  db: Db;
  clock: Clock;
  sender: EmailSender;
  logger: RepeatingRunLogger;
  intervalMs?: number;
}): () => Promise<void> {
  return startRepeatingRun({
    run: () => deliverDueEmails(options),
    onDone: (report: DeliveryReport) => {
      if (Object.values(report).some((n) => n > 0))
        options.logger.info({ report }, 'Email delivery done');
    },
    failureMessage: 'Email delivery failed; trying again shortly',
    logger: options.logger,
    intervalMs: options.intervalMs ?? 30_000,
  });
}
