import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { anonymiseParticipants } from '../../src/services/privacy/anonymise.js';
import { createDemoWorld, pageText, type DemoWorld, type Session } from '../support/demo-world.js';
import { formFields } from '../support/forms.js';
import { multipartBody } from '../support/multipart.js';

/**
 * Assessment submissions on the web: the participant's upload (type by magic bytes, size limit,
 * window), the file served only to whoever marks it, the assessor's marking with check answers,
 * moderation by a second assessor and the programme team, and the outcome's effects.
 * Demo facts (as in api-assessment.test.ts): enrolment n belongs to participant n; enrolments 1,
 * 9, 20 and 33 are active in NPQSL 2025 (cohort 7, window 1 is 22–29 Sep 2026). 1 and 20 are
 * South's, 9 and 33 North's.
 */
let w: DemoWorld;
const s: Record<string, Session> = {};
const IN_WINDOW_1 = '2026-09-24T10:00:00Z';
const at = (iso: string) => {
  w.clock.now = () => new Date(iso);
};

const PDF = Buffer.concat([
  Buffer.from('%PDF-1.7\n'),
  Buffer.alloc(2000, 0x20),
  Buffer.from('%%EOF\n'),
]);
// A minimal zip whose first entry is word/document.xml, as a .docx starts.
const DOCX = Buffer.concat([
  Buffer.from([0x50, 0x4b, 0x03, 0x04]),
  Buffer.alloc(26, 0),
  Buffer.from('word/document.xml<w:document/>'),
]);

async function completeEverything(enrolmentId: number) {
  await w.t.db.execute(sql`
    insert into engagement_record (participant_id, activity_id, kind, occurred_at, source, source_event_id)
    select e.participant_id, a.id, a.kind, (c.engagement_deadline - 1)::timestamp + interval '10 hours',
           'staff', 'test-' || e.id || '-' || a.id
    from enrolment e join cohort c on c.id = e.cohort_id
    join programme_activity a on a.programme_id = c.programme_id and a.required
    where e.id = ${enrolmentId}
    on conflict do nothing`);
}

const upload = (who: Session, name: string, content: Buffer, type = 'application/pdf') => {
  const body = multipartBody({ _csrf: who.csrf }, { field: 'file', name, type, content });
  return who.request({
    method: 'POST',
    url: '/assessment/upload',
    payload: body.payload,
    headers: body.headers,
  });
};

const one = async <T>(q: ReturnType<typeof sql>) => (await queryRows<T>(w.t.db, q))[0]!;
const count = async (q: ReturnType<typeof sql>) => (await one<{ n: number }>(q)).n;
const submissionOf = async (enrolmentId: number) =>
  (
    await one<{ id: number }>(
      sql`select id from assessment_submission where enrolment_id = ${enrolmentId} order by attempt_number desc limit 1`,
    )
  ).id;

/** Submit through the check-answers page, as a browser does. */
async function mark(
  who: Session,
  id: number,
  outcome: 'passed' | 'failed',
  feedback: string,
  action = 'mark',
) {
  const pageRes = await who.request({ method: 'GET', url: `/assessments/submissions/${id}` });
  const fields = formFields(pageRes.body, `/assessments/submissions/${id}/check`);
  const check = await who.request({
    method: 'POST',
    url: `/assessments/submissions/${id}/check`,
    payload: { ...fields, outcome, feedback },
  });
  expect(check.statusCode).toBe(200);
  expect(pageText(check.body)).toContain('Check your answers');
  const confirm = formFields(check.body, `/assessments/submissions/${id}/${action}`);
  return who.request({
    method: 'POST',
    url: `/assessments/submissions/${id}/${action}`,
    payload: confirm,
  });
}

beforeAll(async () => {
  w = await createDemoWorld({ participants: 40 });
  // A second assessor, with the demo password; both assessors mark cohort 7.
  await w.t.db.execute(sql`
    insert into app_user (email, display_name, password_hash, role, lead_provider_id)
    select 'assessor2@demo.npq-ops.test', 'Second Assessor', password_hash, role, lead_provider_id
    from app_user where email = 'assessor@demo.npq-ops.test'`);
  await w.t.db.execute(sql`
    insert into staff_assignment (user_id, cohort_id)
    select id, 7 from app_user where email in ('assessor@demo.npq-ops.test', 'assessor2@demo.npq-ops.test')`);
  for (const n of [1, 9, 20, 33]) await completeEverything(n);
  const emails = {
    p1: 'participant1@demo.npq-ops.test',
    team: 'programme.team@demo.npq-ops.test',
    admin: 'admin@demo.npq-ops.test',
    south: 'partner.south@demo.npq-ops.test',
    north: 'partner.north@demo.npq-ops.test',
    coach: 'coach@demo.npq-ops.test',
    assessor: 'assessor@demo.npq-ops.test',
    assessor2: 'assessor2@demo.npq-ops.test',
  };
  for (const [k, e] of Object.entries(emails)) s[k] = await w.signIn(e);
});
afterAll(async () => {
  await w?.destroy();
});

describe('the participant uploads their assessment', () => {
  it('before the window: says why, with the clause, and offers no form; an upload is refused', async () => {
    const page = await s.p1!.request({ method: 'GET', url: '/assessment' });
    expect(page.body).not.toContain('action="/assessment/upload"');
    expect(pageText(page.body)).toContain(
      'You can upload your assessment (a PDF or Word document, up to 20 MB) from 22 September 2026',
    );
    expect(page.body).toContain('href="/policy#clause-2-2-1-5"');
    const res = await upload(s.p1!, 'essay.pdf', PDF);
    expect(res.statusCode).toBe(422);
    expect(pageText(res.body)).toMatch(/window opens on 22 September 2026.*\(Policy 2\.2\.1\.5\)/);
    expect(await count(sql`select count(*)::int as n from assessment_submission`)).toBe(0);
  });

  it('in the window: states the limit, refuses a wrong type or an over-limit file naming it, keeps nothing', async () => {
    at(IN_WINDOW_1);
    const page = await s.p1!.request({ method: 'GET', url: '/assessment' });
    expect(page.body).toContain('action="/assessment/upload"');
    expect(page.body).toContain('enctype="multipart/form-data"');
    expect(pageText(page.body)).toContain(
      'A PDF or a Word document (.pdf, .docx or .doc), up to 20 MB',
    );

    const fake = await upload(s.p1!, 'essay.pdf', Buffer.from('MZ this is really a program'));
    expect(fake.statusCode).toBe(422);
    expect(pageText(fake.body)).toContain('essay.pdf must be a PDF or a Word document');
    expect(fake.body).toContain('govuk-error-summary');
    expect(fake.body).toContain('id="file-error"');
    // The right bytes under the wrong name are refused too.
    const renamed = await upload(s.p1!, 'essay.docx', PDF);
    expect(pageText(renamed.body)).toContain('essay.docx must be a PDF or a Word document');
    const big = Buffer.concat([PDF, Buffer.alloc(20 * 1024 * 1024, 0x20)]);
    const tooBig = await upload(s.p1!, 'huge.pdf', big);
    expect(tooBig.statusCode).toBe(413);
    expect(pageText(tooBig.body)).toContain('huge.pdf is larger than 20 MB, the most we accept');
    const none = await upload(s.p1!, '', Buffer.alloc(0));
    expect(none.statusCode).toBe(422);
    expect(pageText(none.body)).toContain('Choose the file of your assessment');
    expect(await count(sql`select count(*)::int as n from assessment_submission`)).toBe(0);
    expect(await count(sql`select count(*)::int as n from stored_object`)).toBe(0);
  });

  it('accepts a PDF with a confirmation and reference, and a replacement before the deadline', async () => {
    const res = await upload(s.p1!, 'My essay (final).pdf', PDF);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/assessment/submitted');
    const id = await submissionOf(1);
    const confirmation = await s.p1!.request({ method: 'GET', url: '/assessment/submitted' });
    expect(confirmation.body).toContain('govuk-panel--confirmation');
    expect(pageText(confirmation.body)).toContain(`Your reference ASM-${id}`);
    expect(pageText(confirmation.body)).toContain('My essay (final).pdf');

    const again = await upload(s.p1!, 'essay-v2.docx', DOCX, 'application/octet-stream');
    expect(again.statusCode).toBe(303);
    const row = await one<{
      n: number;
      file_type: string;
      file_name: string;
      attempt_number: number;
    }>(
      sql`select count(*) over ()::int as n, file_type, file_name, attempt_number from assessment_submission where enrolment_id = 1`,
    );
    expect(row).toEqual({ n: 1, file_type: 'docx', file_name: 'essay-v2.docx', attempt_number: 1 });
    // The replaced file is not kept; only the current one is stored.
    expect(await count(sql`select count(*)::int as n from stored_object`)).toBe(1);
    const page = pageText((await s.p1!.request({ method: 'GET', url: '/assessment' })).body);
    expect(page).toContain(`essay-v2.docx`);
    expect(page).toContain(`reference ASM-${id}`);
    expect(page).toContain('Attempts left 1 of 2');

    // After the window closes the file stays as it is: no form, and an upload is refused.
    at('2026-10-01T10:00:00Z');
    const closed = await s.p1!.request({ method: 'GET', url: '/assessment' });
    expect(closed.body).not.toContain('action="/assessment/upload"');
    expect(pageText(closed.body)).toContain('your submission can no longer be replaced');
    const late = await upload(s.p1!, 'late.pdf', PDF);
    expect(late.statusCode).toBe(422);
    expect(pageText(late.body)).toContain(
      'closed on 29 September 2026 (policy 2.2.1.5), so your submission can no longer be replaced',
    );
    expect(
      (
        await one<{ file_name: string }>(
          sql`select file_name from assessment_submission where enrolment_id = 1`,
        )
      ).file_name,
    ).toBe('essay-v2.docx');
    at(IN_WINDOW_1);
  });
});

describe('the file is served only to whoever marks it', () => {
  const ROLES: Record<string, number | 'redirect'> = {
    admin: 200,
    team: 200,
    assessor: 200,
    assessor2: 200,
    south: 403,
    north: 404,
    coach: 404,
    p1: 404,
  };
  it.each(Object.keys(ROLES))('%s', async (role) => {
    const id = await submissionOf(1);
    const file = await s[role]!.request({
      method: 'GET',
      url: `/assessments/submissions/${id}/file`,
    });
    const page = await s[role]!.request({ method: 'GET', url: `/assessments/submissions/${id}` });
    expect(file.statusCode).toBe(ROLES[role]);
    expect(page.statusCode).toBe(ROLES[role]);
    if (ROLES[role] === 200) {
      expect(file.headers['content-disposition']).toBe(
        `attachment; filename="ASM-${id}-essay-v2.docx"`,
      );
      expect(file.headers['x-content-type-options']).toBe('nosniff');
      expect(file.headers['content-type']).toBe('application/octet-stream');
      expect(file.rawPayload.equals(DOCX)).toBe(true);
    } else {
      expect(file.headers['content-disposition']).toBeUndefined();
    }
  });

  it('signed out: sign in first', async () => {
    const id = await submissionOf(1);
    const res = await w.app.inject({ method: 'GET', url: `/assessments/submissions/${id}/file` });
    expect([302, 303]).toContain(res.statusCode);
  });
});

describe('marking', () => {
  it("lists the assessor's queue oldest first and records a pass with feedback: the enrolment completes and the participant is emailed", async () => {
    // Enrolment 20 submitted after enrolment 1, so it comes second.
    await w.t.db
      .execute(sql`insert into assessment_submission (enrolment_id, window_id, attempt_number, submitted_at)
      select 20, w.id, 1, ${new Date('2026-09-24T11:00:00Z')} from assessment_window w where w.cohort_id = 7 and w.sequence_number = 1`);
    await w.t.db.execute(sql`update enrolment set assessment_attempts_used = 1 where id = 20`);
    const queue = await s.assessor!.request({ method: 'GET', url: '/assessments' });
    expect(queue.statusCode).toBe(200);
    const id = await submissionOf(1);
    const listed = [...queue.body.matchAll(/href="\/assessments\/submissions\/(\d+)">ASM-/g)].map(
      (m) => Number(m[1]),
    );
    expect(listed.slice(0, 2)).toEqual([id, await submissionOf(20)]);

    // Check answers refuses an empty form with field errors.
    const pageRes = await s.assessor!.request({
      method: 'GET',
      url: `/assessments/submissions/${id}`,
    });
    expect(pageRes.body).toContain(`href="/assessments/submissions/${id}/file"`);
    const empty = await s.assessor!.request({
      method: 'POST',
      url: `/assessments/submissions/${id}/check`,
      payload: formFields(pageRes.body, `/assessments/submissions/${id}/check`),
    });
    expect(empty.statusCode).toBe(422);
    expect(pageText(empty.body)).toContain('Select whether the submission passed or did not pass');
    expect(pageText(empty.body)).toContain('Enter feedback for the participant');

    const done = await mark(s.assessor!, id, 'passed', 'A clear, well-evidenced case study.');
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe(`/assessments/submissions/${id}?notice=final`);
    expect(
      (await one<{ status: string }>(sql`select status from enrolment where id = 1`)).status,
    ).toBe('completed_passed');
    const email = await one<{
      template: string;
      personalisation: Record<string, string>;
      link_path: string;
    }>(
      sql`select template, personalisation, link_path from email_message where notice_key = ${`assessment_outcome:${id}`}`,
    );
    expect(email.template).toBe('notice_assessment_outcome');
    expect(email.personalisation['outcome']).toBe('passed');
    expect(email.link_path).toBe('/assessment#feedback');
    expect(
      await count(
        sql`select count(*)::int as n from audit_event where what in ('ASSESSMENT_MARKED', 'ASSESSMENT_OUTCOME_RECORDED') and subject_id = '1'`,
      ),
    ).toBe(2);
    // The participant reads the result and feedback.
    const mine = pageText((await s.p1!.request({ method: 'GET', url: '/assessment' })).body);
    expect(mine).toContain('A clear, well-evidenced case study.');
    expect(mine).toContain(': passed');
    // Once marked, it cannot be replaced.
    expect((await s.assessor!.request({ method: 'GET', url: '/assessments' })).body).not.toContain(
      `href="/assessments/submissions/${id}">ASM-`,
    );
  });

  it('a second click of the same confirmation records one mark', async () => {
    at(IN_WINDOW_1);
    await w.t.db
      .execute(sql`insert into assessment_submission (enrolment_id, window_id, attempt_number, submitted_at)
      select 9, w.id, 1, ${new Date(IN_WINDOW_1)} from assessment_window w where w.cohort_id = 7 and w.sequence_number = 1`);
    await w.t.db.execute(sql`update enrolment set assessment_attempts_used = 1 where id = 9`);
    const id = await submissionOf(9);
    const pageRes = await s.assessor!.request({
      method: 'GET',
      url: `/assessments/submissions/${id}`,
    });
    const check = await s.assessor!.request({
      method: 'POST',
      url: `/assessments/submissions/${id}/check`,
      payload: {
        ...formFields(pageRes.body, `/assessments/submissions/${id}/check`),
        outcome: 'failed',
        feedback: 'Needs evidence of impact.',
      },
    });
    const fields = formFields(check.body, `/assessments/submissions/${id}/mark`);
    const [a, b] = await Promise.all([
      s.assessor!.request({
        method: 'POST',
        url: `/assessments/submissions/${id}/mark`,
        payload: fields,
      }),
      s.assessor!.request({
        method: 'POST',
        url: `/assessments/submissions/${id}/mark`,
        payload: fields,
      }),
    ]);
    expect(a.statusCode).toBe(303);
    expect(b.headers.location).toBe(a.headers.location);
    // Not passed with an attempt left: entered into the next window (2.5).
    const e = await one<{ status: string; window: number }>(
      sql`select e.status, w.sequence_number as window from enrolment e join assessment_entry ae on ae.enrolment_id = e.id
          join assessment_window w on w.id = ae.window_id where e.id = 9`,
    );
    expect(e).toEqual({ status: 'active', window: 2 });
    expect(
      await count(
        sql`select count(*)::int as n from audit_event where what = 'ASSESSMENT_MARKED' and subject_id = '9'`,
      ),
    ).toBe(1);
    const email = await one<{ personalisation: Record<string, string> }>(
      sql`select personalisation from email_message where notice_key = ${`assessment_outcome:${id}`}`,
    );
    expect(email.personalisation['outcome']).toBe('not passed');
    expect(email.personalisation['next_steps']).toContain('one more attempt');
  });
});

describe('moderation', () => {
  let id: number;
  beforeAll(async () => {
    at(IN_WINDOW_1);
    await w.t.db
      .execute(sql`insert into assessment_submission (enrolment_id, window_id, attempt_number, submitted_at)
      select 33, w.id, 1, ${new Date(IN_WINDOW_1)} from assessment_window w where w.cohort_id = 7 and w.sequence_number = 1`);
    await w.t.db.execute(sql`update enrolment set assessment_attempts_used = 1 where id = 33`);
    id = await submissionOf(33);
  });

  it('only the programme team and admins sample; a refused sample says why', async () => {
    for (const role of ['assessor', 'south', 'coach']) {
      const res = await s[role]!.request({ method: 'GET', url: '/assessments/moderation' });
      expect(res.statusCode).toBe(404);
      const post = await s[role]!.request({
        method: 'POST',
        url: '/assessments/moderation/sample',
        payload: { by: 'chosen', submissionIds: String(id) },
      });
      expect(post.statusCode).toBe(404);
    }
    const bad = await s.team!.request({
      method: 'POST',
      url: '/assessments/moderation/sample',
      payload: { by: 'percentage', cohortId: '7', percentage: '0' },
    });
    expect(bad.statusCode).toBe(422);
    expect(pageText(bad.body)).toContain('Enter a whole-number percentage from 1 to 100');
    // An already-marked submission cannot be sampled.
    const marked = await s.team!.request({
      method: 'POST',
      url: '/assessments/moderation/sample',
      payload: { by: 'chosen', submissionIds: String(await submissionOf(1)) },
    });
    expect(marked.statusCode).toBe(422);
    expect(
      await count(
        sql`select count(*)::int as n from assessment_submission where moderation_requested_at is not null`,
      ),
    ).toBe(0);
  });

  it('a sampled submission is marked twice independently; a disagreement waits for the programme team, whose outcome counts', async () => {
    const page = await s.team!.request({ method: 'GET', url: '/assessments/moderation' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`value="${id}"`);
    const sampled = await s.team!.request({
      method: 'POST',
      url: '/assessments/moderation/sample',
      payload: { by: 'percentage', cohortId: '7', percentage: '100' },
    });
    expect(sampled.statusCode).toBe(303);
    // 100% of cohort 7's unmarked submissions: enrolment 20's and 33's.
    const chosen = await queryRows<{ enrolment_id: number }>(
      w.t.db,
      sql`select enrolment_id from assessment_submission where moderation_requested_at is not null order by enrolment_id`,
    );
    expect(chosen.map((r) => r.enrolment_id)).toEqual([20, 33]);

    expect((await mark(s.assessor!, id, 'failed', 'Not enough analysis.')).headers.location).toBe(
      `/assessments/submissions/${id}?notice=second`,
    );
    // Not final: nothing changes for the participant yet.
    expect(
      await one<{ status: string; outcome: string | null }>(
        sql`select e.status, s.outcome from enrolment e join assessment_submission s on s.enrolment_id = e.id where s.id = ${id}`,
      ),
    ).toEqual({ status: 'active', outcome: null });
    // The first marker cannot give the second mark; the second marker does not see the first.
    const own = await s.assessor!.request({ method: 'GET', url: `/assessments/submissions/${id}` });
    expect(own.body).not.toContain(`action="/assessments/submissions/${id}/check"`);
    const second = await s.assessor2!.request({
      method: 'GET',
      url: `/assessments/submissions/${id}`,
    });
    expect(second.body).toContain(`action="/assessments/submissions/${id}/check"`);
    expect(pageText(second.body)).not.toContain('Not enough analysis.');
    expect((await s.assessor2!.request({ method: 'GET', url: '/assessments' })).body).toContain(
      `href="/assessments/submissions/${id}">ASM-`,
    );

    expect((await mark(s.assessor2!, id, 'passed', 'Meets the standard.')).headers.location).toBe(
      `/assessments/submissions/${id}?notice=disagreement`,
    );
    expect(
      (
        await one<{ outcome: string | null }>(
          sql`select outcome from assessment_submission where id = ${id}`,
        )
      ).outcome,
    ).toBeNull();
    const list = await s.team!.request({ method: 'GET', url: '/assessments/moderation' });
    expect(list.body).toContain('data-testid="disagreements"');
    expect(list.body).toContain(`href="/assessments/submissions/${id}"`);
    // An assessor cannot decide.
    const forbidden = await s.assessor!.request({
      method: 'POST',
      url: `/assessments/submissions/${id}/check`,
      payload: { outcome: 'passed', feedback: 'x' },
    });
    expect(forbidden.statusCode).toBe(409);

    const decided = await mark(s.team!, id, 'passed', 'Moderated: meets the standard.', 'decide');
    expect(decided.headers.location).toBe(`/assessments/submissions/${id}?notice=decided`);
    expect(
      (await one<{ status: string }>(sql`select status from enrolment where id = 33`)).status,
    ).toBe('completed_passed');
    expect(
      (
        await one<{ feedback: string }>(
          sql`select feedback from assessment_submission where id = ${id}`,
        )
      ).feedback,
    ).toBe('Moderated: meets the standard.');
    expect(
      await count(
        sql`select count(*)::int as n from audit_event where what = 'ASSESSMENT_MODERATION_DECIDED' and subject_id = '33'`,
      ),
    ).toBe(1);
    expect(
      await count(
        sql`select count(*)::int as n from email_message where notice_key = ${`assessment_outcome:${id}`}`,
      ),
    ).toBe(1);
  });
});

describe('every marking route as every role', () => {
  // [moderation page, sample, submission page, file, check, mark, decide, participant upload]
  const EXPECTED: Record<string, number[]> = {
    admin: [200, 422, 200, 404, 422, 409, 409, 403],
    team: [200, 422, 200, 404, 422, 409, 409, 403],
    assessor: [404, 404, 200, 404, 422, 409, 403, 403],
    assessor2: [404, 404, 200, 404, 422, 409, 403, 403],
    south: [404, 404, 403, 403, 403, 403, 403, 403],
    north: [404, 404, 404, 404, 404, 404, 404, 403],
    coach: [404, 404, 404, 404, 404, 404, 404, 403],
    p1: [404, 404, 404, 404, 404, 404, 404, 422],
  };
  const state = () =>
    queryRows(
      w.t.db,
      sql`select id, first_outcome, second_outcome, outcome, moderation_requested_at, version from assessment_submission order by id`,
    );

  it.each(Object.keys(EXPECTED))('%s', async (role) => {
    // Enrolment 20's submission: sampled, unmarked, and without a file (recorded directly).
    const id = await submissionOf(20);
    const who = s[role]!;
    const before = await state();
    const token = '0e9c7a52-7c43-4c1e-9d7e-1a2b3c4d5e6f';
    // A version that is never current: whoever may mark gets a conflict, and nothing changes.
    const stale = { outcome: 'passed', feedback: 'x', expectedVersion: '9999', token };
    const got = [
      (await who.request({ method: 'GET', url: '/assessments/moderation' })).statusCode,
      (
        await who.request({
          method: 'POST',
          url: '/assessments/moderation/sample',
          payload: { by: 'chosen' },
        })
      ).statusCode,
      (await who.request({ method: 'GET', url: `/assessments/submissions/${id}` })).statusCode,
      (await who.request({ method: 'GET', url: `/assessments/submissions/${id}/file` })).statusCode,
      (
        await who.request({
          method: 'POST',
          url: `/assessments/submissions/${id}/check`,
          payload: {},
        })
      ).statusCode,
      (
        await who.request({
          method: 'POST',
          url: `/assessments/submissions/${id}/mark`,
          payload: stale,
        })
      ).statusCode,
      (
        await who.request({
          method: 'POST',
          url: `/assessments/submissions/${id}/decide`,
          payload: stale,
        })
      ).statusCode,
      (await upload(who, 'x.txt', Buffer.from('text'))).statusCode,
    ];
    expect(got).toEqual(EXPECTED[role]);
    expect(await state()).toEqual(before);
  });

  it('signed out: every page goes to sign in and every form is refused', async () => {
    const id = await submissionOf(20);
    for (const url of [
      '/assessments/moderation',
      `/assessments/submissions/${id}`,
      `/assessments/submissions/${id}/file`,
    ]) {
      expect([302, 303]).toContain((await w.app.inject({ method: 'GET', url })).statusCode);
    }
    for (const url of [
      '/assessments/moderation/sample',
      `/assessments/submissions/${id}/check`,
      `/assessments/submissions/${id}/mark`,
    ]) {
      const res = await w.app.inject({ method: 'POST', url, payload: { outcome: 'passed' } });
      expect([302, 303, 401, 403]).toContain(res.statusCode);
    }
  });
});

describe('erasure', () => {
  it('erasing a participant deletes their stored assessment files and the feedback about their work', async () => {
    const owners = await queryRows<{ pid: number; n: number }>(
      w.t.db,
      sql`select e.participant_id as pid, count(o.key)::int as n
          from assessment_submission a
          join enrolment e on e.id = a.enrolment_id
          left join stored_object o on o.key = a.file_key
          group by e.participant_id order by n desc limit 1`,
    );
    const owner = owners[0]!;
    expect(owner.n).toBeGreaterThan(0);
    const before = await count(sql`select count(*)::int as n from stored_object`);
    await w.t.db.transaction((tx) => anonymiseParticipants(tx, [owner.pid], new Date()));
    const left = await count(
      sql`select count(*)::int as n from stored_object o
          join assessment_submission a on a.file_key = o.key
          join enrolment e on e.id = a.enrolment_id
          where e.participant_id = ${owner.pid}`,
    );
    expect(left).toBe(0);
    expect(await count(sql`select count(*)::int as n from stored_object`)).toBe(before - owner.n);
    const text = await count(
      sql`select count(*)::int as n from assessment_submission a join enrolment e on e.id = a.enrolment_id
          where e.participant_id = ${owner.pid}
            and (a.file_name is not null or a.feedback is not null or a.first_feedback is not null or a.second_feedback is not null)`,
    );
    expect(text).toBe(0);
  });
});
