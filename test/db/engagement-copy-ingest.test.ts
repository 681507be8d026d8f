import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { fixedClock } from '../../src/clock.js';
import { queryRows } from '../../src/db/client.js';
import { copyRows } from '../../src/db/copy.js';
import { DEFAULT_DEMO_NOW } from '../../src/db/seed/demo.js';
import type { Actor } from '../../src/services/actor.js';
import { ingestEngagement } from '../../src/services/engagement/ingest.js';
import { createDemoWorld, type DemoWorld } from '../support/demo-world.js';
import { completionsOfRecords, storedCompletions } from '../support/engagement-completion.js';

/**
 * The bulk engagement path (issue 13): each chunk is COPYed into a staging table and resolved,
 * checked and inserted by one statement. Small chunks here, so chunk boundaries are crossed.
 */
let w: DemoWorld;
let admin: Actor;
const deps = () => ({ db: w.t.db, clock: fixedClock(DEFAULT_DEMO_NOW) });

interface Someone {
  id: number;
  email: string;
  trn: string | null;
  /** Activities of their programme, their evidence removed first. */
  acts: { id: number; kind: string }[];
}

/**
 * The nth participant with an active enrolment (with another delivery partner than `notWith`'s),
 * with four activities cleared of evidence.
 */
async function someone(n: number, notWith?: number): Promise<Someone> {
  const [p] = await queryRows<{ id: number; email: string; trn: string | null; programme: number }>(
    w.t.db,
    sql`select p.id, p.email, p.trn, c.programme_id as programme
        from enrolment e join cohort c on c.id = e.cohort_id join participant p on p.id = e.participant_id
        where e.status = 'active'
          and (${notWith ?? null}::int is null or e.delivery_partner_id not in (
                select delivery_partner_id from enrolment where participant_id = ${notWith ?? null}::int))
        order by p.id offset ${n} limit 1`,
  );
  const acts = await queryRows<{ id: number; kind: string }>(
    w.t.db,
    sql`select id, kind from programme_activity where programme_id = ${p!.programme}
        order by position limit 4`,
  );
  await w.t.db.execute(
    sql`delete from engagement_record where participant_id = ${p!.id}
        and activity_id = any(${sql.param(acts.map((a) => a.id))}::int[])`,
  );
  return { ...p!, acts };
}

async function recordsOf(sourceEventIds: string[]) {
  return queryRows<{
    participant_id: number;
    activity_id: number;
    kind: string;
    occurred_at: string;
    source_event_id: string;
  }>(
    w.t.db,
    sql`select participant_id, activity_id, kind, to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') as occurred_at, source_event_id
        from engagement_record where source_event_id = any(${sql.param(sourceEventIds)}::text[])
        order by source_event_id`,
  );
}

beforeAll(async () => {
  w = await createDemoWorld({ participants: 20 });
  admin = await w.actor('admin@demo.npq-ops.test');
});
afterAll(async () => {
  await w.destroy();
});

describe('ingestEngagement through a COPY staging table', () => {
  it('lands a duplicate once (the first of a batch), counts those already recorded, across chunks', async () => {
    const p = await someone(0);
    const [a1, a2, a3] = p.acts;
    const at = '2026-03-02T09:00:00Z';
    await ingestEngagement(deps(), admin, [
      { participant: `id:${p.id}`, activityId: a1!.id, occurredAt: at, sourceEventId: 'cp-old' },
    ]);
    const rows = [
      // Already recorded before this batch.
      { participant: `id:${p.id}`, activityId: a1!.id, occurredAt: at, sourceEventId: 'cp-old' },
      {
        participant: p.email.toUpperCase(),
        activityId: a2!.id,
        occurredAt: at,
        sourceEventId: 'cp-1',
      },
      // The same source event id again in the same chunk (another activity): the first lands.
      { participant: `id:${p.id}`, activityId: a3!.id, occurredAt: at, sourceEventId: 'cp-1' },
      { participant: `id:${p.id}`, activityId: a3!.id, occurredAt: at, sourceEventId: 'cp-2' },
      // …and in a later chunk.
      { participant: `id:${p.id}`, activityId: a1!.id, occurredAt: at, sourceEventId: 'cp-1' },
    ];
    const result = await ingestEngagement(deps(), admin, rows, { format: 'json', chunkSize: 3 });
    expect(result).toEqual({ received: 5, inserted: 2, duplicates: 3, errors: [] });
    expect(
      (await recordsOf(['cp-old', 'cp-1', 'cp-2'])).map((r) => [r.source_event_id, r.activity_id]),
    ).toEqual([
      ['cp-1', a2!.id],
      ['cp-2', a3!.id],
      ['cp-old', a1!.id],
    ]);
    // One audit event a chunk, with its own counts, named after its first row.
    const audits = await queryRows<{ details: { rows: number; inserted: number } }>(
      w.t.db,
      sql`select details from audit_event where what = 'ENGAGEMENT_IMPORTED'
          and subject_id in ('json:import:cp-old', 'json:import:cp-1', 'json:import:cp-2') order by id`,
    );
    expect(audits.map((a) => [a.details.rows, a.details.inserted])).toEqual([
      [1, 1], // the first call
      [3, 1], // cp-old (there), cp-1, cp-1 again
      [2, 1], // cp-2, cp-1 again
    ]);
  });

  it('reports bad rows with their field, in order across chunks, and writes nothing for them', async () => {
    const p = await someone(1);
    const other = await someone(0, p.id);
    const [a1, a2, a3, a4] = p.acts;
    const foreign = await queryRows<{ id: number }>(
      w.t.db,
      sql`select a.id from programme_activity a where not exists (
            select 1 from enrolment e join cohort c on c.id = e.cohort_id
            where e.participant_id = ${p.id} and c.programme_id = a.programme_id) limit 1`,
    );
    const at = '2026-03-03T09:00:00Z';
    const wrongKind = a2!.kind === 'clinic' ? 'conference' : 'clinic';
    const rows = [
      { participant: `id:${p.id}`, activityId: a1!.id, occurredAt: at, sourceEventId: 'bad-0' },
      {
        participant: 'nobody@example.org',
        activityId: a1!.id,
        occurredAt: at,
        sourceEventId: 'bad-1',
      },
      {
        participant: `id:${p.id}`,
        activityId: foreign[0]!.id,
        occurredAt: at,
        sourceEventId: 'bad-2',
      },
      {
        participant: `id:${p.id}`,
        activityId: a2!.id,
        kind: wrongKind,
        occurredAt: at,
        sourceEventId: 'bad-3',
      },
      { participant: `id:${p.id}`, activityId: 'x', occurredAt: 'soon', sourceEventId: 'bad-4' },
      {
        participant: `id:${p.id}`,
        activityId: a3!.id,
        occurredAt: '2099-01-01T00:00:00Z',
        sourceEventId: 'bad-5',
      },
      { participant: `id:${p.id}`, activityId: 99_999_999, occurredAt: at, sourceEventId: 'bad-6' },
      {
        participant: `id:${other.id}`,
        activityId: other.acts[0]!.id,
        occurredAt: at,
        sourceEventId: 'bad-7',
      },
      { participant: `id:${p.id}`, activityId: a4!.id, occurredAt: at, sourceEventId: 'bad-8' },
    ];
    // A member of p's delivery partner's staff, who cannot see `other`.
    const [partner] = await queryRows<{ email: string }>(
      w.t.db,
      sql`select u.email from app_user u join enrolment e on e.delivery_partner_id = u.delivery_partner_id
          where u.role = 'delivery_partner_staff' and e.participant_id = ${p.id}
            and not exists (select 1 from enrolment o where o.participant_id = ${other.id}
                            and o.delivery_partner_id = u.delivery_partner_id)
          limit 1`,
    );
    expect(partner).toBeDefined();
    const who = await w.actor(partner!.email);
    const result = await ingestEngagement(deps(), who, rows, { format: 'json', chunkSize: 3 });
    const expected: [number, string][] = [
      [1, 'participant'],
      [2, 'activityId'],
      [3, 'kind'],
      [4, 'activityId'],
      [4, 'occurredAt'],
      [5, 'occurredAt'],
      [6, 'activityId'],
      [7, 'participant'],
    ];
    expect(result.errors.map((e) => [e.index, e.field])).toEqual(expected);
    expect(result.errors.find((e) => e.index === 3)!.message).toBe(
      `This activity is a ${a2!.kind}, not a ${wrongKind}`,
    );
    expect(result.errors.find((e) => e.index === 1)!.message).toBe(
      'No participant of yours matches this',
    );
    const landed = (await recordsOf(rows.map((r) => r.sourceEventId))).map(
      (r) => r.source_event_id,
    );
    expect(landed).toEqual(['bad-0', 'bad-8']);
    expect(result).toMatchObject({ received: 9, inserted: landed.length, duplicates: 0 });
  });

  it('keeps whole chunks: a chunk the database refuses leaves nothing of itself, earlier ones stay', async () => {
    const p = await someone(3);
    const at = '2026-03-04T09:00:00Z';
    const rows = p.acts.map((a, i) => ({
      participant: `id:${p.id}`,
      activityId: a.id,
      occurredAt: at,
      sourceEventId: i === 3 ? 'whole-refused' : `whole-${i}`,
    }));
    await w.t.db.execute(
      sql.raw(`alter table engagement_record add constraint test_refuse
               check (source_event_id <> 'whole-refused') not valid`),
    );
    try {
      await expect(
        ingestEngagement(deps(), admin, rows, { format: 'json', chunkSize: 2 }),
      ).rejects.toThrow();
    } finally {
      await w.t.db.execute(sql.raw('alter table engagement_record drop constraint test_refuse'));
    }
    const landed = (await recordsOf(rows.map((r) => r.sourceEventId))).map(
      (r) => r.source_event_id,
    );
    expect(landed).toEqual(['whole-0', 'whole-1']);
    // Re-run: only what is missing lands.
    const again = await ingestEngagement(deps(), admin, rows, { format: 'json', chunkSize: 2 });
    expect(again).toMatchObject({ inserted: 2, duplicates: 2 });
  });

  it('stores text COPY must escape, and the instant to the millisecond as JS reads it', async () => {
    const p = await someone(4);
    const odd = ['tab\there', 'line\nbreak', 'back\\slash', 'cr\rhere', '\\N', 'é ünïcode 😀'];
    const rows = odd.map((id, i) => ({
      participant: `id:${p.id}`,
      activityId: p.acts[i % p.acts.length]!.id,
      occurredAt: i === 0 ? '2026-03-01T10:00:00.123456+01:00' : '2026-03-01T10:00:00Z',
      sourceEventId: id,
    }));
    const result = await ingestEngagement(deps(), admin, rows);
    expect(result).toMatchObject({ inserted: odd.length, errors: [] });
    const stored = await recordsOf(odd);
    expect(stored.map((r) => r.source_event_id).sort()).toEqual([...odd].sort());
    expect(stored.find((r) => r.source_event_id === odd[0])!.occurred_at).toBe(
      '2026-03-01T09:00:00.123000',
    );
  });

  it('keeps engagement_completion equal to the records', async () => {
    const p = await someone(5);
    const rows = p.acts.flatMap((a, i) => [
      {
        participant: `id:${p.id}`,
        activityId: a.id,
        occurredAt: `2026-03-0${i + 2}T23:30:00Z`,
        sourceEventId: `ec-${i}-late`,
      },
      {
        participant: `id:${p.id}`,
        activityId: a.id,
        occurredAt: `2026-03-0${i + 1}T23:30:00Z`,
        sourceEventId: `ec-${i}-early`,
      },
    ]);
    await ingestEngagement(deps(), admin, rows, { format: 'json', chunkSize: 3 });
    expect(await storedCompletions(w.t.db, p.id)).toEqual(await completionsOfRecords(w.t.db, p.id));
    expect(await storedCompletions(w.t.db)).toEqual(await completionsOfRecords(w.t.db));
  });
});

describe('copyRows', () => {
  it('fails cleanly on data the table refuses, and the connection goes on', async () => {
    await expect(
      w.t.db.transaction(async (tx) => {
        await tx.execute(sql.raw('create temporary table copy_probe (n int) on commit drop'));
        await copyRows(tx, 'copy_probe (n)', [['1'], ['two']]);
      }),
    ).rejects.toThrow(/integer/);
    const n = await w.t.db.transaction(async (tx) => {
      await tx.execute(sql.raw('create temporary table copy_probe (n int, t text) on commit drop'));
      const copied = await copyRows(tx, 'copy_probe (n, t)', [
        ['1', null],
        ['2', 'a\tb'],
      ]);
      const [row] = await queryRows<{ n: number; nulls: number; tabs: number }>(
        tx,
        sql`select count(*)::int as n, count(*) filter (where t is null)::int as nulls,
                   count(*) filter (where t = ${'a\tb'})::int as tabs from copy_probe`,
      );
      return { copied, ...row! };
    });
    expect(n).toEqual({ copied: 2, n: 2, nulls: 1, tabs: 1 });
  });
});
