import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { Clock } from '../../../src/clock.js';
import { queryRows } from '../../../src/db/client.js';
import { SYSTEM, type Actor } from '../../../src/services/actor.js';
import { createDfeClient } from '../../../src/services/dfe/client.js';
import { resolveOutboxRequest } from '../../../src/services/dfe/outbox/backlog.js';
import { deliverDueDfeRequests } from '../../../src/services/dfe/outbox/delivery.js';
import { enqueueApplicationDecision } from '../../../src/services/dfe/outbox/enqueue.js';
import { withdrawEnrolment } from '../../../src/services/withdrawals.js';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.js';
import { dfeIdOf, insertDfeWorld, scriptedDfe, type FakeCall } from './dfe-world.js';

// The one DfE outbox: application decisions travel with participant changes and declarations,
// an enrolment's changes wait for the accept that created it, and an answer that breaks the
// contract is parked with a staff task (nothing of it applied) and reconciled, not resent.
let t: TestDatabase;
const now = new Date('2026-12-03T10:00:00Z');
const clock: Clock = { now: () => new Date(now) };
let world: Awaited<ReturnType<typeof insertDfeWorld>>;
let applicationId: number;
const APPLICATION = '3fa85f64-5717-4562-b3fc-2c963f66afa6';
const admin: Actor = { userId: 0, role: 'admin', email: 'admin@test' } as unknown as Actor;

beforeAll(async () => {
  t = await createTestDatabase();
  world = await insertDfeWorld(t.db, 2);
  const [row] = await queryRows<{ id: number }>(
    t.db,
    sql`insert into dfe_application (dfe_id, dfe_participant_id, dfe_status, course_identifier, cohort_year,
          full_name, eligible_for_funding, trn_validated, dfe_updated_at, attributes, first_pulled_at, last_pulled_at, decision)
        values (${APPLICATION}, ${dfeIdOf(1)}, 'pending', 'npq-headship', 2025, 'Test Person', true, true,
                now(), '{}'::jsonb, now(), now(), 'accepted') returning id`,
  );
  applicationId = row!.id;
});
afterAll(async () => {
  await t.destroy();
});
beforeEach(async () => {
  await t.db.execute(sql`delete from staff_task`);
  await t.db.execute(sql`delete from dfe_outbox`);
  await t.db.execute(sql`delete from dfe_declaration`);
  await t.db.execute(sql`delete from dfe_parked_response`);
  await t.db.execute(sql`delete from withdrawal`);
  await t.db.execute(sql`update enrolment set status = 'active', version = 1`);
});

const deliver = (answer: Parameters<typeof scriptedDfe>[0]) => {
  const dfe = scriptedDfe(answer);
  const client = createDfeClient({ url: 'http://dfe.test', token: 't' }, { fetch: dfe.fetch });
  return deliverDueDfeRequests({ db: t.db, clock, client }).then((report) => ({
    report,
    calls: dfe.calls,
  }));
};
const outbox = () =>
  queryRows<{ action: string; status: string; last_error: string | null }>(
    t.db,
    sql`select action, status, last_error from dfe_outbox order by id`,
  );

describe('application decisions in the one DfE outbox', () => {
  it("holds an enrolment's changes until the DfE has the accept that created it", async () => {
    const enrolmentId = world.enrolmentIds[0]!;
    await t.db.transaction((tx) =>
      enqueueApplicationDecision(tx, {
        key: 'accept:test',
        action: 'accept',
        applicationId,
        attributes: { funded_place: true },
        enrolmentId,
        participantId: world.participantIds[0]!,
        createdBy: 'test',
        at: now,
      }),
    );
    await t.db.transaction((tx) =>
      withdrawEnrolment(tx, {
        enrolmentId,
        reason: 'change-in-career',
        withdrawnOn: '2026-12-01',
        who: SYSTEM,
        at: now,
      }),
    );
    // The DfE refuses the accept (and its application is not accepted there): the withdrawal waits.
    const refused = await deliver((call: FakeCall) =>
      call.method === 'GET'
        ? { status: 200, body: { data: { id: APPLICATION, attributes: { status: 'pending' } } } }
        : { status: 422, body: { errors: [{ title: 'funded_place', detail: 'is required' }] } },
    );
    expect(refused.report).toMatchObject({ refused: 1, sent: 0 });
    expect(refused.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      `POST /api/v3/npq-applications/${APPLICATION}/accept`,
      `GET /api/v3/npq-applications/${APPLICATION}`,
    ]);
    expect(await outbox()).toMatchObject([
      { action: 'accept', status: 'refused', last_error: 'funded_place: is required' },
      { action: 'withdraw', status: 'pending' },
    ]);
    const tasks = await queryRows<{ enrolment_id: number }>(
      t.db,
      sql`select enrolment_id from staff_task where kind = 'dfe_refused'`,
    );
    expect(tasks).toEqual([{ enrolment_id: enrolmentId }]);
  });

  it('a reject (no enrolment) refused by the DfE opens a staff task with the DfE text', async () => {
    await t.db.transaction((tx) =>
      enqueueApplicationDecision(tx, {
        key: 'reject:test',
        action: 'reject',
        applicationId,
        attributes: {},
        createdBy: 'test',
        at: now,
      }),
    );
    const { report } = await deliver((call: FakeCall) =>
      call.method === 'GET'
        ? { status: 200, body: { data: { id: APPLICATION, attributes: { status: 'accepted' } } } }
        : {
            status: 422,
            body: {
              errors: [
                {
                  title: 'npq_application',
                  detail: 'Once accepted an application cannot change state',
                },
              ],
            },
          },
    );
    expect(report).toMatchObject({ refused: 1 });
    const tasks = await queryRows<{ enrolment_id: number | null; last_error: string }>(
      t.db,
      sql`select x.enrolment_id, o.last_error from staff_task x join dfe_outbox o on o.id = x.dfe_outbox_id`,
    );
    expect(tasks).toEqual([
      {
        enrolment_id: null,
        last_error: 'npq_application: Once accepted an application cannot change state',
      },
    ]);
  });
});

describe('an answer that does not match the contract', () => {
  it('is parked with a staff task, nothing applied; sending again reconciles instead of resending', async () => {
    const enrolmentId = world.enrolmentIds[1]!;
    const [d] = await queryRows<{ id: number }>(
      t.db,
      sql`insert into dfe_declaration (enrolment_id, participant_id, declaration_type, declaration_date, course_identifier, status)
          values (${enrolmentId}, ${world.participantIds[1]!}, 'started', '2025-06-02T09:00:00Z', 'npq-headship', 'queued')
          returning id::int as id`,
    );
    await t.db.execute(
      sql`insert into dfe_outbox (request_key, action, enrolment_id, participant_id, declaration_id, attributes, next_attempt_at)
          values ('declare:x', 'declare', ${enrolmentId}, ${world.participantIds[1]!}, ${d!.id},
                  '{"declaration_type":"started","declaration_date":"2025-06-02T09:00:00Z","course_identifier":"npq-headship"}'::jsonb, ${now})`,
    );
    // The DfE took it, but its answer has a number for the declaration id.
    const first = await deliver(() => ({
      status: 200,
      body: {
        data: { id: 42, type: 'participant-declaration', attributes: { state: 'submitted' } },
      },
    }));
    expect(first.report).toMatchObject({ parked: 1, sent: 0 });
    const [row] = await queryRows<{ id: number; status: string; last_error: string }>(
      t.db,
      sql`select id::int as id, status, last_error from dfe_outbox`,
    );
    expect(row!.status).toBe('parked');
    expect(row!.last_error).toContain('data.id');
    const [declaration] = await queryRows<{ status: string; dfe_id: string | null }>(
      t.db,
      sql`select status, dfe_id from dfe_declaration`,
    );
    expect(declaration).toEqual({ status: 'queued', dfe_id: null });
    expect(await queryRows(t.db, sql`select field from dfe_parked_response`)).toEqual([
      { field: 'data.id' },
    ]);
    expect(
      await queryRows(t.db, sql`select status from staff_task where kind = 'dfe_refused'`),
    ).toEqual([{ status: 'open' }]);

    // Send again: the DfE is asked first, has it, and its declaration is adopted. No second POST.
    await resolveOutboxRequest({ db: t.db, clock }, admin, row!.id, 'retry');
    const dfeId = '9bbd6a08-2f68-4e5e-9a3a-0a2d8fa5e6a1';
    const second = await deliver((call: FakeCall) =>
      call.method === 'GET'
        ? {
            status: 200,
            body: {
              data: [
                {
                  id: dfeId,
                  type: 'participant-declaration',
                  attributes: {
                    declaration_type: 'started',
                    course_identifier: 'npq-headship',
                    state: 'submitted',
                  },
                },
              ],
            },
          }
        : { status: 500 },
    );
    expect(second.report).toMatchObject({ reconciled: 1, parked: 0 });
    expect(second.calls.map((c) => c.method)).toEqual(['GET']);
    expect(await queryRows(t.db, sql`select status, dfe_id from dfe_declaration`)).toEqual([
      { status: 'submitted', dfe_id: dfeId },
    ]);
    expect(
      await queryRows(t.db, sql`select status from staff_task where kind = 'dfe_refused'`),
    ).toEqual([{ status: 'done' }]);
  });
});
