import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { createDemoWorld, pageText, type DemoWorld } from '../support/demo-world.js';

let world: DemoWorld;
beforeAll(async () => {
  world = await createDemoWorld();
});
afterAll(async () => {
  await world?.destroy();
});

const signIn = (email: string) => world.requester(email);

const text = pageText;

/** A participant's cohort's future dates of clinic n, in date order. */
async function clinicSlots(email: string, n: number) {
  return queryRows<{ id: number }>(
    world.t.db,
    sql`select ce.id from participant p join enrolment e on e.participant_id = p.id
        join cohort_event ce on ce.cohort_id = e.cohort_id
        join programme_activity a on a.id = ce.activity_id
        where lower(p.email) = ${email} and e.status = 'active' and a.kind = 'clinic'
          and a.sequence_number = ${n} and ce.starts_at > ${world.clock.now()}
        order by ce.starts_at`,
  );
}

async function bookingStatus(id: number) {
  const [row] = await queryRows<{ status: string }>(
    world.t.db,
    sql`select status from event_booking where id = ${id}`,
  );
  return row?.status;
}

describe('clinics', () => {
  it('books the next clinic, changes its date, then cancels it', async () => {
    const email = 'participant1@demo.npq-ops.test';
    const request = await signIn(email);
    const page = await request({ method: 'GET', url: '/events' });
    expect(page.statusCode).toBe(200);
    const bookable = [...page.body.matchAll(/action="\/events\/(\d+)\/book"/g)].map((m) =>
      Number(m[1]),
    );
    const [first, second] = await clinicSlots(email, 4);
    expect(bookable).toContain(first!.id);
    expect(page.body).toContain('href="/policy#clause-2-2-1-2"');

    const booked = await request({ method: 'POST', url: `/events/${first!.id}/book`, payload: {} });
    expect(booked.statusCode).toBe(303);
    const [booking] = await queryRows<{ id: number }>(
      world.t.db,
      sql`select id from event_booking where cohort_event_id = ${first!.id} and status = 'booked'`,
    );
    expect(booking).toBeDefined();
    const after = await request({ method: 'GET', url: '/events' });
    expect(text(after.body)).toContain('Booked: Clinic: Professional development');
    expect(after.body).toContain(`/bookings/${booking!.id}/change`);

    const change = await request({ method: 'GET', url: `/bookings/${booking!.id}/change` });
    expect(change.statusCode).toBe(200);
    expect(change.body).toContain(`value="${second!.id}"`);
    const empty = await request({
      method: 'POST',
      url: `/bookings/${booking!.id}/change`,
      payload: {},
    });
    expect(empty.statusCode).toBe(422);
    expect(text(empty.body)).toContain('Choose a new date');
    const moved = await request({
      method: 'POST',
      url: `/bookings/${booking!.id}/change`,
      payload: { cohortEventId: String(second!.id) },
    });
    expect(moved.statusCode).toBe(303);
    expect(await bookingStatus(booking!.id)).toBe('cancelled');
    const [rebooked] = await queryRows<{ id: number }>(
      world.t.db,
      sql`select id from event_booking where cohort_event_id = ${second!.id} and status = 'booked'`,
    );
    expect(rebooked).toBeDefined();

    const cancelled = await request({
      method: 'POST',
      url: `/bookings/${rebooked!.id}/cancel`,
      payload: {},
    });
    expect(cancelled.statusCode).toBe(303);
    expect(await bookingStatus(rebooked!.id)).toBe('cancelled');
  });

  it('refuses a clinic out of sequence and says why, with the clause', async () => {
    const email = 'participant1@demo.npq-ops.test';
    const request = await signIn(email);
    const [later] = await clinicSlots(email, 6);
    const res = await request({ method: 'POST', url: `/events/${later!.id}/book`, payload: {} });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('govuk-error-summary');
    expect(text(res.body)).toContain(
      'Clinics are attended in order: book clinic 5 before clinic 6. (Policy 2.2.1.2)',
    );
    const [row] = await queryRows<{ n: number }>(
      world.t.db,
      sql`select count(*)::int as n from event_booking where cohort_event_id = ${later!.id}`,
    );
    expect(row?.n).toBe(0);
  });

  it("answers 404 for someone else's booking and event", async () => {
    const owner = await signIn('participant2@demo.npq-ops.test');
    const page = await owner({ method: 'GET', url: '/events' });
    const eventId = Number(/action="\/events\/(\d+)\/book"/.exec(page.body)?.[1]);
    expect(
      await owner({ method: 'POST', url: `/events/${eventId}/book`, payload: {} }),
    ).toMatchObject({ statusCode: 303 });
    const [booking] = await queryRows<{ id: number }>(
      world.t.db,
      sql`select id from event_booking where cohort_event_id = ${eventId} and status = 'booked'`,
    );

    const other = await signIn('participant5@demo.npq-ops.test');
    expect(
      (await other({ method: 'GET', url: `/bookings/${booking!.id}/change` })).statusCode,
    ).toBe(404);
    expect(
      (await other({ method: 'POST', url: `/bookings/${booking!.id}/cancel`, payload: {} }))
        .statusCode,
    ).toBe(404);
    expect(
      (
        await other({
          method: 'POST',
          url: `/bookings/${booking!.id}/change`,
          payload: { cohortEventId: String(eventId) },
        })
      ).statusCode,
    ).toBe(404);
    // An event of another cohort does not exist for this participant.
    expect(
      (await other({ method: 'POST', url: `/events/${eventId}/book`, payload: {} })).statusCode,
    ).toBe(404);
    expect(await bookingStatus(booking!.id)).toBe('booked');
  });
});

describe('coaching', () => {
  it('is not shown at all on a course without coaching', async () => {
    const request = await signIn('participant1@demo.npq-ops.test');
    const page = await request({ method: 'GET', url: '/events' });
    expect(page.body).not.toContain('id="coaching"');
    expect(page.body).not.toContain('action="/coaching"');
  });

  it('is offered on NPQEL, with a link to book into the coach’s times and its clause', async () => {
    const request = await signIn('participant4@demo.npq-ops.test');
    const page = await request({ method: 'GET', url: '/events' });
    expect(page.body).toContain('id="coaching"');
    expect(page.body).toContain('href="/coaching/book"');
    const book = await request({ method: 'GET', url: '/coaching/book' });
    expect(book.statusCode).toBe(200);
    expect(book.body).toContain('href="/policy#clause-2-2-1-3"');
    // Booking is by choosing one of the coach's slots (test/web/coaching.test.ts); a typed time is not a form any more.
    const typed = await request({
      method: 'POST',
      url: '/coaching/book',
      payload: {
        'startsOn-day': '15',
        'startsOn-month': '4',
        'startsOn-year': '2026',
        startTime: '16:30',
      },
    });
    expect(typed.statusCode).toBe(422);
    expect(text(typed.body)).toContain('Choose a time');
  });
});

describe('booking forms only for those who may use them', () => {
  it('a deferred participant is told why they cannot book and what stays open, with no booking form', async () => {
    const request = await signIn('participant3@demo.npq-ops.test');
    const page = await request({ method: 'GET', url: '/events' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('data-testid="not-bookable"');
    const body = text(page.body);
    expect(body).toContain('Your place is deferred, so you cannot book clinics or events now.');
    expect(body).toContain('everything already released stays open to you');
    expect(page.body).toContain('href="/policy#clause-2-3-6"');
    expect(page.body).toContain('data-testid="contact-details"');
    expect(page.body).not.toMatch(/action="\/events\/\d+\/book"/);
    expect(page.body).not.toContain('govuk-error-summary');
  });

  it('changing a date: no form when every other date is full, but why and what to do instead', async () => {
    const email = 'participant1@demo.npq-ops.test';
    const request = await signIn(email);
    const [first, ...others] = await clinicSlots(email, 4);
    expect(others.length).toBeGreaterThan(0);
    expect(
      (await request({ method: 'POST', url: `/events/${first!.id}/book`, payload: {} })).statusCode,
    ).toBe(303);
    const [booking] = await queryRows<{ id: number }>(
      world.t.db,
      sql`select b.id from event_booking b join participant p on p.id = b.participant_id
          where b.cohort_event_id = ${first!.id} and b.status = 'booked' and lower(p.email) = ${email}`,
    );
    // Someone else takes the last place on every other date.
    const otherIds = others.map((o) => o.id);
    await world.t.db.execute(sql`
      insert into event_booking (participant_id, enrolment_id, cohort_event_id, status, booked_at)
      select distinct on (ce.id) e.participant_id, e.id, ce.id, 'booked', now()
      from cohort_event ce join enrolment e on e.cohort_id = ce.cohort_id
      join participant p on p.id = e.participant_id
      where ce.id in (${sql.join(
        otherIds.map((i) => sql`${i}`),
        sql`, `,
      )}) and lower(p.email) <> ${email}
        and not exists (select 1 from event_booking b where b.cohort_event_id = ce.id
                          and b.participant_id = e.participant_id and b.status <> 'cancelled')
      order by ce.id, e.id`);
    await world.t.db.execute(sql`
      update cohort_event ce set capacity = (select count(*) from event_booking b
                                             where b.cohort_event_id = ce.id and b.status <> 'cancelled')
      where ce.id in (${sql.join(
        otherIds.map((i) => sql`${i}`),
        sql`, `,
      )})`);

    const change = await request({ method: 'GET', url: `/bookings/${booking!.id}/change` });
    expect(change.statusCode).toBe(200);
    expect(change.body).not.toContain(`action="/bookings/${booking!.id}/change"`);
    expect(change.body).toContain('data-testid="no-other-date"');
    const body = text(change.body);
    expect(body).toContain('You keep this booking.');
    expect(body).toContain('this date is full.');
    expect(body).toContain('If you cannot attend, cancel your booking');
    expect(change.body).not.toContain('govuk-notification-banner--success');
    // A page left open before the dates filled up is still refused when sent, and nothing changes.
    const stale = await request({
      method: 'POST',
      url: `/bookings/${booking!.id}/change`,
      payload: { cohortEventId: String(others[0]!.id) },
    });
    expect(stale.statusCode).toBe(422);
    expect(await bookingStatus(booking!.id)).toBe('booked');
  });
});
