import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { recordSchoolMove } from '../../src/services/school-moves.js';
import { createDemoWorld, pageText, type DemoWorld } from '../support/demo-world.js';
import { formFields } from '../support/forms.js';

/**
 * A transfer to another lead provider (2.6.4), the participant's side: after a move outside our
 * network they say which lead provider and whether we may share their record: question → check
 * your answers → sent once → the transfer's page with its reference; once answered, no form.
 */
let w: DemoWorld;
let transferId: number;
const OWNER = 'participant1@demo.npq-ops.test';
const OTHER = 'participant2@demo.npq-ops.test';

beforeAll(async () => {
  w = await createDemoWorld({ participants: 10 });
  const [who] = await queryRows<{ enrolment_id: number }>(
    w.t.db,
    sql`select e.id as enrolment_id from enrolment e join participant p on p.id = e.participant_id
        where p.email = ${OWNER} and e.status in ('accepted', 'active') order by e.id limit 1`,
  );
  // A school in the region the lead provider does not serve: the move opens a transfer.
  const [outside] = await queryRows<{ urn: string }>(
    w.t.db,
    sql`select s.urn from school s
        where not exists (select 1 from lead_provider_region l where l.region_id = s.region_id)
        order by s.id limit 1`,
  );
  const move = await recordSchoolMove({ db: w.t.db, clock: w.clock }, await w.actor(OWNER), {
    enrolmentId: who!.enrolment_id,
    newSchoolUrn: outside!.urn,
    movedOn: '2026-03-02',
  });
  expect(move.transfer).not.toBeNull();
  transferId = move.transfer!.id;
});
afterAll(async () => {
  await w?.destroy();
});

const page = () => `/changes/transfer/${transferId}`;

async function transferRow() {
  const [row] = await queryRows<{
    receiving_lead_provider: string | null;
    data_sharing_consent: boolean | null;
  }>(
    w.t.db,
    sql`select receiving_lead_provider, data_sharing_consent from transfer_case where id = ${transferId}`,
  );
  return row!;
}

describe('the transfer page × roles', () => {
  it('is the participant’s own: sign-in for nobody, 403 for staff, not found for another participant', async () => {
    expect((await w.app.inject({ method: 'GET', url: page() })).statusCode).toBe(302);
    for (const email of [
      'admin@demo.npq-ops.test',
      'programme.team@demo.npq-ops.test',
      'partner.north@demo.npq-ops.test',
      'coach@demo.npq-ops.test',
      'assessor@demo.npq-ops.test',
    ]) {
      const request = await w.requester(email);
      expect((await request({ method: 'GET', url: page() })).statusCode, email).toBe(403);
    }
    const other = await w.requester(OTHER);
    expect((await other({ method: 'GET', url: page() })).statusCode).toBe(404);
    expect((await other({ method: 'GET', url: '/changes/transfer/999999' })).statusCode).toBe(404);
    const owner = await w.requester(OWNER);
    expect((await owner({ method: 'GET', url: page() })).statusCode).toBe(200);
  });
});

describe('telling us where you are moving', () => {
  it('asks, checks the answers, sends once, confirms with a reference, then shows no form', async () => {
    const request = await w.requester(OWNER);
    const changes = await request({ method: 'GET', url: '/changes' });
    expect(changes.body).toMatch(
      new RegExp(
        `href="/changes/transfer/${transferId}"[^>]*>Tell us which lead provider you are moving to`,
      ),
    );

    const form = await request({ method: 'GET', url: page() });
    expect(form.body).toContain(`action="/changes/transfer/${transferId}"`);
    expect(form.body).toContain('href="/policy#clause-2-6-4"');

    const empty = await request({
      method: 'POST',
      url: page(),
      payload: { ...formFields(form.body, page()), receivingLeadProvider: '' },
    });
    expect(empty.statusCode).toBe(422);
    expect(pageText(empty.body)).toContain('Enter the name of the lead provider you are moving to');
    expect(pageText(empty.body)).toContain('Select yes if we may share your programme record');

    const answers = {
      ...formFields(form.body, page()),
      receivingLeadProvider: 'Fenland Teaching Partnership',
      consent: 'yes',
    };
    const check = await request({ method: 'POST', url: page(), payload: answers });
    expect(check.statusCode).toBe(200);
    expect(pageText(check.body)).toContain('Check your answers before sending them');
    expect(pageText(check.body)).toContain('Fenland Teaching Partnership');
    expect(await transferRow()).toEqual({
      receiving_lead_provider: null,
      data_sharing_consent: null,
    });

    // Change keeps the answers on the question page.
    const sendFields = formFields(check.body, `${page()}/send`);
    const change = await request({
      method: 'POST',
      url: page(),
      payload: { ...sendFields, change: '1' },
    });
    expect(formFields(change.body, page()).receivingLeadProvider).toBe(
      'Fenland Teaching Partnership',
    );

    const sent = await request({ method: 'POST', url: `${page()}/send`, payload: sendFields });
    expect(sent.statusCode).toBe(303);
    expect(sent.headers.location).toBe(`${page()}?sent=1`);
    const confirmation = await request({ method: 'GET', url: sent.headers.location as string });
    expect(pageText(confirmation.body)).toContain('Your answers have been sent');
    expect(pageText(confirmation.body)).toContain(`TR-${transferId}`);
    expect(pageText(confirmation.body)).toContain(
      'will send your record to Fenland Teaching Partnership',
    );
    expect(confirmation.body).not.toContain(`action="/changes/transfer/${transferId}"`);
    expect(await transferRow()).toEqual({
      receiving_lead_provider: 'Fenland Teaching Partnership',
      data_sharing_consent: true,
    });

    // Back then Send again: the first answer's confirmation, and one consent in the audit trail.
    const again = await request({ method: 'POST', url: `${page()}/send`, payload: sendFields });
    expect(again.statusCode).toBe(303);
    expect(again.headers.location).toBe(`${page()}?sent=1`);
    const [audits] = await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(*)::int as n from audit_event
          where subject_type = 'transfer_case' and subject_id = ${String(transferId)}
            and what = 'TRANSFER_CONSENT_GIVEN'`,
    );
    expect(audits!.n).toBe(1);

    // Answered: the page says where it stands, Changes links to it, a fresh form is refused.
    const later = await request({ method: 'GET', url: page() });
    expect(later.body).not.toContain(`action="/changes/transfer/${transferId}"`);
    expect(later.body).not.toContain('govuk-panel--confirmation');
    expect(pageText(later.body)).toContain('You agreed');
    expect((await request({ method: 'GET', url: '/changes' })).body).toMatch(
      new RegExp(`href="/changes/transfer/${transferId}"[^>]*>See your transfer`),
    );
    const stale = await request({
      method: 'POST',
      url: `${page()}/send`,
      payload: { ...sendFields, token: '0b9d5a8e-1f2c-4d3e-8a7b-6c5d4e3f2a1b', consent: 'no' },
    });
    expect(stale.statusCode).toBe(422);
    expect(stale.body).not.toContain('govuk-panel--confirmation');
    expect(pageText(stale.body)).toContain('You have already told us about this transfer');
    expect((await transferRow()).data_sharing_consent).toBe(true);
  });
});
