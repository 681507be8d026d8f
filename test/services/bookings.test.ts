import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { bookEvent } from '../../src/services/bookings.js';
import { bookCoaching } from '../../src/services/coaching-bookings.js';
import { ConflictError, PolicyRefusalError } from '../../src/services/errors.js';
import type { Actor } from '../../src/services/actor.js';
import { clinicNextForTwo } from '../support/clinic-candidates.js';
import { createDemoWorld, type DemoWorld } from '../support/demo-world.js';

let w: DemoWorld;
let admin: Actor;

beforeAll(async () => {
  w = await createDemoWorld();
  admin = await w.actor('admin@demo.npq-ops.test');
});
afterAll(async () => {
  await w.destroy();
});

describe('Booking under concurrency', () => {
  it('gives the last place of a clinic to exactly one of two people booking at once', async () => {
    // A future clinic slot with two active participants for whom it is next in sequence.
    const clinic = await clinicNextForTwo(w.t.db, w.clock.now());
    expect(clinic).toBeDefined();
    const { eventId, enrolmentIds: ids } = clinic!;
    await w.t.db.execute(sql`update cohort_event set capacity = 1 where id = ${eventId}`);

    const deps = { db: w.t.db, clock: w.clock };
    const results = await Promise.allSettled(
      ids
        .slice(0, 2)
        .map((enrolmentId) => bookEvent(deps, admin, { enrolmentId, cohortEventId: eventId })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failure = results.find((r) => r.status === 'rejected');
    expect(failure?.reason).toBeInstanceOf(ConflictError);
    const [booked] = await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(*)::int as n from event_booking where cohort_event_id = ${eventId} and status = 'booked'`,
    );
    expect(booked!.n).toBe(1);
  });

  it('never double-books a coach when two participants ask for the same time at once', async () => {
    const coach = await w.actor('coach@demo.npq-ops.test');
    const rows = await queryRows<{ id: number; participant_id: number }>(
      w.t.db,
      sql`select e.id, e.participant_id from enrolment e join cohort c on c.id = e.cohort_id
          join programme pr on pr.id = c.programme_id
          where pr.coaching_entitled and e.status = 'active' order by e.id limit 2`,
    );
    expect(rows).toHaveLength(2);
    await w.t.db.execute(sql`
      insert into staff_assignment (user_id, participant_id)
      select ${coach.userId}, e.participant_id from enrolment e where e.id in (${rows[0]!.id}, ${rows[1]!.id})
      on conflict do nothing`);
    const deps = { db: w.t.db, clock: w.clock };
    const startsAt = new Date('2026-03-24T14:00:00Z');
    const endsAt = new Date('2026-03-24T15:00:00Z');
    // The coach offers that one hour (participants book only into a coach's slots).
    await w.t.db
      .execute(sql`insert into coaching_slot (coach_user_id, starts_at, ends_at, mode, place)
      values (${coach.userId}, ${startsAt}, ${endsAt}, 'online', 'https://meet.example.org/x')`);
    const results = await Promise.allSettled(
      rows.map((r) =>
        bookCoaching(deps, admin, {
          enrolmentId: r.id,
          coachUserId: coach.userId,
          startsAt,
          endsAt,
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failure = results.find((r) => r.status === 'rejected');
    expect(failure?.reason).toBeInstanceOf(PolicyRefusalError);
    expect((failure?.reason as PolicyRefusalError).decision.reasons).toContainEqual(
      expect.objectContaining({ code: 'COACHING.COACH_UNAVAILABLE', clause: '2.2.1.3' }),
    );
  });
});
