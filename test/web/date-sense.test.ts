import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { offerSlot } from '../support/coaching.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

/**
 * Issue 10, bullet 7: dates a person types are checked for sense against the programme (field
 * errors on pages, field-level errors in the API); coaching is only into a coach's published
 * slots (3am on Christmas Day 2099 is refused); coaching topics follow programme order.
 */
let w: DemoWorld;
let p1: Session;
let p4: Session;
let team: Session;
let coach: Session;
let e1: number;
let e4: number;
let coachId: number;

const post = (s: Session, url: string, payload: object) =>
  s.request({ method: 'POST', url, payload });
const fieldsOf = (body: unknown) => JSON.stringify(body);

async function enrolmentOf(email: string): Promise<number> {
  const [row] = await queryRows<{ id: number }>(
    w.t.db,
    sql`select e.id from enrolment e join participant p on p.id = e.participant_id where p.email = ${email}`,
  );
  return row!.id;
}

beforeAll(async () => {
  w = await createDemoWorld();
  [p1, p4, team, coach] = await Promise.all([
    w.signIn('participant1@demo.npq-ops.test'),
    w.signIn('participant4@demo.npq-ops.test'),
    w.signIn('programme.team@demo.npq-ops.test'),
    w.signIn('coach@demo.npq-ops.test'),
  ]);
  e1 = await enrolmentOf('participant1@demo.npq-ops.test');
  e4 = await enrolmentOf('participant4@demo.npq-ops.test');
  coachId = (await w.actor('coach@demo.npq-ops.test')).userId;
  await w.t.db.execute(sql`
    insert into staff_assignment (user_id, participant_id)
    select ${coachId}, e.participant_id from enrolment e where e.id = ${e4}
    on conflict do nothing`);
  w.clock.now = () => new Date('2026-03-16T10:00:00Z');
}, 120_000);
afterAll(async () => {
  await w?.destroy();
});

describe('dates checked against the programme', () => {
  it('refuses a deferral request dated 1 January 1900 (before the programme) with a field-level error', async () => {
    const res = await post(p1, '/api/v1/deferral-cases', {
      enrolmentId: e1,
      circumstance: 'maternity_leave',
      requestedOn: '1900-01-01',
    });
    expect(res.statusCode).toBe(422);
    expect(fieldsOf(res.json())).toContain('requestedOn');
    expect(fieldsOf(res.json())).toContain('on or after the start of the programme');
    const [cases] = await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(*)::int as n from deferral_case where enrolment_id = ${e1}`,
    );
    expect(cases!.n).toBe(0);
  });

  it('refuses a school move dated before the programme began', async () => {
    const [school] = await queryRows<{ urn: string }>(
      w.t.db,
      sql`select urn from school order by id desc limit 1`,
    );
    const res = await post(p1, '/api/v1/school-moves', {
      enrolmentId: e1,
      newSchoolUrn: school!.urn,
      movedOn: '1900-01-01',
    });
    expect(res.statusCode).toBe(422);
    expect(fieldsOf(res.json())).toContain('movedOn');
    expect(fieldsOf(res.json())).toContain('on or after the start of your programme');
  });

  it('refuses a cohort starting in 1900 or 2099, with a field error on the set-up page', async () => {
    const [programme] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select pr.id from programme pr join course co on co.id = pr.course_id
          where co.identifier = 'npq-early-years-leadership'`,
    );
    for (const startDate of ['1900-01-01', '2099-12-25']) {
      const res = await post(team, '/cohorts/new', {
        programmeId: String(programme!.id),
        startDate,
        clinicCapacity: '18',
      });
      expect(res.statusCode).toBe(422);
      expect(res.body).toContain('govuk-error-summary');
      expect(res.body).toContain('within 3 years of today');
    }
    const ok = await post(team, '/cohorts/new', {
      programmeId: String(programme!.id),
      startDate: '2026-10-05',
      clinicCapacity: '18',
    });
    expect(ok.statusCode).toBe(200);
  });
});

describe('coaching (2.2.1.3)', () => {
  it('cannot be offered or booked at 3am on Christmas Day 2099', async () => {
    const slot = await post(coach, '/coaching/availability', {
      day: '25',
      month: '12',
      year: '2099',
      startTime: '03:00',
      minutes: '60',
      mode: 'online',
      place: 'https://meet.example.org/x',
    });
    expect(slot.statusCode).toBe(422);
    expect(slot.body).toContain('govuk-error-summary');
    const booking = await post(p4, '/api/v1/coaching-sessions', {
      enrolmentId: e4,
      coachUserId: coachId,
      startsAt: '2099-12-25T03:00:00Z',
      endsAt: '2099-12-25T04:00:00Z',
    });
    expect([404, 409, 422]).toContain(booking.statusCode);
    const [sessions] = await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(*)::int as n from coaching_session where starts_at = '2099-12-25T03:00:00Z'`,
    );
    expect(sessions!.n).toBe(0);
  });

  it('takes topics in programme order, whatever order the times were booked in', async () => {
    await offerSlot(w.t.db, coachId, '2026-04-20T10:00:00Z', '2026-04-20T11:00:00Z');
    await offerSlot(w.t.db, coachId, '2026-03-25T10:00:00Z', '2026-03-25T11:00:00Z');
    // The later time first, then the earlier one.
    for (const startsAt of ['2026-04-20T10:00:00Z', '2026-03-25T10:00:00Z']) {
      const res = await post(p4, '/api/v1/coaching-sessions', {
        enrolmentId: e4,
        coachUserId: coachId,
        startsAt,
        endsAt: new Date(Date.parse(startsAt) + 3_600_000).toISOString(),
      });
      expect(res.statusCode).toBe(201);
    }
    const rows = await queryRows<{ starts_at: string; position: number }>(
      w.t.db,
      sql`select s.starts_at::text, a.position from coaching_session s
          join programme_activity a on a.id = s.activity_id
          where s.enrolment_id = ${e4} and s.status = 'scheduled' order by s.starts_at`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(2);
    const positions = rows.map((r) => r.position);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  });
});
