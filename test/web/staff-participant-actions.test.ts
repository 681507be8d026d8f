import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { createDemoWorld, pageText, type DemoWorld, type Session } from '../support/demo-world.js';
import { formFields } from '../support/forms.js';

/**
 * Acting for a participant from their record (issue 15): each action's form, its check-answers
 * page with the policy's decision and clause-cited reasons (nothing recorded yet), the confirmation
 * with a reference, and the audit event naming who acted for whom. Then every route as every role.
 */
let w: DemoWorld;
let north: Session;
let participantId: number;
let enrolmentId: number;
let northUserId: number;

const ACTIONS = ['deferral', 'assessment-deferral', 'school-move', 'clinic', 'withdrawal'];

beforeAll(async () => {
  w = await createDemoWorld();
  north = await w.signIn('partner.north@demo.npq-ops.test');
  const [row] = await queryRows<{ id: number; participant_id: number }>(
    w.t.db,
    sql`select e.id, e.participant_id from enrolment e join participant p on p.id = e.participant_id
        where p.email = 'participant2@demo.npq-ops.test' order by e.id limit 1`,
  );
  enrolmentId = row!.id;
  participantId = row!.participant_id;
  northUserId = (await w.actor('partner.north@demo.npq-ops.test')).userId;
});
afterAll(async () => {
  await w.destroy();
});

const url = (action: string, tail = '') =>
  `/participants/${participantId}/actions/${action}${tail}`;

async function count(table: string): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    w.t.db,
    sql`select count(*)::int as n from ${sql.identifier(table)}`,
  );
  return row!.n;
}

async function actedFor(action: string) {
  return queryRows<{
    who: string;
    subject_type: string;
    subject_id: string;
    details: Record<string, unknown>;
  }>(
    w.t.db,
    sql`select who, subject_type, subject_id, details from audit_event
        where what = 'ACTED_FOR_PARTICIPANT' and details->>'action' = ${action} order by id`,
  );
}

/** The check page's confirm form, posted as a browser would. */
async function confirmFrom(checkHtml: string, action: string) {
  const fields = formFields(checkHtml, url(action, '/confirm'));
  return north.request({ method: 'POST', url: url(action, '/confirm'), payload: fields });
}

describe('the participant record offers the actions to partner staff', () => {
  it('links each action for each enrolment', async () => {
    const res = await north.request({ method: 'GET', url: `/participants/${participantId}` });
    expect(res.statusCode).toBe(200);
    for (const a of ACTIONS) expect(res.body).toContain(`${url(a)}?enrolment=${enrolmentId}`);
  });
});

describe('raising a deferral for the participant', () => {
  it('shows the form, then field errors with an error summary', async () => {
    const form = await north.request({
      method: 'GET',
      url: `${url('deferral')}?enrolment=${enrolmentId}`,
    });
    expect(form.statusCode).toBe(200);
    expect(pageText(form.body)).toContain('Raise a deferral request');
    const res = await north.request({
      method: 'POST',
      url: url('deferral'),
      payload: {
        enrolmentId: String(enrolmentId),
        'requestedOn-day': '40',
        'requestedOn-month': '1',
        'requestedOn-year': '2026',
      },
    });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('govuk-error-summary');
    expect(res.body).toContain('href="#circumstance"');
    expect(res.body).toContain('href="#requestedOn-day"');
  });

  it('shows the decision with clause-cited reasons before anything is recorded, then records it with a reference', async () => {
    const before = await count('deferral_case');
    const auditBefore = await count('audit_event');
    const check = await north.request({
      method: 'POST',
      url: url('deferral'),
      payload: {
        enrolmentId: String(enrolmentId),
        circumstance: 'bereavement',
        description: 'Phoned the office',
        'requestedOn-day': '10',
        'requestedOn-month': '3',
        'requestedOn-year': '2026',
      },
    });
    expect(check.statusCode).toBe(200);
    const text = pageText(check.body);
    expect(text).toContain('Check your answers');
    expect(text).toContain('What the policy decides');
    expect(text).toMatch(/\(Policy 2\.3\.2\)/);
    expect(text).toMatch(/\(Policy 2\.4\.\d\)/);
    expect(text).toContain('10 March 2026');
    // The preview keeps nothing: no case, no audit event.
    expect(await count('deferral_case')).toBe(before);
    expect(await count('audit_event')).toBe(auditBefore);

    const done = await confirmFrom(check.body, 'deferral');
    expect(done.statusCode).toBe(303);
    const [created] = await queryRows<{ id: number; requested_by: number; requested_on: string }>(
      w.t.db,
      sql`select id, requested_by, requested_on::text from deferral_case where enrolment_id = ${enrolmentId}`,
    );
    expect(created).toMatchObject({ requested_by: northUserId, requested_on: '2026-03-10' });
    expect(done.headers.location).toBe(url('deferral', `/done?ref=${created!.id}`));
    const confirmation = await north.request({
      method: 'GET',
      url: done.headers.location as string,
    });
    expect(pageText(confirmation.body)).toContain(`Reference: Deferral case ${created!.id}`);

    const [event] = await actedFor('deferral');
    expect(event).toMatchObject({
      who: `user:${northUserId}`,
      subject_type: 'participant',
      subject_id: String(participantId),
    });
    expect(event!.details).toMatchObject({
      actorRole: 'delivery_partner_staff',
      onBehalfOf: { participantId },
      subjectType: 'deferral_case',
      subjectId: created!.id,
    });
    // Shown on the participant's audit log, by name.
    const log = await north.request({ method: 'GET', url: `/participants/${participantId}/audit` });
    expect(pageText(log.body)).toContain('Staff acted for the participant');
  });

  it('a second request is refused on the form: a case is already in progress', async () => {
    const res = await north.request({
      method: 'POST',
      url: url('deferral'),
      payload: {
        enrolmentId: String(enrolmentId),
        circumstance: 'bereavement',
        'requestedOn-day': '10',
        'requestedOn-month': '3',
        'requestedOn-year': '2026',
      },
    });
    expect(res.statusCode).toBe(409);
    expect(pageText(res.body)).toContain('already a deferral case in progress');
  });
});
