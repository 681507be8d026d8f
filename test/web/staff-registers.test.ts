import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { getEnrolmentEngagement } from '../../src/services/engagement/read.js';
import { createDemoWorld, pageText, type DemoWorld, type Session } from '../support/demo-world.js';
import { formFields } from '../support/forms.js';

/**
 * Registers (issue 15): the facilitator assigned to an event, or partner staff, mark who attended
 * in bulk, with walk-ins; attendance is engagement evidence at once; corrections are audited; an
 * event with no register a day after it ended is on the partner's task list. Every route as every role.
 */
let w: DemoWorld;
let team: Session;
let north: Session;
let facilitator: Session;
let facilitatorId: number;
let eventId: number;
let activityId: number;
let booked: { enrolment_id: number; participant_id: number }[];
let walkIn: { enrolment_id: number; participant_id: number };

async function addUser(email: string, role: string): Promise<number> {
  const [row] = await queryRows<{ id: number }>(
    w.t.db,
    sql`insert into app_user (email, display_name, password_hash, role, lead_provider_id)
        select ${email}, ${`A ${role}`}, password_hash, ${role}, lead_provider_id
        from app_user where email = 'coach@demo.npq-ops.test' returning id`,
  );
  return row!.id;
}

beforeAll(async () => {
  w = await createDemoWorld();
  facilitatorId = await addUser('facilitator@demo.npq-ops.test', 'facilitator');
  await addUser('facilitator2@demo.npq-ops.test', 'facilitator');
  [team, north, facilitator] = await Promise.all([
    w.signIn('programme.team@demo.npq-ops.test'),
    w.signIn('partner.north@demo.npq-ops.test'),
    w.signIn('facilitator@demo.npq-ops.test'),
  ]);
  // A community session of a north cohort that ended a few days ago.
  const [event] = await queryRows<{ id: number; activity_id: number; cohort_id: number }>(
    w.t.db,
    sql`select ce.id, ce.activity_id, ce.cohort_id from cohort_event ce
        join programme_activity a on a.id = ce.activity_id and a.kind = 'community_session'
        where ce.ends_at < ${new Date(w.clock.now().getTime() - 3 * 86_400_000)}
          and exists (select 1 from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id
                      where e.cohort_id = ce.cohort_id and dp.slug = 'north' and e.status = 'active')
        order by ce.ends_at desc limit 1`,
  );
  eventId = event!.id;
  activityId = event!.activity_id;
  // Four active north participants of the cohort: three booked, one to walk in. Nobody has any
  // attendance of this session yet, and nothing else is booked on it.
  const people = await queryRows<{ enrolment_id: number; participant_id: number }>(
    w.t.db,
    sql`select e.id as enrolment_id, e.participant_id from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id
        where e.cohort_id = ${event!.cohort_id} and dp.slug = 'north' and e.status = 'active'
        order by e.id limit 4`,
  );
  expect(people).toHaveLength(4);
  await w.t.db.execute(sql`delete from engagement_record where activity_id = ${activityId}`);
  await w.t.db.execute(sql`delete from event_booking where cohort_event_id = ${eventId}`);
  booked = people.slice(0, 3);
  walkIn = people[3]!;
  for (const p of booked) {
    await w.t.db.execute(
      sql`insert into event_booking (participant_id, enrolment_id, cohort_event_id, booked_at)
          values (${p.participant_id}, ${p.enrolment_id}, ${eventId}, now())`,
    );
  }
});
afterAll(async () => {
  await w.destroy();
});

const registerUrl = () => `/registers/${eventId}`;

async function records(): Promise<number[]> {
  const rows = await queryRows<{ participant_id: number }>(
    w.t.db,
    sql`select participant_id from engagement_record where activity_id = ${activityId}
          and source = 'staff' order by participant_id`,
  );
  return rows.map((r) => r.participant_id);
}

describe('the partner task list', () => {
  it('shows an event still without a register a day after it ended', async () => {
    const res = await north.request({ method: 'GET', url: '/cases' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`href="${registerUrl()}"`);
  });
});

describe('a facilitator takes the register', () => {
  it('sees nothing of an event they are not assigned to', async () => {
    expect((await facilitator.request({ method: 'GET', url: registerUrl() })).statusCode).toBe(404);
    const post = await facilitator.request({
      method: 'POST',
      url: registerUrl(),
      payload: { expectedVersion: '0', attended: String(booked[0]!.enrolment_id) },
    });
    expect(post.statusCode).toBe(404);
    expect(await records()).toEqual([]);
  });

  it('once assigned, lists the event and its booked participants as checkboxes, with walk-ins', async () => {
    const added = await team.request({
      method: 'POST',
      url: '/api/v1/assignments',
      payload: { kind: 'facilitator', userId: facilitatorId, cohortEventId: eventId },
    });
    expect(added.statusCode).toBe(201);
    const list = await facilitator.request({ method: 'GET', url: '/registers' });
    expect(list.body).toContain(`href="${registerUrl()}"`);
    const res = await facilitator.request({ method: 'GET', url: registerUrl() });
    expect(res.statusCode).toBe(200);
    for (const p of booked)
      expect(res.body).toContain(`name="attended" type="checkbox" value="${p.enrolment_id}"`);
    expect(res.body).toContain(`name="walkIn" type="checkbox" value="${walkIn.enrolment_id}"`);
  });

  it('saves two of three booked and a walk-in: engagement evidence at once, bookings attended, audited', async () => {
    const [before] = await Promise.all([
      getEnrolmentEngagement(
        { db: w.t.db, clock: w.clock },
        await w.actor('programme.team@demo.npq-ops.test'),
        walkIn.enrolment_id,
      ),
    ]);
    const page = await facilitator.request({ method: 'GET', url: registerUrl() });
    const fields = formFields(page.body, registerUrl());
    const res = await facilitator.request({
      method: 'POST',
      url: registerUrl(),
      payload: {
        ...fields,
        attended: [String(booked[0]!.enrolment_id), String(booked[1]!.enrolment_id)],
        walkIn: String(walkIn.enrolment_id),
      },
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toContain('saved=taken&added=3');
    expect(await records()).toEqual(
      [booked[0]!, booked[1]!, walkIn].map((p) => p.participant_id).sort((a, b) => a - b),
    );
    const statuses = await queryRows<{ enrolment_id: number; status: string }>(
      w.t.db,
      sql`select enrolment_id, status from event_booking where cohort_event_id = ${eventId} order by enrolment_id`,
    );
    expect(statuses.map((s) => s.status)).toEqual(['attended', 'attended', 'booked']);
    const [source] = await queryRows<{ source_event_id: string }>(
      w.t.db,
      sql`select source_event_id from engagement_record where participant_id = ${walkIn.participant_id} and activity_id = ${activityId}`,
    );
    // The same evidence the attendance API writes, so either path lands once.
    expect(source!.source_event_id).toBe(`attendance-${walkIn.participant_id}-${activityId}`);
    const after = await getEnrolmentEngagement(
      { db: w.t.db, clock: w.clock },
      await w.actor('programme.team@demo.npq-ops.test'),
      walkIn.enrolment_id,
    );
    const done = (e: typeof before) =>
      e.byKind.find((k) => k.kind === 'community_session')?.completed ?? 0;
    expect(done(after)).toBe(done(before) + 1);
    const [audit] = await queryRows<{
      what: string;
      who: string;
      details: Record<string, unknown>;
    }>(
      w.t.db,
      sql`select what, who, details from audit_event where subject_type = 'cohort_event' and subject_id = ${String(eventId)} and what like 'REGISTER_%'`,
    );
    expect(audit).toMatchObject({ what: 'REGISTER_TAKEN', who: `user:${facilitatorId}` });
    const shown = await facilitator.request({ method: 'GET', url: res.headers.location as string });
    expect(pageText(shown.body)).toContain('Register saved: 3 marked as attending');
    // No longer a task.
    const cases = await north.request({ method: 'GET', url: '/cases' });
    expect(cases.body).not.toContain(`href="${registerUrl()}"`);
  });

  it('a late correction by partner staff removes what the register wrote, and is audited as late', async () => {
    const page = await north.request({ method: 'GET', url: registerUrl() });
    expect(pageText(page.body)).toContain('Changes you save now are recorded as a correction');
    const fields = formFields(page.body, registerUrl());
    const res = await north.request({
      method: 'POST',
      url: registerUrl(),
      payload: {
        ...fields,
        attended: [
          String(booked[0]!.enrolment_id),
          String(booked[2]!.enrolment_id),
          String(walkIn.enrolment_id),
        ],
      },
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toContain('saved=corrected&added=1&removed=1');
    expect(await records()).toEqual(
      [booked[0]!, booked[2]!, walkIn].map((p) => p.participant_id).sort((a, b) => a - b),
    );
    const trail = await queryRows<{
      what: string;
      subject_id: string;
      details: Record<string, unknown>;
    }>(
      w.t.db,
      sql`select what, subject_id, details from audit_event
          where (subject_type = 'cohort_event' and subject_id = ${String(eventId)} and what = 'REGISTER_CORRECTED')
             or (what = 'ATTENDANCE_REMOVED' and subject_id = ${String(booked[1]!.enrolment_id)})
          order by id`,
    );
    expect(trail.map((t) => t.what)).toEqual(['REGISTER_CORRECTED', 'ATTENDANCE_REMOVED']);
    expect(trail[0]!.details).toMatchObject({
      late: true,
      added: [booked[2]!.enrolment_id],
      removed: [booked[1]!.enrolment_id],
    });
  });

  it('a save from a page opened before someone else saved is refused (409) and changes nothing', async () => {
    const res = await facilitator.request({
      method: 'POST',
      url: registerUrl(),
      payload: { expectedVersion: '1', attended: String(booked[1]!.enrolment_id) },
    });
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('govuk-error-summary');
    expect(await records()).toHaveLength(3);
  });
});

describe('an event still to come', () => {
  it('shows who is booked, and cannot be marked yet', async () => {
    const [future] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select ce.id from cohort_event ce join programme_activity a on a.id = ce.activity_id
          where a.kind = 'clinic' and ce.starts_at > ${w.clock.now()}
            and exists (select 1 from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id
                        where e.cohort_id = ce.cohort_id and dp.slug = 'north')
          order by ce.starts_at limit 1`,
    );
    const res = await north.request({ method: 'GET', url: `/registers/${future!.id}` });
    expect(res.statusCode).toBe(200);
    expect(pageText(res.body)).toContain('has not started yet');
    const post = await north.request({
      method: 'POST',
      url: `/registers/${future!.id}`,
      payload: { expectedVersion: '0' },
    });
    expect(post.statusCode).toBe(422);
  });
});

describe('every register route as every role', () => {
  const ROLES: Record<string, string | null> = {
    admin: 'admin@demo.npq-ops.test',
    programme_team: 'programme.team@demo.npq-ops.test',
    north_partner: 'partner.north@demo.npq-ops.test',
    south_partner: 'partner.south@demo.npq-ops.test',
    facilitator: 'facilitator@demo.npq-ops.test',
    other_facilitator: 'facilitator2@demo.npq-ops.test',
    coach: 'coach@demo.npq-ops.test',
    assessor: 'assessor@demo.npq-ops.test',
    participant: 'participant2@demo.npq-ops.test',
    signed_out: null,
  };
  const SEES = ['admin', 'programme_team', 'north_partner', 'facilitator'];

  it.each(Object.keys(ROLES))('%s', async (role) => {
    const email = ROLES[role];
    const session = email ? await w.signIn(email) : null;
    const send = (method: 'GET' | 'POST', u: string, payload?: object) =>
      session
        ? session.request({ method, url: u, ...(payload ? { payload } : {}) })
        : w.app.inject({ method, url: u, ...(payload ? { payload } : {}) });
    const list = await send('GET', '/registers');
    const one = await send('GET', registerUrl());
    const before = await records();
    // Version 99 is never current: a role that may save gets a 409, and nothing changes either way.
    const save = await send('POST', registerUrl(), {
      expectedVersion: '99',
      attended: String(walkIn.enrolment_id),
    });
    expect(await records()).toEqual(before);
    if (role === 'signed_out') {
      expect([302, 303]).toContain(list.statusCode);
      expect([302, 303]).toContain(one.statusCode);
      expect([302, 303, 403]).toContain(save.statusCode);
    } else if (SEES.includes(role)) {
      expect(list.statusCode).toBe(200);
      expect(one.statusCode).toBe(200);
      expect(save.statusCode).toBe(409);
    } else {
      // Staff who take registers see only their own events; anyone else is told there is no such page.
      expect(list.statusCode).toBe(
        ['south_partner', 'other_facilitator'].includes(role) ? 200 : 404,
      );
      expect(list.body).not.toContain(`href="${registerUrl()}"`);
      expect(one.statusCode).toBe(404);
      expect(save.statusCode).toBe(404);
    }
  });
});

describe('a clinic register keeps the clinic order (2.2.1.2)', () => {
  it('does not record someone whose earlier clinic is neither attended nor past, and shows why', async () => {
    const [clinic] = await queryRows<{
      id: number;
      cohort_id: number;
      activity_id: number;
      programme_id: number;
      n: number;
    }>(
      w.t.db,
      sql`select ce.id, ce.cohort_id, ce.activity_id, a.programme_id, a.sequence_number as n from cohort_event ce
          join programme_activity a on a.id = ce.activity_id and a.kind = 'clinic' and a.sequence_number >= 2
          where ce.ends_at < ${w.clock.now()}
            and exists (select 1 from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id
                        where e.cohort_id = ce.cohort_id and dp.slug = 'north' and e.status = 'active')
          order by ce.ends_at desc limit 1`,
    );
    const [person] = await queryRows<{ enrolment_id: number; participant_id: number }>(
      w.t.db,
      sql`select e.id as enrolment_id, e.participant_id from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id
          where e.cohort_id = ${clinic!.cohort_id} and dp.slug = 'north' and e.status = 'active' order by e.id limit 1`,
    );
    // Their previous clinic is still to come and not attended, and this one is not recorded yet.
    await w.t.db
      .execute(sql`delete from engagement_record where participant_id = ${person!.participant_id}
        and activity_id in (select id from programme_activity where programme_id = ${clinic!.programme_id}
                            and kind = 'clinic' and sequence_number >= ${clinic!.n - 1})`);
    await w.t.db
      .execute(sql`update cohort_event ce set starts_at = ${new Date(w.clock.now().getTime() + 5 * 86_400_000)},
          ends_at = ${new Date(w.clock.now().getTime() + 5 * 86_400_000 + 3_600_000)}
        from programme_activity a where a.id = ce.activity_id and ce.cohort_id = ${clinic!.cohort_id}
          and a.kind = 'clinic' and a.sequence_number = ${clinic!.n - 1}`);
    await w.t.db.execute(
      sql`update participant set working_pattern = 'full_time', part_time_fraction = null where id = ${person!.participant_id}`,
    );
    const url = `/registers/${clinic!.id}`;
    const page = await north.request({ method: 'GET', url });
    const fields = formFields(page.body, url);
    const res = await north.request({
      method: 'POST',
      url,
      payload: { ...fields, walkIn: String(person!.enrolment_id) },
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('data-code="CLINIC.OUT_OF_SEQUENCE"');
    expect(pageText(res.body)).toContain('(Policy 2.2.1.2)');
    const recorded = await queryRows(
      w.t.db,
      sql`select 1 from engagement_record where participant_id = ${person!.participant_id} and activity_id = ${clinic!.activity_id}`,
    );
    expect(recorded).toEqual([]);
  });
});
