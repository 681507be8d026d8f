/**
 * On the embedded database (no pg-boss) `serve` runs DfE sync in its own process: a pull and the
 * decisions due at start-up, then every 15 minutes; a run never overlaps the one before.
 */
import type { Clock } from '../../../clock.js';
import type { Db } from '../../../db/client.js';
import { createDfeClient } from '../client.js';
import { runDfeSync } from './sync.js';

export const DFE_SYNC_INTERVAL_MS = 15 * 60_000;

export interface DfeSyncLoopOptions {
  db: Db;
  clock: Clock;
  dfeApi: { url: string; token: string };
  logger: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
  intervalMs?: number;
}

export function startDfeSyncLoop(options: DfeSyncLoopOptions): () => Promise<void> {
  const dfe = createDfeClient(options.dfeApi);
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const run = () => {
    running = runDfeSync({
      db: options.db,
      clock: options.clock,
      dfe,
      logger: options.logger,
    }).catch((error: unknown) =>
      options.logger.warn(
        { err: (error as Error)?.name },
        'DfE sync failed: it runs again in 15 minutes',
      ),
    );
  };
  run();
  const timer = setInterval(() => {
    if (!stopped) void running.then(run);
  }, options.intervalMs ?? DFE_SYNC_INTERVAL_MS);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
