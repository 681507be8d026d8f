import type { Clock } from '../../../clock.js';
import type { Db } from '../../../db/client.js';
import { describeError } from '../../../db/connection-errors.js';
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

interface LoopLogger {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * On the embedded database (no pg-boss) this process runs the DfE outbox every `intervalMs`.
 * Runs never overlap; the returned function stops the loop and waits for a run in progress.
 */
export function startDfeOutboxLoop(
  options: DfeRunOptions & { logger: LoopLogger; intervalMs?: number },
): () => Promise<void> {
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running) return;
    running = runDfeOutbox(options)
      .then((report) => {
        const { declarations, ...delivery } = report;
        if ([...Object.values(declarations), ...Object.values(delivery)].some((n) => n > 0))
          options.logger.info({ report }, 'DfE outbox run done');
      })
      .catch((error: unknown) =>
        options.logger.error(describeError(error), 'DfE outbox run failed; trying again shortly'),
      )
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, options.intervalMs ?? 60_000);
  timer.unref();
  tick();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
