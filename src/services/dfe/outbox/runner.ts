import type { Clock } from '../../../clock.js';
import type { Db } from '../../../db/client.js';
import { startRepeatingRun, type RepeatingRunLogger } from '../../repeating-run.js';
import type { DfeClient } from '../client.js';
import { syncDeclarations, type DeclarationSyncReport } from '../declarations/sync.js';
import { deliverDueDfeRequests, type DfeDeliveryReport } from './delivery.js';

export interface DfeRunOptions {
  db: Db;
  clock: Clock;
  client: DfeClient;
}

export type DfeRunReport = { declarations: DeclarationSyncReport } & DfeDeliveryReport;

/** One run: queue the declarations now due (and voids), then deliver the outbox. */
export async function runDfeOutbox(options: DfeRunOptions): Promise<DfeRunReport> {
  const declarations = await syncDeclarations(options);
  const delivery = await deliverDueDfeRequests(options);
  return { declarations, ...delivery };
}

/**
 * On the embedded database (no pg-boss) this process runs the DfE outbox every `intervalMs`.
 * Runs never overlap; the returned function stops the loop and waits for a run in progress.
 */
export function startDfeOutboxLoop(
  options: DfeRunOptions & { logger: RepeatingRunLogger; intervalMs?: number },
): () => Promise<void> {
  return startRepeatingRun({
    run: () => runDfeOutbox(options),
    onDone: (report) => {
      const { declarations, ...delivery } = report;
      if ([...Object.values(declarations), ...Object.values(delivery)].some((n) => n > 0))
        options.logger.info({ report }, 'DfE outbox run done');
    },
    failureMessage: 'DfE outbox run failed; trying again shortly',
    logger: options.logger,
    intervalMs: options.intervalMs ?? 60_000,
  });
}
