import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import {
  approveDeferral,
  recordDeferralDiscussion,
  requestDeferral,
  startDeferral,
} from '../../src/services/deferral-cases.js';
import { queueNotices } from '../../src/services/notices/queue.js';
import { enqueueEmail } from '../../src/services/email/outbox.js';
import { createDemoWorld, pageText, type DemoWorld } from '../support/demo-world.js';
import { formFields } from '../support/forms.js';

let w: DemoWorld;
beforeAll(async () => {
  w = await createDemoWorld({ participants: 40 });
  await w.t.db.execute(
    sql`update delivery_partner set contact_email = slug || '@partner.example.test'`,
  );
}, 120_000);
afterAll(async () => {
  await w?.destroy();
});

const ROLES = {
  admin: 'admin@demo.npq-ops.test',
  programme_team: 'programme.team@demo.npq-ops.test',
  partner: 'partner.north@demo.npq-ops.test',
  coach: 'coach@demo.npq-ops.test',
  assessor: 'assessor@demo.npq-ops.test',
  participant: 'participant1@demo.npq-ops.test',
} as const;

async function participantOf(email: string) {
  const [row] = await queryRows<{ participant_id: number; enrolment_id: number; status: string }>(
    w.t.db,
    sql`select p.id as participant_id, e.id as enrolment_id, e.status from participant p
        join enrolment e on e.participant_id = p.id where lower(p.email) = lower(${email})
        order by e.id desc limit 1`,
  );
  return row!;
}

/** Takes a demo participant through an agreed deferral, to the point the 2.3.7 question is due. */
async function deferredToIntentDue(email: string) {
  const deps = { db: w.t.db, clock: w.clock };
  const staff = await w.actor(ROLES.programme_team);
  const { enrolment_id } = await participantOf(email);
  let c = await requestDeferral(deps, await w.actor(email), {
    enrolmentId: enrolment_id,
    circumstance: 'illness_or_health',
  });
  c = await recordDeferralDiscussion(deps, staff, c.id, {
    expectedVersion: c.version,
    alternativesOffered: ['defer'],
    participantChoice: 'defer',
  });
  c = await approveDeferral(deps, staff, c.id, { expectedVersion: c.version });
  c = await startDeferral(deps, staff, c.id, { expectedVersion: c.version });
  await w.t.db.execute(
    sql`update deferral_case set status = 'intent_contact_due', version = version + 1 where id = ${c.id}`,
  );
  return c;
}

describe('who may open the new pages', () => {
  const PAGES = ['/messages', '/messages/settings', '/changes/return'];
  it('participants only: staff are refused, the signed-out are sent to sign in', async () => {
    for (const [role, email] of Object.entries(ROLES)) {
      const request = await w.requester(email);
      for (const url of PAGES) {
        const res = await request({ method: 'GET', url });
        expect(res.statusCode, `${role} ${url}`).toBe(role === 'participant' ? 200 : 403);
      }
      const post = await request({
        method: 'POST',
        url: '/messages/settings',
        payload: { nudges: 'off' },
      });
      expect(post.statusCode, `${role} POST settings`).toBe(role === 'participant' ? 303 : 403);
    }
    for (const url of [...PAGES, '/messages/1']) {
      const res = await w.app.inject({ method: 'GET', url });
      expect([302, 303], url).toContain(res.statusCode);
      expect(res.headers.location).toMatch(/^\/sign-in/);
    }
    const anonymousPost = await w.app.inject({
      method: 'POST',
      url: '/changes/return',
      payload: { answer: 'yes' },
    });
    expect([303, 403]).toContain(anonymousPost.statusCode);
  });

  it('shows Messages in the participant navigation', async () => {
    const request = await w.requester(ROLES.participant);
    const res = await request({ method: 'GET', url: '/my-programme' });
    expect(res.body).toMatch(/href="\/messages"[^>]*>\s*Messages/);
  });
});

describe('Messages', () => {
  it('lists the participant’s own messages newest first, 20 a page, each linking to its page', async () => {
    const email = 'participant2@demo.npq-ops.test';
    const { participant_id } = await participantOf(email);
    const base = new Date('2026-03-01T09:00:00Z').getTime();
    for (let i = 0; i < 25; i += 1) {
      await queueNotices(
        w.t.db,
        [
          {
            template: 'notice_window_opening',
            to: email,
            key: `test:${participant_id}:${i}`,
            linkPath: '/assessment',
            participantId: participant_id,
            personalisation: {
              name: 'P',
              programme: `Programme ${i}`,
              opens: '1 June 2026',
              closes: '8 June 2026',
            },
          },
        ],
        { at: new Date(base + i * 3_600_000), immediately: true },
      );
    }
    const request = await w.requester(email);
    const first = await request({ method: 'GET', url: '/messages' });
    expect(first.statusCode).toBe(200);
    const subjects = [...first.body.matchAll(/<a class="govuk-link" href="\/messages\/(\d+)">/g)];
    expect(subjects.length).toBe(20);
    // Newest first: the last one queued heads the list (its programme is in the body).
    const top = await request({ method: 'GET', url: `/messages/${subjects[0]![1]}` });
    expect(pageText(top.body)).toContain('Programme 24');
    expect(top.body).toContain('href="/assessment"');
    const second = await request({ method: 'GET', url: '/messages?page=2' });
    const more = [...second.body.matchAll(/<a class="govuk-link" href="\/messages\/(\d+)">/g)];
    expect(more.length).toBeGreaterThanOrEqual(5);
    expect(second.body).toContain('govuk-pagination');

    // Someone else's message is not found, and the list shows none of theirs.
    const other = await w.requester('participant3@demo.npq-ops.test');
    expect((await other({ method: 'GET', url: `/messages/${subjects[0]![1]}` })).statusCode).toBe(
      404,
    );
    expect(pageText((await other({ method: 'GET', url: '/messages' })).body)).not.toContain(
      'Programme 24',
    );
  });

  it('shows an account email without its single-use link', async () => {
    const email = 'participant2@demo.npq-ops.test';
    const [id] = await enqueueEmail(w.t.db, {
      template: 'password_reset',
      to: email,
      personalisation: {
        name: 'P',
        link: 'https://npq.example.test/account/reset-password/SECRETtoken123',
        expires: '10am',
      },
      subject: { type: 'participant', id: 1 },
    });
    const request = await w.requester(email);
    const res = await request({ method: 'GET', url: `/messages/${id}` });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('SECRETtoken123');
    expect(pageText(res.body)).toContain('a single-use link, sent only to the recipient');
  });
});

describe('reminder settings', () => {
  it('turns nudges off (audited) but lists the notices that cannot be turned off', async () => {
    const email = 'participant4@demo.npq-ops.test';
    const request = await w.requester(email);
    const page = await request({ method: 'GET', url: '/messages/settings' });
    expect(pageText(page.body)).toContain('Messages you always get');
    expect(pageText(page.body)).toContain('A decision on your requests');
    const none = await request({ method: 'POST', url: '/messages/settings', payload: {} });
    expect(none.statusCode).toBe(422);
    expect(none.body).toContain('govuk-error-summary');
    const off = await request({
      method: 'POST',
      url: '/messages/settings',
      payload: { ...formFields(page.body, '/messages/settings'), nudges: 'off' },
    });
    expect(off.statusCode).toBe(303);
    const { participant_id } = await participantOf(email);
    const [pref] = await queryRows<{ nudges: boolean }>(
      w.t.db,
      sql`select nudges from notice_preference where participant_id = ${participant_id}`,
    );
    expect(pref!.nudges).toBe(false);
    const events = await queryRows<{ what: string }>(
      w.t.db,
      sql`select what from audit_event where subject_type = 'participant' and subject_id = ${String(participant_id)}
          and what like 'NUDGES_%'`,
    );
    expect(events.map((e) => e.what)).toEqual(['NUDGES_TURNED_OFF']);
    const again = await request({ method: 'GET', url: '/messages/settings' });
    expect(again.body).toMatch(/value="off" checked/);
  });
});

describe('the intent-to-return answer (2.3.7, 2.3.8)', () => {
  it('yes, with reasonable adjustments: confirmed, audited, the participant and the partner told; once only', async () => {
    const email = 'participant5@demo.npq-ops.test';
    const c = await deferredToIntentDue(email);
    const request = await w.requester(email);
    const page = await request({ method: 'GET', url: '/changes/return' });
    expect(page.statusCode).toBe(200);
    expect(pageText(page.body)).toContain('Will you return on');
    const missing = await request({
      method: 'POST',
      url: '/changes/return',
      payload: { ...formFields(page.body, '/changes/return') },
    });
    expect(missing.statusCode).toBe(422);
    expect(pageText(missing.body)).toContain('Select whether you will return');
    const fields = {
      ...formFields(page.body, '/changes/return'),
      answer: 'yes',
      reasonableAdjustments: 'Clinics after 4pm, please',
    };
    const res = await request({ method: 'POST', url: '/changes/return', payload: fields });
    expect(res.statusCode).toBe(303);
    const [row] = await queryRows<{ status: string; reasonable_adjustments: string }>(
      w.t.db,
      sql`select status, reasonable_adjustments from deferral_case where id = ${c.id}`,
    );
    expect(row).toEqual({
      status: 'confirmed',
      reasonable_adjustments: 'Clinics after 4pm, please',
    });
    const audit = await queryRows<{ what: string; details: { answeredBy: string } }>(
      w.t.db,
      sql`select what, details from audit_event where subject_type = 'deferral_case' and subject_id = ${String(c.id)}
          and what = 'DEFERRAL_RETURN_CONFIRMED'`,
    );
    expect(audit[0]!.details.answeredBy).toBe('participant');
    const sent = await queryRows<{ template: string; to_email: string; notice_key: string }>(
      w.t.db,
      sql`select template, to_email, notice_key from email_message where notice_key like ${`%:${c.id}%`} order by id`,
    );
    expect(sent).toContainEqual(
      expect.objectContaining({ template: 'notice_decision', to_email: email }),
    );
    const partner = sent.find((m) => m.template === 'notice_intent_answer_partner');
    expect(partner!.to_email).toMatch(/@partner\.example\.test$/);

    const after = await request({ method: 'GET', url: '/changes/return' });
    expect(pageText(after.body)).toContain('You have told us you will return');
    expect(pageText(after.body)).toContain('Clinics after 4pm');
    // The same form sent again (Back, double click) changes nothing.
    const twice = await request({ method: 'POST', url: '/changes/return', payload: fields });
    expect(twice.statusCode).toBe(409);
    const [count] = await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(*)::int as n from email_message where notice_key = ${`intent_answer_partner:${c.id}`}`,
    );
    expect(count!.n).toBe(1);
  });

  it('not returning: a check step first, then withdrawal under 2.3.8, audited, partner told', async () => {
    const email = 'participant1@demo.npq-ops.test';
    const before = await participantOf(email);
    const c = await deferredToIntentDue(email);
    const request = await w.requester(email);
    const page = await request({ method: 'GET', url: '/changes/return' });
    const check = await request({
      method: 'POST',
      url: '/changes/return',
      payload: { ...formFields(page.body, '/changes/return'), answer: 'no' },
    });
    expect(check.statusCode).toBe(200);
    expect(pageText(check.body)).toContain('Check your answer: you will not return');
    expect(pageText(check.body)).toContain('2.3.8');
    // Nothing has changed yet.
    expect((await participantOf(email)).status).toBe('deferred');
    const done = await request({
      method: 'POST',
      url: '/changes/return',
      payload: formFields(check.body, '/changes/return'),
    });
    expect(done.statusCode).toBe(303);
    expect((await participantOf(email)).status).toBe('withdrawn');
    const [withdrawal] = await queryRows<{ note: string }>(
      w.t.db,
      sql`select note from withdrawal where enrolment_id = ${before.enrolment_id}`,
    );
    expect(withdrawal!.note).toContain('2.3.8');
    const [dc] = await queryRows<{ status: string }>(
      w.t.db,
      sql`select status from deferral_case where id = ${c.id}`,
    );
    expect(dc!.status).toBe('withdrawn');
    const whats = await queryRows<{ what: string }>(
      w.t.db,
      sql`select what from audit_event where subject_type = 'deferral_case' and subject_id = ${String(c.id)} order by id`,
    );
    expect(whats.map((x) => x.what)).toContain('DEFERRAL_NOT_RETURNING');
    const sent = await queryRows<{ template: string; to_email: string }>(
      w.t.db,
      sql`select template, to_email from email_message where notice_key in
            (${`decision:deferral:${c.id}:not_returning`}, ${`intent_answer_partner:${c.id}`})`,
    );
    expect(sent.map((m) => m.template).sort()).toEqual([
      'notice_decision',
      'notice_intent_answer_partner',
    ]);
    const after = await request({ method: 'GET', url: '/changes/return' });
    expect(pageText(after.body)).toContain('You are withdrawn from the programme');
  });
});
