import { describeError } from '../db/connection-errors.js';

export interface RepeatingRunLogger {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * Runs `run` in this process every `intervalMs`: at once, or `firstRunAfterMs` after the start.
 * Runs never overlap (a tick while one is under way is skipped). What a run returns goes to
 * `onDone`; a failure (a database restart, say) is logged with `failureMessage` and retried at the
 * next tick, its error reduced to class, code and first line (describeError), so a failed query's
 * parameters never reach the log. The returned function stops the loop and waits for a run in
 * progress. For work the embedded database has no pg-boss for: email, the DfE outbox, the
 * engagement summary.
 */
export function startRepeatingRun<T>(options: {
  run: () => Promise<T>;
  onDone: (result: T) => void;
  failureMessage: string;
  logger: RepeatingRunLogger;
  intervalMs: number;
  firstRunAfterMs?: number | undefined;
}): () => Promise<void> {
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running) return;
    running = options
      .run()
      .then(options.onDone)
      .catch((error: unknown) => options.logger.error(describeError(error), options.failureMessage))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  const first =
    options.firstRunAfterMs === undefined ? null : setTimeout(tick, options.firstRunAfterMs);
  first?.unref();
  if (!first) tick();
  return async () => {
    if (first) clearTimeout(first);
    clearInterval(timer);
    await running;
  };
}
