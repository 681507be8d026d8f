import type { Db } from '../db/client.js';
import type { Clock } from '../clock.js';

export interface DailyReport {
  [step: string]: number;
}

/** The daily processing job (to be filled in): idempotent, safe to run twice or concurrently. */
export async function runDailyProcessing(_deps: { db: Db; clock: Clock }): Promise<DailyReport> {
  return {};
}
