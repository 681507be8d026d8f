import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verify } from '@node-rs/argon2';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import {
  DEFAULT_DEMO_NOW,
  DEMO_PASSWORD,
  DEMO_SIGN_INS,
  isDatabaseEmpty,
  seedDemo,
  type DemoSeedSummary,
} from '../../src/db/seed/demo.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const PARTICIPANTS = 100;
const SEED = 42;

let a: TestDatabase;
let firstRun: unknown[];
let summary: DemoSeedSummary;
let wasEmpty: boolean;
const progress: [number, number][] = [];

/** Everything a participant is, in a comparable form. */
const snapshot = (t: TestDatabase) =>
  queryRows(
    t.db,
    sql`select p.full_name, p.email, p.trn, p.dfe_registration_id, p.working_pattern, p.part_time_fraction,
               s.urn, e.status, c.name as cohort, dp.slug as partner,
               (select count(*)::int from engagement_record r where r.participant_id = p.id) as records,
               (select max(r.occurred_at)::text from engagement_record r where r.participant_id = p.id) as last_at
        from participant p join school s on s.id = p.current_school_id
        join enrolment e on e.participant_id = p.id join cohort c on c.id = e.cohort_id
        join delivery_partner dp on dp.id = e.delivery_partner_id
        order by p.email`,
  );

beforeAll(async () => {
  // One database at a time: on PGlite the test databases of a worker share one connection.
  const b = await createTestDatabase();
  await seedDemo(b.db, { participants: PARTICIPANTS, seed: SEED });
  firstRun = await snapshot(b);
  await b.destroy();

  a = await createTestDatabase();
  wasEmpty = await isDatabaseEmpty(a.db);
  summary = await seedDemo(a.db, {
    participants: PARTICIPANTS,
    seed: SEED,
    withUsers: true,
    chunkSize: 40,
    onProgress: (done, total) => progress.push([done, total]),
  });
});
afterAll(async () => {
  await a?.destroy();
});

const one = async <T>(t: TestDatabase, query: ReturnType<typeof sql>) =>
  (await queryRows<T>(t.db, query))[0]!;

describe('seedDemo', () => {
  it('reports what it made and its progress', async () => {
    expect(wasEmpty).toBe(true);
    expect(await isDatabaseEmpty(a.db)).toBe(false);
    expect(summary.participants).toBe(PARTICIPANTS);
    expect(summary.enrolments).toBe(PARTICIPANTS);
    expect(summary.cohorts).toBe(18);
    expect(summary.users).toBe(DEMO_SIGN_INS.length);
    expect(summary.engagementRecords).toBeGreaterThan(PARTICIPANTS * 10);
    const counted = await one<{ n: number }>(
      a,
      sql`select count(*)::int as n from engagement_record`,
    );
    expect(counted.n).toBe(summary.engagementRecords);
    expect(progress.at(-1)).toEqual([PARTICIPANTS, PARTICIPANTS]);
    expect(progress).toHaveLength(3);
  });

  it('is deterministic: the same seed gives the same people, places and progress', async () => {
    const again = await snapshot(a);
    expect(again).toHaveLength(PARTICIPANTS);
    expect(again).toEqual(firstRun);
  });

  it('refuses to seed the demo twice', async () => {
    await expect(seedDemo(a.db, { participants: 1, seed: SEED })).rejects.toThrow(/already/);
  });

  it('creates the demo sign-ins with one verifiable argon2 hash', async () => {
    const users = await queryRows<{
      email: string;
      role: string;
      password_hash: string;
      delivery_partner_id: number | null;
      lead_provider_id: number | null;
      participant_email: string | null;
    }>(
      a.db,
      sql`select u.email, u.role, u.password_hash, u.delivery_partner_id, u.lead_provider_id,
                 p.email as participant_email
          from app_user u left join participant p on p.id = u.participant_id order by u.id`,
    );
    expect(users.map((u) => [u.email, u.role])).toEqual(
      DEMO_SIGN_INS.map((s) => [s.email, s.role]),
    );
    const hashes = new Set(users.map((u) => u.password_hash));
    expect(hashes.size).toBe(1);
    const [hash] = [...hashes];
    expect(hash).toMatch(/^\$argon2id\$/);
    expect(await verify(hash!, DEMO_PASSWORD)).toBe(true);
    expect(await verify(hash!, 'wrong-password')).toBe(false);

    const partners = users.filter((u) => u.role === 'delivery_partner_staff');
    expect(partners).toHaveLength(2);
    expect(partners[0]!.delivery_partner_id).not.toBe(partners[1]!.delivery_partner_id);
    for (const u of users) {
      if (u.role === 'participant') expect(u.participant_email).toBe(u.email);
      if (['programme_team', 'coach', 'assessor'].includes(u.role)) {
        expect(u.lead_provider_id).toBe(summary.leadProviderId);
      }
    }
  });

  it('records a DfE reason for every withdrawal and assigns the coach to coaching programmes', async () => {
    const row = await one<{
      withdrawn: number;
      with_reason: number;
      coached: number;
      wrong: number;
    }>(
      a,
      sql`select (select count(*)::int from enrolment where status = 'withdrawn') as withdrawn,
                 (select count(*)::int from withdrawal w join enrolment e on e.id = w.enrolment_id
                   where e.status = 'withdrawn' and w.withdrawn_on <= e.status_changed_at::date) as with_reason,
                 (select count(*)::int from staff_assignment s join app_user u on u.id = s.user_id
                   where u.role = 'coach') as coached,
                 (select count(*)::int from staff_assignment s
                   join enrolment e on e.participant_id = s.participant_id
                   join cohort c on c.id = e.cohort_id join programme p on p.id = c.programme_id
                   where not p.coaching_entitled) as wrong`,
    );
    expect(row.withdrawn).toBeGreaterThan(0);
    expect(row.with_reason).toBe(row.withdrawn);
    expect(row.coached).toBeGreaterThan(0);
    expect(row.wrong).toBe(0);
  });

  it('makes the five featured participants what the sign-in list says', async () => {
    const rows = await queryRows<{
      email: string;
      status: string;
      deferral_count: number;
      working_pattern: string;
      code: string;
      partner: string;
      is_national: boolean;
      coaching: number;
      records: number;
    }>(
      a.db,
      sql`select p.email, e.status, e.deferral_count, p.working_pattern, co.code, dp.slug as partner, dp.is_national,
                 (select count(*)::int from engagement_record r where r.participant_id = p.id and r.kind = 'coaching') as coaching,
                 (select count(*)::int from engagement_record r where r.participant_id = p.id) as records
          from participant p join enrolment e on e.participant_id = p.id
          join cohort c on c.id = e.cohort_id join programme pr on pr.id = c.programme_id
          join course co on co.id = pr.course_id join delivery_partner dp on dp.id = e.delivery_partner_id
          where p.email like 'participant%@demo.npq-ops.test' order by p.email`,
    );
    const [p1, p2, p3, p4, p5] = rows;
    expect(p1).toMatchObject({ status: 'active', working_pattern: 'part_time', code: 'NPQSL' });
    expect(p2).toMatchObject({ status: 'active', code: 'NPQH', partner: 'north' });
    expect(p2!.records).toBeLessThan(p4!.records);
    expect(p3).toMatchObject({ status: 'deferred', deferral_count: 1 });
    expect(p3!.records).toBeGreaterThan(0);
    expect(p4).toMatchObject({ status: 'active', code: 'NPQEL', partner: 'north' });
    expect(p4!.coaching).toBeGreaterThan(0);
    expect(p5).toMatchObject({ is_national: true });
  });

  it('mixes statuses, working patterns, identifiers and funding routes', async () => {
    const statuses = await queryRows<{ status: string; year: number; deferral_count: number }>(
      a.db,
      sql`select distinct e.status, c.year, e.deferral_count from enrolment e join cohort c on c.id = e.cohort_id`,
    );
    const has = (status: string, year?: number) =>
      statuses.some((s) => s.status === status && (year === undefined || s.year === year));
    expect(has('active', 2025)).toBe(true);
    expect(has('completed_passed', 2024)).toBe(true);
    expect(has('withdrawn')).toBe(true);
    expect(has('deferred')).toBe(true);
    expect(
      statuses.filter((s) => s.status === 'deferred').every((s) => s.deferral_count === 1),
    ).toBe(true);

    const mix = await one<{
      part_time: number;
      fraction_ok: boolean;
      dfe_only: number;
      scholarship: number;
      trn_ok: boolean;
      unconfirmed: number;
    }>(
      a,
      sql`select count(*) filter (where working_pattern = 'part_time')::int as part_time,
                 bool_and(part_time_fraction is null or part_time_fraction between 0.4 and 0.8) as fraction_ok,
                 count(*) filter (where trn is null and dfe_registration_id is not null)::int as dfe_only,
                 count(*) filter (where funding_route = 'dfe_scholarship')::int as scholarship,
                 bool_and(trn is null or trn ~ '^[0-9]{7}$') as trn_ok,
                 count(*) filter (where not dfe_registration_confirmed or not employment_confirmed)::int as unconfirmed
          from participant`,
    );
    expect(mix.part_time).toBeGreaterThan(0);
    expect(mix.fraction_ok).toBe(true);
    expect(mix.dfe_only).toBeGreaterThan(0);
    expect(mix.scholarship).toBeGreaterThan(0);
    expect(mix.trn_ok).toBe(true);
    expect(mix.unconfirmed).toBeGreaterThan(0);
  });

  it('has participants on track, behind and far behind in the 2025 cohorts', async () => {
    const rows = await queryRows<{ band: string; n: number }>(
      a.db,
      sql`with done as (
            select e.id, count(r.id)::numeric / nullif(
                     (select count(*) from programme_activity pa
                      join cohort c2 on c2.programme_id = pa.programme_id
                      where c2.id = e.cohort_id and pa.position <= (
                        select max(pa2.position) from programme_activity pa2
                        join engagement_record r2 on r2.activity_id = pa2.id
                        join enrolment e2 on e2.cohort_id = e.cohort_id and e2.participant_id = r2.participant_id)), 0) as share
            from enrolment e join cohort c on c.id = e.cohort_id
            left join engagement_record r on r.participant_id = e.participant_id
            where c.year = 2025 and e.status = 'active'
            group by e.id)
          select case when share >= 0.9 then 'on_track' when share >= 0.5 then 'behind' else 'hopeless' end as band,
                 count(*)::int as n
          from done group by 1`,
    );
    const bands = Object.fromEntries(rows.map((r) => [r.band, r.n]));
    expect(bands.on_track).toBeGreaterThan(0);
    expect(bands.behind).toBeGreaterThan(0);
    expect(bands.hopeless).toBeGreaterThan(0);
  });

  it('records engagement in programme order, inside the schedule and never after now', async () => {
    const check = await one<{
      prefix: boolean;
      in_programme: boolean;
      after_now: number;
      before_start: number;
      unique_ids: boolean;
    }>(
      a,
      sql`with per as (
            select r.participant_id, count(*) as n, max(pa.position) as last_position,
                   bool_and(pa.programme_id = c.programme_id) as in_programme,
                   count(*) filter (where r.occurred_at > ${DEFAULT_DEMO_NOW.toISOString()}::timestamptz) as after_now,
                   count(*) filter (where r.occurred_at < c.start_date) as before_start
            from engagement_record r join programme_activity pa on pa.id = r.activity_id
            join enrolment e on e.participant_id = r.participant_id join cohort c on c.id = e.cohort_id
            group by r.participant_id)
          select bool_and(n = last_position) as prefix, bool_and(in_programme) as in_programme,
                 sum(after_now)::int as after_now, sum(before_start)::int as before_start,
                 (select count(distinct source_event_id) = count(*) from engagement_record) as unique_ids
          from per`,
    );
    expect(check).toEqual({
      prefix: true,
      in_programme: true,
      after_now: 0,
      before_start: 0,
      unique_ids: true,
    });
  });

  it("keeps clinic attendance within each slot's capacity", async () => {
    const row = await one<{ over: number; attended: number }>(
      a,
      sql`select count(*) filter (where n > capacity)::int as over, coalesce(sum(n), 0)::int as attended
          from (select ev.id, ev.capacity, count(r.id) as n
                from cohort_event ev
                join programme_activity pa on pa.id = ev.activity_id and pa.kind = 'clinic'
                join enrolment e on e.cohort_id = ev.cohort_id
                join engagement_record r on r.participant_id = e.participant_id
                  and r.activity_id = ev.activity_id and r.occurred_at = ev.starts_at
                group by ev.id, ev.capacity) x`,
    );
    expect(row.attended).toBeGreaterThan(0);
    expect(row.over).toBe(0);
  });

  it('leaves a region outside the network, with at least one school in it', async () => {
    const row = await one<{ uncovered: number; schools: number }>(
      a,
      sql`select count(distinct r.id)::int as uncovered, count(s.id)::int as schools
          from region r left join school s on s.region_id = r.id
          where not exists (select 1 from lead_provider_region l where l.region_id = r.id)`,
    );
    expect(row.uncovered).toBe(1);
    expect(row.schools).toBeGreaterThan(0);
    const regions = await one<{ n: number }>(a, sql`select count(*)::int as n from region`);
    expect(regions.n).toBe(9);
  });
  it('gives every delivery partner and the lead provider a contact email, so partner copies of notices go out', async () => {
    const row = await one<{ partners: number; without: number; lp: string | null }>(
      a,
      sql`select count(*)::int as partners,
                 count(*) filter (where contact_email is null or contact_phone is null)::int as without,
                 (select contact_email from lead_provider limit 1) as lp
          from delivery_partner`,
    );
    expect(row.partners).toBeGreaterThan(1);
    expect(row.without).toBe(0);
    expect(row.lp).toMatch(/@demo\.npq-ops\.test$/);
  });

  it('dates every cohort: releases with 2-week windows, events, 8-day assessment windows', async () => {
    const cohorts = await queryRows<{
      year: number;
      is_final: boolean;
      releases: number;
      modules: number;
      clinic_slots: number;
      clinics: number;
      windows: number;
      window_days: number[];
      window_after_deadline: boolean;
    }>(
      a.db,
      sql`select c.year, c.is_final,
                 (select count(*)::int from cohort_module_release m where m.cohort_id = c.id
                    and m.ideal_window_end - m.ideal_window_start = 13) as releases,
                 (select count(*)::int from programme_module pm where pm.programme_id = c.programme_id) as modules,
                 (select count(*)::int from cohort_event ev join programme_activity pa on pa.id = ev.activity_id
                    where ev.cohort_id = c.id and pa.kind = 'clinic' and ev.capacity > 0) as clinic_slots,
                 (select count(*)::int from programme_activity pa where pa.programme_id = c.programme_id and pa.kind = 'clinic') as clinics,
                 (select count(*)::int from assessment_window w where w.cohort_id = c.id) as windows,
                 (select array_agg(w.closes_on - w.opens_on + 1) from assessment_window w where w.cohort_id = c.id) as window_days,
                 (select bool_and(w.opens_on > c.engagement_deadline) from assessment_window w where w.cohort_id = c.id) as window_after_deadline
          from cohort c order by c.id`,
    );
    expect(new Set(cohorts.map((c) => c.year))).toEqual(new Set([2024, 2025, 2026]));
    expect(cohorts.filter((c) => c.is_final)).toHaveLength(1);
    for (const c of cohorts) {
      expect(c.releases).toBe(c.modules);
      expect(c.clinic_slots).toBeGreaterThanOrEqual(2 * c.clinics);
      expect(c.windows).toBeGreaterThanOrEqual(1);
      expect(c.window_days.every((d) => d === 8)).toBe(true);
      expect(c.window_after_deadline).toBe(true);
    }
  });
});
