import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { createDemoWorld, pageText, type DemoWorld, type Session } from '../support/demo-world.js';
import { formFields } from '../support/forms.js';

/**
 * Cohorts after set-up (issue 15): the programme team changes an event's date, time, place or
 * capacity; a new date is checked against the calendar rule (notice, 2.1.3/2.2.1.2) and needs a
 * reason when short; everyone booked is emailed through the outbox in the same transaction.
 */
let w: DemoWorld;
let team: Session;
let event: { id: number; cohort_id: number; starts_at: Date; booked: number };

beforeAll(async () => {
  w = await createDemoWorld();
  team = await w.signIn('programme.team@demo.npq-ops.test');
  const [row] = await queryRows<{ id: number; cohort_id: number; starts_at: Date }>(
    w.t.db,
    sql`select ce.id, ce.cohort_id, ce.starts_at from cohort_event ce join programme_activity a on a.id = ce.activity_id
        where a.kind = 'community_session' and ce.starts_at > ${new Date(w.clock.now().getTime() + 30 * 86_400_000)}
        order by ce.starts_at limit 1`,
  );
  const people = await queryRows<{ id: number; participant_id: number }>(
    w.t.db,
    sql`select id, participant_id from enrolment where cohort_id = ${row!.cohort_id} and status = 'active' order by id limit 2`,
  );
  await w.t.db.execute(sql`delete from event_booking where cohort_event_id = ${row!.id}`);
  for (const p of people) {
    await w.t.db.execute(
      sql`insert into event_booking (participant_id, enrolment_id, cohort_event_id, booked_at)
          values (${p.participant_id}, ${p.id}, ${row!.id}, now())`,
    );
  }
  event = { ...row!, starts_at: new Date(row!.starts_at), booked: people.length };
});
afterAll(async () => {
  await w.destroy();
});

const changeUrl = () => `/cohorts/${event.cohort_id}/events/${event.id}/change`;

async function outbox(): Promise<{ to_email: string; template: string }[]> {
  return queryRows(
    w.t.db,
    sql`select to_email, template from email_message where template = 'event_changed' order by id`,
  );
}

describe('changing an event after set-up', () => {
  it('lists the cohort’s events with Change links, and the form holds the event as it is', async () => {
    const list = await team.request({ method: 'GET', url: `/cohorts/${event.cohort_id}/events` });
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(`href="${changeUrl()}"`);
    const form = await team.request({ method: 'GET', url: changeUrl() });
    expect(form.statusCode).toBe(200);
  });

  it('refuses a capacity below the places booked', async () => {
    const form = await team.request({ method: 'GET', url: changeUrl() });
    const res = await team.request({
      method: 'POST',
      url: changeUrl(),
      payload: { ...formFields(form.body, changeUrl()), capacity: '1' },
    });
    expect(res.statusCode).toBe(422);
    expect(pageText(res.body)).toContain('2 places are already booked');
  });

  it('a new date at short notice shows the calendar rule not met and needs a reason; with one, the change is made and the booked are emailed', async () => {
    const form = await team.request({ method: 'GET', url: changeUrl() });
    // Three days from "today": far less than the 14 days' notice a community session needs.
    const soon = new Date(w.clock.now().getTime() + 3 * 86_400_000);
    const fields = {
      ...formFields(form.body, changeUrl()),
      'date-day': String(soon.getUTCDate()),
      'date-month': String(soon.getUTCMonth() + 1),
      'date-year': String(soon.getUTCFullYear()),
      location: 'Leeds Town Hall',
    };
    const check = await team.request({ method: 'POST', url: changeUrl(), payload: fields });
    expect(check.statusCode).toBe(200);
    expect(check.body).toContain('data-code="CALENDAR.NOTICE_TOO_SHORT"');
    expect(pageText(check.body)).toContain('(Policy 2.1.3)');
    expect(pageText(check.body)).toContain('2 booked participants will be emailed');
    expect(await outbox()).toEqual([]);

    const confirmUrl = `${changeUrl()}/confirm`;
    const refused = await team.request({
      method: 'POST',
      url: confirmUrl,
      payload: formFields(check.body, confirmUrl),
    });
    expect(refused.statusCode).toBe(422);
    expect(await outbox()).toEqual([]);

    const done = await team.request({
      method: 'POST',
      url: confirmUrl,
      payload: { ...formFields(check.body, confirmUrl), shortNoticeReason: 'The venue flooded' },
    });
    expect(done.statusCode).toBe(303);
    const [after] = await queryRows<{ location: string; starts_at: Date }>(
      w.t.db,
      sql`select location, starts_at from cohort_event where id = ${event.id}`,
    );
    expect(after!.location).toBe('Leeds Town Hall');
    expect(new Date(after!.starts_at).getTime()).not.toBe(event.starts_at.getTime());
    expect(await outbox()).toHaveLength(event.booked);
    const [audit] = await queryRows<{ details: Record<string, unknown> }>(
      w.t.db,
      sql`select details from audit_event where what = 'COHORT_EVENT_CHANGED' and subject_id = ${String(event.id)}`,
    );
    expect(audit!.details).toMatchObject({ shortNoticeReason: 'The venue flooded', told: 2 });
  });

  it('a change from a page opened before another change is refused (409)', async () => {
    const res = await team.request({
      method: 'POST',
      url: `${changeUrl()}/confirm`,
      payload: {
        expectedStartsAt: event.starts_at.toISOString(),
        'date-day': '1',
        'date-month': '12',
        'date-year': '2026',
        startTime: '10:00',
        endTime: '11:00',
        location: 'Online',
        capacity: '',
      },
    });
    expect(res.statusCode).toBe(409);
  });
});

describe('every event-change route as every role', () => {
  const ROLES: Record<string, string> = {
    admin: 'admin@demo.npq-ops.test',
    programme_team: 'programme.team@demo.npq-ops.test',
    north_partner: 'partner.north@demo.npq-ops.test',
    coach: 'coach@demo.npq-ops.test',
    assessor: 'assessor@demo.npq-ops.test',
    participant: 'participant2@demo.npq-ops.test',
  };
  it.each(Object.keys(ROLES))('%s', async (role) => {
    const s = await w.signIn(ROLES[role]!);
    const may = ['admin', 'programme_team'].includes(role);
    const urls = [`/cohorts/${event.cohort_id}/events`, changeUrl()];
    for (const u of urls) {
      expect((await s.request({ method: 'GET', url: u })).statusCode).toBe(may ? 200 : 404);
    }
    const before = (await outbox()).length;
    for (const u of [changeUrl(), `${changeUrl()}/confirm`]) {
      const res = await s.request({ method: 'POST', url: u, payload: { location: '' } });
      expect(res.statusCode).toBe(may ? 422 : 404);
    }
    expect((await outbox()).length).toBe(before);
  });
  it('signed out', async () => {
    const res = await w.app.inject({ method: 'GET', url: changeUrl() });
    expect([302, 303]).toContain(res.statusCode);
  });
});
