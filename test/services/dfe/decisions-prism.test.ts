import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { fixedClock } from '../../../src/clock.js';
import { queryRows } from '../../../src/db/client.js';
import { createDfeClient } from '../../../src/services/dfe/client.js';
import { deliverDueDfeRequests } from '../../../src/services/dfe/outbox/delivery.js';
import { pullApplications } from '../../../src/services/dfe/applications/pull.js';
import { startPrism, type PrismServer } from '../../support/prism.js';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.js';

// The requests npq-ops sends for application decisions (accept, reject, change-funded-place) and
// for the pull, against Stoplight Prism serving the DfE contract with request validation as
// errors: every one must satisfy the DfE's schema (Prism answers 422 naming the field otherwise).
let prism: PrismServer;
let t: TestDatabase;
const clock = fixedClock('2026-11-20T09:00:00Z');
const dfeId = 'd0b4a32e-a272-489e-b30a-cb17131457fc';

beforeAll(async () => {
  [prism, t] = await Promise.all([startPrism(), createTestDatabase()]);
}, 200_000);
afterAll(async () => {
  await prism?.stop();
  await t?.destroy();
});

async function insertApplication(id: string): Promise<number> {
  const [row] = await queryRows<{ id: number }>(
    t.db,
    sql`insert into dfe_application (dfe_id, dfe_participant_id, dfe_status, course_identifier, cohort_year,
          full_name, eligible_for_funding, trn_validated, dfe_updated_at, attributes, first_pulled_at, last_pulled_at, decision)
        values (${id}, '7a8fef46-3c43-42c0-b3d5-1ba5904ba562', 'pending', 'npq-headship', 2026, 'Test Person', true, true,
                now(), '{}'::jsonb, now(), now(), 'accepted') returning id`,
  );
  return row!.id;
}

describe('application decisions against the contract (Prism)', () => {
  it('sends accept, reject and change-funded-place bodies the DfE schema accepts', async () => {
    const applicationId = await insertApplication(dfeId);
    await t.db
      .execute(sql`insert into dfe_outbox (request_key, application_id, action, attributes, next_attempt_at, created_by) values
      ('p1', ${applicationId}, 'accept', '{"funded_place":true}'::jsonb, ${clock.now()}, 'test'),
      ('p2', ${applicationId}, 'change_funded_place', '{"funded_place":false}'::jsonb, ${clock.now()}, 'test'),
      ('p3', ${applicationId}, 'reject', '{}'::jsonb, ${clock.now()}, 'test')`);
    const dfe = createDfeClient({ url: prism.url, token: 'test-token' });
    // One per run: each waits for the one before it on the same application.
    const reports = [];
    for (let i = 0; i < 3; i += 1)
      reports.push(
        await deliverDueDfeRequests({ db: t.db, clock, client: dfe, batchSize: 1, maxRequests: 1 }),
      );
    // Prism's answers are the contract's examples: taken by the DfE (sent, or parked when the
    // example itself lacks a field npq-ops needs), never refused.
    expect(reports.map((r) => r.sent + r.parked)).toEqual([1, 1, 1]);
    expect(reports.map((r) => r.refused + r.failed + r.retrying)).toEqual([0, 0, 0]);
    const actions = await queryRows<{ action: string; status: string; last_error: string | null }>(
      t.db,
      sql`select action, status, last_error from dfe_outbox order by id`,
    );
    expect(actions.map((a) => a.action)).toEqual(['accept', 'change_funded_place', 'reject']);
    expect(actions.every((a) => ['sent', 'parked'].includes(a.status))).toBe(true);
  });

  it('is caught by Prism when a body breaks the schema, and kept as refused with the reason', async () => {
    const applicationId = await insertApplication('3fa85f64-5717-4562-b3fc-2c963f66afa6');
    await t.db
      .execute(sql`insert into dfe_outbox (request_key, application_id, action, attributes, next_attempt_at, created_by)
      values ('bad', ${applicationId}, 'change_funded_place', '{"funded_place":"yes"}'::jsonb, ${clock.now()}, 'test')`);
    const dfe = createDfeClient({ url: prism.url, token: 'test-token' });
    const report = await deliverDueDfeRequests({ db: t.db, clock, client: dfe });
    expect(report).toMatchObject({ sent: 0, refused: 1, retrying: 0, failed: 0 });
    const [failed] = await queryRows<{ status: string; last_error: string }>(
      t.db,
      sql`select status, last_error from dfe_outbox where request_key = 'bad'`,
    );
    expect(failed!.status).toBe('refused');
    // The DfE's own error text (Prism answers with the contract's 422 example).
    expect(failed!.last_error).toMatch(/^example_attribute: /);
    const tasks = await queryRows(
      t.db,
      sql`select 1 from staff_task x join dfe_outbox o on o.id = x.dfe_outbox_id where o.request_key = 'bad' and x.kind = 'dfe_refused'`,
    );
    expect(tasks).toHaveLength(1);
  });

  it('pulls with updated_since and pagination the contract allows', async () => {
    await t.db.execute(
      sql`insert into dfe_pull (started_at, status, started_by) values ('2026-11-20T08:45:00Z', 'succeeded', 'test')`,
    );
    const report = await pullApplications(
      { db: t.db, clock, dfe: createDfeClient({ url: prism.url, token: 'test-token' }) },
      { startedBy: 'test', perPage: 50 },
    );
    // Prism answers with the contract's example shapes; what matters is that it took the request.
    expect(report.status).toBe('succeeded');
    expect(report.updatedSince).toBe('2026-11-20T08:45:00.000Z');
  });
});
