import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { DEFAULT_DEMO_NOW } from '../../src/db/seed/demo.js';
import {
  catalogueForFake,
  seedApplications,
  startFakeDfe,
  type FakeApplication,
  type FakeDfe,
} from '../../src/services/dfe/fake/index.js';
import { deliverDueDfeRequests } from '../../src/services/dfe/outbox/delivery.js';
import { createDfeClient } from '../../src/services/dfe/client.js';
import { createDemoWorld, pageText, type DemoWorld, type Session } from '../support/demo-world.js';
import { formFields } from '../support/forms.js';

// The applications queue and DfE sync through the app's own pages and JSON API, against the
// stateful fake DfE; who may see and do what; and the plain words when DfE sync is off.
let w: DemoWorld;
let off: DemoWorld;
let fake: FakeDfe;
let apps: FakeApplication[];
const sessions: Record<string, Session> = {};

const ROLES = {
  admin: 'admin@demo.npq-ops.test',
  programme_team: 'programme.team@demo.npq-ops.test',
  partner: 'partner.north@demo.npq-ops.test',
  coach: 'coach@demo.npq-ops.test',
  assessor: 'assessor@demo.npq-ops.test',
  participant: 'participant1@demo.npq-ops.test',
} as const;

beforeAll(async () => {
  fake = await startFakeDfe({ now: () => new Date(DEFAULT_DEMO_NOW) });
  w = await createDemoWorld({
    participants: 12,
    env: { DFE_API_URL: fake.url, DFE_API_TOKEN: 'fake-token' },
  });
  off = await createDemoWorld({ participants: 8 });
  apps = seedApplications(fake.state, {
    count: 30,
    before: DEFAULT_DEMO_NOW,
    ...(await catalogueForFake(w.t.db, { fromYear: 2026 })),
  });
  apps[0]!.attributes.eligible_for_funding = true;
  for (const [role, email] of Object.entries(ROLES)) sessions[role] = await w.signIn(email);
}, 120_000);
afterAll(async () => {
  await w?.destroy();
  await off?.destroy();
  await fake?.stop();
});

const team = () => sessions.programme_team!;

/**
 * Decisions are sent straight after they are made, in the background; this waits for that to
 * finish, then runs a delivery as the scheduled job would (it finds nothing left if all went).
 */
async function settle(): Promise<void> {
  const dfe = createDfeClient({ url: fake.url, token: 't' });
  for (let i = 0; i < 100; i += 1) {
    await deliverDueDfeRequests({ db: w.t.db, clock: w.clock, client: dfe });
    const waiting = await queryRows(
      w.t.db,
      sql`select 1 from dfe_outbox where application_id is not null
            and (status = 'sending' or (status = 'pending' and next_attempt_at <= ${w.clock.now()}))`,
    );
    if (waiting.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('Decisions still waiting to be sent');
}
async function localId(dfeId: string): Promise<number> {
  const [row] = await queryRows<{ id: number }>(
    w.t.db,
    sql`select id from dfe_application where dfe_id = ${dfeId}`,
  );
  return row!.id;
}

describe('applications arrive and are decided on the pages', () => {
  it('pulls on request from the sync page and lists the applications to decide', async () => {
    const sync = await team().request({ method: 'GET', url: '/dfe/sync' });
    expect(sync.statusCode).toBe(200);
    expect(pageText(sync.body)).toContain('Last successful pull Never');
    const pulled = await team().request({
      method: 'POST',
      url: '/dfe/sync/pull',
      payload: formFields(sync.body, '/dfe/sync/pull'),
    });
    expect(pulled.statusCode).toBe(303);
    expect(pulled.headers.location).toBe('/dfe/sync?done=pulled');
    const after = pageText(
      (await team().request({ method: 'GET', url: '/dfe/sync?done=pulled' })).body,
    );
    expect(after).toContain('Pull finished');
    expect(after).toMatch(/Last successful pull .*30 applications received/);
    const list = await team().request({ method: 'GET', url: '/dfe/applications' });
    expect(pageText(list.body)).toContain('To decide (30)');
    // Oldest change first.
    const oldest = [...apps].sort((a, b) =>
      a.attributes.updated_at!.localeCompare(b.attributes.updated_at!),
    )[0]!;
    expect(pageText(list.body)).toContain(oldest.attributes.full_name!);
  });

  it('shows everything needed to decide, and accepting creates the participant and tells the DfE', async () => {
    const app = apps[0]!;
    const id = await localId(app.id);
    const detail = await team().request({ method: 'GET', url: `/dfe/applications/${id}` });
    const text = pageText(detail.body);
    for (const label of [
      'TRN',
      'Eligible for DfE funding',
      'Funded place',
      'School',
      'Course',
      'Cohort',
      'Schedule',
      'Delivery partner',
    ])
      expect(text).toContain(label);
    expect(text).toContain(app.attributes.school_urn!);
    // Without an answer on the funded place: the error summary and the field error.
    const fields = formFields(detail.body, `/dfe/applications/${id}/accept`);
    const [north] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select id from delivery_partner where slug = 'north'`,
    );
    const refused = await team().request({
      method: 'POST',
      url: `/dfe/applications/${id}/accept`,
      payload: { ...fields, deliveryPartnerId: String(north!.id) },
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain('govuk-error-summary');
    expect(refused.body).toContain('href="#fundedPlace"');
    const accepted = await team().request({
      method: 'POST',
      url: `/dfe/applications/${id}/accept`,
      payload: { ...fields, deliveryPartnerId: String(north!.id), fundedPlace: 'yes' },
    });
    expect(accepted.statusCode).toBe(303);
    expect(accepted.headers.location).toBe(`/dfe/applications/${id}?done=accepted`);
    // The decision is sent straight after (or by the next run): make sure it has gone.
    await settle();
    expect(fake.state.applications.get(app.id)!.attributes.status).toBe('accepted');
    const done = pageText(
      (await team().request({ method: 'GET', url: accepted.headers.location as string })).body,
    );
    expect(done).toContain('Application accepted');
    expect(done).toContain('Sent to the DfE');
    expect(done).toMatch(/Open .*'s record/);
  });

  it('rejects with a reason through the JSON API', async () => {
    const id = await localId(apps[1]!.id);
    const got = await team().request({ method: 'GET', url: `/api/v1/dfe/applications/${id}` });
    expect(got.statusCode).toBe(200);
    const body = got.json() as { version: number; dfeStatus: string };
    expect(body.dfeStatus).toBe('pending');
    const res = await team().request({
      method: 'POST',
      url: `/api/v1/dfe/applications/${id}/reject`,
      payload: { reason: 'Applied to the wrong provider', expectedVersion: body.version },
    });
    expect(res.statusCode).toBe(200);
    await settle();
    expect(fake.state.applications.get(apps[1]!.id)!.attributes.status).toBe('rejected');
    const again = await team().request({
      method: 'POST',
      url: `/api/v1/dfe/applications/${id}/reject`,
      payload: { reason: 'Twice', expectedVersion: body.version },
    });
    expect(again.statusCode).toBe(409);
  });

  it('shows a refusal on the sync page with the DfE’s words and sends it again on request', async () => {
    const app = apps[2]!;
    const id = await localId(app.id);
    fake.state.acceptApplication(
      app.id,
      app.attributes.eligible_for_funding ? { funded_place: false } : {},
    );
    const { version } = (
      await team().request({ method: 'GET', url: `/api/v1/dfe/applications/${id}` })
    ).json() as { version: number };
    await team().request({
      method: 'POST',
      url: `/api/v1/dfe/applications/${id}/reject`,
      payload: { reason: 'Not eligible', expectedVersion: version },
    });
    await settle();
    const sync = await team().request({ method: 'GET', url: '/dfe/sync' });
    expect(pageText(sync.body)).toContain('Once accepted an application cannot change state');
    const status = (await team().request({ method: 'GET', url: '/api/v1/dfe/sync' })).json() as {
      failures: { id: number }[];
    };
    const retry = await team().request({
      method: 'POST',
      url: `/dfe/sync/actions/${status.failures[0]!.id}/retry`,
      payload: formFields(sync.body, `/dfe/sync/actions/${status.failures[0]!.id}/retry`),
    });
    expect(retry.statusCode).toBe(303);
  });
});

describe('who may see and act on applications', () => {
  it('lets only the programme team and admins in; others are told the pages do not exist', async () => {
    const id = await localId(apps[5]!.id);
    const pages = ['/dfe/applications', `/dfe/applications/${id}`, '/dfe/sync'];
    const posts = [
      `/dfe/applications/${id}/accept`,
      `/dfe/applications/${id}/reject`,
      `/dfe/applications/${id}/change-funded-place`,
      '/dfe/sync/pull',
      '/dfe/sync/actions/1/retry',
      '/dfe/sync/parked/1/dismiss',
    ];
    const apis = ['/api/v1/dfe/applications', `/api/v1/dfe/applications/${id}`, '/api/v1/dfe/sync'];
    for (const [role, session] of Object.entries(sessions)) {
      const allowed = role === 'admin' || role === 'programme_team';
      for (const url of pages) {
        const res = await session.request({ method: 'GET', url });
        expect(res.statusCode, `${role} GET ${url}`).toBe(allowed ? 200 : 404);
      }
      for (const url of apis) {
        const res = await session.request({ method: 'GET', url });
        expect(res.statusCode, `${role} GET ${url}`).toBe(allowed ? 200 : 404);
      }
      if (allowed) continue;
      for (const url of posts) {
        const res = await session.request({
          method: 'POST',
          url,
          payload: { _csrf: session.csrf, reason: 'x', expectedVersion: '1' },
        });
        expect(res.statusCode, `${role} POST ${url}`).toBe(404);
      }
      const api = await session.request({
        method: 'POST',
        url: `/api/v1/dfe/applications/${id}/reject`,
        payload: { reason: 'x', expectedVersion: 1 },
      });
      expect(api.statusCode).toBe(404);
      const nav = await session.request({ method: 'GET', url: '/' });
      expect(nav.body).not.toContain('href="/dfe/applications"');
    }
    // Signed out: to the sign-in page.
    const anonymous = await w.app.inject({ method: 'GET', url: '/dfe/applications' });
    expect(anonymous.statusCode).toBe(302);
    // Nothing was decided by anyone who may not.
    const [decided] = await queryRows<{ decision: string | null }>(
      w.t.db,
      sql`select decision from dfe_application where id = ${id}`,
    );
    expect(decided!.decision).toBeNull();
  });
});

/** A deferral case of the demo (one is made through the API when the demo has none). */
async function anyDeferralCase(world: DemoWorld): Promise<number> {
  const [existing] = await queryRows<{ id: number }>(
    world.t.db,
    sql`select id from deferral_case order by id limit 1`,
  );
  if (existing) return existing.id;
  const [enrolment] = await queryRows<{ id: number }>(
    world.t.db,
    sql`select e.id from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id
        where dp.slug = 'south' and e.status = 'active' order by e.id limit 1`,
  );
  const partner = await world.signIn('partner.south@demo.npq-ops.test');
  const created = await partner.request({
    method: 'POST',
    url: '/api/v1/deferral-cases',
    payload: {
      enrolmentId: enrolment!.id,
      circumstance: 'bereavement',
      description: 'DfE sync test',
    },
  });
  expect(created.statusCode, created.body).toBe(201);
  return (created.json() as { id: number }).id;
}

describe('with DfE sync off', () => {
  it('says so plainly on the sync and applications pages, refuses a pull, and on case pages', async () => {
    const admin = await off.signIn(ROLES.admin);
    const sync = pageText((await admin.request({ method: 'GET', url: '/dfe/sync' })).body);
    expect(sync).toContain('DfE sync is off');
    expect(sync).not.toContain('Pull applications now');
    expect(
      pageText((await admin.request({ method: 'GET', url: '/dfe/applications' })).body),
    ).toContain('DfE sync is off');
    const pull = await admin.request({ method: 'POST', url: '/api/v1/dfe/sync/pull', payload: {} });
    expect(pull.statusCode).toBe(422);
    expect(pull.body).toContain('DfE sync is off');
    const caseId = await anyDeferralCase(off);
    const casePage = pageText(
      (await admin.request({ method: 'GET', url: `/cases/deferrals/${caseId}` })).body,
    );
    expect(casePage).toContain('not reported: DfE sync is off');
    expect(casePage).not.toContain('Reason reported to the DfE');
    // With DfE sync on, the same page says the reason is reported.
    const onPage = pageText(
      (
        await sessions.admin!.request({
          method: 'GET',
          url: `/cases/deferrals/${await anyDeferralCase(w)}`,
        })
      ).body,
    );
    expect(onPage).toContain('Reason reported to the DfE');
  });
});
