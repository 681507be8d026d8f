import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { createDemoWorld, type DemoWorld, type Session } from './demo-world.js';

/**
 * The world for the role × route matrix (test/web/api-role-matrix*.test.ts): a small demo, a
 * session for every role, one record of every kind for a participant of the SOUTH delivery
 * partner, and the API's routes read from its OpenAPI document. `checkCell` sends one role's
 * requests to one group of routes, so each test does a bounded amount of work however many routes
 * the API grows (a group holds a few route families; `other` catches families no group names).
 */
export const ROLES = {
  north_partner: 'partner.north@demo.npq-ops.test',
  north_participant: 'participant2@demo.npq-ops.test',
  south_participant: 'participant1@demo.npq-ops.test',
  coach: 'coach@demo.npq-ops.test',
  assessor: 'assessor@demo.npq-ops.test',
  south_partner: 'partner.south@demo.npq-ops.test',
  programme_team: 'programme.team@demo.npq-ops.test',
  admin: 'admin@demo.npq-ops.test',
} as const;
export type Role = keyof typeof ROLES;

/** Roles that must not see the south participant used for the ids. */
export const OUTSIDERS: readonly Role[] = ['north_partner', 'north_participant'];
export const INSIDERS: readonly Role[] = (Object.keys(ROLES) as Role[]).filter(
  (r) => !OUTSIDERS.includes(r),
);

/** Route families (the path segment after /api/v1/) in groups of at most MAX_GROUP_SIZE routes. */
export const ROUTE_GROUPS = {
  people: ['participants', 'me', 'session', 'email-messages', 'audit-events'],
  enrolments: ['enrolments'],
  deferrals: ['deferral-cases'],
  assessment: ['assessment-deferral-cases', 'assessment-submissions'],
  'bookings and engagement': [
    'bookings',
    'coaching-sessions',
    'attendance',
    'engagement',
    // GET /cohorts, and cohort set-up: POST /cohorts, GET and PATCH /cohorts/{id} (programme team).
    'cohorts',
  ],
  'moves and transfers': ['school-moves', 'transfers', 'withdrawals'],
  'accounts and assignments': ['accounts', 'assignments', 'assignable-staff'],
  organisation: ['delivery-partners', 'lead-provider', 'local-authorities', 'schools'],
  imports: ['school-imports', 'imports', 'import-referrals'],
  dfe: ['dfe'],
  reports: ['reports'],
  policy: ['policy-versions'],
  other: [],
} as const satisfies Record<string, readonly string[]>;
export type RouteGroup = keyof typeof ROUTE_GROUPS;
export const GROUP_NAMES = Object.keys(ROUTE_GROUPS) as RouteGroup[];
/** The most routes one matrix test may send (per role): keeps each test short under load. */
export const MAX_GROUP_SIZE = 20;

/**
 * Requests an outsider sends with a valid-looking body that are stopped before authorisation, with
 * why; every other unsafe request from an outsider must be refused by authorisation (403/404).
 */
export const OUTSIDER_REFUSALS_BEFORE_AUTHORISATION: Record<string, readonly number[]> = {
  // The matrix's generated body does not satisfy the cross-field checks these routes make first.
  'POST /api/v1/attendance': [400],
  'POST /api/v1/coaching-sessions': [400],
  'POST /api/v1/assignments': [400],
  'POST /api/v1/lead-provider/areas': [400],
  'POST /api/v1/delivery-partners/{id}/areas': [400],
  // Path parameters are checked at the edge (a cohort year from 2021, one of the DfE's schedules);
  // the matrix's generated values are not, so the edge refuses before the service's 403.
  'PUT /api/v1/dfe/milestones/{cohortYear}/{schedule}': [400, 403],
  // Uploads take a multipart file, which the matrix's JSON body is not (a participant is refused first).
  'POST /api/v1/imports/participants': [403, 415],
  'POST /api/v1/imports/engagement': [403, 415],
  // Bulk endpoints answer 200 with per-row errors for a partner (nothing written, checked below).
  'POST /api/v1/engagement/batch': [200, 403],
  'POST /api/v1/engagement/import': [200, 403],
};

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
export interface Route {
  method: string;
  path: string;
  body?: JsonSchema;
}

export interface MatrixWorld {
  w: DemoWorld;
  sessions: Record<Role, Session>;
  ids: Record<string, number>;
  southEmails: string[];
  routes: Route[];
  groupOf(route: Route): RouteGroup;
  routesIn(group: RouteGroup): Route[];
  urlOf(path: string): string;
  validBody(schema: JsonSchema | undefined, name?: string): unknown;
  /** Which of the south records the ids point at are missing now (should be none). */
  missingRecords(): Promise<string[]>;
  /** Sends `role`'s requests to every route in `group`; returns what went wrong (empty if nothing). */
  checkCell(role: Role, group: RouteGroup): Promise<{ problems: string[]; sent: number }>;
  destroy(): Promise<void>;
}

export async function createMatrixWorld(): Promise<MatrixWorld> {
  const w = await createDemoWorld({ participants: 12 });
  const sessions = {} as Record<Role, Session>;
  for (const [role, email] of Object.entries(ROLES)) {
    sessions[role as Role] = await w.signIn(email);
  }
  const [target] = await queryRows<{
    participant_id: number;
    enrolment_id: number;
    cohort_id: number;
  }>(
    w.t.db,
    sql`select e.participant_id, e.id as enrolment_id, e.cohort_id
        from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id join participant p on p.id = e.participant_id
        where dp.slug = 'south' and p.email = ${ROLES.south_participant}`,
  );
  if (!target) throw new Error('The demo has no south enrolment for participant1');
  const southEmails = (
    await queryRows<{ email: string }>(
      w.t.db,
      sql`select distinct p.email from participant p join enrolment e on e.participant_id = p.id
          join delivery_partner dp on dp.id = e.delivery_partner_id where dp.slug = 'south'
          and not exists (select 1 from enrolment e2 join delivery_partner d2 on d2.id = e2.delivery_partner_id
                          where e2.participant_id = p.id and d2.slug <> 'south')`,
    )
  ).map((r) => r.email);
  const ids: Record<string, number> = {
    participant: target.participant_id,
    enrolment: target.enrolment_id,
    cohort: target.cohort_id,
    ...(await caseIdsFor(w, sessions.south_partner, target.enrolment_id, target.participant_id)),
  };

  const doc = (await w.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as {
    paths: Record<
      string,
      Record<string, { requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }>
    >;
    components?: { schemas?: Record<string, JsonSchema> };
  };
  const components = doc.components?.schemas ?? {};
  const routes: Route[] = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops)
      .filter(([m]) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
      .map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        body: op.requestBody?.content?.['application/json']?.schema,
      })),
  );

  const groupOf = (route: Route): RouteGroup => {
    const family = route.path.split('/')[3] ?? '';
    return (
      GROUP_NAMES.find((g) => (ROUTE_GROUPS[g] as readonly string[]).includes(family)) ?? 'other'
    );
  };

  /** Which id fills `{id}` after each path segment. */
  const idFor = (segment: string): number => {
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
  };

  const urlOf = (path: string): string => {
    const segments = path.split('/');
    return segments
      .map((s, i) => (s.startsWith('{') ? String(idFor(segments[i - 1] ?? '')) : s))
      .join('/');
  };

  /**
   * A body that passes the route's schema, aimed at the south records, so an outsider's request
   * reaches the service's authorisation instead of stopping at validation.
   */
  const validBody = (schema: JsonSchema | undefined, name = ''): unknown => {
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
  };

  const TABLES: Record<string, string> = {
    participant: 'participant',
    enrolment: 'enrolment',
    cohort: 'cohort',
    booking: 'event_booking',
    deferral: 'deferral_case',
    assessmentDeferral: 'assessment_deferral_case',
    submission: 'assessment_submission',
    move: 'school_move',
    transfer: 'transfer_case',
    coaching: 'coaching_session',
    window: 'assessment_window',
    event: 'cohort_event',
    deliveryPartner: 'delivery_partner',
    account: 'app_user',
    localAuthority: 'local_authority',
    assignment: 'staff_assignment',
    schoolImport: 'school_import',
    importJob: 'import_job',
  };

  const world: MatrixWorld = {
    w,
    sessions,
    ids,
    southEmails,
    routes,
    groupOf,
    routesIn: (group) => routes.filter((r) => groupOf(r) === group),
    urlOf,
    validBody,
    async missingRecords() {
      const checks = Object.entries(TABLES).map(
        ([key, table]) =>
          sql`select ${key}::text as key where not exists (select 1 from ${sql.identifier(table)} where id = ${ids[key] ?? 0})`,
      );
      const rows = await queryRows<{ key: string }>(w.t.db, sql.join(checks, sql` union all `));
      return rows.map((r) => r.key);
    },
    async checkCell(role, group) {
      const problems: string[] = [];
      const outsider = OUTSIDERS.includes(role);
      const inGroup = world.routesIn(group);
      for (const r of inGroup) {
        const res = await sessions[role].request({
          method: r.method as 'GET',
          url: urlOf(r.path),
          ...(r.method === 'GET' ? {} : { payload: validBody(r.body) }),
        });
        const label = `${role} ${r.method} ${r.path}`;
        if (res.statusCode >= 500) {
          problems.push(`${label}: ${res.statusCode} ${res.body.slice(0, 200)}`);
        }
        if (!outsider) continue;
        const leaked = southEmails.filter((email) => res.body.includes(email));
        if (leaked.length > 0) problems.push(`${label} leaked ${leaked.join(', ')}`);
        if (
          r.path.includes('{id}') &&
          res.statusCode === 200 &&
          !r.path.startsWith('/api/v1/cohorts/')
        ) {
          problems.push(`${label} answered 200 for a south record`);
        }
        if (r.method === 'GET') continue;
        // The bodies are valid, so outsiders are stopped by authorisation (403/404), not by
        // validation — except where listed, with the reason.
        const allowed = OUTSIDER_REFUSALS_BEFORE_AUTHORISATION[`${r.method} ${r.path}`] ?? [
          403, 404,
        ];
        if (!allowed.includes(res.statusCode)) {
          problems.push(
            `${label} answered ${res.statusCode}, expected one of ${allowed.join('/')}`,
          );
        }
        // Bulk endpoints answer 200 with per-row errors; what matters is that nothing was written.
        if (res.statusCode === 200 && (res.json() as { inserted?: number }).inserted !== 0) {
          problems.push(`${label} wrote something (${res.body.slice(0, 200)})`);
        }
      }
      return { problems, sent: inGroup.length };
    },
    destroy: () => w.destroy(),
  };
  return world;
}

/** One record of each kind for the target enrolment, made directly so the matrix never depends on other features. */
async function caseIdsFor(
  w: DemoWorld,
  southPartner: Session,
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
  const created = await southPartner.request({
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
