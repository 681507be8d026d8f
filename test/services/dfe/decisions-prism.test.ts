import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { fixedClock } from '../../../src/clock.js';
import { queryRows } from '../../../src/db/client.js';
import { createDfeClient } from '../../../src/services/dfe/client.js';
import { deliverApplicationActions } from '../../../src/services/dfe/applications/deliver.js';
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
    const body = (type: string, attributes: object) =>
      JSON.stringify({ data: { type, attributes } });
    await t.db
      .execute(sql`insert into dfe_application_action (application_id, action, body, next_attempt_at, created_by) values
      (${applicationId}, 'accept', ${body('npq-application-accept', { funded_place: true })}::jsonb, ${clock.now()}, 'test'),
      (${applicationId}, 'change_funded_place', ${body('npq-application-change-funded-place', { funded_place: false })}::jsonb, ${clock.now()}, 'test'),
      (${applicationId}, 'reject', null, ${clock.now()}, 'test')`);
    const dfe = createDfeClient({ url: prism.url, token: 'test-token' });
    // One per run: each waits for the one before it on the same application.
    const reports = [];
    for (let i = 0; i < 3; i += 1)
      reports.push(await deliverApplicationActions({ db: t.db, clock, dfe }));
    expect(reports.map((r) => r.sent)).toEqual([1, 1, 1]);
    const actions = await queryRows<{ action: string; status: string; last_error: string | null }>(
      t.db,
      sql`select action, status, last_error from dfe_application_action order by id`,
    );
    expect(actions.every((a) => a.status === 'sent')).toBe(true);
  });

  it('is caught by Prism when a body breaks the schema, and kept as refused with the reason', async () => {
    const applicationId = await insertApplication('3fa85f64-5717-4562-b3fc-2c963f66afa6');
    await t.db
      .execute(sql`insert into dfe_application_action (application_id, action, body, next_attempt_at, created_by)
      values (${applicationId}, 'change_funded_place', '{"data":{"type":"npq-application-change-funded-place","attributes":{"funded_place":"yes"}}}'::jsonb, ${clock.now()}, 'test')`);
    const dfe = createDfeClient({ url: prism.url, token: 'test-token' });
    expect(await deliverApplicationActions({ db: t.db, clock, dfe })).toEqual({
      sent: 0,
      retrying: 0,
      failed: 1,
    });
    const [failed] = await queryRows<{ last_error: string }>(
      t.db,
      sql`select last_error from dfe_application_action where application_id = ${applicationId}`,
    );
    expect(failed!.last_error).toMatch(/^422/);
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
