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

describe('recording a school move for the participant', () => {
  it('an unknown URN is a field error on the form', async () => {
    const res = await north.request({
      method: 'POST',
      url: url('school-move'),
      payload: {
        enrolmentId: String(enrolmentId),
        newSchoolUrn: '999999',
        'movedOn-day': '1',
        'movedOn-month': '3',
        'movedOn-year': '2026',
      },
    });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('href="#newSchoolUrn"');
    expect(pageText(res.body)).toContain('We do not know a school with URN 999999');
  });

  it('previews the portability decision (2.6), then records the move', async () => {
    const [school] = await queryRows<{ urn: string }>(
      w.t.db,
      sql`select s.urn from school s where s.id <> coalesce((select current_school_id from participant where id = ${participantId}), 0)
          order by s.id limit 1`,
    );
    const moves = await count('school_move');
    const check = await north.request({
      method: 'POST',
      url: url('school-move'),
      payload: {
        enrolmentId: String(enrolmentId),
        newSchoolUrn: school!.urn,
        'movedOn-day': '1',
        'movedOn-month': '3',
        'movedOn-year': '2026',
      },
    });
    expect(check.statusCode).toBe(200);
    expect(pageText(check.body)).toMatch(/\(Policy 2\.6\.\d\)/);
    expect(await count('school_move')).toBe(moves);
    const done = await confirmFrom(check.body, 'school-move');
    expect(done.statusCode).toBe(303);
    expect(await count('school_move')).toBe(moves + 1);
    const [current] = await queryRows<{ urn: string }>(
      w.t.db,
      sql`select s.urn from participant p join school s on s.id = p.current_school_id where p.id = ${participantId}`,
    );
    expect(current!.urn).toBe(school!.urn);
    expect((await actedFor('school-move'))[0]!.details).toMatchObject({
      subjectType: 'school_move',
    });
  });
});

describe('booking a clinic out of sequence with a part-time accommodation (2.2.1.2)', () => {
  let lastClinic: number;
  beforeAll(async () => {
    const [row] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select ce.id from cohort_event ce join programme_activity a on a.id = ce.activity_id and a.kind = 'clinic'
          join enrolment e on e.cohort_id = ce.cohort_id where e.id = ${enrolmentId} and ce.starts_at > ${w.clock.now()}
          order by a.sequence_number desc, ce.starts_at limit 1`,
    );
    lastClinic = row!.id;
  });
  const ask = (note: string) =>
    north.request({
      method: 'POST',
      url: url('clinic'),
      payload: {
        enrolmentId: String(enrolmentId),
        cohortEventId: String(lastClinic),
        accommodationNote: note,
      },
    });

  it('lists the clinic dates still to come', async () => {
    const res = await north.request({
      method: 'GET',
      url: `${url('clinic')}?enrolment=${enrolmentId}`,
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`value="${lastClinic}"`);
  });

  it('without an accommodation the policy refuses, and there is nothing to confirm', async () => {
    const res = await ask('');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('data-code="CLINIC.NO_ACCOMMODATION"');
    expect(res.body).not.toContain('data-testid="confirm"');
  });

  it('for a part-time participant with a note the accommodation allows it; confirming books it with the note', async () => {
    await w.t.db.execute(
      sql`update participant set working_pattern = 'part_time', part_time_fraction = 0.6 where id = ${participantId}`,
    );
    const check = await ask('Works Mondays and Tuesdays only');
    expect(check.statusCode).toBe(200);
    expect(check.body).toContain('data-code="CLINIC.ALLOWED_BY_ACCOMMODATION"');
    expect(pageText(check.body)).toContain('(Policy 2.2.1.2)');
    const done = await confirmFrom(check.body, 'clinic');
    expect(done.statusCode).toBe(303);
    const [booking] = await queryRows<{ accommodation: string; status: string }>(
      w.t.db,
      sql`select accommodation, status from event_booking where enrolment_id = ${enrolmentId} and cohort_event_id = ${lastClinic}`,
    );
    expect(booking).toEqual({ accommodation: 'Works Mondays and Tuesdays only', status: 'booked' });
    expect((await actedFor('clinic'))[0]!.details).toMatchObject({ subjectType: 'event_booking' });
  });
});

describe('raising an assessment deferral for the participant', () => {
  it('asks for the circumstance and the details', async () => {
    const res = await north.request({
      method: 'POST',
      url: url('assessment-deferral'),
      payload: { enrolmentId: String(enrolmentId) },
    });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('href="#circumstance"');
    expect(res.body).toContain('href="#description"');
  });

  it('shows what the policy says about 2.5.2 before anything is recorded', async () => {
    const before = await count('assessment_deferral_case');
    const res = await north.request({
      method: 'POST',
      url: url('assessment-deferral'),
      payload: {
        enrolmentId: String(enrolmentId),
        circumstance: 'bereavement',
        description: 'A death in the family',
      },
    });
    // The enrolment's cohort has its assessment window scheduled, so the decision is shown.
    expect(res.statusCode).toBe(200);
    expect(pageText(res.body)).toMatch(/\(Policy 2\.5\.\d\)/);
    expect(await count('assessment_deferral_case')).toBe(before);
  });
});

describe('withdrawing the participant with a DfE reason (2.3.8)', () => {
  it('asks for the DfE reason', async () => {
    const res = await north.request({
      method: 'POST',
      url: url('withdrawal'),
      payload: {
        enrolmentId: String(enrolmentId),
        reason: '',
        'withdrawnOn-day': '16',
        'withdrawnOn-month': '3',
        'withdrawnOn-year': '2026',
      },
    });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('href="#reason"');
  });

  it('previews the withdrawal with its clauses, then withdraws and closes the open deferral case', async () => {
    const payload = {
      enrolmentId: String(enrolmentId),
      reason: 'change-in-career',
      note: 'By phone',
      'withdrawnOn-day': '16',
      'withdrawnOn-month': '3',
      'withdrawnOn-year': '2026',
    };
    const check = await north.request({ method: 'POST', url: url('withdrawal'), payload });
    expect(check.statusCode).toBe(200);
    expect(check.body).toContain('data-code="DEFERRAL.WITHDRAWAL_POLICY_APPLIES"');
    expect(check.body).toContain('data-code="DEFERRAL.WITHDRAWAL_CLOSES_CASE"');
    expect(pageText(check.body)).toContain('(Policy 2.3.8)');
    const [still] = await queryRows<{ status: string }>(
      w.t.db,
      sql`select status from enrolment where id = ${enrolmentId}`,
    );
    expect(still!.status).not.toBe('withdrawn');

    const done = await confirmFrom(check.body, 'withdrawal');
    expect(done.statusCode).toBe(303);
    const [row] = await queryRows<{ status: string; reason: string; case_status: string }>(
      w.t.db,
      sql`select e.status, w.reason, (select status from deferral_case where enrolment_id = e.id) as case_status
          from enrolment e join withdrawal w on w.enrolment_id = e.id where e.id = ${enrolmentId}`,
    );
    expect(row).toEqual({
      status: 'withdrawn',
      reason: 'change-in-career',
      case_status: 'withdrawn',
    });

    // Asked again, the policy refuses and there is nothing to confirm.
    const again = await north.request({ method: 'POST', url: url('withdrawal'), payload });
    expect(again.body).toContain('data-code="DEFERRAL.WITHDRAWAL_STATUS"');
    expect(again.body).not.toContain('data-testid="confirm"');
  });
});

describe('every action route as every role', () => {
  const ROLES: Record<string, string | null> = {
    admin: 'admin@demo.npq-ops.test',
    programme_team: 'programme.team@demo.npq-ops.test',
    north_partner: 'partner.north@demo.npq-ops.test',
    south_partner: 'partner.south@demo.npq-ops.test',
    coach: 'coach@demo.npq-ops.test',
    assessor: 'assessor@demo.npq-ops.test',
    participant: 'participant2@demo.npq-ops.test',
    signed_out: null,
  };
  /** What each role gets: the page, or no sight of the participant (404), or no permission (403). */
  const EXPECT: Record<string, number[]> = {
    admin: [200],
    programme_team: [200],
    north_partner: [200],
    south_partner: [404],
    coach: [403, 404],
    assessor: [403, 404],
    participant: [404],
    signed_out: [302, 303],
  };

  it.each(Object.keys(ROLES))('%s', async (role) => {
    const email = ROLES[role];
    const session = email ? await w.signIn(email) : null;
    const send = (method: 'GET' | 'POST', u: string, payload?: object) =>
      session
        ? session.request({ method, url: u, ...(payload ? { payload } : {}) })
        : w.app.inject({ method, url: u, ...(payload ? { payload } : {}) });
    const cases = await count('deferral_case');
    for (const a of ACTIONS) {
      const get = await send('GET', `${url(a)}?enrolment=${enrolmentId}`);
      expect(EXPECT[role], `${role} GET ${a}`).toContain(get.statusCode);
      const done = await send('GET', url(a, '/done?ref=1'));
      expect(EXPECT[role], `${role} GET ${a}/done`).toContain(done.statusCode);
      for (const tail of ['', '/edit', '/confirm']) {
        const res = await send('POST', url(a, tail), {
          enrolmentId: String(enrolmentId),
          circumstance: 'bereavement',
          'requestedOn-day': '1',
          'requestedOn-month': '3',
          'requestedOn-year': '2026',
        });
        expect(res.statusCode, `${role} POST ${a}${tail}`).toBeLessThan(500);
        if (!['admin', 'programme_team', 'north_partner'].includes(role)) {
          // Signed out, a POST without a CSRF token is refused before anything else.
          expect(
            role === 'signed_out' ? [302, 303, 403] : EXPECT[role],
            `${role} POST ${a}${tail}`,
          ).toContain(res.statusCode);
        }
      }
    }
    if (!['admin', 'programme_team', 'north_partner'].includes(role)) {
      expect(await count('deferral_case')).toBe(cases);
    }
  });
});
