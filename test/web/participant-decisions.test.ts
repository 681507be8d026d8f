import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import {
  approveDeferral,
  declineDeferral,
  recordDeferralDiscussion,
  startDeferral,
} from '../../src/services/deferral-cases.js';
import { createDemoWorld, pageText, type DemoWorld } from '../support/demo-world.js';
import { formFields } from '../support/forms.js';

/**
 * Decisions in plain consequences (issue 14): the outcome and the reason that decided it first,
 * then what the participant can do and who to contact; forms only for those who may use them;
 * check answers, a confirmation with a reference, and one request however often it is sent.
 */
let world: DemoWorld;
beforeAll(async () => {
  world = await createDemoWorld();
});
afterAll(async () => {
  await world?.destroy();
});

const text = pageText;
const P1 = 'participant1@demo.npq-ops.test';
const P2 = 'participant2@demo.npq-ops.test';
const P3 = 'participant3@demo.npq-ops.test';
const P4 = 'participant4@demo.npq-ops.test';
const TEAM = 'programme.team@demo.npq-ops.test';
const today = { 'requestedOn-day': '16', 'requestedOn-month': '3', 'requestedOn-year': '2026' };

type Request = Awaited<ReturnType<DemoWorld['requester']>>;

async function casesOf(email: string) {
  return queryRows<{ id: number; status: string; version: number }>(
    world.t.db,
    sql`select d.id, d.status, d.version from deferral_case d
        join participant p on p.id = d.participant_id where p.email = ${email} order by d.id`,
  );
}

async function movesOf(email: string) {
  return queryRows<{ id: number }>(
    world.t.db,
    sql`select m.id from school_move m join participant p on p.id = m.participant_id
        where p.email = ${email} order by m.id`,
  );
}

/** Never a green success banner or confirmation panel. */
function expectNoSuccess(html: string) {
  expect(html).not.toContain('govuk-notification-banner--success');
  expect(html).not.toContain('govuk-panel--confirmation');
}

/** Answers the deferral questions; returns the check-answers page. */
async function answerDeferral(request: Request, answers: Record<string, string>) {
  const form = await request({ method: 'GET', url: '/changes/deferral' });
  const fields = { ...formFields(form.body, '/changes/deferral'), ...answers };
  return request({ method: 'POST', url: '/changes/deferral', payload: fields });
}

describe('asking to defer: check answers, confirmation, sent once', () => {
  it('checks the answers, sends, and confirms with the case reference and what happens next', async () => {
    const request = await world.requester(P1);
    const check = await answerDeferral(request, {
      circumstance: 'illness_or_health',
      description: 'An operation & six weeks of recovery',
      ...today,
    });
    expect(check.statusCode).toBe(200);
    const checkText = text(check.body);
    expect(checkText).toContain('Check your answers before sending your request');
    expect(checkText).toContain('Illness or a health-related issue');
    expect(checkText).toContain('An operation & six weeks of recovery');
    expect(checkText).toContain('16 March 2026');
    // Nothing is sent until the participant presses Send.
    expect(await casesOf(P1)).toEqual([]);

    // "Change" carries the answers back to the questions.
    const fields = formFields(check.body, '/changes/deferral/send');
    const change = await request({
      method: 'POST',
      url: '/changes/deferral',
      payload: { ...fields, change: 'circumstance' },
    });
    expect(change.statusCode).toBe(200);
    expect(change.body).toMatch(/value="illness_or_health" checked/);
    expect(change.body).toContain('An operation &amp; six weeks of recovery</textarea>');

    const sent = await request({ method: 'POST', url: '/changes/deferral/send', payload: fields });
    expect(sent.statusCode).toBe(303);
    const [created] = await casesOf(P1);
    expect(created?.status).toBe('requested');
    expect(sent.headers.location).toBe(`/changes/deferral/${created!.id}`);

    const confirmation = await request({ method: 'GET', url: sent.headers.location as string });
    expect(confirmation.body).toContain('govuk-panel--confirmation');
    const body = text(confirmation.body);
    expect(body).toContain('Deferral request sent');
    expect(body).toContain(`DC-${created!.id}`);
    expect(body).toContain('What happens next');
    expect(body).toContain('South Coast Teaching School Hub');
    expect(confirmation.body).toContain('href="/policy#clause-2-3-4"');

    // Back to the check page and Send again: the same request, not a second one.
    const again = await request({ method: 'POST', url: '/changes/deferral/send', payload: fields });
    expect(again.statusCode).toBe(303);
    expect(again.headers.location).toBe(sent.headers.location);
    expect(await casesOf(P1)).toHaveLength(1);

    // With a request open, the form is not offered again: the page says where the request is.
    const form = await request({ method: 'GET', url: '/changes/deferral' });
    expect(form.body).not.toContain('action="/changes/deferral"');
    expect(text(form.body)).toContain(
      `You have already asked to defer. Your request DC-${created!.id}`,
    );
  });

  it('a double click (two sends at once) creates one request', async () => {
    const request = await world.requester(P4);
    const check = await answerDeferral(request, { circumstance: 'bereavement', ...today });
    const fields = formFields(check.body, '/changes/deferral/send');
    const [a, b] = await Promise.all([
      request({ method: 'POST', url: '/changes/deferral/send', payload: fields }),
      request({ method: 'POST', url: '/changes/deferral/send', payload: fields }),
    ]);
    expect([a.statusCode, b.statusCode]).toEqual([303, 303]);
    expect(a.headers.location).toBe(b.headers.location);
    expect(await casesOf(P4)).toHaveLength(1);
  });

  it('a send without a valid token changes nothing and says so', async () => {
    const request = await world.requester(P2);
    const check = await answerDeferral(request, { circumstance: 'bereavement', ...today });
    const fields = { ...formFields(check.body, '/changes/deferral/send'), token: 'not-a-token' };
    const res = await request({ method: 'POST', url: '/changes/deferral/send', payload: fields });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('govuk-error-summary');
    expect(text(res.body)).toContain('This form has expired');
    expect(await casesOf(P2)).toEqual([]);
  });
});

describe('a participant who may not defer', () => {
  it('is told why first, what they can do and who to contact, instead of the form', async () => {
    // Employment not confirmed: the one unmet check sits between passing ones in the policy's order.
    const setEmployment = (confirmed: boolean) =>
      world.t.db.execute(
        sql`update participant set employment_confirmed = ${confirmed} where email = ${P2}`,
      );
    await setEmployment(false);
    try {
      const request = await world.requester(P2);
      const res = await request({ method: 'GET', url: '/changes/deferral' });
      expect(res.statusCode).toBe(200);
      expect(res.body).not.toContain('action="/changes/deferral"');
      expect(res.body).not.toContain('name="circumstance"');
      const body = text(res.body);
      const outcome = body.indexOf('You cannot defer at the moment');
      const reason = body.indexOf(
        'To defer, you need to have submitted your confirmation of employment.',
      );
      const options = body.indexOf('What you can do');
      const contact = body.indexOf('Contact your Delivery Partner, North Star Teaching School Hub');
      const passing = body.indexOf('You have registered with the Department for Education');
      expect(outcome).toBeGreaterThan(0);
      expect(reason).toBeGreaterThan(outcome);
      expect(options).toBeGreaterThan(reason);
      expect(contact).toBeGreaterThan(options);
      // The checks that passed come last, folded away, never before the reason that blocks.
      expect(passing).toBeGreaterThan(contact);
      expect(res.body).toMatch(
        /What else we checked[\s\S]*You have registered with the Department/,
      );
      expect(body).toContain('Continue with your current cohort, with support');
      // The clause is a small link to the published policy, not a bold label.
      expect(res.body).toContain('href="/policy#clause-2-3-2"');
      expect(res.body).not.toMatch(/font-weight-bold[^>]*>\(Policy/);
    } finally {
      await setEmployment(true);
    }
  });

  it('already deferred: the deferral is shown instead of the form', async () => {
    const request = await world.requester(P3);
    const res = await request({ method: 'GET', url: '/changes/deferral' });
    expect(res.body).not.toContain('action="/changes/deferral"');
    expect(text(res.body)).toContain('Your place is deferred');
  });

  it('a stale form sent anyway is recorded as declined and never shown as a success', async () => {
    const request = await world.requester(P3);
    const payload = {
      token: '6f1c4d1e-8a9b-4c2d-9e0f-112233445566',
      circumstance: 'bereavement',
      description: '',
      ...today,
    };
    const res = await request({ method: 'POST', url: '/changes/deferral/send', payload });
    expect(res.statusCode).toBe(303);
    const page = await request({ method: 'GET', url: res.headers.location as string });
    expectNoSuccess(page.body);
    const body = text(page.body);
    const outcome = body.indexOf('A deferral is not possible');
    const reason = body.indexOf('Your place is already deferred.');
    expect(outcome).toBeGreaterThan(0);
    expect(reason).toBeGreaterThan(outcome);
    expect(body).toContain('What you can do');
    expect(body).toContain('Withdraw from the programme');
    expect(body).toMatch(/DC-\d+/);
    const changes = await request({ method: 'GET', url: '/changes' });
    expectNoSuccess(changes.body);
    expect(text(changes.body)).toContain(
      'Your deferral request was declined. Your place is already deferred.',
    );
  });

  it('sees their deferral on Changes and My programme, not "you have not asked to defer"', async () => {
    const request = await world.requester(P3);
    const changes = text((await request({ method: 'GET', url: '/changes' })).body);
    expect(changes).toContain('Your place is deferred');
    expect(changes).toContain('What stays open to you');
    const programme = await request({ method: 'GET', url: '/my-programme' });
    expect(programme.body).toContain('data-testid="deferral-panel"');
    expect(text(programme.body)).toContain('What stays open to you');
  });
});

describe('decided by staff', () => {
  it('a declined request shows the reason staff gave, the options left and the contact', async () => {
    const [open] = await casesOf(P1);
    const team = await world.actor(TEAM);
    await declineDeferral({ db: world.t.db, clock: world.clock }, team, open!.id, {
      reason: 'From what you told us, a phased return with your cohort suits you better.',
      expectedVersion: open!.version,
    });
    const request = await world.requester(P1);
    const changes = await request({ method: 'GET', url: '/changes' });
    expectNoSuccess(changes.body);
    const body = text(changes.body);
    const declined = body.indexOf('Your deferral request was declined.');
    const staffReason = body.indexOf('a phased return with your cohort suits you better');
    const options = body.indexOf('What you can do:');
    const contact = body.indexOf('To talk about your options, contact your Delivery Partner');
    expect(declined).toBeGreaterThan(0);
    expect(staffReason).toBeGreaterThan(declined);
    expect(options).toBeGreaterThan(staffReason);
    expect(contact).toBeGreaterThan(options);
    expect(changes.body).toContain('href="/policy#clause-2-3-10"');
    const confirmation = await request({ method: 'GET', url: `/changes/deferral/${open!.id}` });
    expectNoSuccess(confirmation.body);
    expect(text(confirmation.body)).toContain('a phased return with your cohort suits you better');
  });

  it('an agreed deferral shows the re-join cohort and date, when they will be contacted and what stays open', async () => {
    const [open] = await casesOf(P4);
    const team = await world.actor(TEAM);
    const deps = { db: world.t.db, clock: world.clock };
    const discussed = await recordDeferralDiscussion(deps, team, open!.id, {
      alternativesOffered: ['defer', 'continue_with_current_cohort'],
      participantChoice: 'defer',
      expectedVersion: open!.version,
    });
    const approved = await approveDeferral(deps, team, open!.id, {
      expectedVersion: discussed.version,
    });
    const request = await world.requester(P4);
    // Agreed but not started: nothing to answer yet (2.3.7 is asked of a deferred participant).
    expect((await request({ method: 'GET', url: '/changes' })).body).not.toContain(
      'href="/changes/return"',
    );
    await startDeferral(deps, team, open!.id, { expectedVersion: approved.version });
    const [target] = await queryRows<{ name: string }>(
      world.t.db,
      sql`select name from cohort where id = ${approved.targetCohortId}`,
    );
    for (const url of ['/changes', '/my-programme']) {
      const res = await request({ method: 'GET', url });
      // Deferred with the restart ahead: they can answer "will you return?" now (2.3.7).
      expect(res.body).toMatch(
        /<a [^>]*href="\/changes\/return"[^>]*>Tell us now whether you will return<\/a>/,
      );
      const body = text(res.body);
      expect(body).toContain(`you re-join ${target!.name} on`);
      expect(body).toMatch(/By \d+ \w+ 20\d\d, to ask you to confirm you will return/);
      expect(body).toContain('What stays open to you');
      expect(body).toContain('North Star Teaching School Hub');
    }
    const question = await request({ method: 'GET', url: '/changes/return' });
    expect(question.statusCode).toBe(200);
    expect(question.body).toContain('action="/changes/return"');
    // And the form is not offered to someone already deferred.
    const form = await request({ method: 'GET', url: '/changes/deferral' });
    expect(form.body).not.toContain('action="/changes/deferral"');
  });

  it('staff pages speak about the participant in the third person', async () => {
    const [declined] = (await casesOf(P3)).filter((c) => c.status === 'declined');
    const request = await world.requester(TEAM);
    const res = await request({ method: 'GET', url: `/cases/deferrals/${declined!.id}` });
    expect(res.statusCode).toBe(200);
    const body = text(res.body);
    expect(body).toContain('Their place is already deferred.');
    expect(body).not.toContain('Your place is already deferred.');
    // The reason that decided it comes before those that passed.
    expect(body.indexOf('Their place is already deferred.')).toBeLessThan(
      body.indexOf('They have registered with the Department for Education'),
    );
  });
});

describe('who may see a confirmation', () => {
  it("another participant's request is not found, and staff are pointed away from participant pages", async () => {
    const [mine] = await casesOf(P1);
    const other = await world.requester(P2);
    expect((await other({ method: 'GET', url: `/changes/deferral/${mine!.id}` })).statusCode).toBe(
      404,
    );
    const team = await world.requester(TEAM);
    for (const url of [
      `/changes/deferral/${mine!.id}`,
      '/changes/deferral',
      '/assessment/deferral',
      '/changes/school-move',
    ]) {
      expect((await team({ method: 'GET', url })).statusCode).toBe(403);
    }
    for (const url of [
      '/changes/deferral/send',
      '/assessment/deferral/send',
      '/changes/school-move/send',
    ]) {
      expect((await team({ method: 'POST', url, payload: {} })).statusCode).toBe(403);
    }
  });
});

describe('assessment deferral before the window', () => {
  it('is not offered: the reason first, what to do instead, and the contact', async () => {
    const request = await world.requester(P2);
    const res = await request({ method: 'GET', url: '/assessment/deferral' });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('action="/assessment/deferral"');
    const body = text(res.body);
    const outcome = body.indexOf('You cannot ask for an assessment deferral at the moment');
    const reason = body.indexOf('An assessment deferral is for during or after the window');
    const instead = body.indexOf('Ask to defer your place');
    expect(outcome).toBeGreaterThan(0);
    expect(reason).toBeGreaterThan(outcome);
    expect(instead).toBeGreaterThan(reason);
    expect(body).toContain('North Star Teaching School Hub');
    // Sent anyway (a stale page): refused with the reason, never a success.
    const payload = {
      token: '7f1c4d1e-8a9b-4c2d-9e0f-112233445566',
      circumstance: 'bereavement',
      description: 'A close family member died.',
    };
    const sent = await request({ method: 'POST', url: '/assessment/deferral/send', payload });
    expect(sent.statusCode).toBe(422);
    expectNoSuccess(sent.body);
    expect(sent.body).toContain('govuk-error-summary');
    expect(text(sent.body)).toContain('An assessment deferral is for during or after the window');
    const [count] = await queryRows<{ n: number }>(
      world.t.db,
      sql`select count(*)::int as n from assessment_deferral_case`,
    );
    expect(count!.n).toBe(0);
  });
});

describe('school move: check answers, confirmation, sent once', () => {
  it('checks the school and date, confirms with a reference, and records one move', async () => {
    const request = await world.requester(P2);
    const [school] = await queryRows<{ urn: string; name: string }>(
      world.t.db,
      sql`select s.urn, s.name from school s
          join lead_provider_region lr on lr.region_id = s.region_id
          where s.id <> (select current_school_id from participant where email = ${P2})
          order by s.id limit 1`,
    );
    const form = await request({ method: 'GET', url: '/changes/school-move' });
    const check = await request({
      method: 'POST',
      url: '/changes/school-move',
      payload: {
        ...formFields(form.body, '/changes/school-move'),
        newSchoolUrn: school!.urn,
        'movedOn-day': '2',
        'movedOn-month': '3',
        'movedOn-year': '2026',
      },
    });
    expect(check.statusCode).toBe(200);
    expect(text(check.body)).toContain('Check your answers before telling us');
    expect(text(check.body)).toContain(school!.name);
    expect(text(check.body)).toContain('2 March 2026');
    expect(await movesOf(P2)).toEqual([]);
    const fields = formFields(check.body, '/changes/school-move/send');
    const [a, b] = await Promise.all([
      request({ method: 'POST', url: '/changes/school-move/send', payload: fields }),
      request({ method: 'POST', url: '/changes/school-move/send', payload: fields }),
    ]);
    expect([a.statusCode, b.statusCode]).toEqual([303, 303]);
    expect(a.headers.location).toBe(b.headers.location);
    const moves = await movesOf(P2);
    expect(moves).toHaveLength(1);
    const again = await request({
      method: 'POST',
      url: '/changes/school-move/send',
      payload: fields,
    });
    expect(again.headers.location).toBe(a.headers.location);
    expect(await movesOf(P2)).toHaveLength(1);
    const confirmation = await request({ method: 'GET', url: a.headers.location as string });
    expect(confirmation.body).toContain('govuk-panel--confirmation');
    expect(text(confirmation.body)).toContain(`SM-${moves[0]!.id}`);
    expect(text(confirmation.body)).toContain('What happens next');
    // Someone else's move is not theirs to see.
    const other = await (
      await world.requester(P1)
    )({ method: 'GET', url: a.headers.location as string });
    expect(other.statusCode).toBe(404);
  });

  it('is not offered once the programme has ended: why, and who to contact instead', async () => {
    const email = 'participant5@demo.npq-ops.test';
    await world.t.db.execute(
      sql`update enrolment set status = 'withdrawn'
          where participant_id = (select id from participant where email = ${email})`,
    );
    const request = await world.requester(email);
    const res = await request({ method: 'GET', url: '/changes/school-move' });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('action="/changes/school-move/send"');
    expect(res.body).not.toContain('name="newSchoolUrn"');
    expect(text(res.body)).toContain(
      'Your enrolment is withdrawn, so there is no programme for us to update.',
    );
  });
});
