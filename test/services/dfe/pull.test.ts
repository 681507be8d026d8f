import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { Clock } from '../../../src/clock.js';
import { queryRows } from '../../../src/db/client.js';
import { createDfeClient } from '../../../src/services/dfe/client.js';
import { pullApplications } from '../../../src/services/dfe/applications/pull.js';
import {
  seedApplications,
  startFakeDfe,
  type FakeDfe,
} from '../../../src/services/dfe/fake/index.js';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.js';

// Applications in, against the stateful fake DfE: pagination, updated_since, history, parking of
// records that break the contract, and retries of timeouts and 5xx.
let t: TestDatabase;
let fake: FakeDfe;
let now = new Date('2026-11-20T09:00:00Z');
const clock: Clock = { now: () => new Date(now) };
const noSleep = async () => undefined;
const warnings: object[] = [];
const logger = { info: () => undefined, warn: (o: object) => void warnings.push(o) };

beforeAll(async () => {
  t = await createTestDatabase();
  fake = await startFakeDfe({ now: () => new Date(now) });
});
afterAll(async () => {
  await fake?.stop();
  await t?.destroy();
});
beforeEach(async () => {
  now = new Date('2026-11-20T09:00:00Z');
  fake.state.applications.clear();
  fake.state.faults.length = 0;
  fake.state.broken.clear();
  fake.state.requests.length = 0;
  warnings.length = 0;
  await t.db.execute(
    sql`truncate dfe_application_version, dfe_parked_response, dfe_application, dfe_pull restart identity cascade`,
  );
});

const client = () => createDfeClient({ url: fake.url, token: 'fake' }, { timeoutMs: 300 });
const deps = () => ({ db: t.db, clock, dfe: client(), logger });
const seed = (count: number, before = now) =>
  seedApplications(fake.state, {
    count,
    schoolUrns: ['100001', '100002'],
    offers: [
      { courseIdentifier: 'npq-headship', cohortYear: 2026 },
      { courseIdentifier: 'npq-leading-teaching', cohortYear: 2026 },
    ],
    before,
  });
const count = async (table: string) =>
  Number(
    (await queryRows<{ n: number }>(t.db, sql.raw(`select count(*)::int as n from ${table}`)))[0]!
      .n,
  );

describe('pulling applications from the DfE', () => {
  it('reads every page and stores each application once, with its first version', async () => {
    seed(25);
    const report = await pullApplications(deps(), { startedBy: 'test', perPage: 10 });
    expect(report).toMatchObject({
      status: 'succeeded',
      pages: 3,
      received: 25,
      created: 25,
      parked: 0,
    });
    expect(report.updatedSince).toBeNull();
    expect(await count('dfe_application')).toBe(25);
    expect(await count('dfe_application_version')).toBe(25);
    const pages = fake.state.requests.filter((r) => r.path === '/api/v3/npq-applications');
    expect(pages).toHaveLength(3);
  });

  it('asks only for what changed since the last successful pull, and keeps the history', async () => {
    const apps = seed(12);
    await pullApplications(deps(), { startedBy: 'test', perPage: 5 });
    // The DfE changes two applications after the first pull.
    now = new Date(now.getTime() + 5 * 60_000);
    fake.state.rejectApplication(apps[0]!.id);
    fake.state.applications.get(apps[1]!.id)!.attributes.full_name = 'Renamed Person';
    fake.state.applications.get(apps[1]!.id)!.attributes.updated_at = fake.state.stamp();
    now = new Date(now.getTime() + 10 * 60_000);
    fake.state.requests.length = 0;
    const second = await pullApplications(deps(), { startedBy: 'test', perPage: 5 });
    expect(second).toMatchObject({
      status: 'succeeded',
      received: 2,
      created: 0,
      updated: 2,
      unchanged: 0,
    });
    expect(second.updatedSince).toBe('2026-11-20T09:00:00.000Z');
    const [row] = await queryRows<{ dfe_status: string; versions: number }>(
      t.db,
      sql`select a.dfe_status, (select count(*)::int from dfe_application_version v where v.application_id = a.id) as versions
          from dfe_application a where dfe_id = ${apps[0]!.id}`,
    );
    expect(row).toEqual({ dfe_status: 'rejected', versions: 2 });
    expect(await count('dfe_application_version')).toBe(14);
    // A third pull with nothing changed reads one empty page and changes nothing.
    now = new Date(now.getTime() + 15 * 60_000);
    const third = await pullApplications(deps(), { startedBy: 'test', perPage: 5 });
    expect(third).toMatchObject({ status: 'succeeded', pages: 1, received: 0 });
    now = new Date('2026-11-20T09:00:00Z');
  });

  it('parks a record that breaks the contract with the field, stores the rest, and logs the field', async () => {
    const apps = seed(6);
    fake.state.broken.set(apps[2]!.id, (a) => ({
      ...a,
      attributes: { ...a.attributes, course_identifier: 'npq-basket-weaving' },
    }));
    const report = await pullApplications(deps(), { startedBy: 'test' });
    expect(report).toMatchObject({ status: 'succeeded', received: 6, created: 5, parked: 1 });
    const parked = await queryRows<{ dfe_id: string; field: string; problem: string }>(
      t.db,
      sql`select dfe_id, field, problem from dfe_parked_response`,
    );
    expect(parked).toEqual([
      { dfe_id: apps[2]!.id, field: 'attributes.course_identifier', problem: expect.any(String) },
    ]);
    // Never half-applied: nothing of the broken record was stored.
    expect(
      await queryRows(t.db, sql`select 1 from dfe_application where dfe_id = ${apps[2]!.id}`),
    ).toEqual([]);
    expect(warnings).toContainEqual(
      expect.objectContaining({ field: 'attributes.course_identifier', dfeId: apps[2]!.id }),
    );
    // The log names the field and the DfE id, never the person.
    expect(JSON.stringify(warnings)).not.toContain(apps[2]!.attributes.full_name!);
  });

  it('fails a pull whose page is not a list, parks it and keeps the cursor where it was', async () => {
    seed(3);
    await pullApplications(deps(), { startedBy: 'test' });
    now = new Date(now.getTime() + 60_000);
    fake.state.faults.push({ kind: 'status', status: 200, pathIncludes: 'npq-applications' });
    const report = await pullApplications(deps(), { startedBy: 'test' });
    expect(report.status).toBe('failed');
    expect(await count('dfe_parked_response')).toBe(1);
    const [cursor] = await queryRows<{ at: Date }>(
      t.db,
      sql`select max(started_at) as at from dfe_pull where status = 'succeeded'`,
    );
    expect(new Date(cursor!.at).toISOString()).toBe('2026-11-20T09:00:00.000Z');
    now = new Date('2026-11-20T09:00:00Z');
  });

  it('retries 5xx and timeouts with backoff, then succeeds', async () => {
    seed(4);
    fake.state.faults.push(
      { kind: 'status', status: 503 },
      { kind: 'timeout', delayMs: 1_000 },
      { kind: 'status', status: 500 },
    );
    const pauses: number[] = [];
    const report = await pullApplications(deps(), {
      startedBy: 'test',
      sleep: async (ms) => void pauses.push(ms),
      backoffMs: [10, 20, 40],
    });
    expect(report).toMatchObject({ status: 'succeeded', created: 4, retries: 3 });
    expect(pauses).toEqual([10, 20, 40]);
  });

  it('gives up after the last attempt and records the failure, storing nothing', async () => {
    seed(4);
    for (let i = 0; i < 4; i += 1) fake.state.faults.push({ kind: 'status', status: 502 });
    const report = await pullApplications(deps(), { startedBy: 'test', sleep: noSleep });
    expect(report.status).toBe('failed');
    expect(report.error).toMatch(/502.*4 attempts/);
    expect(await count('dfe_application')).toBe(0);
    const [pull] = await queryRows<{ status: string; error: string }>(
      t.db,
      sql`select status, error from dfe_pull`,
    );
    expect(pull!.status).toBe('failed');
  });

  it('does not retry a refusal (401)', async () => {
    seed(2);
    const wrong = createDfeClient(
      { url: fake.url, token: 'x' },
      {
        fetch: (request: Request) => {
          const stripped = new Request(request);
          stripped.headers.delete('Authorization');
          return fetch(stripped);
        },
      },
    );
    const report = await pullApplications(
      { db: t.db, clock, dfe: wrong },
      { startedBy: 'test', sleep: noSleep },
    );
    expect(report.status).toBe('failed');
    expect(report.error).toMatch(/401.*Access denied/);
    expect(fake.state.requests).toHaveLength(1);
  });
});
