import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { COACHING_COURSES, COURSE_IDENTIFIERS } from '../../src/domain/catalogue.js';
import { catalogueFingerprint, seedCatalogue } from '../../src/db/seed/catalogue.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
  await seedCatalogue(t.db);
});
afterAll(async () => {
  await t.destroy();
});

/** A fingerprint of every catalogue row, to prove a second run changes nothing. */
async function fingerprint() {
  const [row] = await queryRows<Record<string, string>>(
    t.db,
    sql`select
      (select count(*) from course)::text as courses,
      (select count(*) from programme)::text as programmes,
      (select count(*) from programme_module)::text as modules,
      (select count(*) from programme_activity)::text as activities,
      (select md5(string_agg(concat_ws('|', id, programme_id, kind, position, module_id, session_number,
                  sequence_number, title, content_md, planned_minutes), ',' order by id))
         from programme_activity) as activity_hash,
      (select md5(string_agg(concat_ws('|', id, programme_id, position, title), ',' order by id))
         from programme_module) as module_hash`,
  );
  return row;
}

describe('seedCatalogue', () => {
  it('creates the 11 DfE courses, each with one programme', async () => {
    const rows = await queryRows<{ identifier: string; programmes: number }>(
      t.db,
      sql`select c.identifier, count(p.id)::int as programmes
          from course c left join programme p on p.course_id = c.id group by c.identifier`,
    );
    expect(rows.map((r) => r.identifier).sort()).toEqual([...COURSE_IDENTIFIERS].sort());
    expect(rows.every((r) => r.programmes === 1)).toBe(true);
  });

  it('gives coaching to NPQEL and EHCO only', async () => {
    const rows = await queryRows<{ identifier: string; entitled: boolean; coaching: number }>(
      t.db,
      sql`select c.identifier, p.coaching_entitled as entitled,
                 count(a.id) filter (where a.kind = 'coaching')::int as coaching
          from course c join programme p on p.course_id = c.id
          join programme_activity a on a.programme_id = p.id
          group by c.identifier, p.coaching_entitled`,
    );
    for (const row of rows) {
      const coached = COACHING_COURSES.includes(row.identifier as never);
      expect(row.entitled, row.identifier).toBe(coached);
      if (coached) expect(row.coaching, row.identifier).toBeGreaterThanOrEqual(4);
      else expect(row.coaching, row.identifier).toBe(0);
    }
  });

  it('puts six 50-minute study sessions in each module, in order', async () => {
    const rows = await queryRows<{ module_id: number; sessions: number[]; minutes: number[] }>(
      t.db,
      sql`select m.id as module_id,
                 array_agg(a.session_number order by a.position) as sessions,
                 array_agg(a.planned_minutes order by a.position) as minutes
          from programme_module m join programme_activity a on a.module_id = m.id and a.kind = 'study_session'
          group by m.id`,
    );
    const [modules] = await queryRows<{ n: number }>(
      t.db,
      sql`select count(*)::int as n from programme_module`,
    );
    expect(rows).toHaveLength(modules!.n);
    for (const row of rows) {
      expect(row.sessions).toEqual([1, 2, 3, 4, 5, 6]);
      expect(row.minutes).toEqual([50, 50, 50, 50, 50, 50]);
    }
  });

  it('numbers positions 1..n per programme and sequence numbers 1..n per kind', async () => {
    const rows = await queryRows<{ ok: boolean }>(
      t.db,
      sql`select bool_and(ok) as ok from (
            select position = row_number() over (partition by programme_id order by position) as ok
            from programme_activity
            union all
            select sequence_number = row_number() over (partition by programme_id, kind order by position)
            from programme_activity) x`,
    );
    expect(rows[0]?.ok).toBe(true);
  });

  it('sizes programmes by course group and gives every session a title and content', async () => {
    const rows = await queryRows<{
      course_group: string;
      modules: number;
      conferences: number;
      untitled: number;
    }>(
      t.db,
      sql`select c.course_group,
                 (select count(*)::int from programme_module m where m.programme_id = p.id) as modules,
                 (select count(*)::int from programme_activity a where a.programme_id = p.id and a.kind = 'conference') as conferences,
                 (select count(*)::int from programme_activity a where a.programme_id = p.id
                   and (a.title = '' or (a.kind = 'study_session' and coalesce(a.content_md, '') = ''))) as untitled
          from course c join programme p on p.course_id = c.id`,
    );
    for (const row of rows) {
      expect(row.untitled).toBe(0);
      if (row.course_group === 'leadership') {
        expect(row.modules).toBe(6);
        expect(row.conferences).toBe(2);
      } else if (row.course_group === 'specialist') {
        expect(row.modules).toBe(4);
        expect(row.conferences).toBe(1);
      } else {
        expect(row.modules).toBe(3);
      }
    }
  });

  it('changes nothing when run again', async () => {
    const before = await fingerprint();
    await seedCatalogue(t.db);
    await seedCatalogue(t.db);
    expect(await fingerprint()).toEqual(before);
  });

  it('records what it seeded, and then only reads that at start-up (one statement)', async () => {
    const [seeded] = await queryRows<{ fingerprint: string }>(
      t.db,
      sql`select fingerprint from catalogue_seed where name = 'npq'`,
    );
    expect(seeded?.fingerprint).toBe(catalogueFingerprint());
    const statements: unknown[] = [];
    await seedCatalogue({ execute: (query) => (statements.push(query), t.db.execute(query)) });
    expect(statements).toHaveLength(1);
  });

  it('seeds again when the catalogue it recorded is not this code’s, putting back what is missing', async () => {
    const count = sql`select count(*)::int as n from programme_activity`;
    const [all] = await queryRows<{ n: number }>(t.db, count);
    const before = await fingerprint();
    await t.db.execute(
      sql`delete from programme_activity where id = (select max(id) from programme_activity)`,
    );
    await t.db.execute(sql`update catalogue_seed set fingerprint = 'an older catalogue'`);
    const statements: unknown[] = [];
    await seedCatalogue({ execute: (query) => (statements.push(query), t.db.execute(query)) });
    expect(statements.length).toBeGreaterThan(1);
    const [after] = await queryRows<{ n: number }>(t.db, count);
    expect(after?.n).toBe(all?.n);
    const { activity_hash: _changed, ...rest } = (await fingerprint())!;
    const { activity_hash: _was, ...restBefore } = before!;
    expect(rest).toEqual(restBefore);
    const [seeded] = await queryRows<{ fingerprint: string }>(
      t.db,
      sql`select fingerprint from catalogue_seed`,
    );
    expect(seeded?.fingerprint).toBe(catalogueFingerprint());
  });
});
