import { sql } from 'drizzle-orm';
import type { Db } from '../../src/db/client.js';

/**
 * The smallest world most integration tests need: one lead provider covering one region, two
 * delivery partners, two schools, two courses with a programme each and a 2025 cohort of each.
 */
export async function insertReferenceWorld(db: Db): Promise<void> {
  await db.execute(
    sql`insert into region (code, name) values ('E12000001', 'North East'), ('E12000007', 'London')`,
  );
  await db.execute(sql`insert into lead_provider (slug, name) values ('lp', 'Lead Provider')`);
  await db.execute(sql`insert into lead_provider_region (lead_provider_id, region_id)
    select lp.id, r.id from lead_provider lp, region r where r.code = 'E12000001'`);
  await db.execute(sql`insert into delivery_partner (lead_provider_id, slug, name)
    select id, 'north', 'North Hub' from lead_provider union all select id, 'south', 'South Hub' from lead_provider`);
  await db.execute(sql`insert into school (urn, name, region_id)
    select '100001', 'Oak Primary School', id from region where code = 'E12000001'
    union all select '100002', 'Elm Academy', id from region where code = 'E12000007'`);
  await db.execute(sql`insert into course (identifier, code, name, course_group)
    values ('npq-headship', 'NPQH', 'NPQ for Headship', 'leadership'),
           ('npq-senco', 'NPQSENCO', 'NPQ for SENCOs', 'leadership')`);
  await db.execute(sql`insert into programme (course_id, version, name, assessment_title)
    select id, '2024.1', name, 'Case study' from course`);
  await db.execute(sql`insert into cohort (lead_provider_id, programme_id, year, name, start_date, engagement_deadline, end_date, is_final)
    select lp.id, p.id, 2025, c.code || ' 2025', '2025-10-01', '2027-01-15', '2027-02-25', c.code = 'NPQSENCO'
    from programme p join course c on c.id = p.course_id cross join lead_provider lp`);
}
