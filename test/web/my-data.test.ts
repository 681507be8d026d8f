import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { audit } from '../../src/services/audit.js';
import { SYSTEM } from '../../src/services/actor.js';
import { createDemoWorld, pageText, type DemoWorld, type Session } from '../support/demo-world.js';

/**
 * Subject access: a participant downloads everything held about them, and reads it at /my-data.
 * Every kind of record is in it, and nothing of anyone else; staff cannot use it for anyone.
 */
let w: DemoWorld;
let me: Session;
let mine: { id: number; email: string; enrolmentId: number };
let other: { id: number; email: string; name: string; enrolmentId: number };
const MY_NOTE = 'My father passed away in March';
const OTHER_NOTE = 'Another person entirely private text';

type Data = Record<string, unknown> & { profile: Record<string, unknown> };

beforeAll(async () => {
  w = await createDemoWorld({ participants: 12 });
  const db = w.t.db;
  const find = async (email: string) => {
    const [row] = await queryRows<{
      id: number;
      email: string;
      full_name: string;
      enrolment_id: number;
    }>(
      db,
      sql`select p.id, p.email, p.full_name, e.id as enrolment_id from participant p join enrolment e on e.participant_id = p.id
          where p.email = ${email} order by e.id limit 1`,
    );
    return { id: row!.id, email: row!.email, name: row!.full_name, enrolmentId: row!.enrolment_id };
  };
  mine = await find('participant1@demo.npq-ops.test');
  other = await find('participant2@demo.npq-ops.test');
  const [admin] = await queryRows<{ id: number }>(
    db,
    sql`select id from app_user where role = 'admin' order by id limit 1`,
  );
  const [window] = await queryRows<{ id: number }>(
    db,
    sql`select id from assessment_window order by id limit 1`,
  );
  const [coach] = await queryRows<{ id: number }>(
    db,
    sql`select id from app_user where role = 'coach' order by id limit 1`,
  );
  const [school] = await queryRows<{ id: number }>(
    db,
    sql`select id from school order by id limit 1`,
  );
  // One record of every kind for both participants, so the download must pick only its own.
  for (const [who, note] of [
    [mine, MY_NOTE],
    [other, OTHER_NOTE],
  ] as const) {
    const e = who.enrolmentId;
    await db.execute(
      sql`insert into deferral_case (enrolment_id, participant_id, status, circumstance, description, dfe_reason, requested_on, requested_by, decision)
          values (${e}, ${who.id}, 'declined', 'bereavement', ${note}, 'bereavement', '2026-01-05', ${admin!.id},
                  ${JSON.stringify({ outcome: 'refused', reasons: [{ code: 'X', message: 'Test reason', clause: '2.3.1', met: false }] })}::jsonb)`,
    );
    await db.execute(
      sql`insert into assessment_deferral_case (enrolment_id, window_id, status, circumstance, description, requested_at, requested_by)
          values (${e}, ${window!.id}, 'requested', 'bereavement', ${note}, now(), ${admin!.id})`,
    );
    const [move] = await queryRows<{ id: number }>(
      db,
      sql`insert into school_move (participant_id, enrolment_id, to_school_id, moved_on, inside_network, notified_by, decision)
          values (${who.id}, ${e}, ${school!.id}, '2026-01-10', false, ${admin!.id}, '{"outcome":"allowed","reasons":[]}'::jsonb) returning id`,
    );
    await db.execute(
      sql`insert into transfer_case (school_move_id, enrolment_id, status, receiving_lead_provider) values (${move!.id}, ${e}, 'opened', 'Other LP')`,
    );
    await db.execute(
      sql`insert into withdrawal (enrolment_id, reason, withdrawn_on, recorded_by, note) values (${e}, 'other', '2026-02-01', 'system', ${note})`,
    );
    await db.execute(
      sql`insert into email_message (template, to_email, personalisation, subject_type, subject_id, status)
          values ('password_reset', ${who.email},
                  ${JSON.stringify({ name: note, link: 'http://localhost:3000/account/reset-password/SECRETTOKEN123', expires: '5pm' })}::jsonb,
                  'participant', ${String(who.id)}, 'sent')`,
    );
    const [event] = await queryRows<{ id: number; activity_id: number }>(
      db,
      sql`select ev.id, ev.activity_id from cohort_event ev join enrolment e on e.cohort_id = ev.cohort_id
          where e.id = ${e} order by ev.starts_at limit 1`,
    );
    await db.execute(
      sql`insert into event_booking (participant_id, enrolment_id, cohort_event_id, booked_at)
          values (${who.id}, ${e}, ${event!.id}, now()) on conflict do nothing`,
    );
    await db.execute(
      sql`insert into coaching_session (enrolment_id, participant_id, coach_user_id, activity_id, starts_at, ends_at)
          values (${e}, ${who.id}, ${coach!.id}, ${event!.activity_id}, '2026-04-01T10:00:00Z', '2026-04-01T11:00:00Z')`,
    );
    await db.execute(
      sql`insert into assessment_submission (enrolment_id, window_id, attempt_number, submitted_at)
          values (${e}, ${window!.id}, 2, now())`,
    );
    await db.execute(
      sql`insert into assessment_window_result (enrolment_id, window_id, result, decision, processed_at)
          values (${e}, ${window!.id}, 'submitted', '{"outcome":"met","reasons":[]}'::jsonb, now()) on conflict do nothing`,
    );
    await audit(db, {
      what: 'TEST_EVENT_ABOUT',
      who: SYSTEM,
      subjectType: 'enrolment',
      subjectId: e,
      details: { note },
      at: new Date(),
    });
  }
  me = await w.signIn(mine.email);
});
afterAll(async () => {
  await w.destroy();
});

describe('GET /api/v1/me/data', () => {
  let data: Data;
  let body = '';

  it('answers the participant with their own record, not to be cached', async () => {
    const res = await me.request({ method: 'GET', url: '/api/v1/me/data' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    body = res.body;
    data = res.json() as Data;
    expect(data.profile['id']).toBe(mine.id);
    expect(data.profile['email']).toBe(mine.email);
  });

  it('holds every kind of record', () => {
    for (const key of [
      'accounts',
      'employment',
      'enrolments',
      'engagement',
      'bookings',
      'coaching',
      'assessmentSubmissions',
      'assessmentResults',
      'deferralCases',
      'assessmentDeferralCases',
      'schoolMoves',
      'transferCases',
      'withdrawals',
      'emails',
      'auditTrail',
      'retention',
    ]) {
      expect((data[key] as unknown[]).length, key).toBeGreaterThan(0);
    }
    expect(body).toContain(MY_NOTE);
    const emails = data['emails'] as { subject: string; body: string }[];
    expect(emails[0]!.subject).toBe('Reset your npq-ops password');
    expect(JSON.stringify(data['auditTrail'])).toContain('TEST_EVENT_ABOUT');
    expect(
      (data['deferralCases'] as { decision: { outcome: string } }[])[0]!.decision.outcome,
    ).toBe('refused');
  });

  it('holds nothing of another participant, and no live account link', () => {
    expect(body).not.toContain(other.email);
    expect(body).not.toContain(other.name);
    expect(body).not.toContain(OTHER_NOTE);
    expect(body).not.toContain('SECRETTOKEN123');
    const enrolmentIds = (data['enrolments'] as { id: number }[]).map((e) => e.id);
    expect(enrolmentIds).not.toContain(other.enrolmentId);
  });

  it('comes as a file to download', async () => {
    const res = await me.request({ method: 'GET', url: '/api/v1/me/data?download=1' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toMatch(
      /^attachment; filename="npq-my-data-\d{4}-\d{2}-\d{2}\.json"$/,
    );
  });

  it('is for participants only: staff get 404, signed out 401', async () => {
    for (const email of ['admin@demo.npq-ops.test', 'partner.south@demo.npq-ops.test']) {
      const staff = await w.signIn(email);
      const res = await staff.request({ method: 'GET', url: '/api/v1/me/data' });
      expect(res.statusCode, email).toBe(404);
      expect(res.body).not.toContain(mine.email);
      const page = await staff.request({ method: 'GET', url: '/my-data' });
      expect(page.statusCode, email).toBe(403);
    }
    const anon = await w.app.inject({ method: 'GET', url: '/api/v1/me/data' });
    expect(anon.statusCode).toBe(401);
  });
});

describe('/my-data', () => {
  it('shows the record readably, links the download, and is linked from the footer', async () => {
    const res = await me.request({ method: 'GET', url: '/my-data' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const text = pageText(res.body);
    expect(text).toContain('Your data');
    expect(text).toContain(mine.email);
    expect(text).toContain(MY_NOTE);
    expect(text).toContain('Reset your npq-ops password');
    expect(text).toContain('How long we keep your data');
    expect(text).toContain('7 years after your last enrolment ended');
    expect(text).toContain('Test reason');
    expect(text).not.toContain(OTHER_NOTE);
    expect(res.body).not.toContain('SECRETTOKEN123');
    expect(res.body).toContain('href="/api/v1/me/data?download=1"');
    const home = await me.request({ method: 'GET', url: '/my-programme' });
    expect(home.body).toContain('href="/my-data"');
  });

  it('sends a signed-out visitor to sign in', async () => {
    const res = await w.app.inject({ method: 'GET', url: '/my-data' });
    expect(res.statusCode).toBe(302);
  });
});
