import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { createDemoWorld, pageText, type DemoWorld, type Session } from '../support/demo-world.js';

let w: DemoWorld;
let north: Session;
let south: Session;
let p2: Session;
let enrolmentId: number;
let participantId: number;

beforeAll(async () => {
  w = await createDemoWorld();
  [north, south, p2] = await Promise.all([
    w.signIn('partner.north@demo.npq-ops.test'),
    w.signIn('partner.south@demo.npq-ops.test'),
    w.signIn('participant2@demo.npq-ops.test'),
  ]);
  const [row] = await queryRows<{ id: number; participant_id: number }>(
    w.t.db,
    sql`select e.id, e.participant_id from enrolment e join participant p on p.id = e.participant_id
        where p.email = 'participant2@demo.npq-ops.test' order by e.id limit 1`,
  );
  enrolmentId = row!.id;
  participantId = row!.participant_id;
});
afterAll(async () => {
  await w.destroy();
});

async function backToAccepted(confirmed: boolean) {
  await w.t.db.execute(
    sql`update enrolment set status = 'accepted', commenced_at = null where id = ${enrolmentId}`,
  );
  await w.t.db.execute(sql`update participant set dfe_registration_confirmed = ${confirmed},
      employment_confirmed = ${confirmed} where id = ${participantId}`);
}

async function status(): Promise<string> {
  const [row] = await queryRows<{ status: string }>(
    w.t.db,
    sql`select status from enrolment where id = ${enrolmentId}`,
  );
  return row!.status;
}

async function version(): Promise<string> {
  const [row] = await queryRows<{ version: number }>(
    w.t.db,
    sql`select version from participant where id = ${participantId}`,
  );
  return String(row!.version);
}

const recordUrl = () => `/participants/${participantId}`;
const changeUrl = (field: string) => `/participants/${participantId}/change/${field}`;

describe('the participant record: start of programme and changes', () => {
  it('shows the start of programme with Change links and a Record commencement action while accepted', async () => {
    await backToAccepted(false);
    const res = await north.request({ method: 'GET', url: recordUrl() });
    expect(res.statusCode).toBe(200);
    const text = pageText(res.body);
    expect(text).toContain('Start of programme');
    expect(text).toMatch(
      /Registered with the DfE No Change whether they are registered with the DfE/,
    );
    expect(text).toMatch(/Employment confirmed No Change/);
    expect(text).toContain('Commenced on Not yet');
    expect(res.body).toContain(`href="${changeUrl('email')}"`);
    expect(res.body).toContain(`/participants/${participantId}/enrolments/${enrolmentId}/commence`);
  });

  it('records the second confirmation after engagement and the enrolment becomes active', async () => {
    await backToAccepted(false);
    await w.t.db.execute(
      sql`update participant set employment_confirmed = true where id = ${participantId}`,
    );
    // participant2 has engaged already in the demo.
    const form = await north.request({ method: 'GET', url: changeUrl('dfe-registration') });
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('name="expectedVersion"');
    const res = await north.request({
      method: 'POST',
      url: changeUrl('dfe-registration'),
      payload: { dfeRegistrationConfirmed: 'yes', expectedVersion: await version() },
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toContain('updated=started');
    expect(await status()).toBe('active');
    const page = await north.request({ method: 'GET', url: String(res.headers.location) });
    expect(pageText(page.body)).toContain('the enrolment is now active');
    expect(pageText(page.body)).not.toContain('Not yet');
  });

  it('shows field errors in an error summary, and a conflict for a stale version', async () => {
    const taken = await north.request({
      method: 'POST',
      url: changeUrl('email'),
      payload: { email: 'PARTICIPANT1@demo.npq-ops.test', expectedVersion: await version() },
    });
    expect(taken.statusCode).toBe(422);
    expect(taken.body).toContain('govuk-error-summary');
    expect(taken.body).toContain('href="#email"');
    expect(pageText(taken.body)).toContain('This email address belongs to another participant');

    const fraction = await north.request({
      method: 'POST',
      url: changeUrl('working-pattern'),
      payload: {
        workingPattern: 'part_time',
        partTimeFraction: '1.5',
        expectedVersion: await version(),
      },
    });
    expect(fraction.statusCode).toBe(422);
    expect(fraction.body).toContain('href="#partTimeFraction"');

    const stale = await north.request({
      method: 'POST',
      url: changeUrl('name'),
      payload: { fullName: 'Someone Else', expectedVersion: '1' },
    });
    expect(stale.statusCode).toBe(409);
    expect(pageText(stale.body)).toContain('changed by someone else');
  });

  it('changes the email and shows a success banner', async () => {
    const res = await north.request({
      method: 'POST',
      url: changeUrl('working-pattern'),
      payload: {
        workingPattern: 'part_time',
        partTimeFraction: '0.5',
        expectedVersion: await version(),
      },
    });
    expect(res.statusCode).toBe(303);
    const page = await north.request({ method: 'GET', url: String(res.headers.location) });
    expect(page.body).toContain('govuk-notification-banner--success');
    expect(pageText(page.body)).toContain('Working pattern changed');
    expect(pageText(page.body)).toContain('Part time (50%)');
  });

  it('records the commencement with a note', async () => {
    await backToAccepted(false);
    const url = `/participants/${participantId}/enrolments/${enrolmentId}/commence`;
    const form = await north.request({ method: 'GET', url });
    expect(form.statusCode).toBe(200);
    const expectedVersion = /name="expectedVersion" value="(\d+)"/.exec(form.body)![1]!;
    const res = await north.request({
      method: 'POST',
      url,
      payload: { note: 'Came to the induction', expectedVersion },
    });
    expect(res.statusCode).toBe(303);
    expect(await status()).toBe('active');
    const again = await north.request({ method: 'GET', url });
    expect(pageText(again.body)).toContain('only an accepted enrolment can be recorded as started');
  });

  it("hides the change pages from another partner's staff and from participants", async () => {
    expect((await south.request({ method: 'GET', url: changeUrl('name') })).statusCode).toBe(404);
    const post = await south.request({
      method: 'POST',
      url: changeUrl('name'),
      payload: { fullName: 'Not Allowed', expectedVersion: await version() },
    });
    expect(post.statusCode).toBe(404);
    expect((await p2.request({ method: 'GET', url: changeUrl('name') })).statusCode).toBe(404);
    expect((await north.request({ method: 'GET', url: changeUrl('nonsense') })).statusCode).toBe(
      404,
    );
  });
});
