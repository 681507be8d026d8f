import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { cohortEngagement } from '../../src/db/queries/cohort-engagement.js';
import { enrolmentVisibleTo } from '../../src/services/authorisation.js';
import { londonDateOf } from '../../src/policy/index.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

let world: DemoWorld;
let north: Session;
let team: Session;

beforeAll(async () => {
  world = await createDemoWorld();
  north = await world.signIn('partner.north@demo.npq-ops.test');
  team = await world.signIn('programme.team@demo.npq-ops.test');
});
afterAll(async () => {
  await world?.destroy();
});

const get = (s: Session, url: string) => s.request({ method: 'GET', url });

async function partnerId(slug: string): Promise<number> {
  const [row] = await queryRows<{ id: number }>(
    world.t.db,
    sql`select id from delivery_partner where slug = ${slug}`,
  );
  return row!.id;
}

/** The cohort with the most enrolments of both north and south, so filters have something to split. */
async function sharedCohort(): Promise<number> {
  const [row] = await queryRows<{ id: number }>(
    world.t.db,
    sql`select e.cohort_id as id from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id
        group by e.cohort_id
        having count(*) filter (where dp.slug = 'north') > 0 and count(*) filter (where dp.slug = 'south') > 0
        order by count(*) desc, e.cohort_id limit 1`,
  );
  return row!.id;
}

function rowsOf(html: string, testId: string): string[] {
  const table = new RegExp(
    `data-testid="${testId}"[\\s\\S]*?<tbody[^>]*>([\\s\\S]*?)</tbody>`,
  ).exec(html);
  return table ? [...table[1]!.matchAll(/<tr[\s\S]*?<\/tr>/g)].map((m) => m[0]) : [];
}

function participantLinks(html: string, testId: string): number[] {
  return rowsOf(html, testId)
    .map((r) => /href="\/participants\/(\d+)"/.exec(r)?.[1])
    .filter((x): x is string => x !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

describe('the cohorts overview at /', () => {
  it('sends participants to their programme and signed-out visitors to sign in', async () => {
    const participant = await world.signIn('participant1@demo.npq-ops.test');
    const res = await get(participant, '/');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/my-programme');
    const out = await world.app.inject({ method: 'GET', url: '/' });
    expect(out.headers.location).toBe('/sign-in');
  });

  it('links each cohort to its dashboard, with counts of only the partner’s own participants', async () => {
    const res = await get(north, '/');
    expect(res.statusCode).toBe(200);
    const counts = await queryRows<{ id: number; n: number }>(
      world.t.db,
      sql`select e.cohort_id as id, count(*)::int as n from enrolment e
          join delivery_partner dp on dp.id = e.delivery_partner_id where dp.slug = 'north' group by e.cohort_id`,
    );
    expect(counts.length).toBeGreaterThan(0);
    for (const c of counts) {
      const row = new RegExp(`href="/cohorts/${c.id}"[\\s\\S]*?</tr>`).exec(res.body)?.[0] ?? '';
      const cells = [...row.matchAll(/<td[^>]*>\s*([^<]*?)\s*<\/td>/g)].map((m) => m[1]);
      expect(cells[2], `participants in cohort ${c.id}`).toBe(String(c.n));
    }
  });
});

describe('the cohort dashboard', () => {
  it('lists exactly the enrolments cohortEngagement gives for the actor, and the at-risk ones', async () => {
    const cohortId = await sharedCohort();
    for (const [email, session] of [
      ['partner.north@demo.npq-ops.test', north],
      ['programme.team@demo.npq-ops.test', team],
    ] as const) {
      const actor = await world.actor(email);
      const expected = await cohortEngagement(world.t.db, {
        cohortId,
        today: londonDateOf(world.clock.now()),
        visibleTo: enrolmentVisibleTo(actor),
      });
      const res = await get(session, `/cohorts/${cohortId}`);
      expect(res.statusCode).toBe(200);
      expect(participantLinks(res.body, 'participants')).toEqual(
        expected.map((r) => r.participantId).sort((a, b) => a - b),
      );
      const atRisk = expected.filter((r) => r.atRisk && ['active', 'accepted'].includes(r.status));
      expect(participantLinks(res.body, 'at-risk')).toEqual(
        atRisk.map((r) => r.participantId).sort((a, b) => a - b),
      );
      const bandTotal = rowsOf(res.body, 'bands')
        .map((r) => Number(/<td[^>]*>\s*(\d+)\s*<\/td>/.exec(r)?.[1]))
        .reduce((a, b) => a + b, 0);
      expect(bandTotal).toBe(expected.length);
    }
  });

  it('shows the 90% deadline and the assessment windows still to come', async () => {
    const cohortId = await sharedCohort();
    const [c] = await queryRows<{ deadline: string }>(
      world.t.db,
      sql`select engagement_deadline::text as deadline from cohort where id = ${cohortId}`,
    );
    const today = londonDateOf(world.clock.now());
    // The demo's shared cohort is mid-programme on the fixed "today": its deadline and at least one
    // assessment window are still to come, so both must be listed.
    const windows = await queryRows<{ n: number }>(
      world.t.db,
      sql`select sequence_number as n from assessment_window
          where cohort_id = ${cohortId} and closes_on >= ${today}::date order by opens_on`,
    );
    expect(c!.deadline >= today, `deadline ${c!.deadline} is still to come on ${today}`).toBe(true);
    expect(windows.length).toBeGreaterThan(0);
    const res = await get(team, `/cohorts/${cohortId}`);
    expect(res.body).toContain('Deadline for 90% engagement');
    expect(res.body).toContain(`Assessment window ${windows[0]!.n}`);
  });

  it('filters by partner for the programme team, but never lets a partner widen its view', async () => {
    const cohortId = await sharedCohort();
    const southId = await partnerId('south');
    const all = participantLinks((await get(team, `/cohorts/${cohortId}`)).body, 'participants');
    const southOnly = participantLinks(
      (await get(team, `/cohorts/${cohortId}?partner=${southId}`)).body,
      'participants',
    );
    expect(southOnly.length).toBeGreaterThan(0);
    expect(southOnly.length).toBeLessThan(all.length);
    const northView = participantLinks(
      (await get(north, `/cohorts/${cohortId}`)).body,
      'participants',
    );
    const northTrying = participantLinks(
      (await get(north, `/cohorts/${cohortId}?partner=${southId}`)).body,
      'participants',
    );
    expect(northTrying).toEqual(northView);
    expect(northTrying.some((id) => southOnly.includes(id))).toBe(false);
  });

  it('filters by status and to the at-risk only, and the CSV export has the same rows', async () => {
    const cohortId = await sharedCohort();
    const res = await get(team, `/cohorts/${cohortId}?status=active&atRisk=yes`);
    const shown = participantLinks(res.body, 'participants');
    expect(shown).toEqual(participantLinks(res.body, 'at-risk'));
    const csv = await get(team, `/cohorts/${cohortId}/export.csv?status=active&atRisk=yes`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.headers['content-disposition']).toMatch(/attachment; filename=".+\.csv"/);
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toMatch(/^participant_id,enrolment_id,full_name,delivery_partner,status/);
    const ids = lines
      .slice(1)
      .map((l) => Number(l.split(',')[0]))
      .sort((a, b) => a - b);
    expect(ids).toEqual(shown);
    for (const l of lines.slice(1)) expect(l).toMatch(/,active,.*,yes$/);

    const withdrawn = await get(team, `/cohorts/${cohortId}?status=withdrawn`);
    const [n] = await queryRows<{ n: number }>(
      world.t.db,
      sql`select count(*)::int as n from enrolment where cohort_id = ${cohortId} and status = 'withdrawn'`,
    );
    expect(participantLinks(withdrawn.body, 'participants')).toHaveLength(n!.n);
  });

  it('answers 404 for a cohort that does not exist or a malformed id', async () => {
    expect((await get(team, '/cohorts/999999')).statusCode).toBe(404);
    expect((await get(team, '/cohorts/999999/export.csv')).statusCode).toBe(404);
    expect((await get(team, '/cohorts/abc')).statusCode).toBe(404);
  });

  it('is not a page for participants', async () => {
    const participant = await world.signIn('participant2@demo.npq-ops.test');
    const cohortId = await sharedCohort();
    expect((await get(participant, `/cohorts/${cohortId}`)).statusCode).toBe(404);
    expect((await get(participant, `/cohorts/${cohortId}/export.csv`)).statusCode).toBe(404);
    expect((await get(participant, '/participants')).statusCode).toBe(404);
  });

  it('defuses spreadsheet formulas and escapes names in the pages', async () => {
    const cohortId = await sharedCohort();
    const [p] = await queryRows<{ id: number; name: string }>(
      world.t.db,
      sql`select p.id, p.full_name as name from participant p join enrolment e on e.participant_id = p.id
          where e.cohort_id = ${cohortId} order by p.id limit 1`,
    );
    await world.t.db.execute(
      sql`update participant set full_name = ${'=HYPERLINK("x") <b>'} where id = ${p!.id}`,
    );
    try {
      const csv = await get(team, `/cohorts/${cohortId}/export.csv`);
      expect(csv.body).toContain(`"'=HYPERLINK(""x"") <b>"`);
      const html = await get(team, `/cohorts/${cohortId}`);
      expect(html.body).toContain('=HYPERLINK(&quot;x&quot;) &lt;b&gt;');
      expect(html.body).not.toContain('<b>');
    } finally {
      await world.t.db.execute(
        sql`update participant set full_name = ${p!.name} where id = ${p!.id}`,
      );
    }
  });
});

describe('participants', () => {
  it('searches by name and by TRN within what the actor may see, a page at a time', async () => {
    const [p] = await queryRows<{ id: number; name: string; trn: string }>(
      world.t.db,
      sql`select p.id, p.full_name as name, p.trn from participant p join enrolment e on e.participant_id = p.id
          join delivery_partner dp on dp.id = e.delivery_partner_id
          where dp.slug = 'north' and p.trn is not null order by p.id limit 1`,
    );
    const byName = await get(
      north,
      `/participants?q=${encodeURIComponent(p!.name.split(' ')[1]!)}`,
    );
    expect(byName.body).toContain(`href="/participants/${p!.id}"`);
    const byTrn = await get(north, `/participants?q=${p!.trn}`);
    expect(byTrn.body).toContain(`href="/participants/${p!.id}"`);
    expect(byTrn.body).toMatch(/Showing 1 to 1 of 1 participant\b/);

    const all = await get(team, '/participants');
    const [total] = await queryRows<{ n: number }>(
      world.t.db,
      sql`select count(distinct participant_id)::int as n from enrolment`,
    );
    expect(all.body).toContain(`of ${total!.n} participants`);
    // The world has more than a page of participants (40 in the demo), so page 2 exists.
    expect(total!.n).toBeGreaterThan(25);
    expect(all.body).toContain('govuk-pagination');
    const page2 = await get(team, '/participants?page=2');
    expect(page2.body).toContain(`Showing 26 to ${Math.min(50, total!.n)}`);
  });

  it('shows the record: profile, school history, funding, engagement by type, attempts left, timeline', async () => {
    const [p] = await queryRows<{ id: number; name: string; email: string; attempts: number }>(
      world.t.db,
      sql`select p.id, p.full_name as name, p.email, 2 - e.assessment_attempts_used as attempts
          from participant p join enrolment e on e.participant_id = p.id
          join delivery_partner dp on dp.id = e.delivery_partner_id
          where dp.slug = 'north' and e.status = 'active' order by p.id limit 1`,
    );
    const res = await get(north, `/participants/${p!.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(p!.email);
    expect(res.body).toContain('School history');
    expect(res.body).toMatch(/href="\/policy#clause-2-4-[12]"/);
    expect(res.body).toContain('href="/policy#clause-2-1-1"');
    expect(rowsOf(res.body, 'by-kind').length).toBeGreaterThan(0);
    expect(res.body).toContain(`${p!.attempts} of 2`);
    expect(res.body).toContain('data-testid="timeline"');
    const audit = await get(north, `/participants/${p!.id}/audit`);
    expect(audit.statusCode).toBe(200);
    expect(audit.body).toContain(`Audit log: ${p!.name}`);
  });

  it('answers 404 when a partner asks for another partner’s participant', async () => {
    const [south] = await queryRows<{ id: number }>(
      world.t.db,
      sql`select e.participant_id as id from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id
          where dp.slug = 'south' and e.participant_id not in (
            select participant_id from enrolment e2 join delivery_partner d2 on d2.id = e2.delivery_partner_id where d2.slug = 'north')
          limit 1`,
    );
    expect((await get(north, `/participants/${south!.id}`)).statusCode).toBe(404);
    expect((await get(north, `/participants/${south!.id}/audit`)).statusCode).toBe(404);
    expect((await get(team, `/participants/${south!.id}`)).statusCode).toBe(200);
  });
});
