import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

let w: DemoWorld;
let north: Session;
let coach: Session;
let p2: Session;

interface Who {
  participantId: number;
  email: string;
  trn: string | null;
  /** Activities of their programme with no engagement yet, earliest first. */
  todo: { id: number; kind: string }[];
}

let mine: Who[];
let theirs: Who;

beforeAll(async () => {
  w = await createDemoWorld();
  [north, coach, p2] = await Promise.all([
    w.signIn('partner.north@demo.npq-ops.test'),
    w.signIn('coach@demo.npq-ops.test'),
    w.signIn('participant2@demo.npq-ops.test'),
  ]);
  const people = await queryRows<{
    participant_id: number;
    email: string;
    trn: string | null;
    slug: string;
  }>(
    w.t.db,
    sql`select p.id as participant_id, p.email, p.trn, dp.slug from participant p
        join enrolment e on e.participant_id = p.id join delivery_partner dp on dp.id = e.delivery_partner_id
        where e.status = 'active' and dp.slug in ('north', 'south') order by p.id`,
  );
  const todo = async (participantId: number) =>
    queryRows<{ id: number; kind: string }>(
      w.t.db,
      sql`select a.id, a.kind from enrolment e join cohort c on c.id = e.cohort_id
          join programme_activity a on a.programme_id = c.programme_id
          where e.participant_id = ${participantId}
            and not exists (select 1 from engagement_record r where r.participant_id = e.participant_id and r.activity_id = a.id)
          order by a.position`,
    );
  const build = async (p: (typeof people)[number]): Promise<Who> => ({
    participantId: p.participant_id,
    email: p.email,
    trn: p.trn,
    todo: await todo(p.participant_id),
  });
  mine = await Promise.all(
    people
      .filter((p) => p.slug === 'north' && p.trn !== null)
      .slice(0, 3)
      .map(build),
  );
  theirs = await build(people.find((p) => p.slug === 'south')!);
});
afterAll(async () => {
  await w.destroy();
});

async function recordCount(): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    w.t.db,
    sql`select count(*)::int as n from engagement_record`,
  );
  return row!.n;
}

describe('POST /engagement/batch', () => {
  it('lands good rows, reports bad ones by index and field, and a re-run changes nothing', async () => {
    const [a, b, c] = mine;
    const when = '2026-03-10T10:00:00Z';
    const rows = [
      {
        participant: a!.trn,
        activityId: a!.todo[0]!.id,
        kind: a!.todo[0]!.kind,
        occurredAt: when,
        sourceEventId: 'lms-1',
      },
      {
        participant: b!.email.toUpperCase(),
        activityId: b!.todo[0]!.id,
        occurredAt: when,
        source: 'platform',
        sourceEventId: 'lms-2',
      },
      {
        participant: `id:${c!.participantId}`,
        activityId: c!.todo[0]!.id,
        occurredAt: when,
        sourceEventId: 'lms-3',
      },
      {
        participant: a!.trn,
        activityId: a!.todo[1]!.id,
        occurredAt: 'yesterday',
        sourceEventId: 'lms-4',
      },
      {
        participant: theirs.email,
        activityId: theirs.todo[0]!.id,
        occurredAt: when,
        sourceEventId: 'lms-5',
      },
      {
        participant: a!.trn,
        activityId: theirs.todo[0]!.id,
        occurredAt: when,
        sourceEventId: 'lms-6',
      },
      {
        participant: a!.trn,
        activityId: a!.todo[1]!.id,
        kind: a!.todo[1]!.kind === 'clinic' ? 'conference' : 'clinic',
        occurredAt: when,
        sourceEventId: 'lms-7',
      },
      {
        participant: a!.trn,
        activityId: a!.todo[1]!.id,
        occurredAt: '2027-01-01T00:00:00Z',
        sourceEventId: 'lms-8',
      },
      {
        participant: 'nobody@example.org',
        activityId: a!.todo[1]!.id,
        occurredAt: when,
        sourceEventId: 'lms-9',
      },
      { participant: a!.trn, activityId: a!.todo[1]!.id, occurredAt: when },
      // The same event twice in one batch lands once.
      { participant: a!.trn, activityId: a!.todo[0]!.id, occurredAt: when, sourceEventId: 'lms-1' },
    ];
    const before = await recordCount();
    const res = await north.request({
      method: 'POST',
      url: '/api/v1/engagement/batch',
      payload: rows,
    });
    expect(res.statusCode).toBe(200);
    const body = res.json() as {
      received: number;
      inserted: number;
      duplicates: number;
      errors: { index: number; field: string; line: number | null }[];
    };
    expect(body).toMatchObject({ received: 11, inserted: 3, duplicates: 1 });
    expect(body.errors.map((e) => [e.index, e.field])).toEqual([
      [3, 'occurredAt'],
      [4, 'participant'],
      [5, 'activityId'],
      [6, 'kind'],
      [7, 'occurredAt'],
      [8, 'participant'],
      [9, 'sourceEventId'],
    ]);
    expect(body.errors.every((e) => e.line === null)).toBe(true);
    expect(await recordCount()).toBe(before + 3);
    const landed = await queryRows<{
      participant_id: number;
      source: string;
      source_event_id: string;
    }>(
      w.t.db,
      sql`select participant_id, source, source_event_id from engagement_record
          where source_event_id in ('lms-1', 'lms-2', 'lms-3', 'lms-5') order by source_event_id`,
    );
    expect(landed).toEqual([
      { participant_id: a!.participantId, source: 'import', source_event_id: 'lms-1' },
      { participant_id: b!.participantId, source: 'platform', source_event_id: 'lms-2' },
      { participant_id: c!.participantId, source: 'import', source_event_id: 'lms-3' },
    ]);

    const rerun = await north.request({
      method: 'POST',
      url: '/api/v1/engagement/batch',
      payload: rows,
    });
    expect(rerun.json()).toMatchObject({ received: 11, inserted: 0, duplicates: 4 });
    expect(await recordCount()).toBe(before + 3);
  });

  it('is for staff only, and a delivery partner only for its own participants', async () => {
    const row = [
      {
        participant: theirs.email,
        activityId: theirs.todo[0]!.id,
        occurredAt: '2026-03-10T10:00:00Z',
        sourceEventId: 'x-1',
      },
    ];
    expect(
      (await p2.request({ method: 'POST', url: '/api/v1/engagement/batch', payload: row }))
        .statusCode,
    ).toBe(403);
    expect(
      (await coach.request({ method: 'POST', url: '/api/v1/engagement/batch', payload: row }))
        .statusCode,
    ).toBe(403);
    const res = await north.request({
      method: 'POST',
      url: '/api/v1/engagement/batch',
      payload: row,
    });
    expect(res.json()).toMatchObject({ inserted: 0, errors: [{ index: 0, field: 'participant' }] });
    const [landed] = await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(*)::int as n from engagement_record where source_event_id = 'x-1'`,
    );
    expect(landed!.n).toBe(0);
  });

  it('refuses a body that is not an array', async () => {
    const res = await north.request({
      method: 'POST',
      url: '/api/v1/engagement/batch',
      payload: { rows: [] },
    });
    expect(res.statusCode).toBe(400);
  });
});

describe('POST /engagement/import (CSV)', () => {
  it('reports bad lines by line number and column, lands the good ones, and re-runs idempotently', async () => {
    const [a, b] = mine;
    const csv = [
      'participant,activity_id,kind,occurred_at,source,source_event_id',
      `${a!.trn},${a!.todo[2]!.id},${a!.todo[2]!.kind},2026-03-11T09:00:00Z,import,csv-1`,
      `${b!.email},not-a-number,,2026-03-11T09:00:00Z,,csv-2`,
      '',
      `${b!.email},${b!.todo[1]!.id},,2026-03-11T09:00:00Z,,csv-3`,
      `${theirs.trn ?? theirs.email},${theirs.todo[0]!.id},,2026-03-11T09:00:00Z,,csv-4`,
    ].join('\n');
    const before = await recordCount();
    const res = await north.request({
      method: 'POST',
      url: '/api/v1/engagement/import',
      payload: csv,
      headers: { 'content-type': 'text/csv' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      received: 4,
      inserted: 2,
      duplicates: 0,
      errors: [
        { index: 1, line: 3, field: 'activity_id' },
        { index: 3, line: 6, field: 'participant' },
      ],
    });
    expect(await recordCount()).toBe(before + 2);

    const again = await north.request({
      method: 'POST',
      url: '/api/v1/engagement/import',
      payload: { csv },
    });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ received: 4, inserted: 0, duplicates: 2 });
    expect(await recordCount()).toBe(before + 2);
  });

  it('refuses a CSV without the needed columns', async () => {
    const res = await north.request({
      method: 'POST',
      url: '/api/v1/engagement/import',
      payload: 'who,what\n1,2\n',
      headers: { 'content-type': 'text/csv' },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      errors: expect.arrayContaining([{ path: 'header.participant', message: expect.any(String) }]),
    });
  });
});
