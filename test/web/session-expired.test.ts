import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { queryRows } from '../../src/db/client.js';
import { DEMO_PASSWORD } from '../../src/db/seed/demo.js';
import { decodeKeptForm, encodeKeptForm, keepForm } from '../../src/web/kept-form.js';
import { createDemoWorld, pageText, type DemoWorld } from '../support/demo-world.js';
import { formFields } from '../support/forms.js';

/**
 * A form sent after the session ended: "You have been signed out", sign in again, and what was
 * typed comes back to be sent, with a fresh CSRF token. Nothing is kept on the server.
 */
let w: DemoWorld;
beforeAll(async () => {
  w = await createDemoWorld({ participants: 10 });
});
afterAll(async () => {
  await w?.destroy();
});

/** As a browser sends a form: URL-encoded, repeated fields repeated. */
function asForm(fields: Record<string, string | string[] | undefined>) {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value])
      body.append(name, v);
  }
  return {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: body.toString(),
  };
}

const cookiesOf = (res: LightMyRequestResponse) =>
  Object.fromEntries(res.cookies.map((c) => [c.name, c.value]));

/** Signs in through the page, opens the Organisation form, then ends the session on the server. */
async function adminWithEndedSession() {
  const admin = await w.signIn('admin@demo.npq-ops.test');
  const page = await admin.request({ method: 'GET', url: '/admin/organisation' });
  const fields = formFields(page.body, '/admin/organisation');
  const staleCookies = { ...admin.cookies };
  // Signed out on another tab: the server-side session ends, this tab's page still has its form.
  await w.t.db.execute(
    sql`update user_session set revoked_at = now() where user_id = (select id from app_user where email = 'admin@demo.npq-ops.test')`,
  );
  return { fields, staleCookies };
}

async function openingHours(): Promise<string | null> {
  const [row] = await queryRows<{ opening_hours: string | null }>(
    w.t.db,
    sql`select opening_hours from lead_provider`,
  );
  return row!.opening_hours;
}

describe('a form sent after the session ended', () => {
  it('shows "You have been signed out", keeps what was typed, and sends it after signing in again', async () => {
    const { fields, staleCookies } = await adminWithEndedSession();
    const typed = 'Monday to Thursday, 8am to 6pm (kept across sign-in)';
    const sent = await w.app.inject({
      method: 'POST',
      url: '/admin/organisation',
      cookies: staleCookies,
      ...asForm({ ...fields, openingHours: typed }),
    });
    expect(sent.statusCode).toBe(401);
    expect(pageText(sent.body)).toContain('You have been signed out');
    expect(pageText(sent.body)).toContain('We have kept what you typed');
    expect(await openingHours()).not.toBe(typed); // nothing was saved

    // Sign in again from that page: a wrong password first, which must not lose the form.
    const signInFields = formFields(sent.body, '/sign-in');
    expect(signInFields.next).toBeUndefined(); // the kept form says where it goes
    const kept = decodeKeptForm(signInFields.kept);
    expect(kept?.action).toBe('/admin/organisation');
    expect(kept?.fields).toContainEqual(['openingHours', typed]);
    expect(kept?.fields.map(([name]) => name)).not.toContain('_csrf');
    const wrong = await w.app.inject({
      method: 'POST',
      url: '/sign-in',
      cookies: cookiesOf(sent),
      ...asForm({ ...signInFields, email: 'admin@demo.npq-ops.test', password: 'not it' }),
    });
    expect(wrong.statusCode).toBe(401);
    const retry = formFields(wrong.body, '/sign-in');
    expect(retry.kept).toBe(signInFields.kept);

    const signedIn = await w.app.inject({
      method: 'POST',
      url: '/sign-in',
      cookies: { ...cookiesOf(sent), ...cookiesOf(wrong) },
      ...asForm({ ...retry, email: 'admin@demo.npq-ops.test', password: DEMO_PASSWORD }),
    });
    expect(signedIn.statusCode).toBe(200);
    expect(pageText(signedIn.body)).toContain('Send your form');
    expect(pageText(signedIn.body)).toContain('You are signed in as');
    const resume = formFields(signedIn.body, '/admin/organisation');
    expect(resume.openingHours).toBe(typed);
    expect(resume._csrf).toBeTruthy();
    expect(resume._csrf).not.toBe(fields._csrf);
    expect(signedIn.headers['cache-control']).toBe('no-store');

    const saved = await w.app.inject({
      method: 'POST',
      url: '/admin/organisation',
      cookies: cookiesOf(signedIn),
      ...asForm(resume),
    });
    expect(saved.statusCode).toBe(303);
    expect(await openingHours()).toBe(typed);
  });

  it('is bound to the person who typed it: another account signing in gets it discarded, never sent', async () => {
    const { fields, staleCookies } = await adminWithEndedSession();
    const typed = 'Typed by the admin, never to be sent as anyone else';
    const sent = await w.app.inject({
      method: 'POST',
      url: '/admin/organisation',
      cookies: staleCookies,
      ...asForm({ ...fields, openingHours: typed }),
    });
    expect(sent.statusCode).toBe(401);
    const signInFields = formFields(sent.body, '/sign-in');
    const [admin] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select id from app_user where email = 'admin@demo.npq-ops.test'`,
    );
    expect(decodeKeptForm(signInFields.kept)?.owner).toBe(admin!.id);

    // The programme team may change the organisation too: the form would succeed if sent as them.
    const other = await w.app.inject({
      method: 'POST',
      url: '/sign-in',
      cookies: cookiesOf(sent),
      ...asForm({
        ...signInFields,
        email: 'programme.team@demo.npq-ops.test',
        password: DEMO_PASSWORD,
      }),
    });
    expect(other.statusCode).toBe(200);
    const text = pageText(other.body);
    expect(text).toContain('The form was not sent');
    expect(text).toContain('typed by someone else');
    expect(other.body).not.toContain('data-testid="resume-form"');
    expect(other.body).not.toContain(typed);
    expect(await openingHours()).not.toBe(typed);

    // The admin signing in with the same kept form gets it back to send.
    const again = await w.app.inject({ method: 'GET', url: '/sign-in' });
    const own = await w.app.inject({
      method: 'POST',
      url: '/sign-in',
      cookies: cookiesOf(again),
      ...asForm({
        ...formFields(again.body, '/sign-in'),
        kept: signInFields.kept,
        email: 'admin@demo.npq-ops.test',
        password: DEMO_PASSWORD,
      }),
    });
    expect(own.statusCode).toBe(200);
    expect(formFields(own.body, '/admin/organisation').openingHours).toBe(typed);
    expect(pageText(own.body)).not.toContain('we could not tell who did');
  });

  it('returns to the form with the values when what was kept needs correcting', async () => {
    const { fields, staleCookies } = await adminWithEndedSession();
    const sent = await w.app.inject({
      method: 'POST',
      url: '/admin/organisation',
      cookies: staleCookies,
      ...asForm({ ...fields, contactEmail: 'not an email', openingHours: 'Weekdays 9 to 5' }),
    });
    const signedIn = await w.app.inject({
      method: 'POST',
      url: '/sign-in',
      cookies: cookiesOf(sent),
      payload: {
        ...formFields(sent.body, '/sign-in'),
        email: 'admin@demo.npq-ops.test',
        password: DEMO_PASSWORD,
      },
    });
    const back = await w.app.inject({
      method: 'POST',
      url: '/admin/organisation',
      cookies: cookiesOf(signedIn),
      ...asForm(formFields(signedIn.body, '/admin/organisation')),
    });
    expect(back.statusCode).toBe(422);
    expect(back.body).toContain('govuk-error-summary');
    const again = formFields(back.body, '/admin/organisation');
    expect(again.contactEmail).toBe('not an email');
    expect(again.openingHours).toBe('Weekdays 9 to 5');
  });

  it('works when the cookie itself is gone, and says a chosen file cannot be kept', async () => {
    const noCookie = await w.app.inject({
      method: 'POST',
      url: '/changes/school-move',
      ...asForm({ schoolUrn: '100000', movedOn: '2026-01-05' }),
    });
    expect(noCookie.statusCode).toBe(401);
    // Nobody's session: whoever signs in is asked to send it only if they typed it.
    expect(decodeKeptForm(formFields(noCookie.body, '/sign-in').kept)?.owner).toBeNull();
    expect(decodeKeptForm(formFields(noCookie.body, '/sign-in').kept)?.fields).toEqual([
      ['schoolUrn', '100000'],
      ['movedOn', '2026-01-05'],
    ]);
    const upload = await w.app.inject({
      method: 'POST',
      url: '/imports/participants',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      payload:
        '--x\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\ntrn\r\n--x--\r\n',
    });
    expect(upload.statusCode).toBe(401);
    expect(pageText(upload.body)).toContain('We could not keep the file you chose');
    expect(upload.body).not.toContain('name="kept"');
    expect(formFields(upload.body, '/sign-in').next).toBe('/imports/participants');
  });

  it('signs in normally, ignoring a kept form that points anywhere but this site', async () => {
    const page = await w.app.inject({ method: 'GET', url: '/sign-in' });
    const forged = Buffer.from(
      JSON.stringify({ action: '//evil.example/steal', fields: [['a', 'b']] }),
    ).toString('base64url');
    const res = await w.app.inject({
      method: 'POST',
      url: '/sign-in',
      cookies: cookiesOf(page),
      payload: {
        ...formFields(page.body, '/sign-in'),
        email: 'admin@demo.npq-ops.test',
        password: DEMO_PASSWORD,
        kept: forged,
      },
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/');
  });

  it('answers sign-out without a session by going to sign in', async () => {
    const res = await w.app.inject({ method: 'POST', url: '/sign-out', payload: {} });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/sign-in');
  });

  it('keeps the API, the sign-in forms and xAPI as they were', async () => {
    const api = await w.app.inject({ method: 'POST', url: '/api/v1/assignments', payload: {} });
    expect(api.statusCode).not.toBe(200);
    expect(api.body).not.toContain('You have been signed out');
    const forgotten = await w.app.inject({
      method: 'POST',
      url: '/forgotten-password',
      payload: { email: 'a@b.test' },
    });
    expect(forgotten.body).not.toContain('You have been signed out');
  });
});

describe('kept forms', () => {
  it('drop the stale CSRF token, keep repeated fields, and refuse what is too large or malformed', () => {
    const kept = keepForm('/cohorts/new', { _csrf: 'old', a: ['1', '2'], b: 'x' });
    expect(kept).toEqual({
      action: '/cohorts/new',
      fields: [
        ['a', '1'],
        ['a', '2'],
        ['b', 'x'],
      ],
      owner: null,
    });
    expect(decodeKeptForm(encodeKeptForm(kept!))).toEqual(kept);
    const owned = keepForm('/cohorts/new', { b: 'x' }, 42);
    expect(decodeKeptForm(encodeKeptForm(owned!))?.owner).toBe(42);
    expect(
      decodeKeptForm(
        Buffer.from(JSON.stringify({ action: '/x', fields: [], owner: 'someone' })).toString(
          'base64url',
        ),
      ),
    ).toBeNull();
    expect(keepForm('/x', { big: 'y'.repeat(70_000) })).toBeNull();
    expect(keepForm('https://evil.example/', { a: 'b' })).toBeNull();
    expect(decodeKeptForm('not base64 json')).toBeNull();
    expect(
      decodeKeptForm(
        Buffer.from(JSON.stringify({ action: '/x', fields: [['_csrf', 't']] })).toString(
          'base64url',
        ),
      ),
    ).toBeNull();
  });
});

describe('signed-in pages', () => {
  it('are sent with Cache-Control: no-store, so Back after sign-out shows nothing', async () => {
    const me = await w.signIn('participant1@demo.npq-ops.test');
    for (const url of ['/my-programme', '/changes', '/contact', '/policy']) {
      const res = await me.request({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['cache-control'], url).toBe('no-store');
    }
  });
});
