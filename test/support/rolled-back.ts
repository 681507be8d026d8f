import { expect } from 'vitest';
import type { Db } from '../../src/db/client.js';

class Rollback extends Error {}

/**
 * Runs `change` in a transaction of `db`, then `check` inside the same transaction (so it sees
 * what the change and its triggers left), then rolls it all back: a fixture shared by a file's
 * tests stays as it was.
 */
export async function checkRolledBack(
  db: Db,
  change: (tx: Db) => Promise<void>,
  check: (tx: Db) => Promise<void>,
): Promise<void> {
  let checked = false;
  try {
    await db.transaction(async (tx) => {
      await change(tx);
      await check(tx);
      checked = true;
      throw new Rollback();
    });
  } catch (error) {
    if (!(error instanceof Rollback)) throw error;
  }
  expect(checked).toBe(true);
}
