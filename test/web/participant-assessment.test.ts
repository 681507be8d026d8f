import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { createDemoWorld, pageText, type DemoWorld, type Session } from '../support/demo-world.js';
import { multipartBody } from '../support/multipart.js';
import { formFields } from '../support/forms.js';

const signIn = (w: DemoWorld, email: string) => w.requester(email);

const text = pageText;

const uploadPdf = (session: Session) => {
  const body = multipartBody(
    { _csrf: session.csrf },
    {
      field: 'file',
      name: 'essay.pdf',
      type: 'application/pdf',
      content: Buffer.from('%PDF-1.7\n%%EOF\n'),
    },
  );
  return session.request({
    method: 'POST',
    url: '/assessment/upload',
    payload: body.payload,
    headers: body.headers,
  });
};

describe('before the window (the demo today)', () => {
  let world: DemoWorld;
  beforeAll(async () => {
    world = await createDemoWorld();
  });
  afterAll(async () => {
    await world?.destroy();
  });

  it('shows the window, attempts left and eligibility with reasons', async () => {
    const request = await signIn(world, 'participant1@demo.npq-ops.test');
    const res = await request({ method: 'GET', url: '/assessment' });
    expect(res.statusCode).toBe(200);
    const body = text(res.body);
    expect(body).toContain('Your assessment window 22 September 2026 to 29 September 2026');
    expect(body).toContain('Not open yet');
    expect(body).toContain('Attempts left 2 of 2');
    // Months before the 90% deadline eligibility is not decided yet, not "Not allowed".
    expect(body).toContain('Can you sit the assessment? Not decided yet');
    expect(body).not.toContain('Can you sit the assessment? Not allowed');
    expect(res.body).toContain('href="/policy#clause-2-1-1"');
    expect(res.body).toContain('href="/policy#clause-2-5-1"');
    expect(res.body).not.toContain('action="/assessment/upload"');
  });

  it('refuses a submission outside the window, with the reason', async () => {
    const session = await world.signIn('participant1@demo.npq-ops.test');
    const res = await uploadPdf(session);
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('govuk-error-summary');
    expect(text(res.body)).toMatch(/\(Policy 2\.(1\.1|2\.1\.5)\)/);
    const [row] = await queryRows<{ n: number }>(
      world.t.db,
      sql`select count(*)::int as n from assessment_submission s join enrolment e on e.id = s.enrolment_id
          join participant p on p.id = e.participant_id where p.email = 'participant1@demo.npq-ops.test'`,
    );
    expect(row?.n).toBe(0);
  });

  it('refuses an assessment deferral before the window, and validates the form', async () => {
    const request = await signIn(world, 'participant1@demo.npq-ops.test');
    const page = await request({ method: 'GET', url: '/assessment/deferral' });
    expect(page.statusCode).toBe(200);
    // Not allowed now: the reason, not a form.
    expect(page.body).not.toContain('action="/assessment/deferral"');
    const empty = await request({ method: 'POST', url: '/assessment/deferral', payload: {} });
    expect(empty.statusCode).toBe(422);
    expect(text(empty.body)).toContain('Select what has happened');
    const early = await request({
      method: 'POST',
      url: '/assessment/deferral',
      payload: { circumstance: 'bereavement', description: 'A death in the family' },
    });
    expect(early.statusCode).toBe(422);
    expect(text(early.body)).toContain('An assessment deferral is for during or after the window');
    expect(early.body).toContain('href="/policy#clause-2-5-2"');
    expect(early.body).not.toContain('Check your answers');
  });
});

describe('during the window', () => {
  let world: DemoWorld;
  beforeAll(async () => {
    // NPQLT's first window opens on 2 June 2026.
    world = await createDemoWorld({ now: new Date('2026-06-03T09:00:00Z') });
  });
  afterAll(async () => {
    await world?.destroy();
  });

  it('asks for an assessment deferral, then submits inside the window', async () => {
    const email = 'participant5@demo.npq-ops.test';
    const request = await signIn(world, email);
    const page = await request({ method: 'GET', url: '/assessment' });
    expect(text(page.body)).toContain('Open now');
    expect(page.body).toContain('action="/assessment/upload"');

    const form = await request({ method: 'GET', url: '/assessment/deferral' });
    expect(form.body).toContain('action="/assessment/deferral"');
    const check = await request({
      method: 'POST',
      url: '/assessment/deferral',
      payload: {
        ...formFields(form.body, '/assessment/deferral'),
        circumstance: 'unforeseen_illness_or_health',
        description: 'In hospital this week',
      },
    });
    expect(check.statusCode).toBe(200);
    expect(text(check.body)).toContain('Check your answers before sending your request');
    expect(text(check.body)).toContain('In hospital this week');
    const fields = formFields(check.body, '/assessment/deferral/send');
    // A double click sends one request.
    const [deferral, twice] = await Promise.all([
      request({ method: 'POST', url: '/assessment/deferral/send', payload: fields }),
      request({ method: 'POST', url: '/assessment/deferral/send', payload: fields }),
    ]);
    expect(deferral.statusCode).toBe(303);
    expect(twice.headers.location).toBe(deferral.headers.location);
    const [cases] = await queryRows<{ n: number }>(
      world.t.db,
      sql`select count(*)::int as n from assessment_deferral_case`,
    );
    expect(cases?.n).toBe(1);
    const confirmation = await request({
      method: 'GET',
      url: deferral.headers.location as string,
    });
    expect(confirmation.body).toContain('govuk-panel--confirmation');
    expect(text(confirmation.body)).toMatch(/Your reference AD-\d+/);
    expect(text(confirmation.body)).toContain('What happens next');
    const changes = text((await request({ method: 'GET', url: '/changes' })).body);
    expect(changes).toMatch(/AD-\d+: Requested/);
    // While it is considered, the form is not offered again.
    const open = await request({ method: 'GET', url: '/assessment/deferral' });
    expect(open.body).not.toContain('action="/assessment/deferral"');
    expect(text(open.body)).toContain('You have already asked');

    const session = await world.signIn(email);
    const submitted = await uploadPdf(session);
    expect(submitted.statusCode).toBe(303);
    const done = text((await request({ method: 'GET', url: '/assessment/submitted' })).body);
    expect(done).toMatch(/Assessment submitted Your reference ASM-\d+/);
    expect(done).toContain('for attempt 1 of 2');
    const after = text((await request({ method: 'GET', url: '/assessment' })).body);
    expect(after).toContain('Attempts left 1 of 2');
    // Uploading again replaces the file: still one submission, one attempt.
    const again = await uploadPdf(session);
    expect(again.statusCode).toBe(303);
    const [row] = await queryRows<{ n: number }>(
      world.t.db,
      sql`select count(*)::int as n from assessment_submission s join enrolment e on e.id = s.enrolment_id
          join participant p on p.id = e.participant_id where p.email = ${email}`,
    );
    expect(row?.n).toBe(1);
  });
});
