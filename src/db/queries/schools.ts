import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../client.js';

export interface SchoolMatch {
  urn: string;
  name: string;
  town: string | null;
  postcode: string | null;
  /** GIAS establishment status: Open, Closed, Open, but proposed to close, … */
  status: string;
  localAuthority: string | null;
}

/**
 * Schools whose name or town contains the words typed (or whose URN is the one typed), so a
 * teacher can find their new school without knowing its URN. Closed schools are left out unless
 * asked for, and then come last. School names and URNs are public information.
 */
export async function findSchools(
  db: Pick<Db, 'execute'>,
  query: string,
  limit = 20,
  options: { includeClosed?: boolean } = {},
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
  const urn = words.length === 1 && /^\d{6,7}$/.test(words[0]!) ? words[0]! : null;
  const matches = sql`(${sql.join(conditions, sql` and `)}${urn ? sql` or s.urn = ${urn}` : sql``})`;
  return queryRows<SchoolMatch>(
    db,
    sql`select s.urn, s.name, s.town, s.postcode, s.status, la.name as "localAuthority"
        from school s left join local_authority la on la.id = s.local_authority_id
        where ${matches} ${options.includeClosed ? sql`` : sql`and s.status <> 'Closed'`}
        order by (s.status = 'Closed'), s.name, s.urn limit ${limit}`,
  );
}
