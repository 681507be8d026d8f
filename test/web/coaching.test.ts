import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { bookCoaching } from '../../src/services/coaching-bookings.js';
import { queueDueNotices } from '../../src/services/notices/daily-notices.js';
import { ConflictError, PolicyRefusalError } from '../../src/services/errors.js';
import { createDemoWorld, pageText, type DemoWorld, type Session } from '../support/demo-world.js';
import { formFields } from '../support/forms.js';

/**
 * Coaching (issue 15, policy 2.2.1.3): the coach publishes availability on a page, participants
 * (NPQEL/EHCO with a coach) book only into it through check answers and a confirmation, a slot is
 * never booked twice, the coach records attendance and a note (engagement evidence), staff see it
 * on the record, and participant and coach are emailed through the outbox. The demo's clock is
 * fixed at Monday 16 March 2026, 9am.
 */
let w: DemoWorld;
let coach: Session;
let team: Session;
let p4: Session;
let p1: Session;
let coachId: number;
let e4: number;
let p4Id: number;
/** A second NPQEL/EHCO participant of the same coach, for the race. */
let other: { enrolmentId: number; participantId: number };

const slotForm = (over: Record<string, string> = {}) => ({
  day: '24',
  month: '3',
  year: '2026',
  startTime: '16:30',
  minutes: '60',
  mode: 'online',
  place: 'https://meet.example.org/coach',
  ...over,
});

async function slots(): Promise<{ id: number; starts_at: Date; removed_at: Date | null }[]> {
  return queryRows(
    w.t.db,
    sql`select id, starts_at, removed_at from coaching_slot where coach_user_id = ${coachId} order by starts_at, id`,
  );
}

async function outbox(keyPrefix: string): Promise<{ to_email: string; template: string }[]> {
  return queryRows(
    w.t.db,
    sql`select to_email, template from email_message where notice_key like ${keyPrefix + '%'} order by id`,
  );
}

beforeAll(async () => {
  w = await createDemoWorld();
  [coach, team, p4, p1] = await Promise.all([
    w.signIn('coach@demo.npq-ops.test'),
    w.signIn('programme.team@demo.npq-ops.test'),
    w.signIn('participant4@demo.npq-ops.test'),
    w.signIn('participant1@demo.npq-ops.test'),
  ]);
  coachId = (await w.actor('coach@demo.npq-ops.test')).userId;
  const [row4] = await queryRows<{ id: number; participant_id: number }>(
    w.t.db,
    sql`select e.id, e.participant_id from enrolment e join participant p on p.id = e.participant_id
        where p.email = 'participant4@demo.npq-ops.test'`,
  );
  e4 = row4!.id;
  p4Id = row4!.participant_id;
  const [row] = await queryRows<{ enrolment_id: number; participant_id: number }>(
    w.t.db,
    sql`select e.id as enrolment_id, e.participant_id from enrolment e join cohort c on c.id = e.cohort_id
        join programme pr on pr.id = c.programme_id
        where pr.coaching_entitled and e.status = 'active' and e.id <> ${e4}
        order by e.id limit 1`,
  );
  other = { enrolmentId: row!.enrolment_id, participantId: row!.participant_id };
  // The other participant signs in too (the demo gives accounts to five participants only).
  await w.t.db.execute(sql`
    insert into app_user (email, display_name, password_hash, role, lead_provider_id, participant_id)
    select 'other.coachee@demo.npq-ops.test', 'Other coachee', password_hash, 'participant', lead_provider_id, ${other.participantId}
    from app_user where email = 'participant4@demo.npq-ops.test'
    on conflict do nothing`);
  await w.t.db.execute(sql`
    insert into staff_assignment (user_id, participant_id)
    select ${coachId}, e.participant_id from enrolment e where e.id in (${e4}, ${other.enrolmentId})
    on conflict do nothing`);
});
afterAll(async () => {
  await w.destroy();
});

describe('coach availability', () => {
  it('shows the form, and adds a slot', async () => {
    const form = await coach.request({ method: 'GET', url: '/coaching/availability' });
    expect(form.statusCode).toBe(200);
    expect(pageText(form.body)).toContain('Add a time');
    const res = await coach.request({
      method: 'POST',
      url: '/coaching/availability',
      payload: slotForm(),
    });
    expect(res.statusCode).toBe(303);
    const list = await coach.request({ method: 'GET', url: res.headers.location as string });
    expect(pageText(list.body)).toContain('Slot added');
    expect(pageText(list.body)).toMatch(/24 Mar(ch)? 2026.*Free/);
    expect(await slots()).toHaveLength(1);
    // 16:30 London in March (GMT) is 16:30Z.
    expect(new Date((await slots())[0]!.starts_at).toISOString()).toBe('2026-03-24T16:30:00.000Z');
  });

  it.each([
    [{ day: '', month: '', year: '' }, 'date', 'Enter the date of the slot'],
    [{ day: '31', month: '2' }, 'date', 'real date'],
    [{ day: '16', month: '3' }, 'date', 'in the future'],
    [{ day: '25', month: '12', year: '2099' }, 'date', "within your participants' programmes"],
    [{ startTime: '03:00' }, 'startTime', 'from 7:00 and finishes by 21:00'],
    [{ startTime: '20:30' }, 'startTime', 'from 7:00 and finishes by 21:00'],
    [{ startTime: 'teatime' }, 'startTime', '24-hour clock'],
    [{ minutes: '600' }, 'minutes', 'how long'],
    [{ mode: '' }, 'mode', 'online or in person'],
    [{ place: '' }, 'place', 'link to the online meeting'],
    [{ place: 'javascript:alert(1)' }, 'place', 'starting with https://'],
    [{ startTime: '17:00' }, 'startTime', 'overlaps another of your slots'],
  ])('refuses %j with a field error on %s', async (over, field, message) => {
    const before = await slots();
    const res = await coach.request({
      method: 'POST',
      url: '/coaching/availability',
      payload: slotForm(over),
    });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('govuk-error-summary');
    expect(res.body).toContain(`href="#${field === 'date' ? 'date-day' : field}"`);
    expect(pageText(res.body).toLowerCase()).toContain(message.toLowerCase());
    expect(await slots()).toEqual(before);
  });

  it('keeps what was typed after an error', async () => {
    const res = await coach.request({
      method: 'POST',
      url: '/coaching/availability',
      payload: slotForm({ startTime: '03:00', place: 'https://meet.example.org/kept' }),
    });
    expect(res.body).toContain('value="https://meet.example.org/kept"');
  });
});

describe('participants book only into their coach’s free slots', () => {
  let slotA: number;
  let slotB: number;
  let sessionId: number;

  beforeAll(async () => {
    for (const over of [
      { day: '25', startTime: '10:00', mode: 'in_person', place: 'Room 4, Castle School' },
      { day: '26', startTime: '10:00' },
    ] as Record<string, string>[]) {
      const res = await coach.request({
        method: 'POST',
        url: '/coaching/availability',
        payload: slotForm(over),
      });
      expect(res.statusCode).toBe(303);
    }
    const all = await slots();
    slotA = all[1]!.id;
    slotB = all[2]!.id;
  });

  it('tells a participant without coaching why, with the clause', async () => {
    const res = await p1.request({ method: 'GET', url: '/coaching/book' });
    expect(res.statusCode).toBe(200);
    expect(pageText(res.body)).toContain('Coaching is not part of your course');
    expect(res.body).toContain('/policy#clause-2-2-1-3');
    expect(res.body).not.toContain('name="slotId"');
  });

  it('books through check answers to a confirmation with a reference, once however often sent', async () => {
    const page = await p4.request({ method: 'GET', url: '/coaching/book' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`value="${slotA}"`);
    expect(pageText(page.body)).toContain('In person: Room 4, Castle School');

    const none = await p4.request({ method: 'POST', url: '/coaching/book', payload: {} });
    expect(none.statusCode).toBe(422);
    expect(none.body).toContain('href="#slotId"');

    const check = await p4.request({
      method: 'POST',
      url: '/coaching/book',
      payload: { slotId: String(slotA) },
    });
    expect(check.statusCode).toBe(200);
    expect(pageText(check.body)).toContain('Check your coaching booking');
    expect(
      await queryRows(w.t.db, sql`select id from coaching_session where slot_id = ${slotA}`),
    ).toEqual([]);

    const fields = formFields(check.body, '/coaching/book/confirm');
    const first = await p4.request({
      method: 'POST',
      url: '/coaching/book/confirm',
      payload: fields,
    });
    const again = await p4.request({
      method: 'POST',
      url: '/coaching/book/confirm',
      payload: fields,
    });
    expect(first.statusCode).toBe(303);
    expect(again.headers.location).toBe(first.headers.location);
    const booked = await queryRows<{ id: number; status: string }>(
      w.t.db,
      sql`select id, status from coaching_session where slot_id = ${slotA}`,
    );
    expect(booked).toEqual([{ id: expect.any(Number), status: 'scheduled' }]);
    sessionId = booked[0]!.id;
    const done = await p4.request({ method: 'GET', url: first.headers.location as string });
    expect(pageText(done.body)).toContain('Coaching booked');
    expect(pageText(done.body)).toContain(`CO-${sessionId}`);
    // Participant and coach are told, once each.
    expect(await outbox(`coaching:${sessionId}:booked`)).toEqual([
      { to_email: 'participant4@demo.npq-ops.test', template: 'notice_coaching' },
    ]);
    expect(await outbox(`coaching_coach:${sessionId}:booked`)).toEqual([
      { to_email: 'coach@demo.npq-ops.test', template: 'notice_coaching_coach' },
    ]);
    // The slot is no longer offered, and My programme shows the booking.
    const after = await p4.request({ method: 'GET', url: '/coaching/book' });
    expect(after.body).not.toContain(`name="slotId" type="radio" value="${slotA}"`);
    expect(after.body).not.toContain(`value="${slotA}"`);
    const programme = await p4.request({ method: 'GET', url: '/my-programme' });
    expect(programme.body).toContain('href="/coaching/book"');
    expect(pageText(programme.body)).toMatch(/Your coaching .*with .*Wednesday 25 March 2026/);
  });

  it('says clearly when the slot was taken meanwhile, and never books it twice (the database refuses)', async () => {
    // The other participant chose slot A before p4 booked it: their confirm now fails cleanly.
    const otherSession = await w.signIn('other.coachee@demo.npq-ops.test');
    const res = await otherSession.request({
      method: 'POST',
      url: '/coaching/book/confirm',
      payload: { slotId: String(slotA), token: '11111111-2222-4333-8444-555555555555' },
    });
    expect([409, 422]).toContain(res.statusCode);
    expect(pageText(res.body)).toContain('has just been booked');
    // Even written past the service, a second live session in a slot is refused by the index.
    await expect(
      w.t.db
        .execute(sql`insert into coaching_session (enrolment_id, participant_id, coach_user_id, activity_id, starts_at, ends_at, slot_id)
        select enrolment_id, ${other.participantId}, coach_user_id, activity_id, starts_at, ends_at, slot_id
        from coaching_session where id = ${sessionId}`),
    ).rejects.toThrow();
  });

  it('lets two participants race for one slot: exactly one gets it', async () => {
    const deps = { db: w.t.db, clock: w.clock };
    const a = await w.actor('participant4@demo.npq-ops.test');
    const actorB = await w.actor('other.coachee@demo.npq-ops.test');
    const [race] = await queryRows<{ id: number }>(
      w.t.db,
      sql`insert into coaching_slot (coach_user_id, starts_at, ends_at, mode, place)
          values (${coachId}, '2026-03-27T09:00:00Z', '2026-03-27T10:00:00Z', 'online', 'https://meet.example.org/r')
          returning id`,
    );
    const results = await Promise.allSettled([
      bookCoaching(deps, actorB, { enrolmentId: other.enrolmentId, slotId: race!.id }),
      bookCoaching(deps, a, { enrolmentId: e4, slotId: race!.id }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failure = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(
      failure.reason instanceof PolicyRefusalError || failure.reason instanceof ConflictError,
    ).toBe(true);
    expect(
      await queryRows(
        w.t.db,
        sql`select id from coaching_session where slot_id = ${race!.id} and status <> 'cancelled'`,
      ),
    ).toHaveLength(1);
  });

  it('changes a booking to another free slot (one change email) and cancels after asking', async () => {
    const change = await p4.request({ method: 'GET', url: `/coaching/book?change=${sessionId}` });
    expect(change.statusCode).toBe(200);
    expect(pageText(change.body)).toContain('Change your coaching');
    const check = await p4.request({
      method: 'POST',
      url: '/coaching/book',
      payload: { slotId: String(slotB), changeOf: String(sessionId) },
    });
    const done = await p4.request({
      method: 'POST',
      url: '/coaching/book/confirm',
      payload: formFields(check.body, '/coaching/book/confirm'),
    });
    expect(done.statusCode).toBe(303);
    const [moved] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select id from coaching_session where slot_id = ${slotB} and status = 'scheduled'`,
    );
    expect(
      (
        await queryRows<{ status: string }>(
          w.t.db,
          sql`select status from coaching_session where id = ${sessionId}`,
        )
      )[0]!.status,
    ).toBe('cancelled');
    expect(await outbox(`coaching:${moved!.id}:changed`)).toHaveLength(1);
    expect(await outbox(`coaching_coach:${moved!.id}:changed`)).toHaveLength(1);
    // Slot A is free again.
    const page = await p4.request({ method: 'GET', url: '/coaching/book' });
    expect(page.body).toContain(`value="${slotA}"`);

    const ask = await p4.request({ method: 'GET', url: `/coaching/${moved!.id}/cancel` });
    expect(pageText(ask.body)).toContain('Cancel your coaching');
    const cancel = await p4.request({ method: 'POST', url: `/coaching/${moved!.id}/cancel` });
    expect(cancel.statusCode).toBe(303);
    expect(await outbox(`coaching_coach:${moved!.id}:cancelled`)).toHaveLength(1);
  });

  it('removes a booked slot only by cancelling the booking, and the participant is emailed', async () => {
    const check = await p4.request({
      method: 'POST',
      url: '/coaching/book',
      payload: { slotId: String(slotA) },
    });
    await p4.request({
      method: 'POST',
      url: '/coaching/book/confirm',
      payload: formFields(check.body, '/coaching/book/confirm'),
    });
    const [booked] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select id from coaching_session where slot_id = ${slotA} and status = 'scheduled'`,
    );
    const ask = await coach.request({
      method: 'GET',
      url: `/coaching/availability/${slotA}/remove`,
    });
    expect(pageText(ask.body)).toContain('Removing it cancels their booking');
    const refused = await coach.request({
      method: 'POST',
      url: `/coaching/availability/${slotA}/remove`,
      payload: {},
    });
    expect(refused.statusCode).toBe(409);
    const removed = await coach.request({
      method: 'POST',
      url: `/coaching/availability/${slotA}/remove`,
      payload: formFields(ask.body, `/coaching/availability/${slotA}/remove`),
    });
    expect(removed.statusCode).toBe(303);
    expect(await outbox(`coaching:${booked!.id}:cancelled`)).toEqual([
      { to_email: 'participant4@demo.npq-ops.test', template: 'notice_coaching' },
    ]);
    expect((await slots()).find((s) => s.id === slotA)!.removed_at).not.toBeNull();
    // A free slot goes without asking twice.
    const free = await coach.request({
      method: 'POST',
      url: `/coaching/availability/${slotB}/remove`,
      payload: {},
    });
    expect(free.statusCode).toBe(303);
  });
});

describe('after the session', () => {
  let sessionId: number;
  beforeAll(async () => {
    const [slot] = await queryRows<{ id: number }>(
      w.t.db,
      sql`insert into coaching_slot (coach_user_id, starts_at, ends_at, mode, place)
          values (${coachId}, '2026-03-30T15:00:00Z', '2026-03-30T16:00:00Z', 'online', 'https://meet.example.org/a')
          returning id`,
    );
    const actor = await w.actor('participant4@demo.npq-ops.test');
    const booked = await bookCoaching({ db: w.t.db, clock: w.clock }, actor, {
      enrolmentId: e4,
      slotId: slot!.id,
    });
    sessionId = booked.session.id;
  });

  it('reminds the participant the day before, once', async () => {
    const run = () =>
      w.t.db.transaction((tx) =>
        queueDueNotices(tx, { today: '2026-03-29', at: new Date('2026-03-29T01:15:00Z') }),
      );
    expect((await run())['coachingReminder']).toBe(1);
    expect((await run())['coachingReminder']).toBe(0);
    expect(await outbox(`coaching_reminder:${sessionId}`)).toEqual([
      { to_email: 'participant4@demo.npq-ops.test', template: 'notice_coaching_reminder' },
    ]);
  });

  it('lets the coach record attendance only once it has started', async () => {
    const page = await coach.request({ method: 'GET', url: `/coaching/sessions/${sessionId}` });
    expect(page.statusCode).toBe(200);
    expect(pageText(page.body)).toContain('once the session has started');
    const upcoming = await coach.request({ method: 'GET', url: '/coaching' });
    expect(pageText(upcoming.body)).toMatch(/Upcoming sessions.*30 Mar(ch)? 2026/);
  });

  it('records attendance and a note: engagement evidence, shown to staff, not to the participant', async () => {
    // Time passes: the session took place last Monday.
    await w.t.db.execute(
      sql`update coaching_session set starts_at = '2026-03-09T15:00:00Z', ends_at = '2026-03-09T16:00:00Z' where id = ${sessionId}`,
    );
    const missing = await coach.request({
      method: 'POST',
      url: `/coaching/sessions/${sessionId}`,
      payload: { note: 'x' },
    });
    expect(missing.statusCode).toBe(422);
    expect(missing.body).toContain('href="#attended"');
    const long = await coach.request({
      method: 'POST',
      url: `/coaching/sessions/${sessionId}`,
      payload: { attended: 'attended', note: 'x'.repeat(501) },
    });
    expect(long.statusCode).toBe(422);
    expect(long.body).toContain('href="#note"');
    const res = await coach.request({
      method: 'POST',
      url: `/coaching/sessions/${sessionId}`,
      payload: { attended: 'attended', note: 'Talked through the school improvement plan.' },
    });
    expect(res.statusCode).toBe(303);
    const evidence = await queryRows<{ kind: string }>(
      w.t.db,
      sql`select a.kind from engagement_record r join programme_activity a on a.id = r.activity_id
          join coaching_session s on s.activity_id = r.activity_id and s.participant_id = r.participant_id
          where s.id = ${sessionId}`,
    );
    expect(evidence).toEqual([{ kind: 'coaching' }]);
    const past = await coach.request({ method: 'GET', url: '/coaching' });
    expect(pageText(past.body)).toMatch(/Past sessions.*Attended.*school improvement plan/);
    // Attended is not taken back by "did not attend".
    const undo = await coach.request({
      method: 'POST',
      url: `/coaching/sessions/${sessionId}`,
      payload: { attended: 'did_not_attend', note: '' },
    });
    expect(undo.statusCode).toBe(422);
    const record = await team.request({ method: 'GET', url: `/participants/${p4Id}` });
    expect(pageText(record.body)).toMatch(
      /Coaching.*Attended.*Talked through the school improvement plan/,
    );
    const mine = await p4.request({ method: 'GET', url: `/api/v1/enrolments/${e4}/bookings` });
    expect(JSON.stringify(mine.json())).not.toContain('school improvement plan');
  });

  it('records a participant who did not attend, with nothing towards engagement', async () => {
    const [slot] = await queryRows<{ id: number }>(
      w.t.db,
      sql`insert into coaching_slot (coach_user_id, starts_at, ends_at, mode, place)
          values (${coachId}, '2026-03-31T15:00:00Z', '2026-03-31T16:00:00Z', 'online', 'https://meet.example.org/b')
          returning id`,
    );
    const actor = await w.actor('participant4@demo.npq-ops.test');
    const booked = await bookCoaching({ db: w.t.db, clock: w.clock }, actor, {
      enrolmentId: e4,
      slotId: slot!.id,
    });
    await w.t.db.execute(
      sql`update coaching_session set starts_at = '2026-03-10T15:00:00Z', ends_at = '2026-03-10T16:00:00Z' where id = ${booked.session.id}`,
    );
    const before = await queryRows(
      w.t.db,
      sql`select id from engagement_record where participant_id = ${p4Id}`,
    );
    const res = await coach.request({
      method: 'POST',
      url: `/coaching/sessions/${booked.session.id}`,
      payload: { attended: 'did_not_attend', note: 'No show.' },
    });
    expect(res.statusCode).toBe(303);
    expect(
      await queryRows(w.t.db, sql`select id from engagement_record where participant_id = ${p4Id}`),
    ).toEqual(before);
    const [row] = await queryRows<{ status: string; note: string }>(
      w.t.db,
      sql`select status, note from coaching_session where id = ${booked.session.id}`,
    );
    expect(row).toEqual({ status: 'did_not_attend', note: 'No show.' });
  });
});

describe('every coaching page as every role', () => {
  const ROLES: Record<string, string | null> = {
    admin: 'admin@demo.npq-ops.test',
    programme_team: 'programme.team@demo.npq-ops.test',
    north_partner: 'partner.north@demo.npq-ops.test',
    coach: 'coach@demo.npq-ops.test',
    assessor: 'assessor@demo.npq-ops.test',
    coaching_participant: 'participant4@demo.npq-ops.test',
    other_participant: 'participant2@demo.npq-ops.test',
    signed_out: null,
  };
  /** Another coach's slot and session (with another participant): nobody here may touch them. */
  let slotId = 0;
  let sessionId = 0;
  beforeAll(async () => {
    const [coach2] = await queryRows<{ id: number }>(
      w.t.db,
      sql`insert into app_user (email, display_name, password_hash, role, lead_provider_id)
          select 'coach2@demo.npq-ops.test', 'Another coach', password_hash, 'coach', lead_provider_id
          from app_user where email = 'coach@demo.npq-ops.test' returning id`,
    );
    const [slot] = await queryRows<{ id: number }>(
      w.t.db,
      sql`insert into coaching_slot (coach_user_id, starts_at, ends_at, mode, place)
          values (${coach2!.id}, '2026-04-01T09:00:00Z', '2026-04-01T10:00:00Z', 'online', 'https://meet.example.org/2')
          returning id`,
    );
    const [session] = await queryRows<{ id: number }>(
      w.t.db,
      sql`insert into coaching_session (enrolment_id, participant_id, coach_user_id, activity_id, starts_at, ends_at, slot_id)
          select ${other.enrolmentId}, ${other.participantId}, ${coach2!.id}, a.id, '2026-04-01T09:00:00Z', '2026-04-01T10:00:00Z', ${slot!.id}
          from enrolment e join cohort c on c.id = e.cohort_id
          join programme_activity a on a.programme_id = c.programme_id and a.kind = 'coaching'
          where e.id = ${other.enrolmentId} order by a.position limit 1
          returning id`,
    );
    slotId = slot!.id;
    sessionId = session!.id;
  });

  it.each(Object.keys(ROLES))('%s', async (role) => {
    const email = ROLES[role];
    const session = email ? await w.signIn(email) : null;
    const send = (method: 'GET' | 'POST', u: string) =>
      session
        ? session.request({ method, url: u, ...(method === 'POST' ? { payload: {} } : {}) })
        : w.app.inject({ method, url: u, ...(method === 'POST' ? { payload: {} } : {}) });
    const state = () =>
      queryRows(
        w.t.db,
        sql`select sl.id, sl.removed_at, s.status, s.note from coaching_slot sl
            left join coaching_session s on s.slot_id = sl.id order by sl.id, s.id`,
      );
    const before = await state();
    const coachPages = [
      ['GET', '/coaching/availability'],
      ['POST', '/coaching/availability'],
      ['GET', `/coaching/availability/${slotId}/remove`],
      ['POST', `/coaching/availability/${slotId}/remove`],
      ['GET', `/coaching/sessions/${sessionId}`],
      ['POST', `/coaching/sessions/${sessionId}`],
    ] as const;
    for (const [method, url] of coachPages) {
      const res = await send(method, url);
      const label = `${role} ${method} ${url}`;
      if (role === 'signed_out') expect([302, 303, 403], label).toContain(res.statusCode);
      else if (role === 'coach' && url === '/coaching/availability') {
        expect(res.statusCode, label).toBe(method === 'GET' ? 200 : 422);
      } else if (role === 'coach' && method === 'POST' && url.startsWith('/coaching/sessions/')) {
        // The form is checked first (no answer given), then the session is not theirs.
        expect([404, 422], label).toContain(res.statusCode);
      } else expect(res.statusCode, label).toBe(404);
    }
    const participantPages = [
      ['GET', '/coaching/book'],
      ['POST', '/coaching/book'],
      ['POST', '/coaching/book/confirm'],
      ['GET', `/coaching/booked/${sessionId}`],
      ['GET', `/coaching/${sessionId}/cancel`],
      ['POST', `/coaching/${sessionId}/cancel`],
    ] as const;
    for (const [method, url] of participantPages) {
      const res = await send(method, url);
      const label = `${role} ${method} ${url}`;
      if (role === 'signed_out') expect([302, 303, 403], label).toContain(res.statusCode);
      else if (!role.endsWith('participant')) expect(res.statusCode, label).toBe(403);
      else if (url === '/coaching/book' && method === 'GET')
        expect(res.statusCode, label).toBe(200);
      else if (url === '/coaching/book') expect(res.statusCode, label).toBe(422);
      else expect(res.statusCode, label).toBe(404);
    }
    expect(await state()).toEqual(before);
  });
});
