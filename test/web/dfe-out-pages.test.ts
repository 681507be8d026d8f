import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { syncDeclarations } from '../../src/services/dfe/declarations/sync.js';
import { createDemoWorld, pageText, type DemoWorld, type Session } from '../support/demo-world.js';

/**
 * The DfE pages (milestone report, outbox, statements, void) as every role: the programme team
 * and admins act; delivery-partner staff read their own partner's milestone report only; other
 * staff are refused; participants are told the pages do not exist; nobody signed out gets in.
 */
let w: DemoWorld;
const sessions: Record<string, Session> = {};
const ROLES = {
  admin: 'admin@demo.npq-ops.test',
  programme_team: 'programme.team@demo.npq-ops.test',
  north_partner: 'partner.north@demo.npq-ops.test',
  south_partner: 'partner.south@demo.npq-ops.test',
  coach: 'coach@demo.npq-ops.test',
  assessor: 'assessor@demo.npq-ops.test',
  participant: 'participant1@demo.npq-ops.test',
} as const;
type Role = keyof typeof ROLES | 'anonymous';
const STATEMENT = 'dddddddd-0000-4000-8000-000000000001';
let south: { participant_id: number; full_name: string };
let refusedOutboxId: number;
let submittedDeclarationId: number;

beforeAll(async () => {
  w = await createDemoWorld({ participants: 30 });
  const db = w.t.db;
  // The demo does not record commencement: as the commencement page would, at first engagement.
  await db.execute(sql`update enrolment e set commenced_at = f.first_at
    from (select e2.id, min(er.occurred_at) as first_at from enrolment e2
          join engagement_record er on er.participant_id = e2.participant_id
          where e2.status not in ('applied', 'accepted') group by e2.id) f
    where e.id = f.id`);
  await syncDeclarations({ db, clock: w.clock });
  const [found] = await queryRows<{ participant_id: number; full_name: string }>(
    db,
    sql`select e.participant_id, p.full_name from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id
        join participant p on p.id = e.participant_id
        join dfe_declaration d on d.enrolment_id = e.id
        where dp.slug = 'south' order by e.id limit 1`,
  );
  south = found!;
  // One refused declaration (with the DfE's words) and one submitted, in a statement.
  const [refused] = await queryRows<{ id: number }>(
    db,
    sql`update dfe_outbox o set status = 'refused', last_error = 'declaration_date: Before the schedule start'
        from dfe_declaration d where d.id = o.declaration_id and d.participant_id = ${south.participant_id}
          and d.declaration_type = 'started'
        returning o.id::int as id`,
  );
  refusedOutboxId = refused!.id;
  await db.execute(sql`update dfe_declaration set status = 'refused', refusal = 'declaration_date: Before the schedule start'
    where participant_id = ${south.participant_id} and declaration_type = 'started'`);
  const [submitted] = await queryRows<{ id: number }>(
    db,
    sql`update dfe_declaration set status = 'submitted', dfe_id = 'eeeeeeee-0000-4000-8000-000000000001',
          dfe_state = 'eligible', statement_id = ${STATEMENT}
        where id = (select min(id) from dfe_declaration where participant_id <> ${south.participant_id})
        returning id::int as id`,
  );
  submittedDeclarationId = submitted!.id;
  await db.execute(sql`insert into dfe_statement (dfe_id, cohort, month, year, payment_date, paid)
    values (${STATEMENT}, '2025', 'March', '2026', '2026-03-25', false)`);
  for (const [role, email] of Object.entries(ROLES)) sessions[role] = await w.signIn(email);
}, 120_000);
afterAll(async () => {
  await w?.destroy();
});

async function call(role: Role, method: 'GET' | 'POST', url: string, payload?: object) {
  if (role === 'anonymous') return w.app.inject({ method, url, ...(payload ? { payload } : {}) });
  return sessions[role]!.request({ method, url, ...(payload ? { payload } : {}) });
}

describe('role × route', () => {
  const routes: [string, 'GET' | 'POST', () => string, Partial<Record<Role, number>>][] = [
    [
      'milestone report',
      'GET',
      () => '/dfe/declarations',
      {
        admin: 200,
        programme_team: 200,
        north_partner: 200,
        south_partner: 200,
        coach: 403,
        assessor: 403,
        participant: 404,
      },
    ],
    [
      'outbox',
      'GET',
      () => '/dfe/outbox',
      {
        admin: 200,
        programme_team: 200,
        north_partner: 403,
        south_partner: 403,
        coach: 403,
        assessor: 403,
        participant: 404,
      },
    ],
    [
      'statements',
      'GET',
      () => '/dfe/statements',
      {
        admin: 200,
        programme_team: 200,
        north_partner: 403,
        south_partner: 403,
        coach: 403,
        assessor: 403,
        participant: 404,
      },
    ],
    [
      'one statement',
      'GET',
      () => `/dfe/statements/${STATEMENT}`,
      {
        admin: 200,
        programme_team: 200,
        north_partner: 403,
        south_partner: 403,
        coach: 403,
        assessor: 403,
        participant: 404,
      },
    ],
    [
      'void form',
      'GET',
      () => `/dfe/declarations/${submittedDeclarationId}/void?participant=1`,
      {
        admin: 200,
        programme_team: 200,
        north_partner: 404,
        south_partner: 404,
        coach: 404,
        assessor: 404,
        participant: 404,
      },
    ],
    [
      'dismiss a refused request',
      'POST',
      () => `/dfe/outbox/${refusedOutboxId}/dismiss`,
      { north_partner: 403, south_partner: 403, coach: 403, assessor: 403, participant: 404 },
    ],
    [
      'void a declaration',
      'POST',
      () => `/dfe/declarations/${submittedDeclarationId}/void`,
      { north_partner: 403, south_partner: 403, coach: 403, assessor: 403, participant: 404 },
    ],
  ];
  for (const [name, method, url, expected] of routes) {
    it(`${name}: ${method} as each role`, async () => {
      const payload = method === 'POST' ? { reason: 'Test', participantId: '1' } : undefined;
      for (const [role, status] of Object.entries(expected)) {
        const res = await call(role as Role, method, url(), payload);
        expect([role, res.statusCode]).toEqual([role, status]);
      }
      const anon = await call('anonymous', method, url(), payload);
      expect(
        anon.statusCode === 401 ||
          anon.statusCode === 403 ||
          (anon.statusCode >= 300 && anon.statusCode < 400),
      ).toBe(true);
      expect(anon.body).not.toContain('DfE');
    });
  }
});

describe('what the pages show', () => {
  it('the milestone report counts per partner and course, with the DfE refusal; a partner sees only their own', async () => {
    const pt = pageText((await call('programme_team', 'GET', '/dfe/declarations')).body);
    expect(pt).toContain('DfE sync is off');
    expect(pt).toMatch(/South Hub|south/i);
    expect(pt).toContain(south.full_name);
    expect(pt).toContain('declaration_date: Before the schedule start');
    const north = pageText((await call('north_partner', 'GET', '/dfe/declarations')).body);
    expect(north).not.toContain(south.full_name);
    const southPage = pageText((await call('south_partner', 'GET', '/dfe/declarations')).body);
    expect(southPage).toContain(south.full_name);
  });

  it("the participant's record lists their declarations", async () => {
    const res = await call('programme_team', 'GET', `/participants/${south.participant_id}`);
    expect(res.statusCode).toBe(200);
    const text = pageText(res.body);
    expect(text).toContain('DfE declarations');
    expect(text).toMatch(/started .* refused: declaration_date: Before the schedule start/);
  });

  it('the statement lists the declaration in it', async () => {
    const list = pageText((await call('admin', 'GET', '/dfe/statements')).body);
    expect(list).toContain('March 2026');
    const one = await call('admin', 'GET', `/dfe/statements/${STATEMENT}`);
    expect(pageText(one.body)).toContain('eligible');
  });

  it('the programme team retries a refused request and voids a submitted declaration', async () => {
    const retry = await call('programme_team', 'POST', `/dfe/outbox/${refusedOutboxId}/retry`);
    expect(retry.statusCode).toBe(303);
    const [o] = await queryRows<{ status: string }>(
      w.t.db,
      sql`select status from dfe_outbox where id = ${refusedOutboxId}`,
    );
    expect(o!.status).toBe('pending');
    const empty = await call(
      'programme_team',
      'POST',
      `/dfe/declarations/${submittedDeclarationId}/void`,
      {
        reason: '',
        participantId: '1',
      },
    );
    expect(empty.statusCode).toBe(422);
    expect(pageText(empty.body)).toContain('There is a problem');
    const voided = await call(
      'programme_team',
      'POST',
      `/dfe/declarations/${submittedDeclarationId}/void`,
      {
        reason: 'Engagement record entered against the wrong person',
        participantId: '1',
      },
    );
    expect(voided.statusCode).toBe(303);
    const [d] = await queryRows<{ status: string }>(
      w.t.db,
      sql`select status from dfe_declaration where id = ${submittedDeclarationId}`,
    );
    expect(d!.status).toBe('voiding');
  });
});

describe('the JSON API under /api/v1/dfe (programme team and admins only)', () => {
  const staffOnly = (ok: number) => ({
    admin: ok,
    programme_team: ok,
    north_partner: 403,
    south_partner: 403,
    coach: 403,
    assessor: 403,
    participant: 403,
  });
  const routes: [string, 'GET' | 'POST', () => string, Partial<Record<Role, number>>][] = [
    ['milestone report', 'GET', () => '/api/v1/dfe/declarations', staffOnly(200)],
    ['outbox', 'GET', () => '/api/v1/dfe/outbox', staffOnly(200)],
    ['statements', 'GET', () => '/api/v1/dfe/statements', staffOnly(200)],
    ['one statement', 'GET', () => `/api/v1/dfe/statements/${STATEMENT}`, staffOnly(200)],
    [
      'retry a refused request',
      'POST',
      () => `/api/v1/dfe/outbox/${refusedOutboxId}/retry`,
      { ...staffOnly(200), admin: undefined, programme_team: undefined },
    ],
    [
      'dismiss a refused request',
      'POST',
      () => `/api/v1/dfe/outbox/${refusedOutboxId}/dismiss`,
      { ...staffOnly(200), admin: undefined, programme_team: undefined },
    ],
  ];
  for (const [name, method, url, expected] of routes) {
    it(`${name}: ${method} as each role`, async () => {
      for (const [role, status] of Object.entries(expected)) {
        if (status === undefined) continue;
        const res = await call(role as Role, method, url(), method === 'POST' ? {} : undefined);
        expect([role, res.statusCode]).toEqual([role, status]);
      }
      const anon = await call('anonymous', method, url(), method === 'POST' ? {} : undefined);
      expect(anon.statusCode).toBe(401);
    });
  }

  it('says sync is off, shows the refusal in the DfE’s words, the statement, and retries it', async () => {
    // Refused again (the page tests above sent it again).
    await w.t.db.execute(
      sql`update dfe_outbox set status = 'refused', attempts = 1, last_error = 'declaration_date: Before the schedule start'
          where id = ${refusedOutboxId}`,
    );
    await w.t.db.execute(
      sql`update dfe_declaration set status = 'refused', refusal = 'declaration_date: Before the schedule start'
          where participant_id = ${south.participant_id} and declaration_type = 'started'`,
    );
    const outbox = (await call('programme_team', 'GET', '/api/v1/dfe/outbox')).json();
    expect(outbox.dfeSyncOn).toBe(false);
    expect(outbox.attention).toContainEqual(
      expect.objectContaining({
        id: refusedOutboxId,
        status: 'refused',
        lastError: 'declaration_date: Before the schedule start',
        participantId: south.participant_id,
      }),
    );
    const report = (await call('programme_team', 'GET', '/api/v1/dfe/declarations')).json();
    expect(report.refused).toContainEqual(
      expect.objectContaining({ fullName: south.full_name, declarationType: 'started' }),
    );
    expect(report.totals.refused).toBeGreaterThanOrEqual(1);
    const statements = (await call('admin', 'GET', '/api/v1/dfe/statements')).json();
    expect(statements.statements).toContainEqual(
      expect.objectContaining({ dfeId: STATEMENT, declarations: 1 }),
    );
    const retried = await call(
      'programme_team',
      'POST',
      `/api/v1/dfe/outbox/${refusedOutboxId}/retry`,
      {},
    );
    expect(retried.json()).toEqual({ id: refusedOutboxId, status: 'queued' });
    const [row] = await queryRows<{ status: string; attempts: number }>(
      w.t.db,
      sql`select status, attempts from dfe_outbox where id = ${refusedOutboxId}`,
    );
    expect(row).toEqual({ status: 'pending', attempts: 0 });
    // Only a refused, failed or parked request can be dismissed: it is waiting now.
    const again = await call(
      'programme_team',
      'POST',
      `/api/v1/dfe/outbox/${refusedOutboxId}/dismiss`,
      {},
    );
    expect(again.statusCode).toBe(409);
  });
});
