import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { createDemoWorld, pageText, type DemoWorld, type Session } from '../support/demo-world.js';
import { rowCounts } from '../support/row-counts.js';

const SAMPLE = new URL('../fixtures/gias-sample.csv', import.meta.url);
let w: DemoWorld;
let team: Session;
let admin: Session;
let partner: Session;

beforeAll(async () => {
  w = await createDemoWorld();
  [team, admin, partner] = await Promise.all([
    w.signIn('programme.team@demo.npq-ops.test'),
    w.signIn('admin@demo.npq-ops.test'),
    w.signIn('partner.north@demo.npq-ops.test'),
  ]);
});
afterAll(async () => {
  await w.destroy();
});

const get = (s: Session, url: string) => s.request({ method: 'GET', url });
const post = (s: Session, url: string, payload: Record<string, string>) =>
  s.request({ method: 'POST', url, payload });
const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

/** The upload as a browser sends it: the CSRF field first, then the file, as multipart/form-data. */
async function upload(s: Session, file: Buffer, fileName = 'edubasealldata.csv', csrf?: string) {
  const token = csrf ?? csrfOf((await get(s, '/admin/schools')).body);
  const boundary = '----npqops' + Date.now();
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: text/csv\r\n\r\n`,
    ),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return w.app.inject({
    method: 'POST',
    url: '/admin/schools',
    cookies: s.cookies,
    payload: body,
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  });
}

describe('organisation pages', () => {
  it('are in the navigation for admins and the programme team only, and hidden from others', async () => {
    const hub = await get(team, '/');
    expect(hub.body).toContain('href="/admin"');
    const admin = await get(team, '/admin');
    expect(admin.statusCode).toBe(200);
    for (const page of ['/admin/organisation', '/admin/delivery-partners', '/admin/schools'])
      expect(admin.body).toContain(`href="${page}"`);
    const home = await get(team, '/admin/organisation');
    expect(home.statusCode).toBe(200);
    expect(pageText(home.body)).toContain('Ambition Institute');
    const partnerHome = await get(partner, '/');
    expect(partnerHome.body).not.toContain('href="/admin"');
    expect((await get(partner, '/admin')).statusCode).toBe(404);
    expect((await get(partner, '/admin/organisation')).statusCode).toBe(404);
    expect((await get(partner, '/admin/schools')).statusCode).toBe(404);
  });

  it('edits the lead provider, with field errors and a version check', async () => {
    const bad = await post(team, '/admin/organisation', {
      name: 'Ambition Institute',
      contractEndDate: '2028-02-30',
      contactPhone: 'call us',
      expectedVersion: '1',
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('govuk-error-summary');
    expect(bad.body).toContain('href="#contractEndDate"');
    expect(bad.body).toContain('href="#contactPhone"');
    const saved = await post(team, '/admin/organisation', {
      name: 'Ambition Institute',
      contractEndDate: '2028-08-31',
      contactEmail: 'programmes@ambition.example',
      openingHours: 'Monday to Friday, 9am to 5pm',
      expectedVersion: '1',
    });
    expect(saved.statusCode).toBe(303);
    const page = pageText((await get(team, saved.headers.location as string)).body);
    expect(page).toContain('Lead provider details saved');
    expect(page).toContain('31 August 2028');
    const stale = await post(team, '/admin/organisation', { name: 'Old', expectedVersion: '1' });
    expect(stale.statusCode).toBe(409);
  });

  it('adds a delivery partner, refuses a duplicate slug, and gives it areas', async () => {
    const dup = await post(team, '/admin/delivery-partners', {
      name: 'North again',
      slug: 'north',
    });
    expect(dup.statusCode).toBe(422);
    expect(pageText(dup.body)).toContain('already used');
    const created = await post(team, '/admin/delivery-partners', {
      name: 'Fens Teaching School Hub',
      slug: 'fens',
      contactEmail: 'hello@fens.example',
    });
    expect(created.statusCode).toBe(303);
    const location = created.headers.location as string;
    const url = location.split('?')[0]!;
    const detail = await get(team, location);
    expect(pageText(detail.body)).toContain('Delivery partner added');
    expect(detail.body).toContain('data-testid="no-areas"');
    const bad = await post(team, `${url}/areas`, { code: '8', laName: '' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('href="#code"');
    expect(bad.body).toContain('href="#laName"');
    const added = await post(team, `${url}/areas`, { code: '873', laName: 'Cambridgeshire' });
    expect(added.statusCode).toBe(303);
    const withArea = pageText((await get(team, added.headers.location as string)).body);
    expect(withArea).toContain('Area added');
    expect(withArea).toContain('Cambridgeshire');
    const [la] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select id from local_authority where code = '873'`,
    );
    const removed = await post(team, `${url}/areas/${la!.id}/remove`, {});
    expect(removed.statusCode).toBe(303);
    expect((await get(team, url)).body).toContain('data-testid="no-areas"');
    const list = pageText((await get(team, '/admin/delivery-partners')).body);
    expect(list).toContain('Fens Teaching School Hub');
    expect(list).toContain('National arm');
  });
});

describe('the schools page', () => {
  it('states the upload limit before anyone chooses a file', async () => {
    const res = await get(admin, '/admin/schools');
    expect(res.statusCode).toBe(200);
    expect(pageText(res.body)).toContain('The file must be a CSV of 200 MB or less');
    expect(res.body).toContain('enctype="multipart/form-data"');
  });

  it('streams an upload into the import and shows its report with the bad rows', async () => {
    const res = await upload(team, await readFile(SAMPLE));
    expect(res.statusCode).toBe(303);
    const report = await get(team, res.headers.location as string);
    const text = pageText(report.body);
    expect(text).toContain('Schools imported, with problems');
    expect(text).toMatch(/Schools added 7/);
    expect(text).toMatch(/7 URN URN must be 6 or 7 digits/);
    expect(text).toContain('EstablishmentName');
    const overview = pageText((await get(team, '/admin/schools')).body);
    // The demo's own schools (no local authority) plus the sample's seven, one of them closed.
    expect(overview).toMatch(/Schools \d+ Open \d+ Closed 1 Local authorities [56]/);
    expect(overview).toContain('edubasealldata.csv');
  });

  it('refuses an upload without the CSRF token, and says when no file was chosen', async () => {
    const before = await rowCounts(w.t.db);
    const forged = await upload(team, await readFile(SAMPLE), 'x.csv', 'not-the-token');
    expect(forged.statusCode).toBe(403);
    // Refused before the upload is read: no import, no schools, no audit entry.
    expect(await rowCounts(w.t.db)).toEqual(before);
    const empty = await upload(team, Buffer.alloc(0), '');
    expect(empty.statusCode).toBe(422);
    expect(pageText(empty.body)).toContain('Choose the GIAS establishment CSV file');
  });

  it('answers a too-large file with a page stating the limit', async () => {
    const token = csrfOf((await get(team, '/admin/schools')).body);
    const res = await w.app.inject({
      method: 'POST',
      url: '/admin/schools',
      cookies: team.cookies,
      payload: `--b\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\nURN\r\n--b--\r\n`,
      headers: {
        'content-type': 'multipart/form-data; boundary=b',
        'content-length': String(250 * 1024 * 1024),
      },
    });
    expect(res.statusCode).toBe(413);
    expect(pageText(res.body)).toContain('larger than 200 MB');
  });
});
