import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { SYSTEM } from '../../src/services/actor.js';
import { importSchools } from '../../src/services/schools-import.js';
import { createDemoWorld, pageText, type DemoWorld, type Session } from '../support/demo-world.js';

/** The contact details participants see wherever they are told to contact someone (2.3.4, 2.5.1, 2.6.3). */
let w: DemoWorld;
let north: Session;
let national: Session;

beforeAll(async () => {
  w = await createDemoWorld();
  await w.t.db.execute(
    sql`update delivery_partner set contact_email = 'npq@northstar.example', contact_phone = '0191 496 0000',
          opening_hours = 'Monday to Thursday, 8am to 4pm' where slug = 'north'`,
  );
  await w.t.db.execute(
    sql`update lead_provider set contact_email = 'programmes@ambition.example', opening_hours = 'Weekdays, 9am to 5pm', contact_phone = null`,
  );
  [north, national] = await Promise.all([
    w.signIn('participant2@demo.npq-ops.test'),
    w.signIn('participant5@demo.npq-ops.test'),
  ]);
});
afterAll(async () => {
  await w.destroy();
});

const contactBlock = (html: string) =>
  pageText(
    /data-testid="contact-details">([\s\S]*?)<\/div>\s*<\/div>|data-testid="contact-details">([\s\S]*?)<\/dl>/.exec(
      html,
    )?.[0] ?? '',
  );

describe('contact details on participant pages', () => {
  it.each([
    '/changes',
    '/changes/deferral',
    '/changes/school-move',
    '/assessment',
    '/assessment/deferral',
  ])('%s shows the delivery partner’s email, telephone and opening hours', async (url) => {
    const res = await north.request({ method: 'GET', url });
    expect(res.statusCode).toBe(200);
    const block = contactBlock(res.body);
    expect(block).toContain('your Delivery Partner, North Star Teaching School Hub');
    expect(block).toContain('npq@northstar.example');
    expect(block).toContain('0191 496 0000');
    expect(block).toContain('Monday to Thursday, 8am to 4pm');
    expect(res.body).toContain('href="mailto:npq@northstar.example"');
  });

  it('shows the lead provider’s details to a participant on a national cohort, leaving out what is not set', async () => {
    const res = await national.request({ method: 'GET', url: '/changes/deferral' });
    const block = contactBlock(res.body);
    expect(block).toContain('Programmes Team (you are on a national cohort)');
    expect(block).toContain('programmes@ambition.example');
    expect(block).toContain('Weekdays, 9am to 5pm');
    expect(block).not.toContain('Telephone');
  });
});

describe('school search when telling us about a move', () => {
  it('does not offer closed schools, and marks one proposed to close', async () => {
    await importSchools(
      { db: w.t.db, clock: w.clock },
      SYSTEM,
      Readable.from([await readFile(new URL('../fixtures/gias-sample.csv', import.meta.url))]),
      { fileName: 'gias-sample.csv' },
    );
    const closed = pageText(
      (await north.request({ method: 'GET', url: '/changes/school-move?school=Old+Mill' })).body,
    );
    expect(closed).toContain('No school matches "Old Mill"');
    const quay = await north.request({
      method: 'GET',
      url: '/changes/school-move?school=Quayside',
    });
    expect(quay.body).toContain('href="/changes/school-move?urn=112222#newSchoolUrn"');
    const stPauls = pageText(
      (await north.request({ method: 'GET', url: '/changes/school-move?school=Cathedral' })).body,
    );
    expect(stPauls).toContain('(Open, but proposed to close)');
  });
});
