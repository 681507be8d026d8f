import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

/**
 * Every API route, called as every role, with the ids of records that belong to a participant of
 * the SOUTH delivery partner. Whatever a route answers, a NORTH partner's staff and a north
 * participant must never see anything of that participant, no route may fail with a 5xx, and
 * nothing but the OpenAPI document answers without authentication.
 */
let w: DemoWorld;
const sessions: Record<string, Session> = {};
let southEmails: string[] = [];
let ids: Record<string, number> = {};

const ROLES = {
  admin: 'admin@demo.npq-ops.test',
  programme_team: 'programme.team@demo.npq-ops.test',
  north_partner: 'partner.north@demo.npq-ops.test',
  south_partner: 'partner.south@demo.npq-ops.test',
  coach: 'coach@demo.npq-ops.test',
  assessor: 'assessor@demo.npq-ops.test',
  north_participant: 'participant2@demo.npq-ops.test',
  south_participant: 'participant1@demo.npq-ops.test',
} as const;

/** Roles that must not see the south participant used for the ids. */
const OUTSIDERS = ['north_partner', 'north_participant'] as const;

beforeAll(async () => {
  w = await createDemoWorld({ participants: 30 });
  for (const [role, email] of Object.entries(ROLES)) sessions[role] = await w.signIn(email);
  const [target] = await queryRows<{
    participant_id: number;
    enrolment_id: number;
    cohort_id: number;
  }>(
    w.t.db,
    sql`select e.participant_id, e.id as enrolment_id, e.cohort_id
        from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id join participant p on p.id = e.participant_id
        where dp.slug = 'south' and p.email = 'participant1@demo.npq-ops.test'`,
  );
  southEmails = (
    await queryRows<{ email: string }>(
      w.t.db,
      sql`select distinct p.email from participant p join enrolment e on e.participant_id = p.id
          join delivery_partner dp on dp.id = e.delivery_partner_id where dp.slug = 'south'
          and not exists (select 1 from enrolment e2 join delivery_partner d2 on d2.id = e2.delivery_partner_id
                          where e2.participant_id = p.id and d2.slug <> 'south')`,
    )
  ).map((r) => r.email);
  ids = {
    participant: target!.participant_id,
    enrolment: target!.enrolment_id,
    cohort: target!.cohort_id,
  };
  ids = { ...ids, ...(await caseIdsFor(target!.enrolment_id, target!.participant_id)) };
});
afterAll(async () => {
  await w.destroy();
});

/** One record of each kind for the target enrolment, made directly so the matrix never depends on other features. */
async function caseIdsFor(
  enrolmentId: number,
  participantId: number,
): Promise<Record<string, number>> {
  const db = w.t.db;
  const one = async (q: ReturnType<typeof sql>) =>
    (await queryRows<{ id: number }>(db, q))[0]?.id ?? 0;
  const [admin] = await queryRows<{ id: number }>(
    db,
    sql`select id from app_user where role = 'admin' limit 1`,
  );
  const who = admin!.id;
  const event = await one(
    sql`select ev.id from cohort_event ev join enrolment e on e.cohort_id = ev.cohort_id where e.id = ${enrolmentId} order by ev.starts_at limit 1`,
  );
  const window = await one(
    sql`select w.id from assessment_window w join enrolment e on e.cohort_id = w.cohort_id where e.id = ${enrolmentId} limit 1`,
  );
  const school = await one(sql`select id from school order by id limit 1`);
  const activity = await one(
    sql`select a.id from programme_activity a join cohort c on c.programme_id = a.programme_id join enrolment e on e.cohort_id = c.id where e.id = ${enrolmentId} order by a.position limit 1`,
  );
  const booking = event
    ? await one(
        sql`insert into event_booking (participant_id, enrolment_id, cohort_event_id, booked_at) values (${participantId}, ${enrolmentId}, ${event}, now()) returning id`,
      )
    : 0;
  // Cases made through the service, as staff would, so they carry the policy's decision.
  const created = await sessions.south_partner!.request({
    method: 'POST',
    url: '/api/v1/deferral-cases',
    payload: { enrolmentId, circumstance: 'bereavement', description: 'Matrix test' },
  });
  const deferral = (created.json() as { id?: number }).id ?? 0;
  const assessmentDeferral = window
    ? await one(sql`insert into assessment_deferral_case (enrolment_id, window_id, circumstance, description, requested_at, requested_by)
        values (${enrolmentId}, ${window}, 'illness', 'Matrix test', now(), ${who}) returning id`)
    : 0;
  const submission = window
    ? await one(
        sql`insert into assessment_submission (enrolment_id, window_id, attempt_number, submitted_at) values (${enrolmentId}, ${window}, 1, now()) returning id`,
      )
    : 0;
  const move =
    await one(sql`insert into school_move (participant_id, enrolment_id, to_school_id, moved_on, inside_network, notified_by, decision)
    values (${participantId}, ${enrolmentId}, ${school}, '2026-03-01', false, ${who}, '{}') returning id`);
  const transfer = await one(
    sql`insert into transfer_case (school_move_id, enrolment_id) values (${move}, ${enrolmentId}) returning id`,
  );
  const coaching = activity
    ? await one(sql`insert into coaching_session (enrolment_id, participant_id, coach_user_id, activity_id, starts_at, ends_at)
        values (${enrolmentId}, ${participantId}, ${who}, ${activity}, '2026-04-01T10:00:00Z', '2026-04-01T11:00:00Z') returning id`)
    : 0;
  // Go-live records: the south partner, the participant's account, an area the partner serves, a
  // coach assignment and a schools import.
  const deliveryPartner = await one(sql`select id from delivery_partner where slug = 'south'`);
  const account = await one(sql`select id from app_user where participant_id = ${participantId}`);
  const localAuthority = await one(
    sql`insert into local_authority (code, name) values ('999', 'Matrix Borough') returning id`,
  );
  await db.execute(sql`insert into service_area (lead_provider_id, delivery_partner_id, local_authority_id)
    select lead_provider_id, id, ${localAuthority} from delivery_partner where id = ${deliveryPartner}`);
  const coachUser = await one(sql`select id from app_user where role = 'coach' limit 1`);
  const assignment = await one(
    sql`insert into staff_assignment (user_id, participant_id) values (${coachUser}, ${participantId})
        on conflict (user_id, participant_id) do update set participant_id = excluded.participant_id returning id`,
  );
  const schoolImport = await one(
    sql`insert into school_import (file_name, started_by, status) values ('gias.csv', 'system', 'completed') returning id`,
  );
  // An uploaded import of the south partner's staff.
  const importJob = await one(
    sql`insert into import_job (kind, file_name, status, started_by_user_id, delivery_partner_id, lead_provider_id, rows_received)
        select 'engagement', 'south.csv', 'completed', u.id, dp.id, dp.lead_provider_id, 1
        from app_user u join delivery_partner dp on dp.id = u.delivery_partner_id
        where dp.slug = 'south' and u.role = 'delivery_partner_staff' limit 1 returning id`,
  );
  return {
    importJob,
    deliveryPartner,
    account,
    localAuthority,
    assignment,
    schoolImport,
    booking,
    deferral,
    assessmentDeferral,
    submission,
    move,
    transfer,
    coaching,
    window,
    event,
  };
}

/** Which id fills `{id}` after each path segment. */
function idFor(segment: string): number {
  const map: Record<string, string> = {
    participants: 'participant',
    enrolments: 'enrolment',
    cohorts: 'cohort',
    bookings: 'booking',
    'deferral-cases': 'deferral',
    'assessment-deferral-cases': 'assessmentDeferral',
    'assessment-submissions': 'submission',
    'school-moves': 'move',
    transfers: 'transfer',
    'coaching-sessions': 'coaching',
    'assessment-windows': 'window',
    events: 'event',
    'cohort-events': 'event',
    'delivery-partners': 'deliveryPartner',
    accounts: 'account',
    areas: 'localAuthority',
    assignments: 'assignment',
    'school-imports': 'schoolImport',
    imports: 'importJob',
  };
  return ids[map[segment] ?? 'enrolment'] ?? 0;
}

type JsonSchema = {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  format?: string;
  pattern?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
};
interface Route {
  method: string;
  path: string;
  body?: JsonSchema;
}
let components: Record<string, JsonSchema> = {};

async function routes(): Promise<Route[]> {
  const doc = (await w.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as {
    paths: Record<
      string,
      Record<string, { requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }>
    >;
    components?: { schemas?: Record<string, JsonSchema> };
  };
  components = doc.components?.schemas ?? {};
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops)
      .filter(([m]) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
      .map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        body: op.requestBody?.content?.['application/json']?.schema,
      })),
  );
}

/**
 * A body that passes the route's schema, aimed at the south records, so an outsider's request
 * reaches the service's authorisation instead of stopping at validation.
 */
function validBody(schema: JsonSchema | undefined, name = ''): unknown {
  if (!schema) return {};
  if (schema.$ref) return validBody(components[schema.$ref.split('/').pop() ?? ''], name);
  const choice = schema.anyOf?.[schema.anyOf.length - 1] ?? schema.oneOf?.[0];
  if (choice) return validBody(choice, name);
  if (schema.enum) return schema.enum[0];
  switch (schema.type) {
    case 'object':
      return Object.fromEntries(
        (schema.required ?? Object.keys(schema.properties ?? {})).map((key) => [
          key,
          validBody(schema.properties?.[key], key),
        ]),
      );
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () =>
        validBody(schema.items, name),
      );
    case 'integer':
    case 'number': {
      const byName: Record<string, number | undefined> = {
        enrolmentId: ids.enrolment,
        participantId: ids.participant,
        cohortEventId: ids.event,
        coachingSessionId: ids.coaching,
        coachUserId: ids.coach,
      };
      return byName[name] ?? 1;
    }
    case 'boolean':
      return true;
    case 'string':
      if (schema.format === 'date') return '2026-03-20';
      if (schema.format === 'date-time') return '2026-04-02T10:00:00.000Z';
      if (schema.pattern?.includes('[0-9]{6,7}')) return ids.urn ? String(ids.urn) : '100001';
      if (name === 'circumstance') return 'bereavement';
      if (name === 'reason') return 'other';
      return 'Matrix test';
    default:
      return {};
  }
}

function urlOf(path: string): string {
  const segments = path.split('/');
  return segments
    .map((s, i) => (s.startsWith('{') ? String(idFor(segments[i - 1] ?? '')) : s))
    .join('/');
}

describe('role × route matrix', () => {
  it('has a record of every kind for the south participant', () => {
    expect(Object.entries(ids).filter(([, id]) => !(id > 0))).toEqual([]);
  });

  it('covers the API', async () => {
    expect((await routes()).length).toBeGreaterThanOrEqual(5);
  });

  it('answers 401 to every route but the OpenAPI document when signed out', async () => {
    for (const r of await routes()) {
      if (r.path.endsWith('/openapi.json')) continue;
      const res = await w.app.inject({
        method: r.method as 'GET',
        url: urlOf(r.path),
        payload: r.method === 'GET' ? undefined : {},
      });
      expect([401, 403], `${r.method} ${r.path} signed out`).toContain(res.statusCode);
    }
  });

  it('never fails with a 5xx for any role, and never shows outsiders the south participant', async () => {
    expect(southEmails.length).toBeGreaterThan(0);
    const problems: string[] = [];
    const statuses: number[] = [];
    for (const r of await routes()) {
      for (const role of Object.keys(ROLES)) {
        const res = await sessions[role]!.request({
          method: r.method as 'GET',
          url: urlOf(r.path),
          ...(r.method === 'GET' ? {} : { payload: validBody(r.body) }),
        });
        if ((OUTSIDERS as readonly string[]).includes(role) && r.method !== 'GET') {
          statuses.push(res.statusCode);
        }
        if (res.statusCode >= 500)
          problems.push(
            `${role} ${r.method} ${r.path}: ${res.statusCode} ${res.body.slice(0, 200)}`,
          );
        if ((OUTSIDERS as readonly string[]).includes(role)) {
          // Bulk endpoints answer 200 with per-row errors; what matters is that nothing was written.
          const wroteNothing =
            res.statusCode === 200 && (res.json() as { inserted?: number }).inserted === 0;
          if (r.method !== 'GET' && res.statusCode < 300 && !wroteNothing)
            problems.push(`${role} could ${r.method} ${r.path} (${res.statusCode})`);
          const leaked = southEmails.filter((email) => res.body.includes(email));
          if (leaked.length > 0)
            problems.push(`${role} ${r.method} ${r.path} leaked ${leaked.join(', ')}`);
          if (
            r.path.includes('{id}') &&
            res.statusCode === 200 &&
            !r.path.startsWith('/api/v1/cohorts/')
          ) {
            problems.push(`${role} ${r.method} ${r.path} answered 200 for a south record`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
    // The bodies are valid, so outsiders are stopped by authorisation (403/404), not by validation.
    const refusedByAuthorisation = statuses.filter((s) => s === 403 || s === 404).length;
    expect(refusedByAuthorisation / statuses.length).toBeGreaterThan(0.8);
  });
});

describe('ids at the edge', () => {
  it('refuses ids the database cannot hold, and ids that are not plain digits, with 400', async () => {
    const team = sessions.programme_team!;
    for (const url of [
      '/api/v1/participants/2147483648',
      '/api/v1/participants/0x10',
      '/api/v1/participants/1e3',
      '/api/v1/enrolments/99999999999',
      '/api/v1/school-moves?participantId=2147483648',
    ]) {
      const res = await team.request({ method: 'GET', url });
      expect(res.statusCode, url).toBe(400);
    }
    const booking = await team.request({
      method: 'POST',
      url: '/api/v1/bookings',
      payload: { enrolmentId: 2 ** 31, cohortEventId: 1 },
    });
    expect(booking.statusCode).toBe(400);
    const batch = await team.request({
      method: 'POST',
      url: '/api/v1/engagement/batch',
      payload: [
        {
          participant: `id:${ids.participant}`,
          activityId: 2 ** 31,
          kind: 'study_session',
          occurredAt: '2026-03-01T10:00:00Z',
          source: 'import',
          sourceEventId: 'too-big',
        },
      ],
    });
    expect(batch.statusCode).toBeLessThan(500);
  });
});
