import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import type { Clock } from '../../../src/clock.js';
import { queryRows } from '../../../src/db/client.js';
import {
  countWithoutMilestones,
  findDueDeclarations,
} from '../../../src/db/queries/declarations-due.js';
import { seedMilestoneSchedules } from '../../../src/db/seed/catalogue.js';
import {
  declarationsDue,
  DFE_2025_MILESTONES,
  SCHEDULE_IDENTIFIERS,
  scheduleFor,
  type ScheduleMilestones,
} from '../../../src/domain/dfe-declarations.js';
import { SCHEDULE_OF_COHORT } from '../../../src/db/queries/declarations-due.js';
import { createDfeClient } from '../../../src/services/dfe/client.js';
import { deliverDueDfeRequests } from '../../../src/services/dfe/outbox/delivery.js';
import { syncDeclarations } from '../../../src/services/dfe/declarations/sync.js';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.js';
import { dfeIdOf, insertDfeWorld, scriptedDfe, type FakeCall } from './dfe-world.js';

let t: TestDatabase;
let now: Date;
const clock: Clock = { now: () => new Date(now) };
let world: Awaited<ReturnType<typeof insertDfeWorld>>;
let activityId: number;
let leadershipDates: ScheduleMilestones;

async function resetMilestones() {
  await t.db.execute(sql`delete from dfe_milestone_schedule`);
  await seedMilestoneSchedules(t.db, DFE_2025_MILESTONES);
}

beforeAll(async () => {
  t = await createTestDatabase();
  world = await insertDfeWorld(t.db, 4);
  const [a] = await queryRows<{ id: number }>(
    t.db,
    sql`insert into programme_activity (programme_id, kind, position, sequence_number, title)
        select programme_id, 'community_session', 1, 1, 'Community session' from cohort where name = 'NPQH 2025'
        returning id`,
  );
  activityId = a!.id;
  const [c] = await queryRows<{ start_date: string }>(
    t.db,
    sql`select to_char(start_date, 'YYYY-MM-DD') as start_date from cohort where name = 'NPQH 2025'`,
  );
  leadershipDates = DFE_2025_MILESTONES.find(
    (m) => m.schedule === scheduleFor('leadership', c!.start_date),
  )!;
});
afterAll(async () => {
  await t.destroy();
});
beforeEach(async () => {
  await t.db.execute(sql`delete from staff_task`);
  await t.db.execute(sql`delete from dfe_outbox`);
  await t.db.execute(sql`delete from dfe_declaration`);
  await t.db.execute(sql`delete from engagement_record`);
  await t.db.execute(sql`delete from withdrawal`);
  await t.db.execute(
    sql`update enrolment set status = 'active', commenced_at = '2025-10-06T09:00:00Z', status_changed_at = '2025-10-06T09:00:00Z'`,
  );
  now = new Date('2026-02-01T10:00:00Z');
});

let eventNo = 0;
async function engage(participantId: number, at: string) {
  eventNo += 1;
  await t.db.execute(
    sql`insert into engagement_record (participant_id, activity_id, kind, occurred_at, source, source_event_id)
        values (${participantId}, ${activityId}, 'community_session', ${at}, 'staff', ${`e${eventNo}`})`,
  );
}

const declarations = () =>
  queryRows<{
    enrolment_id: number;
    declaration_type: string;
    status: string;
    has_passed: boolean | null;
    dfe_id: string | null;
  }>(
    t.db,
    sql`select enrolment_id, declaration_type, status, has_passed, dfe_id from dfe_declaration order by id`,
  );

describe('the set-based query agrees with the rules', () => {
  it('for random engagement, commencement, withdrawal and outcome facts', async () => {
    const day = (n: number) => new Date(Date.UTC(2025, 8, 1) + n * 86_400_000).toISOString();
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            commenced: fc.option(fc.integer({ min: 0, max: 200 }), { nil: null }),
            evidence: fc.array(fc.integer({ min: 0, max: 700 }), { maxLength: 4 }),
            withdrawn: fc.option(fc.integer({ min: 0, max: 700 }), { nil: null }),
            outcome: fc.option(
              fc.record({ passed: fc.boolean(), at: fc.integer({ min: 400, max: 700 }) }),
              { nil: null },
            ),
          }),
          { minLength: 4, maxLength: 4 },
        ),
        fc.integer({ min: 0, max: 720 }),
        // The cohort's milestone dates, generated (days after 1 Sep 2025, in order), so the SQL
        // is held to the dates in the table, not to 2025's.
        fc
          .uniqueArray(fc.integer({ min: -100, max: 700 }), { minLength: 4, maxLength: 4 })
          .map((xs) => xs.sort((a, b) => a - b)),
        async (people, todayN, opens) => {
          const milestones: ScheduleMilestones = {
            ...leadershipDates,
            startedOn: day(opens[0]!).slice(0, 10),
            retained1On: day(opens[1]!).slice(0, 10),
            retained2On: day(opens[2]!).slice(0, 10),
            completedOn: day(opens[3]!).slice(0, 10),
          };
          await t.db.execute(sql`update dfe_milestone_schedule set
              started_on = ${milestones.startedOn}, retained_1_on = ${milestones.retained1On},
              retained_2_on = ${milestones.retained2On}, completed_on = ${milestones.completedOn}
            where cohort_year = 2025 and schedule_identifier = ${milestones.schedule}`);
          await t.db.execute(sql`delete from engagement_record`);
          await t.db.execute(sql`delete from withdrawal`);
          for (const [i, p] of people.entries()) {
            const enrolmentId = world.enrolmentIds[i]!;
            const status =
              p.withdrawn !== null
                ? 'withdrawn'
                : p.outcome
                  ? p.outcome.passed
                    ? 'completed_passed'
                    : 'completed_failed'
                  : 'active';
            await t.db.execute(
              sql`update enrolment set status = ${status},
                    commenced_at = ${p.commenced === null ? null : day(p.commenced)},
                    status_changed_at = ${p.outcome ? day(p.outcome.at) : day(0)}
                  where id = ${enrolmentId}`,
            );
            if (p.withdrawn !== null) {
              await t.db.execute(
                sql`insert into withdrawal (enrolment_id, reason, withdrawn_on, recorded_by)
                    values (${enrolmentId}, 'other', ${day(p.withdrawn).slice(0, 10)}, 'system')`,
              );
            }
            for (const e of p.evidence) await engage(world.participantIds[i]!, day(e));
          }
          const today = day(todayN).slice(0, 10);
          const fromSql = (await findDueDeclarations(t.db, today)).map((r) => [
            r.enrolment_id,
            r.declaration_type,
            new Date(r.declaration_date).toISOString(),
            r.has_passed,
          ]);
          const fromRules = people.flatMap((p, i) =>
            declarationsDue(
              {
                milestones,
                commencedAt: p.commenced === null ? null : day(p.commenced),
                engagementAt: p.evidence.map(day),
                outcome:
                  p.withdrawn === null && p.outcome
                    ? { hasPassed: p.outcome.passed, recordedAt: day(p.outcome.at) }
                    : null,
                withdrawnOn: p.withdrawn === null ? null : day(p.withdrawn).slice(0, 10),
                live: [],
              },
              today,
            ).map((d) => [
              world.enrolmentIds[i]!,
              d.type,
              new Date(d.declarationDate).toISOString(),
              d.hasPassed,
            ]),
          );
          expect(fromSql).toEqual(fromRules);
        },
      ),
      { numRuns: 25 },
    );
    await resetMilestones();
  });

  it('works out the same schedule as scheduleFor, for every group and start month', async () => {
    const rows = await queryRows<{ grp: string; month: number; schedule: string }>(
      t.db,
      sql`select co.course_group as grp, m as month, ${SCHEDULE_OF_COHORT} as schedule
          from (values ('leadership'), ('specialist'), ('ehco')) co(course_group)
          cross join generate_series(1, 12) m
          cross join lateral (select make_date(2026, m, 15) as start_date) c
          order by 1, 2`,
    );
    expect(rows).toHaveLength(36);
    for (const r of rows)
      expect(r.schedule).toBe(
        scheduleFor(r.grp as 'leadership', `2026-${String(r.month).padStart(2, '0')}-15`),
      );
    expect(new Set(rows.map((r) => r.schedule))).toEqual(new Set(SCHEDULE_IDENTIFIERS));
  });

  it('declares nothing for a cohort year with no milestone dates, and counts who waits', async () => {
    await engage(world.participantIds[0]!, '2026-01-10T10:00:00Z');
    await t.db.execute(sql`delete from dfe_milestone_schedule where cohort_year = 2025`);
    try {
      expect(await findDueDeclarations(t.db, '2026-02-01')).toEqual([]);
      expect(await countWithoutMilestones(t.db, sql`true`)).toEqual([
        { cohort_year: 2025, schedule_identifier: leadershipDates.schedule, enrolments: 4 },
      ]);
    } finally {
      await resetMilestones();
    }
    expect((await findDueDeclarations(t.db, '2026-02-01')).length).toBe(5);
    expect(await countWithoutMilestones(t.db, sql`true`)).toEqual([]);
  });
});

describe('syncing declarations', () => {
  it('queues each due declaration once, with its outbox request', async () => {
    await engage(world.participantIds[0]!, '2026-01-10T10:00:00Z');
    expect(await syncDeclarations({ db: t.db, clock })).toMatchObject({ queued: 5 });
    expect(await syncDeclarations({ db: t.db, clock })).toMatchObject({ queued: 0 });
    const rows = await declarations();
    expect(
      rows.filter((r) => r.enrolment_id === world.enrolmentIds[0]).map((r) => r.declaration_type),
    ).toEqual(['started', 'retained-1']);
    const [req] = await queryRows<{ attributes: unknown; action: string }>(
      t.db,
      sql`select action, attributes from dfe_outbox o join dfe_declaration d on d.id = o.declaration_id
          where d.enrolment_id = ${world.enrolmentIds[0]!} and d.declaration_type = 'retained-1'`,
    );
    expect(req).toEqual({
      action: 'declare',
      attributes: {
        declaration_type: 'retained-1',
        declaration_date: '2026-01-10T10:00:00Z',
        course_identifier: 'npq-headship',
      },
    });
  });

  it('never for a withdrawn participant past their withdrawal date', async () => {
    const id = world.enrolmentIds[0]!;
    await engage(world.participantIds[0]!, '2026-01-10T10:00:00Z');
    await t.db.execute(sql`update enrolment set status = 'withdrawn' where id = ${id}`);
    await t.db.execute(
      sql`insert into withdrawal (enrolment_id, reason, withdrawn_on, recorded_by) values (${id}, 'other', '2026-01-05', 'system')`,
    );
    await syncDeclarations({ db: t.db, clock });
    expect(
      (await declarations()).filter((r) => r.enrolment_id === id).map((r) => r.declaration_type),
    ).toEqual(['started']);
  });

  it('submits, keeps the DfE id and state; a duplicate the DfE refuses is reconciled, not resubmitted', async () => {
    await t.db.execute(
      sql`update enrolment set commenced_at = null where id <> ${world.enrolmentIds[0]!}`,
    );
    await syncDeclarations({ db: t.db, clock });
    const dfe = scriptedDfe((call: FakeCall) => {
      if (call.method === 'POST')
        return {
          status: 422,
          body: {
            errors: [
              { title: 'participant_id', detail: 'A declaration has already been submitted' },
            ],
          },
        };
      return {
        status: 200,
        body: {
          data: [
            {
              id: 'aaaaaaaa-0000-4000-8000-000000000001',
              type: 'participant-declaration',
              attributes: {
                participant_id: dfeIdOf(1),
                declaration_type: 'started',
                course_identifier: 'npq-headship',
                declaration_date: '2025-10-06T09:00:00Z',
                state: 'eligible',
                statement_id: 'bbbbbbbb-0000-4000-8000-000000000001',
              },
            },
          ],
        },
      };
    });
    const client = createDfeClient({ url: 'http://dfe.test', token: 't' }, { fetch: dfe.fetch });
    expect(await deliverDueDfeRequests({ db: t.db, clock, client })).toMatchObject({
      reconciled: 1,
      refused: 0,
    });
    expect(dfe.calls.map((c) => c.method)).toEqual(['POST', 'GET']);
    expect(await declarations()).toEqual([
      {
        enrolment_id: world.enrolmentIds[0]!,
        declaration_type: 'started',
        status: 'submitted',
        has_passed: null,
        dfe_id: 'aaaaaaaa-0000-4000-8000-000000000001',
      },
    ]);
    await deliverDueDfeRequests({ db: t.db, clock, client });
    expect(dfe.calls).toHaveLength(2);
  });

  it('a refused declaration keeps the DfE text and opens a staff task', async () => {
    await t.db.execute(
      sql`update enrolment set commenced_at = null where id <> ${world.enrolmentIds[0]!}`,
    );
    await syncDeclarations({ db: t.db, clock });
    const dfe = scriptedDfe((call: FakeCall) =>
      call.method === 'POST'
        ? {
            status: 422,
            body: {
              errors: [
                {
                  title: 'declaration_date',
                  detail: 'The declaration date is before the schedule start',
                },
              ],
            },
          }
        : { status: 200, body: { data: [] } },
    );
    const client = createDfeClient({ url: 'http://dfe.test', token: 't' }, { fetch: dfe.fetch });
    expect(await deliverDueDfeRequests({ db: t.db, clock, client })).toMatchObject({ refused: 1 });
    const [d] = await queryRows<{ status: string; refusal: string }>(
      t.db,
      sql`select status, refusal from dfe_declaration`,
    );
    expect(d).toEqual({
      status: 'refused',
      refusal: 'declaration_date: The declaration date is before the schedule start',
    });
    const tasks = await queryRows<{ kind: string }>(t.db, sql`select kind from staff_task`);
    expect(tasks).toEqual([{ kind: 'dfe_refused' }]);
  });

  it('a corrected outcome voids the submitted completed declaration, then the right one is queued', async () => {
    const id = world.enrolmentIds[0]!;
    await t.db.execute(sql`update enrolment set commenced_at = null where id <> ${id}`);
    now = new Date('2027-03-05T10:00:00Z');
    await t.db.execute(
      sql`update enrolment set status = 'completed_passed', status_changed_at = '2027-03-01T12:00:00Z' where id = ${id}`,
    );
    await syncDeclarations({ db: t.db, clock });
    await t.db.execute(
      sql`update dfe_declaration set status = 'submitted', dfe_id = 'cccccccc-0000-4000-8000-00000000000' || id::text`,
    );
    await t.db.execute(sql`update dfe_outbox set status = 'sent'`);
    // The outcome is corrected: they did not pass.
    await t.db.execute(sql`update enrolment set status = 'completed_failed' where id = ${id}`);
    expect(await syncDeclarations({ db: t.db, clock })).toMatchObject({ voiding: 1, queued: 0 });
    const dfe = scriptedDfe(() => ({
      status: 200,
      body: {
        data: {
          id: 'x',
          type: 'participant-declaration',
          attributes: { state: 'voided' },
        },
      },
    }));
    const client = createDfeClient({ url: 'http://dfe.test', token: 't' }, { fetch: dfe.fetch });
    await deliverDueDfeRequests({ db: t.db, clock, client });
    expect(dfe.calls[0]!.method).toBe('PUT');
    expect(dfe.calls[0]!.path).toMatch(/^\/api\/v3\/participant-declarations\/cccccccc-.*\/void$/);
    expect(await syncDeclarations({ db: t.db, clock })).toMatchObject({ queued: 1 });
    const completed = (await declarations()).filter((r) => r.declaration_type === 'completed');
    expect(completed.map((r) => [r.status, r.has_passed])).toEqual([
      ['voided', true],
      ['queued', false],
    ]);
  });
});
