import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../src/db/client.js';

/**
 * How many rows every table of the test's schema holds, for "nothing was written" checks: take it
 * before a refused request and compare after (`expect(await rowCounts(db)).toEqual(before)`).
 * Counts cover inserts and deletes anywhere, including the audit log; pair with a check of the
 * record a refused update would have changed.
 */
export async function rowCounts(db: Db): Promise<Record<string, number>> {
  const tables = await queryRows<{ name: string }>(
    db,
    sql`select table_name as name from information_schema.tables
        where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`,
  );
  if (tables.length === 0) throw new Error('rowCounts: the current schema has no tables');
  const rows = await queryRows<{ name: string; n: number }>(
    db,
    sql.join(
      tables.map(
        (t) =>
          sql`select ${t.name}::text as name, count(*)::int as n from ${sql.identifier(t.name)}`,
      ),
      sql` union all `,
    ),
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.n]));
}
