import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { createDemoWorld, pageText, type DemoWorld } from '../support/demo-world.js';
import { formFields } from '../support/forms.js';

let world: DemoWorld;
beforeAll(async () => {
  world = await createDemoWorld();
});
afterAll(async () => {
  await world?.destroy();
});

const signIn = (email: string) => world.requester(email);

const text = pageText;

const today = { 'requestedOn-day': '16', 'requestedOn-month': '3', 'requestedOn-year': '2026' };

async function casesOf(email: string) {
  return queryRows<{ status: string; circumstance: string; requested_on: string }>(
    world.t.db,
    sql`select d.status, d.circumstance, d.requested_on::text from deferral_case d
        join participant p on p.id = d.participant_id where p.email = ${email} order by d.id`,
  );
}

describe('deferral request', () => {
  it('shows eligibility and consequences, with clauses, before the form', async () => {
    const request = await signIn('participant1@demo.npq-ops.test');
    const res = await request({ method: 'GET', url: '/changes/deferral' });
    expect(res.statusCode).toBe(200);
    const body = text(res.body);
    const eligibility = body.indexOf('Can you defer?');
    const consequences = body.indexOf('What deferring would mean for you');
    const form = body.indexOf('What has happened?');
    expect(eligibility).toBeGreaterThan(0);
    expect(consequences).toBeGreaterThan(eligibility);
    expect(form).toBeGreaterThan(consequences);
    expect(res.body).toContain('href="/policy#clause-2-3-2"');
    expect(body).toMatch(/Your provisional re-joining date is \d+ \w+ 2027/);
    expect(res.body).toContain('href="/policy#clause-2-3-6"');
    expect(body).toContain('scholarship stays in place');
    expect(res.body).toContain('href="/policy#clause-2-4-1"');
    expect(res.body).toContain('href="/policy#clause-2-5-1"');
    // Nothing about the circumstance is claimed before the participant has said what happened.
    expect(body).not.toContain('Your circumstances are ones where a deferral can be discussed');
  });

  it('validates the form in the GOV.UK pattern', async () => {
    const request = await signIn('participant1@demo.npq-ops.test');
    const none = await request({ method: 'POST', url: '/changes/deferral', payload: {} });
    expect(none.statusCode).toBe(422);
    expect(none.body).toContain('govuk-error-summary');
    expect(text(none.body)).toContain('Select what has happened');
    expect(text(none.body)).toContain('Enter the date');
    const other = await request({
      method: 'POST',
      url: '/changes/deferral',
      payload: { circumstance: 'other', description: '', ...today },
    });
    expect(other.statusCode).toBe(422);
    expect(text(other.body)).toContain('Describe what has happened');
    const future = await request({
      method: 'POST',
      url: '/changes/deferral',
      payload: { circumstance: 'bereavement', ...today, 'requestedOn-day': '17' },
    });
    expect(future.statusCode).toBe(422);
    expect(text(future.body)).toContain('The date must be today or in the past');
    expect(await casesOf('participant1@demo.npq-ops.test')).toEqual([]);
  });

  it('sends a request after checking the answers, shows its status, and offers no second form while it is open', async () => {
    const email = 'participant1@demo.npq-ops.test';
    const request = await signIn(email);
    const form = await request({ method: 'GET', url: '/changes/deferral' });
    const check = await request({
      method: 'POST',
      url: '/changes/deferral',
      payload: {
        ...formFields(form.body, '/changes/deferral'),
        circumstance: 'illness_or_health',
        description: 'Surgery and recovery',
        ...today,
      },
    });
    expect(check.statusCode).toBe(200);
    const res = await request({
      method: 'POST',
      url: '/changes/deferral/send',
      payload: formFields(check.body, '/changes/deferral/send'),
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toMatch(/^\/changes\/deferral\/\d+$/);
    // The session rides in a cookie; browsers drop one over 4 KB.
    const setCookie = [res.headers['set-cookie'] ?? []].flat();
    expect(Math.max(0, ...setCookie.map((c) => c.length))).toBeLessThan(4096);
    const changes = text((await request({ method: 'GET', url: '/changes' })).body);
    expect(changes).toContain('Requested on 16 March 2026');
    expect(changes).toContain('Illness or a health-related issue');
    expect(await casesOf(email)).toEqual([
      { status: 'requested', circumstance: 'illness_or_health', requested_on: '2026-03-16' },
    ]);

    // A second request while this one is open: no form, and a stale one sent anyway is refused.
    const again = await request({ method: 'GET', url: '/changes/deferral' });
    expect(again.body).not.toContain('action="/changes/deferral"');
    const stale = await request({
      method: 'POST',
      url: '/changes/deferral/send',
      payload: {
        token: '0f1c4d1e-8a9b-4c2d-9e0f-112233445566',
        circumstance: 'bereavement',
        description: '',
        ...today,
      },
    });
    expect(stale.statusCode).toBe(422);
    expect(text(stale.body)).toContain('There is already a deferral case in progress');
    expect(await casesOf(email)).toHaveLength(1);
  });

  it('shows a deferred participant their deferral instead of the form; a stale request is declined with the reason', async () => {
    const email = 'participant3@demo.npq-ops.test';
    const request = await signIn(email);
    const preview = await request({ method: 'GET', url: '/changes/deferral' });
    expect(preview.body).not.toContain('action="/changes/deferral"');
    expect(text(preview.body)).toContain('Your place is deferred');
    const res = await request({
      method: 'POST',
      url: '/changes/deferral/send',
      payload: {
        token: '1f1c4d1e-8a9b-4c2d-9e0f-112233445566',
        circumstance: 'bereavement',
        description: '',
        ...today,
      },
    });
    expect(res.statusCode).toBe(303);
    const changes = await request({ method: 'GET', url: '/changes' });
    expect(text(changes.body)).toContain('Declined');
    expect(text(changes.body)).toContain('Your place is already deferred.');
    expect(changes.body).toContain('href="/policy#clause-2-3-3"');
    expect((await casesOf(email)).map((c) => c.status)).toEqual(['declined']);
  });
});

describe('school move', () => {
  it('checks the URN and date, then records the move with the decision', async () => {
    const email = 'participant2@demo.npq-ops.test';
    const request = await signIn(email);
    expect((await request({ method: 'GET', url: '/changes/school-move' })).statusCode).toBe(200);

    const bad = await request({
      method: 'POST',
      url: '/changes/school-move',
      payload: {
        newSchoolUrn: '12ab',
        'movedOn-day': '31',
        'movedOn-month': '2',
        'movedOn-year': '2026',
      },
    });
    expect(bad.statusCode).toBe(422);
    expect(text(bad.body)).toContain('The URN is 6 or 7 digits');
    expect(text(bad.body)).toContain('Enter a real date');

    const unknown = await request({
      method: 'POST',
      url: '/changes/school-move',
      payload: {
        newSchoolUrn: '0000001',
        'movedOn-day': '2',
        'movedOn-month': '3',
        'movedOn-year': '2026',
      },
    });
    expect(unknown.statusCode).toBe(422);
    expect(text(unknown.body)).toContain('We do not know a school with URN 0000001');

    // A school in a region the lead provider covers, other than the current one.
    const [school] = await queryRows<{ urn: string; name: string }>(
      world.t.db,
      sql`select s.urn, s.name from school s
          join lead_provider_region lr on lr.region_id = s.region_id
          where s.id <> (select current_school_id from participant where email = ${email})
          order by s.id limit 1`,
    );
    const check = await request({
      method: 'POST',
      url: '/changes/school-move',
      payload: {
        newSchoolUrn: school!.urn,
        'movedOn-day': '2',
        'movedOn-month': '3',
        'movedOn-year': '2026',
      },
    });
    expect(check.statusCode).toBe(200);
    const moved = await request({
      method: 'POST',
      url: '/changes/school-move/send',
      payload: formFields(check.body, '/changes/school-move/send'),
    });
    expect(moved.statusCode).toBe(303);
    const confirmation = text(
      (await request({ method: 'GET', url: moved.headers.location as string })).body,
    );
    expect(confirmation).toContain(`Thank you for telling us you moved to ${school!.name}`);
    const changes = await request({ method: 'GET', url: '/changes' });
    expect(text(changes.body)).toContain('Moved on 2 March 2026');
    expect(changes.body).toMatch(/href="\/policy#clause-2-6-\d"/);
  });
});

describe('finding the new school', () => {
  it('finds schools by name or town, and a chosen school fills in its URN', async () => {
    const request = await signIn('participant5@demo.npq-ops.test');
    const [school] = await queryRows<{ urn: string; name: string; town: string }>(
      world.t.db,
      sql`select urn, name, town from school where town is not null order by urn limit 1`,
    );
    const words = school!.name.split(' ').slice(0, 2).join(' ');
    const found = await request({
      method: 'GET',
      url: `/changes/school-move?school=${encodeURIComponent(`${words} ${school!.town}`)}`,
    });
    expect(found.statusCode).toBe(200);
    expect(found.body).toContain(`href="/changes/school-move?urn=${school!.urn}#newSchoolUrn"`);
    const none = await request({
      method: 'GET',
      url: '/changes/school-move?school=zzzz-no-such-school',
    });
    expect(text(none.body)).toContain('No school matches');
    const chosen = await request({ method: 'GET', url: `/changes/school-move?urn=${school!.urn}` });
    expect(chosen.body).toMatch(
      new RegExp(`id="newSchoolUrn" name="newSchoolUrn" type="text"[^>]*value="${school!.urn}"`),
    );
    const wildcard = await request({ method: 'GET', url: '/changes/school-move?school=%25' });
    expect(text(wildcard.body)).toContain('No school matches');
  });
});
