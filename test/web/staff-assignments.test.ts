import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { createDemoWorld, pageText, type DemoWorld, type Session } from '../support/demo-world.js';
import { rowCounts } from '../support/row-counts.js';

/**
 * The assignments pages (programme team), My coaching (coach) and Marking (assessor): they render,
 * validate with a GOV.UK error summary, cite 2.2.1.3 when coaching is not part of the course, and
 * change who works with whom.
 */
let w: DemoWorld;
let team: Session;
let coach: Session;
let assessor: Session;
let coachId: number;
let assessorId: number;
let npqel: { participantId: number; enrolmentId: number; cohortId: number; name: string };
let npqh: { participantId: number; name: string };

beforeAll(async () => {
  w = await createDemoWorld({ participants: 30 });
  [team, coach, assessor] = await Promise.all([
    w.signIn('programme.team@demo.npq-ops.test'),
    w.signIn('coach@demo.npq-ops.test'),
    w.signIn('assessor@demo.npq-ops.test'),
  ]);
  coachId = (await w.actor('coach@demo.npq-ops.test')).userId;
  assessorId = (await w.actor('assessor@demo.npq-ops.test')).userId;
  const [el] = await queryRows<{ pid: number; eid: number; cid: number; name: string }>(
    w.t.db,
    sql`select e.participant_id as pid, e.id as eid, e.cohort_id as cid, p.full_name as name
        from enrolment e join cohort c on c.id = e.cohort_id join programme pr on pr.id = c.programme_id
        join participant p on p.id = e.participant_id
        where pr.coaching_entitled and e.status = 'active' order by e.id limit 1`,
  );
  npqel = { participantId: el!.pid, enrolmentId: el!.eid, cohortId: el!.cid, name: el!.name };
  const [h] = await queryRows<{ pid: number; name: string }>(
    w.t.db,
    sql`select p.id as pid, p.full_name as name from participant p where p.email = 'participant2@demo.npq-ops.test'`,
  );
  npqh = { participantId: h!.pid, name: h!.name };
  // Start from no coach for this participant, so the page shows "Assign".
  await w.t.db.execute(
    sql`delete from staff_assignment where participant_id = ${npqel.participantId}`,
  );
});
afterAll(async () => {
  await w?.destroy();
});

const get = (s: Session, url: string) => s.request({ method: 'GET', url });
const post = (s: Session, url: string, payload: object) =>
  s.request({ method: 'POST', url, payload });

describe('the assignments pages', () => {
  it('are in the programme team’s navigation, and not in a coach’s', async () => {
    const home = await get(team, '/');
    expect(home.body).toContain('href="/assignments"');
    const coachHome = await get(coach, '/');
    expect(coachHome.body).not.toContain('href="/assignments"');
    expect(coachHome.body).toContain('href="/coaching"');
    expect((await get(assessor, '/')).body).toContain('href="/assessments"');
  });

  it('list NPQEL and EHCO participants with their coach, filtered by cohort, and no NPQH ones', async () => {
    const res = await get(team, `/assignments?cohortId=${npqel.cohortId}`);
    expect(res.statusCode).toBe(200);
    const text = pageText(res.body);
    expect(text).toContain(npqel.name);
    expect(text).not.toContain(npqh.name);
    expect(res.body).toContain(`href="/assignments/coaching/${npqel.participantId}"`);
    expect(res.body).toContain('app-table-scroll');
  });

  it('list cohorts with their assessors, and upcoming events with their facilitators', async () => {
    const assessors = await get(team, '/assignments/assessors');
    expect(assessors.statusCode).toBe(200);
    expect(assessors.body).toContain(`href="/assignments/assessors/${npqel.cohortId}"`);
    const events = await get(team, `/assignments/facilitators?cohortId=${npqel.cohortId}`);
    expect(events.statusCode).toBe(200);
    expect(pageText(events.body)).toContain('Add a facilitator');
  });

  it('are 403 for partner staff and 404 for coaches and participants', async () => {
    const south = await w.signIn('partner.south@demo.npq-ops.test');
    expect((await get(south, '/assignments')).statusCode).toBe(403);
    expect((await post(south, '/assignments/1/remove', {})).statusCode).toBe(403);
    expect((await get(coach, '/assignments/assessors')).statusCode).toBe(404);
    const p4 = await w.signIn('participant4@demo.npq-ops.test');
    expect((await get(p4, '/assignments')).statusCode).toBe(404);
    expect((await get(p4, '/coaching')).statusCode).toBe(404);
  });

  it('refuse a coach for an NPQH participant with the policy’s reason (2.2.1.3)', async () => {
    const res = await post(team, `/assignments/coaching/${npqh.participantId}`, {
      userId: String(coachId),
    });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('govuk-error-summary');
    expect(pageText(res.body)).toContain('Policy 2.2.1.3');
  });

  it('ask for a coach when none is chosen, and need the CSRF token', async () => {
    const res = await post(team, `/assignments/coaching/${npqel.participantId}`, { userId: '' });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('href="#userId"');
    expect(pageText(res.body)).toContain('Choose a coach');
    const before = await rowCounts(w.t.db);
    const noToken = await w.app.inject({
      method: 'POST',
      url: `/assignments/coaching/${npqel.participantId}`,
      cookies: team.cookies,
      payload: { userId: String(coachId) },
    });
    expect(noToken.statusCode).toBe(403);
    // No assignment and no audit entry (the same form with its token assigns the coach, below).
    expect(await rowCounts(w.t.db)).toEqual(before);
  });

  it('assign a coach, who then sees the participant and records their coaching on My coaching', async () => {
    const form = await get(team, `/assignments/coaching/${npqel.participantId}`);
    expect(form.statusCode).toBe(200);
    expect(pageText(form.body)).toContain('No coach yet');
    const res = await post(team, `/assignments/coaching/${npqel.participantId}`, {
      userId: String(coachId),
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/assignments?notice=coach-assigned');
    expect(pageText((await get(team, res.headers.location!)).body)).toContain('Coach assigned');

    const [session] = await queryRows<{ id: number }>(
      w.t.db,
      sql`insert into coaching_session (enrolment_id, participant_id, coach_user_id, activity_id, starts_at, ends_at)
          select e.id, e.participant_id, ${coachId}, a.id, '2026-03-12T10:00:00Z', '2026-03-12T11:00:00Z'
          from enrolment e join cohort c on c.id = e.cohort_id
          join programme_activity a on a.programme_id = c.programme_id and a.kind = 'coaching'
          where e.id = ${npqel.enrolmentId} order by a.position desc limit 1 returning id`,
    );
    const mine = await get(coach, '/coaching');
    expect(mine.statusCode).toBe(200);
    expect(pageText(mine.body)).toContain(npqel.name);
    expect(mine.body).toContain(`href="/coaching/sessions/${session!.id}"`);
    expect(pageText(mine.body)).toContain('Record attendance and a note');
    const done = await post(coach, `/coaching/sessions/${session!.id}`, {
      attended: 'attended',
      note: '',
    });
    expect(done.statusCode).toBe(303);
    const after = await get(coach, done.headers.location!);
    expect(pageText(after.body)).toContain('Coaching session recorded');
    expect(pageText(after.body)).not.toContain('Record attendance and a note');
  });

  it('remove a coach from the Coaching section', async () => {
    const [a] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select id from staff_assignment where user_id = ${coachId} and participant_id = ${npqel.participantId}`,
    );
    const res = await post(team, `/assignments/${a!.id}/remove`, {
      back: `/assignments?cohortId=${npqel.cohortId}`,
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/assignments?cohortId=${npqel.cohortId}&notice=removed`);
    // Off their participants; the session they ran stays in their own history.
    const mine = pageText((await get(coach, '/coaching')).body);
    const participants = mine.slice(
      mine.indexOf('My participants'),
      mine.indexOf('Upcoming sessions'),
    );
    expect(participants).not.toContain(npqel.name);
    expect(mine).toContain(npqel.name);
  });

  it('add an assessor to a cohort, whose Marking page then lists its submissions', async () => {
    const [s] = await queryRows<{ id: number }>(
      w.t.db,
      sql`insert into assessment_submission (enrolment_id, window_id, attempt_number, submitted_at)
          select ${npqel.enrolmentId}, w.id, 1, '2026-03-10T12:00:00Z' from assessment_window w
          where w.cohort_id = ${npqel.cohortId} order by w.sequence_number limit 1 returning id`,
    );
    const before = await get(assessor, '/assessments');
    expect(before.statusCode).toBe(200);
    expect(pageText(before.body)).toContain('You have not been added to a cohort yet');
    expect(pageText(before.body)).not.toContain(npqel.name);

    const empty = await post(team, `/assignments/assessors/${npqel.cohortId}`, {});
    expect(empty.statusCode).toBe(422);
    expect(pageText(empty.body)).toContain('Choose an assessor');
    const res = await post(team, `/assignments/assessors/${npqel.cohortId}`, {
      userId: String(assessorId),
    });
    expect(res.statusCode).toBe(303);
    const twice = await post(team, `/assignments/assessors/${npqel.cohortId}`, {
      userId: String(assessorId),
    });
    expect(twice.statusCode).toBe(422);
    expect(pageText(twice.body)).toContain('already assesses this cohort');

    const after = pageText((await get(assessor, '/assessments')).body);
    expect(after).toContain(npqel.name);
    expect(after).toContain('Awaiting outcome');
    expect(after).toContain(String(s!.id));
  });
});
