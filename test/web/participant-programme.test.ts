import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { cohortEngagement } from '../../src/db/queries/cohort-engagement.js';
import { appUser } from '../../src/db/schema.js';
import { DEMO_PASSWORD } from '../../src/db/seed/demo.js';
import { addDays, formatBasisPoints, londonDateOf } from '../../src/policy/index.js';
import { govukDate } from '../../src/web/render.js';
import { hashPassword } from '../../src/services/auth.js';
import { renderMarkdown } from '../../src/web/routes/participant/helpers.js';
import { createDemoWorld, pageText, type DemoWorld } from '../support/demo-world.js';
import { rowCounts } from '../support/row-counts.js';

let world: DemoWorld;

const signIn = (email: string) => world.signIn(email);
beforeAll(async () => {
  world = await createDemoWorld();
});
afterAll(async () => {
  await world?.destroy();
});

const text = pageText;

/** The study sessions of a participant's current programme in order, with whether each is done. */
async function sessionsOf(email: string) {
  return queryRows<{ id: number; title: string; done: boolean }>(
    world.t.db,
    sql`select a.id, a.title, exists (select 1 from engagement_record r where r.participant_id = p.id and r.activity_id = a.id) as done
        from participant p
        join enrolment e on e.participant_id = p.id
        join cohort c on c.id = e.cohort_id
        join programme_activity a on a.programme_id = c.programme_id and a.kind = 'study_session'
        join programme_module m on m.id = a.module_id
        where lower(p.email) = ${email} and e.status in ('active', 'deferred')
        order by m.position, a.session_number`,
  );
}

describe('My programme', () => {
  it('sends a signed-out visitor to sign in', async () => {
    const res = await world.app.inject({ method: 'GET', url: '/my-programme' });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/sign-in?next=%2Fmy-programme');
  });

  it('is not for staff', async () => {
    const staff = await signIn('partner.north@demo.npq-ops.test');
    const res = await staff.request({ method: 'GET', url: '/my-programme' });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('This page is for participants on an NPQ programme');
  });

  it('warns a participant who is behind, with the clause', async () => {
    const me = await signIn('participant2@demo.npq-ops.test');
    const res = await me.request({ method: 'GET', url: '/my-programme' });
    expect(res.statusCode).toBe(200);
    const body = text(res.body);
    expect(res.body).toContain('data-testid="warning-behind"');
    expect(body).toMatch(/At your current pace you would reach \d+\.\d% by/);
    expect(body).toContain('(Policy 2.1.1)');
    expect(body).toContain('Continue where you left off');
  });

  it('shows the expected figure for today next to the actual one, from the same figures staff see', async () => {
    const me = await signIn('participant2@demo.npq-ops.test');
    const res = await me.request({ method: 'GET', url: '/my-programme' });
    const [row] = await queryRows<{ enrolment_id: number; cohort_id: number }>(
      world.t.db,
      sql`select e.id as enrolment_id, e.cohort_id from enrolment e join participant p on p.id = e.participant_id
          where lower(p.email) = 'participant2@demo.npq-ops.test' and e.status = 'active'`,
    );
    const [pace] = await cohortEngagement(world.t.db, {
      cohortId: row!.cohort_id,
      today: londonDateOf(world.clock.now()),
      visibleTo: sql`e.id = ${row!.enrolment_id}`,
    });
    const body = text(res.body);
    expect(pace!.expectedBasisPoints).toBeGreaterThan(pace!.basisPoints);
    expect(body).toContain(
      `${formatBasisPoints(pace!.basisPoints)} engaged. By today you would ideally have done ${formatBasisPoints(pace!.expectedBasisPoints)}.`,
    );
    expect(body).toContain(`Expected by today ${formatBasisPoints(pace!.expectedBasisPoints)}`);
  });

  it('shows a module released ahead of its window as available now (2.2.1.1)', async () => {
    const me = await signIn('participant2@demo.npq-ops.test');
    const [last] = await queryRows<{ cohort_id: number; module_id: number; position: number }>(
      world.t.db,
      sql`select r.cohort_id, r.module_id, m.position from cohort_module_release r
          join programme_module m on m.id = r.module_id
          join enrolment e on e.cohort_id = r.cohort_id join participant p on p.id = e.participant_id
          where lower(p.email) = 'participant2@demo.npq-ops.test' and e.status = 'active'
          order by m.position desc limit 1`,
    );
    const today = londonDateOf(world.clock.now());
    const before = await queryRows<{ r: string; s: string; e: string }>(
      world.t.db,
      sql`select release_date::text as r, ideal_window_start::text as s, ideal_window_end::text as e from cohort_module_release
          where cohort_id = ${last!.cohort_id} and module_id = ${last!.module_id}`,
    );
    await world.t.db.execute(sql`update cohort_module_release
      set release_date = ${addDays(today, -2)}::date, ideal_window_start = ${addDays(today, 5)}::date, ideal_window_end = ${addDays(today, 18)}::date
      where cohort_id = ${last!.cohort_id} and module_id = ${last!.module_id}`);
    try {
      const res = await me.request({ method: 'GET', url: '/my-programme' });
      expect(res.body).toContain(`data-testid="module-${last!.position}-ahead"`);
      expect(text(res.body)).toContain(
        `Available now, ideally between ${govukDate(addDays(today, 5))} and ${govukDate(addDays(today, 18))}.`,
      );
    } finally {
      await world.t.db.execute(sql`update cohort_module_release
        set release_date = ${before[0]!.r}::date, ideal_window_start = ${before[0]!.s}::date, ideal_window_end = ${before[0]!.e}::date
        where cohort_id = ${last!.cohort_id} and module_id = ${last!.module_id}`);
    }
  });

  it('warns when 90% can no longer be reached', async () => {
    // An active participant far behind: give them a sign-in.
    const cohorts = await queryRows<{ id: number }>(
      world.t.db,
      sql`select id from cohort order by id`,
    );
    let target: { participantId: number } | undefined;
    for (const c of cohorts) {
      const rows = await cohortEngagement(world.t.db, {
        cohortId: c.id,
        today: londonDateOf(world.clock.now()),
        visibleTo: sql`e.status = 'active'`,
      });
      const hopeless = rows.find((r) => !r.reachable && r.totalWeight > 0);
      if (hopeless) {
        target = { participantId: hopeless.participantId };
        break;
      }
    }
    expect(target, 'the demo has an active participant who can no longer reach 90%').toBeDefined();
    const email = `hopeless-${target!.participantId}@demo.npq-ops.test`;
    await world.t.db.insert(appUser).values({
      email,
      displayName: 'Hopeless',
      passwordHash: await hashPassword(DEMO_PASSWORD),
      role: 'participant',
      participantId: target!.participantId,
    });
    const me = await signIn(email);
    const res = await me.request({ method: 'GET', url: '/my-programme' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('data-testid="warning-unreachable"');
    expect(text(res.body)).toContain('90% is no longer reachable');
  });

  it('shows a deferred participant their place is deferred, without this cohort’s deadline or pace', async () => {
    const me = await signIn('participant3@demo.npq-ops.test');
    const res = await me.request({ method: 'GET', url: '/my-programme' });
    expect(res.statusCode).toBe(200);
    // Released content stays open to revisit (2.3.6); the deadline comes from the cohort they re-join.
    expect(res.body).toContain('data-testid="deferral-panel"');
    expect(res.body).toContain('href="/policy#clause-2-3-6"');
    expect(text(res.body)).toContain('by the deadline of the cohort you re-join');
    expect(res.body).not.toContain('data-testid="warning-unreachable"');
    expect(res.body).not.toContain('data-testid="warning-behind"');
  });
});

describe('study sessions', () => {
  it('shows an open session, completes it, and opens the next', async () => {
    const email = 'participant2@demo.npq-ops.test';
    const me = await signIn(email);
    const sessions = await sessionsOf(email);
    const index = sessions.findIndex((s) => !s.done);
    const open = sessions[index]!;
    const next = sessions[index + 1]!;

    const programme = await me.request({ method: 'GET', url: '/my-programme' });
    expect(programme.body).toContain(`href="/sessions/${open.id}"`);

    const page = await me.request({ method: 'GET', url: `/sessions/${open.id}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('data-testid="session-content"');
    expect(text(page.body)).toContain('About 50 minutes');
    expect(page.body).toContain('Mark as complete');

    const done = await me.request({
      method: 'POST',
      url: `/sessions/${open.id}/complete`,
      payload: {},
    });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe(`/sessions/${open.id}`);
    const after = await me.request({ method: 'GET', url: `/sessions/${open.id}` });
    expect(text(after.body)).toContain(`You have completed ${open.title}`);
    expect(after.body).toContain(`href="/sessions/${next.id}"`);
    expect(after.body).not.toContain('Mark as complete');

    const [record] = await queryRows<{ n: number }>(
      world.t.db,
      sql`select count(*)::int as n from engagement_record r join participant p on p.id = r.participant_id
          where lower(p.email) = ${email} and r.activity_id = ${open.id}`,
    );
    expect(record?.n).toBe(1);
  });

  it('refuses completion out of sequence and says why, with the clause', async () => {
    // participant2 is behind: the module they are on is released, so only the sequence holds them back.
    const email = 'participant2@demo.npq-ops.test';
    const me = await signIn(email);
    const sessions = await sessionsOf(email);
    const index = sessions.findIndex((s) => !s.done);
    expect(index).toBeGreaterThanOrEqual(0);
    const firstOpen = sessions[index]!;
    const later = sessions[index + 1]!;
    const res = await me.request({
      method: 'POST',
      url: `/sessions/${later.id}/complete`,
      payload: {},
    });
    expect(res.statusCode).toBe(422);
    const body = text(res.body);
    expect(body).toContain('Error: ');
    expect(res.body).toContain('govuk-error-summary');
    expect(body).toContain(`Next to do: ${firstOpen.title}.`);
    expect(body).toContain('(Policy 2.2.1.1)');
    const [record] = await queryRows<{ n: number }>(
      world.t.db,
      sql`select count(*)::int as n from engagement_record r join participant p on p.id = r.participant_id
          where lower(p.email) = ${email} and r.activity_id = ${later.id}`,
    );
    expect(record?.n).toBe(0);
  });

  it("answers 404 for a session of someone else's programme, and for nonsense ids", async () => {
    const other = (await sessionsOf('participant1@demo.npq-ops.test'))[0]!;
    const me = await signIn('participant5@demo.npq-ops.test');
    const get = await me.request({ method: 'GET', url: `/sessions/${other.id}` });
    expect(get.statusCode).toBe(404);
    expect(get.body).toContain('Page not found');
    const post = await me.request({
      method: 'POST',
      url: `/sessions/${other.id}/complete`,
      payload: {},
    });
    expect(post.statusCode).toBe(404);
    const junk = await me.request({ method: 'GET', url: '/sessions/abc' });
    expect(junk.statusCode).toBe(404);
  });

  it('refuses a completion without the CSRF token', async () => {
    // A participant with a study session still to do, found afresh (earlier tests complete some).
    const [someone] = await queryRows<{ email: string }>(
      world.t.db,
      sql`select lower(p.email) as email from participant p join app_user u on u.participant_id = p.id
          join enrolment e on e.participant_id = p.id and e.status = 'active'
          join cohort c on c.id = e.cohort_id
          join programme_activity a on a.programme_id = c.programme_id and a.kind = 'study_session'
          where not exists (select 1 from engagement_record r where r.participant_id = p.id and r.activity_id = a.id)
          order by p.id limit 1`,
    );
    expect(someone).toBeDefined();
    const email = someone!.email;
    const me = await signIn(email);
    const open = (await sessionsOf(email)).find((s) => !s.done);
    expect(open).toBeDefined();
    const before = await rowCounts(world.t.db);
    const res = await world.app.inject({
      method: 'POST',
      url: `/sessions/${open!.id}/complete`,
      cookies: me.cookies,
      payload: {},
    });
    expect(res.statusCode).toBe(403);
    // Nothing recorded: the session is still open and no row anywhere was added.
    expect(await rowCounts(world.t.db)).toEqual(before);
    expect((await sessionsOf(email)).find((s) => s.id === open!.id)?.done).toBe(false);
  });
});

describe('study content', () => {
  it('renders Markdown and strips anything unsafe', () => {
    const html = renderMarkdown(
      '# Title\n\nSome **bold** text and [a link](https://example.org) and [bad](javascript:alert(1)).\n\n<script>alert(1)</script><img src=x onerror=alert(1)>',
    );
    expect(html).toContain('<h2 class="govuk-heading-m">Title</h2>');
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toMatch(
      /<a (class="govuk-link" )?href="https:\/\/example.org"( class="govuk-link")?>a link<\/a>/,
    );
    expect(html).not.toContain('javascript:');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('onerror');
    expect(html).not.toContain('<img');
  });
});
