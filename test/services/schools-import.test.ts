import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { sql } from 'drizzle-orm';
import { fixedClock } from '../../src/clock.js';
import { queryRows } from '../../src/db/client.js';
import { SYSTEM, type Actor } from '../../src/services/actor.js';
import { ForbiddenError } from '../../src/services/errors.js';
import { decodeGias, readGias } from '../../src/services/gias-csv.js';
import { importSchools, schoolsOverview } from '../../src/services/schools-import.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const SAMPLE = new URL('../fixtures/gias-sample.csv', import.meta.url);

let t: TestDatabase;
const clock = fixedClock('2026-03-02T09:00:00Z');
const deps = () => ({ db: t.db, clock });
const admin: Actor = {
  userId: 1,
  email: 'admin@example.test',
  displayName: 'Admin',
  role: 'admin',
  leadProviderId: null,
  deliveryPartnerId: null,
  participantId: null,
};

async function* chunks(bytes: Uint8Array, size: number) {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}
const once = async function* (bytes: Uint8Array | string) {
  yield typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
};
async function text(source: AsyncIterable<string>) {
  let out = '';
  for await (const s of source) out += s;
  return out;
}
async function school(urn: string) {
  const [row] = await queryRows<{
    name: string;
    status: string;
    town: string | null;
    postcode: string | null;
    la_code: string | null;
    la_name: string | null;
    region: string | null;
    establishment_type: string | null;
    phase: string | null;
  }>(
    t.db,
    sql`select s.name, s.status, s.town, s.postcode, la.code as la_code, la.name as la_name, r.name as region,
               s.establishment_type, s.phase
        from school s left join local_authority la on la.id = s.local_authority_id
        left join region r on r.id = s.region_id where s.urn = ${urn}`,
  );
  return row;
}

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.destroy();
});

describe('reading a GIAS file', () => {
  it('decodes Windows-1252 (the en dash and ô of a Welsh name, curly quotes)', async () => {
    const bytes = Uint8Array.from([
      0x59, 0x73, 0x67, 0x6f, 0x6c, 0x20, 0x96, 0x20, 0x43, 0xf4, 0x72, 0x20, 0x93, 0x94,
    ]);
    expect(await text(decodeGias(once(bytes)))).toBe('Ysgol – Côr “”');
  });

  it('decodes UTF-8 with or without a BOM, even with a character split between chunks', async () => {
    const utf8 = new TextEncoder().encode('Bro Morgannwg – Côr');
    const withBom = Uint8Array.from([0xef, 0xbb, 0xbf, ...utf8]);
    expect(await text(decodeGias(chunks(utf8, 1)))).toBe('Bro Morgannwg – Côr');
    expect(await text(decodeGias(chunks(withBom, 2)))).toBe('Bro Morgannwg – Côr');
  });

  it('reports a missing required column once, clearly', async () => {
    const read = async () => {
      for await (const _ of readGias(once('URN,EstablishmentName,Town\n100000,A School,Leeds\n')));
    };
    await expect(read()).rejects.toThrow(
      /no "LA \(code\)", "LA \(name\)", "EstablishmentStatus \(name\)" columns/,
    );
  });
});

describe('importing the GIAS sample', () => {
  it('imports the good rows, reports the bad one with line and field, and keeps progress', async () => {
    const progress: number[] = [];
    const bytes = await readFile(SAMPLE);
    const summary = await importSchools(deps(), admin, chunks(bytes, 300), {
      fileName: 'gias-sample.csv',
      chunkSize: 3,
      onProgress: (n) => progress.push(n),
    });
    expect(summary).toMatchObject({
      status: 'completed',
      rowsRead: 8,
      created: 7,
      updated: 0,
      unchanged: 0,
      rejected: 1,
      startedBy: 'user:1',
    });
    expect(summary.errors).toEqual([
      { line: 7, field: 'URN', message: expect.stringContaining('6 or 7 digits') },
      { line: 7, field: 'EstablishmentName', message: 'Enter the establishment name' },
    ]);
    expect(progress.at(-1)).toBe(8);
    expect(progress.length).toBeGreaterThan(2);

    expect(await school('401234')).toMatchObject({
      name: 'Ysgol Gymraeg Bro Morgannwg – Côr',
      region: null,
      la_code: '673',
      la_name: 'Vale of Glamorgan',
      phase: 'Not applicable',
    });
    expect(await school('113333')).toMatchObject({ status: 'Closed', region: 'South West' });
    expect(await school('137000')).toMatchObject({
      name: 'St Paul’s Cathedral School, “Choir”'.replace('’', "'"),
      status: 'Open, but proposed to close',
      region: 'London',
    });
    expect(await school('108500')).toMatchObject({
      town: 'Gateshead',
      postcode: 'NE11 0AA',
      la_code: '390',
      region: 'North East',
      establishment_type: 'Community school',
    });
    const [las] = await queryRows<{ n: number; regions: number }>(
      t.db,
      sql`select count(*)::int as n, (select count(*)::int from region) as regions from local_authority`,
    );
    expect(las).toEqual({ n: 5, regions: 9 });
    const [stored] = await queryRows<{ rows_read: number; status: string; errors: unknown[] }>(
      t.db,
      sql`select rows_read, status, errors from school_import where id = ${summary.id}`,
    );
    expect(stored).toMatchObject({ rows_read: 8, status: 'completed' });
    expect(stored!.errors).toHaveLength(2);
  });

  it('changes nothing when the same file is imported again', async () => {
    const before = await queryRows(t.db, sql`select urn, updated_at from school order by urn`);
    const summary = await importSchools(deps(), SYSTEM, once(await readFile(SAMPLE)), {
      fileName: 'again.csv',
    });
    expect(summary).toMatchObject({ created: 0, updated: 0, unchanged: 7, rejected: 1 });
    expect(await queryRows(t.db, sql`select urn, updated_at from school order by urn`)).toEqual(
      before,
    );
  });

  it('updates a renamed school and a closed one from a UTF-8 file with a BOM', async () => {
    const sample = await text(decodeGias(once(await readFile(SAMPLE))));
    const changed = sample
      .replace('Harbour View Academy', 'Harbour View Academy Trust School')
      .replace(/(Quayside Primary School,1,Community school),1,Open/, '$1,2,Closed');
    const summary = await importSchools(deps(), admin, once(`\uFEFF${changed}`), {
      fileName: 'changed.csv',
    });
    expect(summary).toMatchObject({ created: 0, updated: 2, unchanged: 5 });
    expect((await school('111111'))?.name).toBe('Harbour View Academy Trust School');
    expect((await school('112222'))?.status).toBe('Closed');
  });

  it('records a file without the GIAS columns as failed, with one error', async () => {
    const summary = await importSchools(deps(), admin, once('name,town\nA,B\n'), {
      fileName: 'wrong.csv',
    });
    expect(summary.status).toBe('failed');
    expect(summary.errors).toEqual([
      {
        line: 1,
        field: 'header',
        message: expect.stringContaining('not a GIAS establishment file'),
      },
    ]);
  });

  it('is only for admins and the programme team', async () => {
    await expect(
      importSchools(deps(), { ...admin, role: 'delivery_partner_staff' }, once('URN\n'), {
        fileName: 'x.csv',
      }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    const overview = await schoolsOverview(deps(), admin);
    expect(overview).toMatchObject({ schools: 7, closed: 2, localAuthorities: 5 });
    expect(overview.imports[0]).toMatchObject({ fileName: 'wrong.csv', status: 'failed' });
  });
});
