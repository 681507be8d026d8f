import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import {
  academicYearOf,
  generateCohortDraft,
  londonDateTime,
  londonInstant,
} from '../../src/services/cohort-setup.js';
import { createDemoWorld, pageText, type DemoWorld, type Session } from '../support/demo-world.js';
import { addDays } from '../../src/policy/index.js';

let world: DemoWorld;
let team: Session;

beforeAll(async () => {
  world = await createDemoWorld({ participants: 12 });
  team = await world.signIn('programme.team@demo.npq-ops.test');
});
afterAll(async () => {
  await world?.destroy();
});

async function programmeId(identifier: string): Promise<number> {
  const [row] = await queryRows<{ id: number }>(
    world.t.db,
    sql`select p.id from programme p join course c on c.id = p.course_id where c.identifier = ${identifier}`,
  );
  return row!.id;
}

/** Every field the form would post: inputs with values, and checked checkboxes. */
function formFields(html: string, action: string): Record<string, string> {
  const form = new RegExp(`<form[^>]*action="${action}"[\\s\\S]*?</form>`).exec(html)?.[0] ?? '';
  const fields: Record<string, string> = {};
  for (const m of form.matchAll(/<input([^>]*)>/g)) {
    const attrs = m[1]!;
    const name = /name="([^"]+)"/.exec(attrs)?.[1];
    if (!name) continue;
    const type = /type="([^"]+)"/.exec(attrs)?.[1];
    if (type === 'checkbox' && !/\bchecked\b/.test(attrs)) continue;
    fields[name] = (/value="([^"]*)"/.exec(attrs)?.[1] ?? '').replace(/&amp;/g, '&');
  }
  return fields;
}

describe('who may set up a cohort', () => {
  it('shows delivery partners a 403 page, for the form and for saving', async () => {
    const north = await world.signIn('partner.north@demo.npq-ops.test');
    const page = await north.request({ method: 'GET', url: '/cohorts/new' });
    expect(page.statusCode).toBe(403);
    expect(page.body).toContain('Only the programme team can set up cohorts.');
    const save = await north.request({
      method: 'POST',
      url: '/cohorts',
      payload: { programmeId: String(await programmeId('npq-early-years-leadership')) },
    });
    expect(save.statusCode).toBe(403);
  });
});

describe('generating and saving a schedule', () => {
  it('reproduces the seeded cohort’s dates from its start date', async () => {
    const [seeded] = await queryRows<{
      id: number;
      programme_id: number;
      start_date: string;
      deadline: string;
    }>(
      world.t.db,
      sql`select id, programme_id, start_date::text, engagement_deadline::text as deadline from cohort where name = 'NPQH 2025'`,
    );
    const draft = await generateCohortDraft(
      { db: world.t.db, clock: world.clock },
      await world.actor('programme.team@demo.npq-ops.test'),
      {
        programmeId: seeded!.programme_id,
        startDate: seeded!.start_date,
        clinicCapacity: 20,
        isFinal: false,
        contractEndDate: null,
      },
    );
    expect(draft.engagementDeadline).toBe(seeded!.deadline);
    const releases = await queryRows<{ module_id: number; release_date: string }>(
      world.t.db,
      sql`select module_id, release_date::text from cohort_module_release where cohort_id = ${seeded!.id} order by release_date`,
    );
    expect(draft.modules.map((m) => [m.moduleId, m.releaseDate])).toEqual(
      releases.map((r) => [r.module_id, r.release_date]),
    );
    const windows = await queryRows<{ opens_on: string; closes_on: string }>(
      world.t.db,
      sql`select opens_on::text, closes_on::text from assessment_window where cohort_id = ${seeded!.id} order by sequence_number`,
    );
    expect(draft.windows).toEqual(
      windows.map((w) => ({ opensOn: w.opens_on, closesOn: w.closes_on })),
    );
    const events = await queryRows<{ activity_id: number; starts_at: Date | string }>(
      world.t.db,
      sql`select activity_id, starts_at from cohort_event where cohort_id = ${seeded!.id} order by starts_at, id`,
    );
    const drafted = draft.events
      .map((e) => [e.activityId, londonInstant(e.date, e.time).toISOString()] as const)
      .sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[0] - b[0]));
    expect(drafted).toEqual(
      events.map((e) => [e.activity_id, new Date(e.starts_at).toISOString()] as const),
    );
  });

  it('turns London times into instants across the clock change', () => {
    expect(londonInstant('2026-01-10', '15:30').toISOString()).toBe('2026-01-10T15:30:00.000Z');
    expect(londonInstant('2026-06-10', '15:30').toISOString()).toBe('2026-06-10T14:30:00.000Z');
    expect(londonDateTime(Date.parse('2026-06-10T23:30:00Z'))).toEqual({
      date: '2026-06-11',
      time: '00:30',
    });
    expect(academicYearOf('2026-10-05')).toBe(2026);
    expect(academicYearOf('2027-02-01')).toBe(2026);
  });

  it('refuses a start form with field errors', async () => {
    const res = await team.request({
      method: 'POST',
      url: '/cohorts/new',
      payload: { programmeId: '', startDate: '', clinicCapacity: 'lots' },
    });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('<title>Error: Set up a cohort');
    expect(res.body).toContain('href="#programmeId"');
    expect(res.body).toContain('href="#startDate"');
    expect(res.body).toContain('href="#clinicCapacity"');
  });

  it('generates an editable schedule, saves it with a final-cohort mark, and refuses a second one that year', async () => {
    const pid = await programmeId('npq-early-years-leadership');
    const form = await team.request({ method: 'GET', url: '/cohorts/new' });
    expect(form.statusCode).toBe(200);
    const draft = await team.request({
      method: 'POST',
      url: '/cohorts/new',
      payload: {
        programmeId: String(pid),
        startDate: '2026-10-05',
        clinicCapacity: '18',
        isFinal: 'yes',
        contractEndDate: '2028-03-31',
      },
    });
    expect(draft.statusCode).toBe(200);
    expect(draft.body).toContain('data-testid="notices-ok"');
    expect(draft.body).toContain('href="/policy#clause-2-2-1-1"');
    const fields = formFields(draft.body, '/cohorts');
    expect(fields.isFinal).toBe('yes');
    // Module 1's ideal window starts on the start date; its content is released a week ahead (2.2.1.1).
    expect(fields.window_start_0).toBe('2026-10-05');
    expect(fields.release_0).toBe('2026-09-28');
    expect(fields.releaseLeadDays).toBe('7');
    const modules = Number(fields.moduleCount);
    const events = Number(fields.eventCount);
    expect(modules).toBeGreaterThan(1);
    expect(Number(fields.windowCount)).toBe(2);
    // Staff move the second clinic slot of the first clinic by a day before saving.
    const clinic = Object.keys(fields).find((k) => /^event_\d+_capacity$/.test(k))!;
    expect(fields[clinic]).toBe('18');
    fields[clinic] = '25';

    const saved = await team.request({ method: 'POST', url: '/cohorts', payload: fields });
    expect(saved.statusCode).toBe(303);
    const id = Number(
      /^\/cohorts\/(\d+)\?notice=cohort-created$/.exec(saved.headers.location as string)?.[1],
    );
    expect(id).toBeGreaterThan(0);
    const [cohort] = await queryRows<{
      year: number;
      is_final: boolean;
      contract_end_date: string;
      releases: number;
      events: number;
      capacities: number[];
      windows: number;
      eight: boolean;
    }>(
      world.t.db,
      sql`select c.year, c.is_final, c.contract_end_date::text,
                 (select count(*)::int from cohort_module_release r where r.cohort_id = c.id) as releases,
                 (select count(*)::int from cohort_event ev where ev.cohort_id = c.id) as events,
                 (select array_agg(distinct capacity order by capacity) from cohort_event ev where ev.cohort_id = c.id and capacity is not null) as capacities,
                 (select count(*)::int from assessment_window w where w.cohort_id = c.id) as windows,
                 (select bool_and(closes_on - opens_on = 7) from assessment_window w where w.cohort_id = c.id) as eight
          from cohort c where c.id = ${id}`,
    );
    expect(cohort).toMatchObject({
      year: 2026,
      is_final: true,
      contract_end_date: '2028-03-31',
      releases: modules,
      events,
      windows: 2,
      eight: true,
    });
    expect(cohort!.capacities).toEqual([18, 25]);
    const [lead] = await queryRows<{ lead: number; gaps: number[] }>(
      world.t.db,
      sql`select c.release_lead_days as lead,
                 (select array_agg(distinct r.ideal_window_start - r.release_date) from cohort_module_release r where r.cohort_id = c.id) as gaps
          from cohort c where c.id = ${id}`,
    );
    expect(lead).toEqual({ lead: 7, gaps: [7] });
    const [audit] = await queryRows<{ n: number }>(
      world.t.db,
      sql`select count(*)::int as n from audit_event where what = 'COHORT_CREATED' and subject_id = ${String(id)}`,
    );
    expect(audit!.n).toBe(1);
    const dashboard = await team.request({ method: 'GET', url: saved.headers.location as string });
    expect(dashboard.body).toContain('Cohort created with its schedule');
    expect(dashboard.body).toContain('Final cohort');

    const again = await team.request({ method: 'POST', url: '/cohorts', payload: fields });
    expect(again.statusCode).toBe(422);
    expect(again.body).toContain('href="#startDate"');
    expect(again.body).toMatch(/There is already a [A-Z]+ cohort for 2026 to 2027/);
  });

  it('refuses dates shared too late, with the policy’s reasons and clause', async () => {
    const pid = await programmeId('npq-leading-literacy');
    const draft = await team.request({
      method: 'POST',
      url: '/cohorts/new',
      payload: { programmeId: String(pid), startDate: '2026-10-05', clinicCapacity: '20' },
    });
    const fields = formFields(draft.body, '/cohorts');
    fields.publishedOn = '2026-10-20';
    const res = await team.request({ method: 'POST', url: '/cohorts', payload: fields });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('The policy does not allow this schedule');
    expect(res.body).toMatch(/href="\/policy#clause-2-(1-3|2-1-2|2-1-4)"/);
    const [n] = await queryRows<{ n: number }>(
      world.t.db,
      sql`select count(*)::int as n from cohort where programme_id = ${pid} and year = 2026`,
    );
    expect(n!.n).toBe(0);
  });

  it('checks each release against its own ideal window and the lead time (2.2.1.1), and the lead time itself', async () => {
    const pid = await programmeId('npq-leading-literacy');
    const draft = await team.request({
      method: 'POST',
      url: '/cohorts/new',
      payload: {
        programmeId: String(pid),
        startDate: '2026-10-05',
        clinicCapacity: '20',
        releaseLeadDays: '3',
      },
    });
    const fields = formFields(draft.body, '/cohorts');
    expect(fields.releaseLeadDays).toBe('3');
    expect(fields.release_1).toBe(addDays(fields.window_start_1!, -3));
    // Module 2 released on its window's first day: not ahead of schedule by the lead time.
    const late = await team.request({
      method: 'POST',
      url: '/cohorts',
      payload: { ...fields, release_1: fields.window_start_1! },
    });
    expect(late.statusCode).toBe(422);
    expect(late.body).toContain('The policy does not allow this schedule');
    expect(pageText(late.body)).toContain(
      'Module content must be released ahead of schedule, at least 3 days before its ideal window starts; 1 module(s) are released later than that: Module 2 is released on',
    );
    const badLead = await team.request({
      method: 'POST',
      url: '/cohorts',
      payload: { ...fields, releaseLeadDays: '40' },
    });
    expect(badLead.statusCode).toBe(422);
    expect(badLead.body).toContain('href="#releaseLeadDays"');
    const [n] = await queryRows<{ n: number }>(
      world.t.db,
      sql`select count(*)::int as n from cohort where programme_id = ${pid} and year = 2026`,
    );
    expect(n!.n).toBe(0);
  });

  it('refuses a deadline before the start and a window before the deadline, field by field', async () => {
    const pid = await programmeId('npq-leading-primary-mathematics');
    const draft = await team.request({
      method: 'POST',
      url: '/cohorts/new',
      payload: { programmeId: String(pid), startDate: '2026-10-05', clinicCapacity: '20' },
    });
    const fields = formFields(draft.body, '/cohorts');
    fields.engagementDeadline = '2026-09-01';
    fields.window_0 = 'not a date';
    const res = await team.request({ method: 'POST', url: '/cohorts', payload: fields });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('href="#engagementDeadline"');
    expect(res.body).toContain('href="#window_0"');
  });
});
