import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { createDemoWorld, type DemoWorld } from '../support/demo-world.js';
import { offerSlot } from '../support/coaching.js';
import { formFields } from '../support/forms.js';

let world: DemoWorld;
beforeAll(async () => {
  world = await createDemoWorld();
});
afterAll(async () => {
  await world?.destroy();
});

const signIn = (email: string) => world.requester(email);

async function issue(request: Awaited<ReturnType<typeof signIn>>): Promise<string> {
  const res = await request({ method: 'POST', url: '/calendar/feed', payload: {} });
  expect(res.statusCode).toBe(303);
  const page = await request({ method: 'GET', url: '/calendar' });
  const token = /\/calendar\/([A-Za-z0-9_-]+)\.ics/.exec(page.body)?.[1];
  expect(token).toBeDefined();
  // Shown once: the next visit does not repeat it.
  const again = await request({ method: 'GET', url: '/calendar' });
  expect(again.body).not.toContain(token!);
  return token!;
}

const fetchFeed = (token: string) =>
  world.app.inject({ method: 'GET', url: `/calendar/${token}.ics` });

describe('calendar feed', () => {
  it('gives a private feed with the programme dates, without signing in', async () => {
    const request = await signIn('participant1@demo.npq-ops.test');
    // Book the next clinic so it appears in the feed.
    const events = await request({ method: 'GET', url: '/events' });
    const eventId = /action="\/events\/(\d+)\/book"/.exec(events.body)?.[1];
    expect(
      (await request({ method: 'POST', url: `/events/${eventId}/book`, payload: {} })).statusCode,
    ).toBe(303);

    const token = await issue(request);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const [stored] = await queryRows<{ token_hash: string }>(
      world.t.db,
      sql`select f.token_hash from calendar_feed f join participant p on p.id = f.participant_id
          where p.email = 'participant1@demo.npq-ops.test'`,
    );
    expect(stored?.token_hash).toBe(createHash('sha256').update(token).digest('hex'));

    const feed = await fetchFeed(token);
    expect(feed.statusCode).toBe(200);
    expect(feed.headers['content-type']).toContain('text/calendar');
    const ics = feed.body;
    expect(ics).toContain('BEGIN:VCALENDAR');
    expect(ics).toContain('(booked clinic)');
    expect(ics).toContain('90% engagement deadline');
    expect(ics).toContain('DTSTART;VALUE=DATE:20260911');
    expect(ics).toContain('SUMMARY:Assessment window');
    expect(ics).toMatch(/SUMMARY:Module 1: .* \(ideal 2-week window\)/);
    expect(ics).toContain('opening conference');
    expect(ics).not.toContain('coaching');
  });

  it('includes coaching for NPQEL', async () => {
    const request = await signIn('participant4@demo.npq-ops.test');
    // Their coach offers 20 April, 10:00 to 10:45 London time; they book it on the coaching pages.
    const [coach] = await queryRows<{ id: number }>(
      world.t.db,
      sql`select sa.user_id as id from staff_assignment sa join app_user u on u.id = sa.user_id and u.role = 'coach'
          join app_user me on me.participant_id = sa.participant_id and me.email = 'participant4@demo.npq-ops.test'
          limit 1`,
    );
    await offerSlot(world.t.db, coach!.id, '2026-04-20T09:00:00Z', '2026-04-20T09:45:00Z');
    const choose = await request({ method: 'GET', url: '/coaching/book' });
    const slotId = /name="slotId" type="radio" value="(\d+)"/.exec(choose.body)?.[1];
    const check = await request({ method: 'POST', url: '/coaching/book', payload: { slotId } });
    const booked = await request({
      method: 'POST',
      url: '/coaching/book/confirm',
      payload: formFields(check.body, '/coaching/book/confirm'),
    });
    expect(booked.statusCode).toBe(303);
    const ics = (await fetchFeed(await issue(request))).body;
    expect(ics).toContain('DTSTART:20260420T090000Z');
    expect(ics).toMatch(/SUMMARY:.*with /);
  });

  it('regenerating replaces the link and revoking turns it off (404)', async () => {
    const request = await signIn('participant5@demo.npq-ops.test');
    const first = await issue(request);
    expect((await fetchFeed(first)).statusCode).toBe(200);
    const second = await issue(request);
    expect(second).not.toBe(first);
    expect((await fetchFeed(first)).statusCode).toBe(404);
    expect((await fetchFeed(second)).statusCode).toBe(200);

    const revoked = await request({ method: 'POST', url: '/calendar/feed/revoke', payload: {} });
    expect(revoked.statusCode).toBe(303);
    const page = await request({ method: 'GET', url: '/calendar' });
    expect(page.body).toContain('Turned off');
    expect((await fetchFeed(second)).statusCode).toBe(404);
  });

  it('answers 404 to guesses and malformed names', async () => {
    expect((await fetchFeed('A'.repeat(43))).statusCode).toBe(404);
    expect((await world.app.inject({ method: 'GET', url: '/calendar/short.ics' })).statusCode).toBe(
      404,
    );
    expect(
      (await world.app.inject({ method: 'GET', url: `/calendar/${'A'.repeat(43)}` })).statusCode,
    ).toBe(404);
  });

  it('is for participants only', async () => {
    const staff = await world.signIn('programme.team@demo.npq-ops.test');
    expect((await staff.request({ method: 'GET', url: '/calendar' })).statusCode).toBe(403);
  });
});
