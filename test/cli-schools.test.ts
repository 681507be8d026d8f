import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { queryRows } from '../src/db/client.js';

import { createCliDatabase, type CliDatabase } from './support/cli-database.js';

const SAMPLE = fileURLToPath(new URL('./fixtures/gias-sample.csv', import.meta.url));
let t: CliDatabase;
const cli = (...args: string[]) => t.cli(args);

beforeAll(async () => {
  t = await createCliDatabase('cli-schools');
});
afterAll(async () => {
  await t?.destroy();
});

describe('npq-ops import schools', () => {
  it(
    'imports a GIAS file into an empty database, lists bad rows with line and field, exits 1, and re-runs idempotently',
    { timeout: 180_000 },
    async () => {
      const first = await cli('import', 'schools', SAMPLE);
      expect(first.code).toBe(1);
      expect(first.stderr).toContain('Rows read: 8');
      expect(first.stdout).toContain('Line 7, URN: URN must be 6 or 7 digits');
      expect(first.stdout).toContain('Line 7, EstablishmentName: Enter the establishment name');
      expect(first.stdout).toMatch(
        /Schools added: 7; updated: 0; unchanged: 0; rows with errors: 1/,
      );

      const again = await cli('import', 'schools', SAMPLE);
      expect(again.stdout).toMatch(
        /Schools added: 0; updated: 0; unchanged: 7; rows with errors: 1/,
      );

      const database = await t.open();
      const [welsh] = await queryRows<{ name: string }>(
        database.db,
        sql`select name from school where urn = '401234'`,
      );
      await database.close();
      expect(welsh?.name).toBe('Ysgol Gymraeg Bro Morgannwg – Côr');

      const missing = await cli('import', 'schools', `${t.dataDir}/no-such-file.csv`);
      expect(missing.code).toBe(1);
    },
  );
});
