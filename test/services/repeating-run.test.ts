import { describe, expect, it, vi } from 'vitest';
import { startRepeatingRun } from '../../src/services/repeating-run.js';

/**
 * The in-process loop behind email delivery, the DfE outbox and the engagement summary on the
 * embedded database: runs at once or after a delay, never overlaps, logs a failure without the
 * query's parameters and carries on, and stops only after the run in progress.
 */
function recorder() {
  const logs: { level: string; obj: object; msg?: string }[] = [];
  return {
    logs,
    logger: {
      info: (obj: object, msg?: string) => void logs.push({ level: 'info', obj, msg }),
      error: (obj: object, msg?: string) => void logs.push({ level: 'error', obj, msg }),
    },
  };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('startRepeatingRun', () => {
  it('runs at once, then every interval, one run at a time, and stop waits for a run', async () => {
    let runs = 0;
    let concurrent = 0;
    let most = 0;
    const results: number[] = [];
    const { logger } = recorder();
    const stop = startRepeatingRun({
      run: async () => {
        runs += 1;
        concurrent += 1;
        most = Math.max(most, concurrent);
        await pause(15); // longer than the interval: ticks meanwhile are skipped
        concurrent -= 1;
        return runs;
      },
      onDone: (n) => void results.push(n),
      failureMessage: 'failed',
      logger,
      intervalMs: 5,
    });
    expect(runs).toBe(1); // at once, before the first tick
    await vi.waitFor(() => expect(results.length).toBeGreaterThanOrEqual(3), { timeout: 5_000 });
    await stop();
    const after = runs;
    expect(concurrent).toBe(0); // the run in progress finished before stop resolved
    expect(most).toBe(1);
    await pause(40);
    expect(runs).toBe(after); // nothing after stop
  });

  it('waits firstRunAfterMs before the first run', async () => {
    let runs = 0;
    const { logger } = recorder();
    const stop = startRepeatingRun({
      run: async () => (runs += 1),
      onDone: () => undefined,
      failureMessage: 'failed',
      logger,
      intervalMs: 60_000,
      firstRunAfterMs: 30,
    });
    expect(runs).toBe(0);
    await pause(10);
    expect(runs).toBe(0);
    await vi.waitFor(() => expect(runs).toBe(1), { timeout: 5_000 });
    await stop();
  });

  it("logs a failure by class, code and first line (never a query's parameters) and tries again", async () => {
    let runs = 0;
    const { logs, logger } = recorder();
    const stop = startRepeatingRun({
      run: async () => {
        runs += 1;
        if (runs === 1) {
          const cause = Object.assign(new Error('connection terminated\nmore detail'), {
            code: '57P01',
          });
          throw Object.assign(new Error('Failed query: select … params: jo@example.test'), {
            cause,
          });
        }
        return 'ok';
      },
      onDone: (r) => logger.info({ r }, 'done'),
      failureMessage: 'It failed; trying again shortly',
      logger,
      intervalMs: 5,
    });
    await vi.waitFor(() => expect(logs.some((l) => l.msg === 'done')).toBe(true), {
      timeout: 5_000,
    });
    await stop();
    expect(logs[0]).toEqual({
      level: 'error',
      obj: { error: 'Error: connection terminated', code: '57P01' },
      msg: 'It failed; trying again shortly',
    });
    expect(JSON.stringify(logs)).not.toContain('example.test');
  });
});
