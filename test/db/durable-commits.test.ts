import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { openDatabase, queryRows, type Db } from '../../src/db/client.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const url = process.env.TEST_DATABASE_URL;

async function synchronousCommit(db: Db): Promise<{ setting: string; source: string }> {
  const [row] = await queryRows<{ setting: string; source: string }>(
    db,
    sql`select setting, source from pg_settings where name = 'synchronous_commit'`,
  );
  return row!;
}

describe.skipIf(!url)('commits that wait for the disk (PostgreSQL only)', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('a test schema’s sessions commit without waiting (synchronous_commit off)', async () => {
    expect(await synchronousCommit(t.db)).toEqual({ setting: 'off', source: 'client' });
  });

  it('the app’s own connections keep the server’s setting', async () => {
    const app = await openDatabase({ databaseUrl: url!, maxConnections: 1 });
    try {
      expect((await synchronousCommit(app.db)).source).not.toBe('client');
    } finally {
      await app.close();
    }
  });
});
