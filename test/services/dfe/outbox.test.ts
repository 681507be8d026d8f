import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { Clock } from '../../../src/clock.js';
import { queryRows } from '../../../src/db/client.js';
import { SYSTEM } from '../../../src/services/actor.js';
import { createDfeClient } from '../../../src/services/dfe/client.js';
import {
  deliverDueDfeRequests,
  retryDelayMs,
  SENDING_LEASE_MS,
} from '../../../src/services/dfe/outbox/delivery.js';
import { changeEnrolmentStatus } from '../../../src/services/enrolment-status.js';
import { withdrawEnrolment } from '../../../src/services/withdrawals.js';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.js';
import { dfeIdOf, insertDfeWorld, scriptedDfe, type FakeCall } from './dfe-world.js';

let t: TestDatabase;
let now: Date;
const clock: Clock = { now: () => new Date(now) };
const later = (ms: number) => {
  now = new Date(now.getTime() + ms);
};
let world: Awaited<ReturnType<typeof insertDfeWorld>>;

beforeAll(async () => {
  t = await createTestDatabase();
  world = await insertDfeWorld(t.db, 3, { withoutDfeId: [3] });
  await t.db
    .execute(sql`insert into cohort (lead_provider_id, programme_id, year, name, start_date, engagement_deadline, end_date)
    select lead_provider_id, programme_id, 2026, 'NPQH 2026', '2026-10-01', '2028-01-15', '2028-02-25'
    from cohort where name = 'NPQH 2025'`);
});
afterAll(async () => {
  await t.destroy();
});
beforeEach(async () => {
  await t.db.execute(sql`delete from staff_task`);
  await t.db.execute(sql`delete from dfe_outbox`);
  await t.db.execute(sql`delete from withdrawal`);
  await t.db.execute(
    sql`update enrolment set status = 'active', cohort_id = ${world.cohortId}, version = 1`,
  );
  now = new Date('2026-12-03T10:00:00Z');
});

interface Row {
  id: number;
  action: string;
  status: string;
  attempts: number;
  attributes: Record<string, unknown>;
  last_error: string | null;
  next_attempt_at: Date | string;
}
const rows = () =>
  queryRows<Row>(
    t.db,
    sql`select id::int as id, action, status, attempts, attributes, last_error, next_attempt_at from dfe_outbox order by id`,
  );

const withdraw = (enrolmentId: number) =>
  t.db.transaction((tx) =>
    withdrawEnrolment(tx, {
      enrolmentId,
      reason: 'change-in-career',
      withdrawnOn: '2026-12-01',
      who: SYSTEM,
      at: clock.now(),
    }),
  );

function client(answer: Parameters<typeof scriptedDfe>[0]) {
  const dfe = scriptedDfe(answer);
  return {
    dfe,
    client: createDfeClient({ url: 'http://dfe.test', token: 't' }, { fetch: dfe.fetch }),
  };
}
const deliver = (c: ReturnType<typeof client>) =>
  deliverDueDfeRequests({ db: t.db, clock, client: c.client });
const participantOk = (status: string) => ({
  status: 200,
  body: {
    data: {
      id: dfeIdOf(1),
      type: 'npq-participant',
      attributes: {
        npq_enrolments: [{ course_identifier: 'npq-headship', training_status: status }],
      },
    },
  },
});

describe('queued in the same transaction as the change', () => {
  it('a withdrawal queues a withdraw with the DfE reason and course', async () => {
    await withdraw(world.enrolmentIds[0]!);
    const [r] = await rows();
    expect(r).toMatchObject({
      action: 'withdraw',
      status: 'pending',
      attributes: { course_identifier: 'npq-headship', reason: 'change-in-career' },
    });
  });

  it('a change that fails writes nothing to the outbox', async () => {
    await expect(
      t.db.transaction(async (tx) => {
        await withdrawEnrolment(tx, {
          enrolmentId: world.enrolmentIds[0]!,
          reason: 'change-in-career',
          withdrawnOn: '2026-12-01',
          who: SYSTEM,
          at: clock.now(),
        });
        throw new Error('the rest of the change failed');
      }),
    ).rejects.toThrow('the rest of the change failed');
    expect(await rows()).toEqual([]);
    const [e] = await queryRows<{ status: string }>(
      t.db,
      sql`select status from enrolment where id = ${world.enrolmentIds[0]!}`,
    );
    expect(e!.status).toBe('active');
  });

  it('defer carries the DfE deferral reason; a resume into a later cohort adds a change-schedule', async () => {
    const id = world.enrolmentIds[0]!;
    await t.db.transaction((tx) =>
      changeEnrolmentStatus(tx, {
        enrolmentId: id,
        event: 'defer',
        who: SYSTEM,
        at: clock.now(),
        dfeReason: 'parental-leave',
      }),
    );
    const [later2026] = await queryRows<{ id: number }>(
      t.db,
      sql`select id from cohort where name = 'NPQH 2026'`,
    );
    await t.db.transaction((tx) =>
      changeEnrolmentStatus(tx, {
        enrolmentId: id,
        event: 'resume',
        who: SYSTEM,
        at: clock.now(),
        set: { cohortId: later2026!.id },
      }),
    );
    expect((await rows()).map((r) => [r.action, r.attributes])).toEqual([
      ['defer', { course_identifier: 'npq-headship', reason: 'parental-leave' }],
      ['resume', { course_identifier: 'npq-headship' }],
      [
        'change_schedule',
        {
          course_identifier: 'npq-headship',
          schedule_identifier: 'npq-leadership-autumn',
          cohort: '2026',
        },
      ],
    ]);
  });

  it('a resume in the same cohort sends no change-schedule', async () => {
    const id = world.enrolmentIds[0]!;
    for (const event of ['defer', 'resume'] as const) {
      await t.db.transaction((tx) =>
        changeEnrolmentStatus(tx, {
          enrolmentId: id,
          event,
          who: SYSTEM,
          at: clock.now(),
          dfeReason: 'bereavement',
        }),
      );
    }
    expect((await rows()).map((r) => r.action)).toEqual(['defer', 'resume']);
  });
});

describe('delivery', () => {
  it('sends the request once and marks it sent', async () => {
    await withdraw(world.enrolmentIds[0]!);
    const c = client(() => participantOk('withdrawn'));
    const report = await deliver(c);
    expect(report.sent).toBe(1);
    expect(c.dfe.calls).toEqual([
      {
        method: 'PUT',
        path: `/api/v3/participants/npq/${dfeIdOf(1)}/withdraw`,
        body: {
          data: {
            type: 'participant-withdraw',
            attributes: { course_identifier: 'npq-headship', reason: 'change-in-career' },
          },
        },
      },
    ]);
    expect((await rows())[0]!.status).toBe('sent');
    expect((await deliver(c)).sent).toBe(0);
    expect(c.dfe.calls).toHaveLength(1);
  });

  it('a participant without a DfE id waits, and goes once the id is set', async () => {
    await withdraw(world.enrolmentIds[2]!);
    const c = client(() => participantOk('withdrawn'));
    expect(await deliver(c)).toMatchObject({ sent: 0 });
    expect((await rows())[0]!.status).toBe('pending');
    await t.db.execute(
      sql`update participant set dfe_participant_id = ${dfeIdOf(3)} where id = ${world.participantIds[2]!}`,
    );
    expect(await deliver(c)).toMatchObject({ sent: 1 });
    await t.db.execute(
      sql`update participant set dfe_participant_id = null where id = ${world.participantIds[2]!}`,
    );
  });

  it('a 5xx is retried with exponential backoff, reconciling first: never sent twice', async () => {
    await withdraw(world.enrolmentIds[0]!);
    let applied = false;
    const c = client((call: FakeCall) => {
      if (call.method === 'PUT') {
        applied = true; // the DfE applied it, then failed to answer properly
        return { status: 503, body: { error: 'Service unavailable' } };
      }
      return participantOk(applied ? 'withdrawn' : 'active');
    });
    expect(await deliver(c)).toMatchObject({ retrying: 1 });
    const [r] = await rows();
    expect(r!.status).toBe('sending');
    expect(new Date(r!.next_attempt_at).getTime()).toBe(now.getTime() + retryDelayMs(1));
    // Not yet due: nothing happens.
    later(retryDelayMs(1) - 1000);
    await deliver(c);
    expect(c.dfe.calls).toHaveLength(1);
    later(1000);
    expect(await deliver(c)).toMatchObject({ reconciled: 1 });
    expect(c.dfe.calls.map((x) => x.method)).toEqual(['PUT', 'GET']);
    expect((await rows())[0]!.status).toBe('sent');
  });

  it('a timeout that never reached the DfE is sent again after the backoff, and the delays grow', async () => {
    await withdraw(world.enrolmentIds[0]!);
    let puts = 0;
    const c = client((call: FakeCall) => {
      if (call.method === 'PUT') {
        puts += 1;
        if (puts <= 2) return Promise.reject(new Error('The operation was aborted due to timeout'));
        return participantOk('withdrawn');
      }
      return participantOk('active');
    });
    await deliver(c);
    later(retryDelayMs(1));
    await deliver(c); // reconciled: not applied → sent again → times out again
    const [r] = await rows();
    expect(r!.attempts).toBe(2);
    expect(new Date(r!.next_attempt_at).getTime()).toBe(now.getTime() + retryDelayMs(2));
    expect(retryDelayMs(2)).toBeGreaterThan(retryDelayMs(1));
    later(retryDelayMs(2));
    expect(await deliver(c)).toMatchObject({ requeued: 1, sent: 1 });
    expect(puts).toBe(3);
  });

  it('a process that died mid-delivery: the lease runs out, the DfE already has it, not sent again', async () => {
    await withdraw(world.enrolmentIds[0]!);
    // What a deliverer leaves behind when it dies after claiming and sending.
    await t.db.execute(
      sql`update dfe_outbox set status = 'sending', next_attempt_at = ${new Date(now.getTime() + SENDING_LEASE_MS)}`,
    );
    const c = client((call: FakeCall) =>
      call.method === 'GET' ? participantOk('withdrawn') : { status: 500 },
    );
    expect(await deliver(c)).toMatchObject({ sent: 0, reconciled: 0 });
    later(SENDING_LEASE_MS);
    expect(await deliver(c)).toMatchObject({ reconciled: 1 });
    expect(c.dfe.calls.map((x) => x.method)).toEqual(['GET']);
  });

  it('died before the request reached the DfE: sent once after the lease', async () => {
    await withdraw(world.enrolmentIds[0]!);
    await t.db.execute(sql`update dfe_outbox set status = 'sending', next_attempt_at = ${now}`);
    const c = client((call: FakeCall) =>
      call.method === 'GET' ? participantOk('active') : participantOk('withdrawn'),
    );
    expect(await deliver(c)).toMatchObject({ requeued: 1, sent: 1 });
    expect(c.dfe.calls.map((x) => x.method)).toEqual(['GET', 'PUT']);
  });

  it('a 4xx refusal becomes a staff task with the DfE text, and holds back later requests', async () => {
    const id = world.enrolmentIds[0]!;
    await t.db.transaction((tx) =>
      changeEnrolmentStatus(tx, {
        enrolmentId: id,
        event: 'defer',
        who: SYSTEM,
        at: clock.now(),
        dfeReason: 'other',
      }),
    );
    await t.db.transaction((tx) =>
      changeEnrolmentStatus(tx, { enrolmentId: id, event: 'resume', who: SYSTEM, at: clock.now() }),
    );
    const c = client(() => ({
      status: 422,
      body: {
        errors: [{ title: 'participant_id', detail: 'The participant is already deferred' }],
      },
    }));
    expect(await deliver(c)).toMatchObject({ refused: 1, sent: 0 });
    expect(c.dfe.calls).toHaveLength(1);
    const [defer, resume] = await rows();
    expect(defer).toMatchObject({
      status: 'refused',
      last_error: 'participant_id: The participant is already deferred',
    });
    expect(resume!.status).toBe('pending');
    const tasks = await queryRows<{ kind: string; enrolment_id: number; dfe_outbox_id: number }>(
      t.db,
      sql`select kind, enrolment_id, dfe_outbox_id::int as dfe_outbox_id from staff_task`,
    );
    expect(tasks).toEqual([{ kind: 'dfe_refused', enrolment_id: id, dfe_outbox_id: defer!.id }]);
  });

  it('401 and 429 are not refusals: retried later', async () => {
    await withdraw(world.enrolmentIds[0]!);
    const c = client(() => ({ status: 429, body: { error: 'Too many requests' } }));
    expect(await deliver(c)).toMatchObject({ retrying: 1, refused: 0 });
    expect((await rows())[0]!.status).toBe('pending');
  });
});
