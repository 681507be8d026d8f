import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { Clock } from '../../../src/clock.js';
import { queryRows } from '../../../src/db/client.js';
import { SYSTEM } from '../../../src/services/actor.js';
import { createDfeClient } from '../../../src/services/dfe/client.js';
import { syncDeclarations } from '../../../src/services/dfe/declarations/sync.js';
import { deliverDueDfeRequests } from '../../../src/services/dfe/outbox/delivery.js';
import { changeEnrolmentStatus } from '../../../src/services/enrolment-status.js';
import { withdrawEnrolment } from '../../../src/services/withdrawals.js';
import { startPrism, type PrismServer } from '../../support/prism.js';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.js';
import { insertDfeWorld } from './dfe-world.js';

// Every kind of request the DfE outbox sends, delivered to Stoplight Prism serving the DfE's
// contract with request validation on: a request that broke the schema would be answered 422 and
// end up 'refused', so every row ending 'sent' proves each request satisfied the contract.
let prism: PrismServer;
let t: TestDatabase;
const now = new Date('2027-03-05T10:00:00Z');
const clock: Clock = { now: () => new Date(now) };

beforeAll(async () => {
  [prism, t] = await Promise.all([startPrism(), createTestDatabase()]);
}, 90_000);
afterAll(async () => {
  await prism?.stop();
  await t?.destroy();
});

describe('DfE outbox requests against the contract (Prism)', () => {
  it('defer, resume, change-schedule, withdraw, declarations of every type and a void are all valid', async () => {
    const w = await insertDfeWorld(t.db, 4);
    const [a] = await queryRows<{ id: number }>(
      t.db,
      sql`insert into programme_activity (programme_id, kind, position, sequence_number, title)
          select programme_id, 'community_session', 1, 1, 'Community session' from cohort where name = 'NPQH 2025'
          returning id`,
    );
    const [later] = await queryRows<{ id: number }>(
      t.db,
      sql`insert into cohort (lead_provider_id, programme_id, year, name, start_date, engagement_deadline, end_date)
          select lead_provider_id, programme_id, 2026, 'NPQH 2026', '2026-10-01', '2028-01-15', '2028-02-25'
          from cohort where name = 'NPQH 2025' returning id`,
    );
    const [e1, e2, e3, e4] = w.enrolmentIds as [number, number, number, number];
    // 1: deferred, then resumed in a later cohort (resume + change-schedule).
    await t.db.transaction((tx) =>
      changeEnrolmentStatus(tx, {
        enrolmentId: e1,
        event: 'defer',
        who: SYSTEM,
        at: clock.now(),
        dfeReason: 'long-term-sickness',
      }),
    );
    await t.db.transaction((tx) =>
      changeEnrolmentStatus(tx, {
        enrolmentId: e1,
        event: 'resume',
        who: SYSTEM,
        at: clock.now(),
        set: { cohortId: later!.id },
      }),
    );
    // 2: withdrawn (after commencing: its started declaration is due too).
    await t.db.transaction((tx) =>
      withdrawEnrolment(tx, {
        enrolmentId: e2,
        reason: 'quality-of-programme-structure-not-suitable.',
        withdrawnOn: '2027-03-01',
        who: SYSTEM,
        at: clock.now(),
      }),
    );
    // 3 and 4: started, retained-1, retained-2 and completed (passed; failed).
    for (const [i, e] of [e3, e4].entries()) {
      for (const at of ['2026-01-10T10:00:00Z', '2026-09-10T10:00:00Z']) {
        await t.db.execute(
          sql`insert into engagement_record (participant_id, activity_id, kind, occurred_at, source, source_event_id)
              select participant_id, ${a!.id}, 'community_session', ${at}, 'staff', ${`${e}-${at}`} from enrolment where id = ${e}`,
        );
      }
      await t.db.execute(
        sql`update enrolment set status = ${i === 0 ? 'completed_passed' : 'completed_failed'},
              status_changed_at = '2027-03-01T12:00:00Z' where id = ${e}`,
      );
    }
    expect(await syncDeclarations({ db: t.db, clock })).toMatchObject({ queued: 9 });
    // `Prefer: dynamic=true` has Prism generate its answers from the schema: its static examples
    // break the contract's own formats (a declaration's statement_id is not a uuid), which Prism
    // with --errors reports as a 500. Requests are validated either way; each answer's
    // sl-violations header is kept, and none may be about the request.
    const violations: string[] = [];
    const client = createDfeClient(
      { url: prism.url, token: 'test-token' },
      {
        fetch: async (request: Request) => {
          const withPrefer = new Request(request);
          withPrefer.headers.set('Prefer', 'dynamic=true');
          const response = await fetch(withPrefer);
          const v = response.headers.get('sl-violations');
          if (v) violations.push(v);
          return response;
        },
      },
    );
    const first = await deliverDueDfeRequests({ db: t.db, clock, client });
    expect(first).toMatchObject({ refused: 0, failed: 0, retrying: 0, sent: 13 });
    // A correction: enrolment 3 did not pass after all; its completed declaration is voided.
    await t.db.execute(sql`update enrolment set status = 'completed_failed' where id = ${e3}`);
    expect(await syncDeclarations({ db: t.db, clock })).toMatchObject({ voiding: 1 });
    const second = await deliverDueDfeRequests({ db: t.db, clock, client });
    expect(second).toMatchObject({ refused: 0, sent: 1 });
    expect(violations).toEqual([]);
    const rows = await queryRows<{ action: string; status: string; last_error: string | null }>(
      t.db,
      sql`select action, status, last_error from dfe_outbox order by id`,
    );
    expect(rows.map((r) => `${r.action}:${r.status}`).sort()).toEqual(
      [
        'defer:sent',
        'resume:sent',
        'change_schedule:sent',
        'withdraw:sent',
        ...Array(9).fill('declare:sent'),
        'void:sent',
      ].sort(),
    );
    const declared = await queryRows<{ dfe_id: string | null }>(
      t.db,
      sql`select dfe_id from dfe_declaration where status = 'submitted'`,
    );
    expect(declared.length).toBe(8);
    expect(declared.every((d) => d.dfe_id !== null)).toBe(true);
  }, 60_000);
});
