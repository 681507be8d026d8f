import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { createDemoWorld, pageText, type DemoWorld, type Session } from '../support/demo-world.js';
import { formFields } from '../support/forms.js';

/**
 * Erasure on request: the programme team or an admin anonymises a participant before retention
 * ends, from the record page (a confirmation step with a reason) or the API; refused while an
 * enrolment is open; audited; only those two roles may do it.
 */
let w: DemoWorld;
const s: Record<string, Session> = {};
const ROLES = {
  admin: 'admin@demo.npq-ops.test',
  team: 'programme.team@demo.npq-ops.test',
  south: 'partner.south@demo.npq-ops.test',
  north: 'partner.north@demo.npq-ops.test',
  coach: 'coach@demo.npq-ops.test',
} as const;
const REASON = 'Erasure request received by email on 1 March, ticket 1234';

/** A participant of the south partner only with an open enrolment, by position. */
async function southParticipant(n: number) {
  const rows = await queryRows<{
    id: number;
    email: string;
    full_name: string;
    trn: string | null;
  }>(
    w.t.db,
    sql`select p.id, p.email, p.full_name, p.trn from participant p
        where exists (select 1 from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id
                      where e.participant_id = p.id and dp.slug = 'south')
          and not exists (select 1 from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id
                          where e.participant_id = p.id and dp.slug <> 'south')
          and exists (select 1 from enrolment e where e.participant_id = p.id
                      and e.status in ('applied', 'accepted', 'active', 'deferred'))
        order by p.id`,
  );
  return rows[n]!;
}
const withdrawAll = (participantId: number) =>
  w.t.db.execute(
    sql`update enrolment set status = 'withdrawn', status_changed_at = now() where participant_id = ${participantId}`,
  );
const erase = (who: Session, id: number, payload: unknown = { reason: REASON }) =>
  who.request({ method: 'POST', url: `/api/v1/participants/${id}/erasure`, payload });

beforeAll(async () => {
  w = await createDemoWorld({ participants: 30 });
  for (const [role, email] of Object.entries(ROLES)) s[role] = await w.signIn(email);
});
afterAll(async () => {
  await w.destroy();
});

describe('erasure through the API', () => {
  it('is refused while an enrolment is open, then anonymises the participant, closes their account and is audited', async () => {
    const target = await southParticipant(0);
    const own = await w.signIn(target.email);
    const open = await erase(s.team!, target.id);
    expect(open.statusCode).toBe(422);
    expect(open.json()).toMatchObject({ code: 'VALIDATION', errors: [{ path: 'enrolments' }] });

    const noReason = await erase(s.team!, target.id, { reason: '  ' });
    expect(noReason.statusCode).toBe(422);
    expect(noReason.json()).toMatchObject({ errors: [{ path: 'reason' }] });

    await withdrawAll(target.id);
    const done = await erase(s.team!, target.id);
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toMatchObject({ participantId: target.id });

    const [row] = await queryRows<{ full_name: string; email: string; trn: string | null }>(
      w.t.db,
      sql`select full_name, email, trn from participant where id = ${target.id}`,
    );
    expect(row).toEqual({
      full_name: `Former participant ${target.id}`,
      email: `erased-participant-${target.id}@erased.invalid`,
      trn: null,
    });
    // Their session ended with their account.
    expect((await own.request({ method: 'GET', url: '/api/v1/me/data' })).statusCode).toBe(401);
    // Nothing left in the database names them.
    const [left] = await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(*)::int as n from (
            select details::text as t from audit_event
            union all select to_email from email_message
            union all select email from app_user) x
          where t ilike ${'%' + target.email + '%'} or t ilike ${'%' + target.full_name + '%'}`,
    );
    expect(left!.n).toBe(0);
    const [event] = await queryRows<{ who: string; details: Record<string, unknown> }>(
      w.t.db,
      sql`select who, details from audit_event where what = 'PARTICIPANT_ERASED' and subject_id = ${String(target.id)}`,
    );
    const team = await w.actor(ROLES.team);
    expect(event).toEqual({
      who: `user:${team.userId}`,
      details: {
        redacted: 'request',
        reason: REASON,
        via: 'request',
        dfeRegistrationId: `erased-${target.id}`,
      },
    });

    const again = await erase(s.admin!, target.id);
    expect(again.statusCode).toBe(422);
    expect(again.json()).toMatchObject({ errors: [{ path: 'participant' }] });
  });

  it('is for the programme team and admins only: partner staff and coaches 403, outsiders 404', async () => {
    const target = await southParticipant(0);
    await withdrawAll(target.id);
    const own = await w.signIn(target.email);
    const statuses = {
      south: (await erase(s.south!, target.id)).statusCode,
      north: (await erase(s.north!, target.id)).statusCode,
      participant: (await erase(own, target.id)).statusCode,
      unknown: (await erase(s.admin!, 999_999)).statusCode,
    };
    expect(statuses).toEqual({ south: 403, north: 404, participant: 403, unknown: 404 });
    const coach = (await erase(s.coach!, target.id)).statusCode;
    expect([403, 404]).toContain(coach);
    expect((await erase(s.admin!, target.id)).statusCode).toBe(200);
  });
});

describe('erasure from the participant record page', () => {
  let pageTarget = 0;
  it('links from the record, asks for a reason and a tick, then shows the anonymised record', async () => {
    const target = await southParticipant(0);
    pageTarget = target.id;
    await withdrawAll(target.id);
    const record = await s.team!.request({ method: 'GET', url: `/participants/${target.id}` });
    expect(record.body).toContain(`href="/participants/${target.id}/erase"`);
    const southRecord = await s.south!.request({
      method: 'GET',
      url: `/participants/${target.id}`,
    });
    expect(southRecord.statusCode).toBe(200);
    expect(southRecord.body).not.toContain(`/participants/${target.id}/erase`);

    const form = await s.team!.request({ method: 'GET', url: `/participants/${target.id}/erase` });
    expect(form.statusCode).toBe(200);
    expect(pageText(form.body)).toContain('This cannot be undone');
    const fields = formFields(form.body, `/participants/${target.id}/erase`);
    expect(Object.keys(fields)).toEqual(expect.arrayContaining(['_csrf', 'reason']));

    const unconfirmed = await s.team!.request({
      method: 'POST',
      url: `/participants/${target.id}/erase`,
      payload: { _csrf: fields._csrf, reason: '' },
    });
    expect(unconfirmed.statusCode).toBe(422);
    expect(unconfirmed.body).toContain('govuk-error-summary');
    expect(pageText(unconfirmed.body)).toContain(
      'Confirm that you understand the personal data cannot be recovered',
    );
    // Nothing was erased.
    const [still] = await queryRows<{ email: string }>(
      w.t.db,
      sql`select email from participant where id = ${target.id}`,
    );
    expect(still!.email).toBe(target.email);

    const noReason = await s.team!.request({
      method: 'POST',
      url: `/participants/${target.id}/erase`,
      payload: { _csrf: fields._csrf, reason: '', confirm: 'yes' },
    });
    expect(noReason.statusCode).toBe(422);
    expect(pageText(noReason.body)).toContain('Enter why the participant’s data is being erased');

    const done = await s.team!.request({
      method: 'POST',
      url: `/participants/${target.id}/erase`,
      payload: { _csrf: fields._csrf, reason: REASON, confirm: 'yes' },
    });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe(`/participants/${target.id}?updated=erased`);
    const after = await s.team!.request({ method: 'GET', url: done.headers.location as string });
    const text = pageText(after.body);
    expect(text).toContain('Personal data erased');
    expect(text).toContain(`Former participant ${target.id}`);
    expect(text).not.toContain(target.full_name);
    expect(after.body).not.toContain(`/participants/${target.id}/erase"`);
  });

  it('shows an open enrolment as an error, and partner staff a "not allowed" page', async () => {
    const [target] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select participant_id as id from enrolment where status in ('active', 'deferred') order by id limit 1`,
    );
    if (!target) throw new Error('the demo has no open enrolment');
    const form = await s.admin!.request({ method: 'GET', url: `/participants/${target.id}/erase` });
    const refused = await s.admin!.request({
      method: 'POST',
      url: `/participants/${target.id}/erase`,
      payload: {
        _csrf: formFields(form.body, `/participants/${target.id}/erase`)._csrf,
        reason: REASON,
        confirm: 'yes',
      },
    });
    expect(refused.statusCode).toBe(422);
    expect(pageText(refused.body)).toMatch(
      /Withdraw the participant first: \d+ enrolments? (is|are) still/,
    );
    expect(
      (await s.south!.request({ method: 'GET', url: `/participants/${pageTarget}/erase` }))
        .statusCode,
    ).toBe(403);
    expect(
      (await s.north!.request({ method: 'GET', url: `/participants/${pageTarget}/erase` }))
        .statusCode,
    ).toBe(404);
  });
});
