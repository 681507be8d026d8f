import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

let w: DemoWorld;
let north: Session;
let south: Session;
let p1: Session;
let p2: Session;
let e1: number;
let e2: number;

beforeAll(async () => {
  w = await createDemoWorld();
  [north, south, p1, p2] = await Promise.all([
    w.signIn('partner.north@demo.npq-ops.test'),
    w.signIn('partner.south@demo.npq-ops.test'),
    w.signIn('participant1@demo.npq-ops.test'),
    w.signIn('participant2@demo.npq-ops.test'),
  ]);
  e1 = await enrolmentOf('participant1@demo.npq-ops.test');
  e2 = await enrolmentOf('participant2@demo.npq-ops.test');
});
afterAll(async () => {
  await w.destroy();
});

async function enrolmentOf(email: string): Promise<number> {
  const [row] = await queryRows<{ id: number }>(
    w.t.db,
    sql`select e.id from enrolment e join participant p on p.id = e.participant_id where p.email = ${email}`,
  );
  return row!.id;
}

/** The slots of clinic n of the enrolment's cohort, earliest first. */
async function clinicSlots(enrolmentId: number, n: number): Promise<number[]> {
  const rows = await queryRows<{ id: number }>(
    w.t.db,
    sql`select ce.id from enrolment e join cohort_event ce on ce.cohort_id = e.cohort_id
        join programme_activity a on a.id = ce.activity_id and a.kind = 'clinic' and a.sequence_number = ${n}
        where e.id = ${enrolmentId} order by ce.starts_at`,
  );
  return rows.map((r) => r.id);
}

async function activeBookings(enrolmentId: number) {
  return queryRows<{ id: number; cohort_event_id: number; accommodation: string | null }>(
    w.t.db,
    sql`select id, cohort_event_id, accommodation from event_booking
        where enrolment_id = ${enrolmentId} and status = 'booked' order by id`,
  );
}

const book = (s: Session, payload: object, headers?: Record<string, string>) =>
  s.request({ method: 'POST', url: '/api/v1/bookings', payload, ...(headers ? { headers } : {}) });

describe('Clinic slots', () => {
  it('lists the cohort clinic slots with places left and whether each is bookable in sequence', async () => {
    const res = await p1.request({ method: 'GET', url: `/api/v1/enrolments/${e1}/clinic-slots` });
    expect(res.statusCode).toBe(200);
    const slots = res.json() as {
      cohortEventId: number;
      number: number;
      capacity: number;
      remaining: number;
      decision: { outcome: string; reasons: { code: string; clause: string }[] } | null;
    }[];
    const [c4] = await clinicSlots(e1, 4);
    const [c5] = await clinicSlots(e1, 5);
    const four = slots.find((s) => s.cohortEventId === c4)!;
    const five = slots.find((s) => s.cohortEventId === c5)!;
    expect(four.remaining).toBe(four.capacity);
    expect(four.decision).toMatchObject({ outcome: 'allowed' });
    expect(five.decision?.outcome).toBe('refused');
    expect(five.decision?.reasons).toContainEqual(
      expect.objectContaining({ code: 'CLINIC.OUT_OF_SEQUENCE', clause: '2.2.1.2' }),
    );
    expect(slots.filter((s) => s.decision === null).every((s) => s.number <= 3)).toBe(true);
    expect(
      (await north.request({ method: 'GET', url: `/api/v1/enrolments/${e1}/clinic-slots` }))
        .statusCode,
    ).toBe(404);
  });
});

describe('Booking clinics (2.2.1.2)', () => {
  it('refuses a clinic out of sequence, with the clause', async () => {
    const [c5] = await clinicSlots(e1, 5);
    const res = await book(p1, { enrolmentId: e1, cohortEventId: c5 });
    expect(res.statusCode).toBe(422);
    const body = res.json() as { reasons: { code: string; clause: string; met: boolean }[] };
    expect(body.reasons).toContainEqual(
      expect.objectContaining({ code: 'CLINIC.OUT_OF_SEQUENCE', clause: '2.2.1.2', met: false }),
    );
    expect(body.reasons).toContainEqual(
      expect.objectContaining({ code: 'CLINIC.NO_ACCOMMODATION' }),
    );
    expect(await activeBookings(e1)).toEqual([]);
  });

  it('does not let a participant grant themselves an accommodation', async () => {
    const [c5] = await clinicSlots(e1, 5);
    const res = await book(p1, {
      enrolmentId: e1,
      cohortEventId: c5,
      accommodation: { note: 'I would like to' },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      reasons: expect.arrayContaining([
        expect.objectContaining({ code: 'CLINIC.ACCOMMODATION_INVALID' }),
      ]),
    });
  });

  it('allows it for a part-time participant with a staff accommodation, recorded on the booking', async () => {
    const [c5] = await clinicSlots(e1, 5);
    expect(
      (await book(north, { enrolmentId: e1, cohortEventId: c5, accommodation: { note: 'x' } }))
        .statusCode,
    ).toBe(404);
    const res = await book(south, {
      enrolmentId: e1,
      cohortEventId: c5,
      accommodation: { note: 'Works Mondays to Wednesdays; clinic 4 dates clash' },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      booking: {
        cohortEventId: c5,
        status: 'booked',
        accommodation: 'Works Mondays to Wednesdays; clinic 4 dates clash',
      },
      decision: {
        outcome: 'allowed',
        details: { inSequence: false, allowedByAccommodation: true },
        reasons: expect.arrayContaining([
          expect.objectContaining({
            code: 'CLINIC.ALLOWED_BY_ACCOMMODATION',
            clause: '2.2.1.2',
            met: true,
          }),
        ]),
      },
    });
    expect(await activeBookings(e1)).toEqual([
      expect.objectContaining({
        cohort_event_id: c5,
        accommodation: expect.stringContaining('Mondays'),
      }),
    ]);
  });

  it('needs an exception, not an accommodation, for a full-time participant', async () => {
    const [c5] = await clinicSlots(e2, 5);
    const res = await book(north, {
      enrolmentId: e2,
      cohortEventId: c5,
      accommodation: { note: 'Asked nicely' },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      reasons: expect.arrayContaining([
        expect.objectContaining({ code: 'CLINIC.ACCOMMODATION_PART_TIME_ONLY', clause: '2.2.1.2' }),
      ]),
    });
  });

  it('books in sequence, refuses a second date of the same clinic, rebooks atomically and cancels', async () => {
    const [a, b, c] = await clinicSlots(e1, 4);
    const first = await book(p1, { enrolmentId: e1, cohortEventId: a });
    expect(first.statusCode).toBe(201);
    const bookingId = (first.json() as { booking: { id: number } }).booking.id;
    expect(first.json()).toMatchObject({
      decision: { outcome: 'allowed', details: { inSequence: true } },
    });

    const second = await book(p1, { enrolmentId: e1, cohortEventId: b });
    expect(second.statusCode).toBe(409);

    // Rebooking onto a full date leaves the original booking in place.
    await w.t.db.execute(sql`update cohort_event set capacity = 1 where id = ${c}`);
    await w.t.db.execute(sql`
      insert into event_booking (participant_id, enrolment_id, cohort_event_id, status, booked_at)
      select e.participant_id, e.id, ${c}, 'booked', now() from enrolment e
      where e.cohort_id = (select cohort_id from enrolment where id = ${e1}) and e.id <> ${e1} limit 1`);
    const toFull = await p1.request({
      method: 'POST',
      url: `/api/v1/bookings/${bookingId}/rebook`,
      payload: { cohortEventId: c },
    });
    expect(toFull.statusCode).toBe(409);
    expect((await activeBookings(e1)).map((x) => x.cohort_event_id)).toContain(a);

    const moved = await p1.request({
      method: 'POST',
      url: `/api/v1/bookings/${bookingId}/rebook`,
      payload: { cohortEventId: b },
    });
    expect(moved.statusCode).toBe(200);
    const movedBody = moved.json() as {
      booking: { id: number; cohortEventId: number };
      cancelled: { id: number; status: string };
    };
    expect(movedBody).toMatchObject({
      booking: { cohortEventId: b, status: 'booked' },
      cancelled: { id: bookingId, status: 'cancelled' },
    });
    const booked = (await activeBookings(e1)).map((x) => x.cohort_event_id);
    expect(booked).toContain(b);
    expect(booked).not.toContain(a);

    const same = await p1.request({
      method: 'POST',
      url: `/api/v1/bookings/${movedBody.booking.id}/rebook`,
      payload: { cohortEventId: b },
    });
    expect(same.statusCode).toBe(409);
    const otherClinic = await p1.request({
      method: 'POST',
      url: `/api/v1/bookings/${movedBody.booking.id}/rebook`,
      payload: { cohortEventId: (await clinicSlots(e1, 6))[0] },
    });
    expect(otherClinic.statusCode).toBe(422);

    expect(
      (
        await north.request({
          method: 'POST',
          url: `/api/v1/bookings/${movedBody.booking.id}/cancel`,
        })
      ).statusCode,
    ).toBe(404);
    const cancelled = await p1.request({
      method: 'POST',
      url: `/api/v1/bookings/${movedBody.booking.id}/cancel`,
    });
    expect(cancelled.json()).toMatchObject({ changed: true, booking: { status: 'cancelled' } });
    const again = await p1.request({
      method: 'POST',
      url: `/api/v1/bookings/${movedBody.booking.id}/cancel`,
    });
    expect(again.json()).toMatchObject({ changed: false });
    expect((await activeBookings(e1)).map((x) => x.cohort_event_id)).not.toContain(b);

    const audits = await queryRows<{ what: string }>(
      w.t.db,
      sql`select what from audit_event where subject_type = 'event_booking'
          and subject_id in (${String(bookingId)}, ${String(movedBody.booking.id)}) order by id`,
    );
    expect(audits.map((x) => x.what)).toEqual([
      'CLINIC_BOOKED',
      'CLINIC_REBOOKED',
      'CLINIC_BOOKING_CANCELLED',
    ]);
  });

  it('refuses a full clinic, and shows no places left', async () => {
    const [, , c] = await clinicSlots(e1, 4);
    const res = await book(p1, { enrolmentId: e1, cohortEventId: c });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ error: expect.stringContaining('full') });
    const slots = (
      await p1.request({ method: 'GET', url: `/api/v1/enrolments/${e1}/clinic-slots` })
    ).json() as {
      cohortEventId: number;
      remaining: number;
    }[];
    expect(slots.find((s) => s.cohortEventId === c)?.remaining).toBe(0);
  });

  it('refuses a clinic that has already taken place', async () => {
    const [past] = await clinicSlots(e2, 3);
    const res = await book(p2, { enrolmentId: e2, cohortEventId: past });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      reasons: expect.arrayContaining([expect.objectContaining({ clause: '2.2.1.2', met: false })]),
    });
  });

  it('answers a replayed POST with the same Idempotency-Key without booking again', async () => {
    const [a] = await clinicSlots(e2, 4);
    const headers = { 'idempotency-key': 'book-e2-clinic-4' };
    const first = await book(p2, { enrolmentId: e2, cohortEventId: a }, headers);
    expect(first.statusCode).toBe(201);
    const replay = await book(p2, { enrolmentId: e2, cohortEventId: a }, headers);
    expect(replay.statusCode).toBe(201);
    expect(replay.headers['idempotent-replay']).toBe('true');
    expect(replay.json()).toEqual(first.json());
    expect(await activeBookings(e2)).toHaveLength(1);
  });
});

describe('Community sessions and conferences', () => {
  it('signs up and cancels, telling the participant the date was shared in advance', async () => {
    const [event] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select ce.id from enrolment e join cohort_event ce on ce.cohort_id = e.cohort_id
          join programme_activity a on a.id = ce.activity_id and a.kind = 'community_session'
          where e.id = ${e1} and ce.starts_at > ${w.clock.now()} order by ce.starts_at limit 1`,
    );
    const res = await book(p1, { enrolmentId: e1, cohortEventId: event!.id });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      booking: { kind: 'community_session', status: 'booked' },
      decision: { reasons: expect.arrayContaining([expect.objectContaining({ clause: '2.1.3' })]) },
    });
    const listed = (
      await p1.request({ method: 'GET', url: `/api/v1/enrolments/${e1}/bookings` })
    ).json() as {
      events: { cohortEventId: number; status: string }[];
    };
    expect(listed.events).toContainEqual(
      expect.objectContaining({ cohortEventId: event!.id, status: 'booked' }),
    );
    const id = (res.json() as { booking: { id: number } }).booking.id;
    expect(
      (await p1.request({ method: 'POST', url: `/api/v1/bookings/${id}/cancel` })).statusCode,
    ).toBe(200);

    await w.t.db.execute(sql`update cohort_event set capacity = 1 where id = ${event!.id}`);
    await w.t.db.execute(sql`
      insert into event_booking (participant_id, enrolment_id, cohort_event_id, status, booked_at)
      select e.participant_id, e.id, ${event!.id}, 'booked', now() from enrolment e
      where e.cohort_id = (select cohort_id from enrolment where id = ${e1}) and e.id <> ${e1} limit 1`);
    expect((await book(p1, { enrolmentId: e1, cohortEventId: event!.id })).statusCode).toBe(409);
  });

  it('refuses a session that has already taken place', async () => {
    const [past] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select ce.id from enrolment e join cohort_event ce on ce.cohort_id = e.cohort_id
          join programme_activity a on a.id = ce.activity_id and a.kind = 'conference'
          where e.id = ${e1} and ce.starts_at < ${w.clock.now()} limit 1`,
    );
    expect((await book(p1, { enrolmentId: e1, cohortEventId: past!.id })).statusCode).toBe(422);
  });
});

describe('a missed clinic (2.2.1.2)', () => {
  it('does not stop a participant booking the next clinic once all its dates have passed', async () => {
    // An active participant who missed clinic n (every date gone, not attended) and has not booked clinic n+1.
    const [row] = await queryRows<{ enrolment_id: number; email: string; next_event: number }>(
      w.t.db,
      sql`select e.id as enrolment_id, p.email, nxt.id as next_event
          from enrolment e join participant p on p.id = e.participant_id join cohort c on c.id = e.cohort_id
          join programme_activity a on a.programme_id = c.programme_id and a.kind = 'clinic'
          join programme_activity b on b.programme_id = c.programme_id and b.kind = 'clinic' and b.sequence_number = a.sequence_number + 1
          join lateral (select ce.id from cohort_event ce where ce.cohort_id = c.id and ce.activity_id = b.id
                        and ce.starts_at > ${w.clock.now()} order by ce.starts_at limit 1) nxt on true
          where e.status = 'active'
            and not exists (select 1 from engagement_record r where r.participant_id = p.id and r.activity_id = a.id)
            and not exists (select 1 from cohort_event ce where ce.cohort_id = c.id and ce.activity_id = a.id and ce.starts_at > ${w.clock.now()})
            and exists (select 1 from cohort_event ce where ce.cohort_id = c.id and ce.activity_id = a.id)
            and not exists (select 1 from event_booking bk join cohort_event ce on ce.id = bk.cohort_event_id
                            where bk.participant_id = p.id and ce.activity_id = b.id and bk.status <> 'cancelled')
            and (a.sequence_number = 1 or exists (
                  select 1 from engagement_record r join programme_activity pa on pa.id = r.activity_id
                  where r.participant_id = p.id and pa.programme_id = c.programme_id and pa.kind = 'clinic'
                    and pa.sequence_number = a.sequence_number - 1))
          order by e.id limit 1`,
    );
    expect(row, 'the demo has a participant who missed a clinic').toBeDefined();
    const staff = await w.signIn('programme.team@demo.npq-ops.test');
    const res = await staff.request({
      method: 'POST',
      url: '/api/v1/bookings',
      payload: { enrolmentId: row!.enrolment_id, cohortEventId: row!.next_event },
    });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json() as { decision: { reasons: { code: string; message: string }[] } };
    expect(body.decision.reasons.find((r) => r.code === 'CLINIC.IN_SEQUENCE')?.message).toContain(
      'missed',
    );
  });
});

describe('cancelling a clinic (2.2.1.2)', () => {
  it('refuses while a later clinic booked in sequence depends on it, and allows it once that one is cancelled', async () => {
    const team = await w.signIn('programme.team@demo.npq-ops.test');
    // A participant with nothing booked yet, who can book the next two clinics in order.
    const slots = await queryRows<{ enrolment_id: number; first: number; second: number }>(
      w.t.db,
      sql`select e.id as enrolment_id, s1.id as first, s2.id as second
          from enrolment e join cohort c on c.id = e.cohort_id
          join programme_activity a1 on a1.programme_id = c.programme_id and a1.kind = 'clinic'
          join programme_activity a2 on a2.programme_id = c.programme_id and a2.kind = 'clinic' and a2.sequence_number = a1.sequence_number + 1
          join lateral (select ce.id, ce.starts_at from cohort_event ce where ce.cohort_id = c.id and ce.activity_id = a1.id
                        and ce.starts_at > ${w.clock.now()} order by ce.starts_at limit 1) s1 on true
          join lateral (select ce.id from cohort_event ce where ce.cohort_id = c.id and ce.activity_id = a2.id
                        and ce.starts_at > s1.starts_at order by ce.starts_at limit 1) s2 on true
          where e.status = 'active'
            and not exists (select 1 from event_booking b where b.enrolment_id = e.id and b.status = 'booked')
            and (a1.sequence_number = 1 or exists (select 1 from engagement_record r join programme_activity pa on pa.id = r.activity_id
                  where r.participant_id = e.participant_id and pa.programme_id = c.programme_id and pa.kind = 'clinic'
                    and pa.sequence_number = a1.sequence_number - 1))
          order by e.id limit 1`,
    );
    const s = slots[0];
    expect(s, 'a participant who can book two clinics in order').toBeDefined();
    const post = (url: string, payload?: unknown) =>
      team.request({ method: 'POST', url, ...(payload ? { payload } : {}) });
    const first = await post('/api/v1/bookings', {
      enrolmentId: s!.enrolment_id,
      cohortEventId: s!.first,
    });
    expect(first.statusCode, first.body).toBe(201);
    const second = await post('/api/v1/bookings', {
      enrolmentId: s!.enrolment_id,
      cohortEventId: s!.second,
    });
    expect(second.statusCode, second.body).toBe(201);
    const firstId = (first.json() as { booking: { id: number } }).booking.id;
    const secondId = (second.json() as { booking: { id: number } }).booking.id;

    const refused = await post(`/api/v1/bookings/${firstId}/cancel`);
    expect(refused.statusCode).toBe(422);
    expect((refused.json() as { reasons: { code: string }[] }).reasons.map((r) => r.code)).toEqual([
      'CLINIC.LATER_CLINIC_BOOKED',
    ]);
    expect((await post(`/api/v1/bookings/${secondId}/cancel`)).statusCode).toBe(200);
    expect((await post(`/api/v1/bookings/${firstId}/cancel`)).statusCode).toBe(200);
  });
});
