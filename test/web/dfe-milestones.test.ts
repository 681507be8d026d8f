import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { DFE_2025_MILESTONES } from '../../src/domain/dfe-declarations.js';
import { syncDeclarations } from '../../src/services/dfe/declarations/sync.js';
import { createDemoWorld, pageText, type DemoWorld, type Session } from '../support/demo-world.js';

/**
 * DfE milestone dates (issue 11): a fresh database holds the DfE's 2025 dates for every schedule;
 * the programme team and admins enter a later year's dates on Administration → DfE milestone dates
 * or through PUT /api/v1/dfe/milestones/{year}/{schedule}, with a field error for each date that
 * makes no sense; until a year's dates exist nothing is declared for its participants and the
 * milestone report says so.
 */
let w: DemoWorld;
const sessions: Record<string, Session> = {};
const ROLES = {
  admin: 'admin@demo.npq-ops.test',
  programme_team: 'programme.team@demo.npq-ops.test',
  north_partner: 'partner.north@demo.npq-ops.test',
  coach: 'coach@demo.npq-ops.test',
  participant: 'participant1@demo.npq-ops.test',
} as const;
type Role = keyof typeof ROLES;
/** A 2024 leadership cohort of the demo (participants there have commenced) and its schedule. */
let cohort2024: { id: number; schedule: string };

beforeAll(async () => {
  w = await createDemoWorld({ participants: 40 });
  const db = w.t.db;
  await db.execute(sql`update enrolment e set commenced_at = f.first_at
    from (select e2.id, min(er.occurred_at) as first_at from enrolment e2
          join engagement_record er on er.participant_id = e2.participant_id
          where e2.status not in ('applied', 'accepted') group by e2.id) f
    where e.id = f.id`);
  const [c] = await queryRows<{ id: number; start_date: string }>(
    db,
    sql`select c.id, to_char(c.start_date, 'YYYY-MM-DD') as start_date from cohort c
        join programme p on p.id = c.programme_id join course co on co.id = p.course_id
        where c.year = 2024 and co.course_group = 'leadership'
          and exists (select 1 from enrolment e where e.cohort_id = c.id and e.commenced_at is not null)
        order by c.id limit 1`,
  );
  const month = Number(c!.start_date.slice(5, 7));
  cohort2024 = {
    id: c!.id,
    schedule: `npq-leadership-${month <= 6 ? 'spring' : 'autumn'}`,
  };
  for (const [role, email] of Object.entries(ROLES)) sessions[role] = await w.signIn(email);
}, 120_000);
afterAll(async () => {
  await w?.destroy();
});

const call = (role: Role, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
  sessions[role]!.request({ method, url, ...(payload ? { payload } : {}) });

describe('the dates a database starts with', () => {
  it("holds the DfE's 2025 dates for all eight schedules, exactly as the domain states them", async () => {
    const res = await call('programme_team', 'GET', '/api/v1/dfe/milestones');
    expect(res.statusCode).toBe(200);
    const rows = (res.json() as { schedules: { cohortYear: number }[] }).schedules
      .filter((s) => s.cohortYear === 2025)
      .map(({ updatedAt: _u, updatedBy, ...r }: Record<string, unknown>) => {
        expect(updatedBy).toBeNull();
        return r;
      });
    expect(rows).toHaveLength(8);
    expect(new Set(rows.map((r) => JSON.stringify(r)))).toEqual(
      new Set(DFE_2025_MILESTONES.map((m) => JSON.stringify(m))),
    );
  });
});

describe('who may see and change them', () => {
  it.each([
    ['admin', 200, 200],
    ['programme_team', 200, 200],
    ['north_partner', 404, 200],
    ['coach', 404, 403],
    ['participant', 404, 403],
  ] as const)(
    '%s: page %i, API list %i; only admins and the programme team change them',
    async (role, pageStatus, apiStatus) => {
      expect((await call(role, 'GET', '/admin/dfe-milestones')).statusCode).toBe(pageStatus);
      expect((await call(role, 'GET', '/api/v1/dfe/milestones')).statusCode).toBe(apiStatus);
      if (role === 'admin' || role === 'programme_team') return;
      const audits = async () =>
        (
          await queryRows<{ n: number }>(w.t.db, sql`select count(*)::int as n from audit_event`)
        )[0]!.n;
      const before = await audits();
      const put = await call(role, 'PUT', '/api/v1/dfe/milestones/2031/npq-specialist-spring', {
        startedOn: '2031-02-01',
        retained1On: '2031-07-01',
        completedOn: '2032-03-01',
      });
      expect(put.statusCode).toBe(403);
      const post = await call(role, 'POST', '/admin/dfe-milestones', {
        cohortYear: '2031',
        schedule: 'npq-specialist-spring',
        startedOn: '2031-02-01',
        retained1On: '2031-07-01',
        completedOn: '2032-03-01',
      });
      expect(post.statusCode).toBe(404);
      const [n] = await queryRows<{ n: number }>(
        w.t.db,
        sql`select count(*)::int as n from dfe_milestone_schedule where cohort_year = 2031`,
      );
      expect(n!.n).toBe(0);
      expect(await audits()).toBe(before);
    },
  );
});

describe('entering a year that has no dates', () => {
  it('nothing is declared for its participants until the dates are entered on the page', async () => {
    const db = w.t.db;
    await db.execute(
      sql`delete from dfe_milestone_schedule where cohort_year = 2024 and schedule_identifier = ${cohort2024.schedule}`,
    );
    await syncDeclarations({ db, clock: w.clock });
    const declared = () =>
      queryRows<{ n: number }>(
        db,
        sql`select count(*)::int as n from dfe_declaration d join enrolment e on e.id = d.enrolment_id
            where e.cohort_id = ${cohort2024.id}`,
      );
    expect((await declared())[0]!.n).toBe(0);
    const report = pageText((await call('programme_team', 'GET', '/dfe/declarations')).body);
    expect(report).toMatch(
      new RegExp(
        `Nothing is declared for these participants.*2024 ${cohort2024.schedule}: \\d+ participant`,
      ),
    );
    const api = (await call('programme_team', 'GET', '/api/v1/dfe/declarations')).json();
    expect(api.withoutMilestones).toContainEqual(
      expect.objectContaining({ cohortYear: 2024, schedule: cohort2024.schedule }),
    );

    // Out of order and a date from 1900: each field says what is wrong; nothing is saved.
    const bad = await call('programme_team', 'POST', '/admin/dfe-milestones', {
      cohortYear: '2024',
      schedule: cohort2024.schedule,
      startedOn: '1900-01-01',
      retained1On: '2024-12-20',
      retained2On: '',
      completedOn: '2024-12-01',
    });
    expect(bad.statusCode).toBe(422);
    const badText = pageText(bad.body);
    expect(badText).toContain('There is a problem');
    expect(badText).toContain(
      'The started milestone must open between 2023-01-01 and 2028-12-31 for the 2024 cohort',
    );
    expect(badText).toContain('Enter the date the retained-2 milestone opens');
    expect(badText).toContain(
      'The completed milestone must open after the retained-1 milestone (2024-12-20)',
    );
    expect(bad.body).toContain('href="#startedOn"');

    const good = await call('programme_team', 'POST', '/admin/dfe-milestones', {
      cohortYear: '2024',
      schedule: cohort2024.schedule,
      startedOn: '2024-05-30',
      retained1On: '2024-12-20',
      retained2On: '2025-07-25',
      completedOn: '2026-02-26',
    });
    expect(good.statusCode).toBe(303);
    expect(good.headers.location).toBe('/admin/dfe-milestones?notice=saved');
    const listed = pageText((await call('programme_team', 'GET', good.headers.location!)).body);
    expect(listed).toContain('Milestone dates saved');
    expect(listed).toMatch(
      new RegExp(
        `2024 ${cohort2024.schedule} 2024-05-30 2024-12-20 2025-07-25 2026-02-26 Changed by`,
      ),
    );
    const [audit] = await queryRows<{ what: string; subject_id: string }>(
      db,
      sql`select what, subject_id from audit_event where subject_type = 'dfe_milestone_schedule' order by id desc limit 1`,
    );
    expect(audit).toEqual({
      what: 'dfe_milestones.entered',
      subject_id: `2024:${cohort2024.schedule}`,
    });

    await syncDeclarations({ db, clock: w.clock });
    expect((await declared())[0]!.n).toBeGreaterThan(0);
    const after = (await call('programme_team', 'GET', '/api/v1/dfe/declarations')).json();
    expect(after.withoutMilestones).not.toContainEqual(
      expect.objectContaining({ cohortYear: 2024, schedule: cohort2024.schedule }),
    );
  });

  it('the API refuses nonsense field by field and saves a correction', async () => {
    const url = '/api/v1/dfe/milestones/2027/npq-specialist-autumn';
    const bad = await call('admin', 'PUT', url, {
      startedOn: '2027-06-01',
      retained1On: '2027-02-30',
      retained2On: '2028-01-01',
      completedOn: '2028-08-20',
    });
    expect(bad.statusCode).toBe(422);
    expect(JSON.stringify(bad.json())).toContain('retained1On');
    expect(JSON.stringify(bad.json())).toContain(
      'Only leadership schedules have a retained-2 milestone',
    );
    const unknown = await call('admin', 'PUT', '/api/v1/dfe/milestones/2027/npq-aso-march', {
      startedOn: '2027-06-01',
      retained1On: '2027-12-17',
      completedOn: '2028-08-20',
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().errors[0].path).toBe('params.schedule');
    const body = { startedOn: '2027-06-01', retained1On: '2027-12-17', completedOn: '2028-08-20' };
    const first = await call('admin', 'PUT', url, body);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({
      created: true,
      schedule: {
        cohortYear: 2027,
        schedule: 'npq-specialist-autumn',
        ...body,
        retained2On: null,
      },
    });
    const again = await call('admin', 'PUT', url, { ...body, completedOn: '2028-08-27' });
    expect(again.json()).toMatchObject({ created: false, schedule: { completedOn: '2028-08-27' } });
  });
});
