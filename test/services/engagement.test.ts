import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { fixedClock } from '../../src/clock.js';
import { queryRows } from '../../src/db/client.js';
import { bookEvent } from '../../src/services/bookings.js';
import { recordAttendance } from '../../src/services/engagement/attendance.js';
import { parseParticipantRef } from '../../src/services/engagement/ingest-rows.js';
import { loadActor, type Actor } from '../../src/services/actor.js';
import { PolicyRefusalError } from '../../src/services/errors.js';
import { createDemoWorld, type DemoWorld } from '../support/demo-world.js';

let w: DemoWorld;
let south: Actor;
let north: Actor;
let e1: number;
let e2: number;

beforeAll(async () => {
  w = await createDemoWorld();
  south = await w.actor('partner.south@demo.npq-ops.test');
  north = await w.actor('partner.north@demo.npq-ops.test');
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

async function clinicSlot(enrolmentId: number, n: number): Promise<{ id: number; startsAt: Date }> {
  const [row] = await queryRows<{ id: number; starts_at: string | Date }>(
    w.t.db,
    sql`select ce.id, ce.starts_at from enrolment e join cohort_event ce on ce.cohort_id = e.cohort_id
        join programme_activity a on a.id = ce.activity_id and a.kind = 'clinic' and a.sequence_number = ${n}
        where e.id = ${enrolmentId} order by ce.starts_at limit 1`,
  );
  return { id: row!.id, startsAt: new Date(row!.starts_at) };
}

const after = (at: Date) => ({
  db: w.t.db,
  clock: fixedClock(new Date(at.getTime() + 3 * 3600_000)),
});

describe('Clinic attendance (2.2.1.2)', () => {
  /** A late catch-up date for clinic n of the enrolment's cohort, a week after clinic n+1's first date. */
  async function addLateSlot(enrolmentId: number, n: number): Promise<void> {
    const next = await clinicSlot(enrolmentId, n + 1);
    const late = new Date(next.startsAt.getTime() + 7 * 86_400_000);
    await w.t.db.execute(
      sql`insert into cohort_event (cohort_id, activity_id, starts_at, ends_at, capacity, published_on)
          select e.cohort_id, a.id, ${late}, ${new Date(late.getTime() + 3_600_000)}, 30, '2025-09-01'
          from enrolment e join cohort c on c.id = e.cohort_id
          join programme_activity a on a.programme_id = c.programme_id and a.kind = 'clinic' and a.sequence_number = ${n}
          where e.id = ${enrolmentId}`,
    );
  }

  it('counts a clinic attended out of sequence when staff agreed an accommodation at booking', async () => {
    // Clinic 4 still has a date to come, so attending clinic 5 first breaks the sequence.
    await addLateSlot(e1, 4);
    const slot = await clinicSlot(e1, 5);
    const booked = await bookEvent({ db: w.t.db, clock: w.clock }, south, {
      enrolmentId: e1,
      cohortEventId: slot.id,
      accommodation: { note: 'Part-time: clinic 4 dates fall on non-working days' },
    });
    expect(booked.decision).toMatchObject({
      outcome: 'allowed',
      details: { allowedByAccommodation: true },
    });

    const result = await recordAttendance(after(slot.startsAt), south, {
      enrolmentId: e1,
      cohortEventId: slot.id,
    });
    expect(result).toMatchObject({ changed: true, bookingId: booked.booking.id });
    expect(result.decision?.reasons).toContainEqual(
      expect.objectContaining({
        code: 'CLINIC.ALLOWED_BY_ACCOMMODATION',
        clause: '2.2.1.2',
        met: true,
      }),
    );
    const [row] = await queryRows<{ status: string; records: number }>(
      w.t.db,
      sql`select b.status, (select count(*)::int from engagement_record r join cohort_event ce on ce.id = ${slot.id}
            where r.participant_id = b.participant_id and r.activity_id = ce.activity_id and r.source = 'staff') as records
          from event_booking b where b.id = ${booked.booking.id}`,
    );
    expect(row).toEqual({ status: 'attended', records: 1 });
  });

  it('refuses a clinic attended out of sequence without an accommodation, writing nothing', async () => {
    await addLateSlot(e2, 4);
    const slot = await clinicSlot(e2, 5);
    const attempt = recordAttendance(after(slot.startsAt), north, {
      enrolmentId: e2,
      cohortEventId: slot.id,
    });
    await expect(attempt).rejects.toBeInstanceOf(PolicyRefusalError);
    const error = (await attempt.catch((e: unknown) => e)) as PolicyRefusalError;
    expect(error.decision.reasons).toContainEqual(
      expect.objectContaining({ code: 'CLINIC.OUT_OF_SEQUENCE', clause: '2.2.1.2', met: false }),
    );
    const [count] = await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(*)::int as n from engagement_record r join cohort_event ce on ce.id = ${slot.id}
          join enrolment e on e.id = ${e2} where r.participant_id = e.participant_id and r.activity_id = ce.activity_id`,
    );
    expect(count!.n).toBe(0);
  });

  it('counts a clinic in sequence when the one before was missed with all its dates gone', async () => {
    const slot = await clinicSlot(e2, 6);
    const result = await recordAttendance(after(slot.startsAt), north, {
      enrolmentId: e2,
      cohortEventId: slot.id,
    });
    expect(result.changed).toBe(true);
    expect(result.decision?.outcome).toBe('allowed');
  });
});

describe('Facilitators', () => {
  it('record attendance at events assigned to them, and at no others', async () => {
    const [user] = await queryRows<{ id: number }>(
      w.t.db,
      sql`insert into app_user (email, display_name, password_hash, role, lead_provider_id)
          values ('facilitator@demo.npq-ops.test', 'Fran Facilitator', 'x', 'facilitator', 1) returning id`,
    );
    const events = await queryRows<{ id: number }>(
      w.t.db,
      sql`select ce.id from enrolment e join cohort_event ce on ce.cohort_id = e.cohort_id
          join programme_activity a on a.id = ce.activity_id and a.kind in ('community_session', 'conference')
          where e.id = ${e2} and ce.starts_at < ${w.clock.now()}
            and not exists (select 1 from engagement_record r where r.participant_id = e.participant_id and r.activity_id = a.id)
          order by ce.starts_at desc limit 2`,
    );
    expect(events).toHaveLength(2);
    await w.t.db.execute(
      sql`insert into staff_assignment (user_id, cohort_event_id) values (${user!.id}, ${events[0]!.id})`,
    );
    const facilitator = (await loadActor(w.t.db, user!.id))!;
    const deps = { db: w.t.db, clock: w.clock };
    await expect(
      recordAttendance(deps, facilitator, { enrolmentId: e2, cohortEventId: events[1]!.id }),
    ).rejects.toMatchObject({ status: 404 });
    const ok = await recordAttendance(deps, facilitator, {
      enrolmentId: e2,
      cohortEventId: events[0]!.id,
    });
    expect(ok).toMatchObject({ changed: true });
  });
});

describe('Participant references in bulk rows', () => {
  it('reads TRNs, emails and ids, with or without a prefix', () => {
    expect(parseParticipantRef('1234567')).toEqual({ by: 'trn', key: '1234567' });
    expect(parseParticipantRef(' Someone@Example.org ')).toEqual({
      by: 'email',
      key: 'someone@example.org',
    });
    expect(parseParticipantRef('42')).toEqual({ by: 'id', key: '42' });
    expect(parseParticipantRef('id:1234567')).toEqual({ by: 'id', key: '1234567' });
    expect(parseParticipantRef('trn:12345')).toBeNull();
    expect(parseParticipantRef('someone')).toBeNull();
  });
});
