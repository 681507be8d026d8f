import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../client.js';

export interface SchoolMatch {
  urn: string;
  name: string;
  town: string | null;
}

/**
 * Schools whose name or town contains the words typed, so a teacher can find their new school
 * without knowing its URN. School names and URNs are public information.
 */
export async function findSchools(
  db: Pick<Db, 'execute'>,
  query: string,
  limit = 20,
): Promise<SchoolMatch[]> {
  const words = query
    .trim()
    .split(/\s+/)
    .filter((w) => w.length > 0)
    .slice(0, 6);
  if (words.length === 0) return [];
  const conditions = words.map((w) => {
    const like = `%${w.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return sql`(s.name ilike ${like} or coalesce(s.town, '') ilike ${like})`;
  });
  return queryRows<SchoolMatch>(
    db,
    sql`select s.urn, s.name, s.town from school s
        where ${sql.join(conditions, sql` and `)}
        order by s.name, s.urn limit ${limit}`,
  );
}
