import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

const SAMPLE = new URL('../fixtures/gias-sample.csv', import.meta.url);
let w: DemoWorld;
let admin: Session;
let team: Session;
let partner: Session;
let participant: Session;

beforeAll(async () => {
  w = await createDemoWorld();
  [admin, team, partner, participant] = await Promise.all([
    w.signIn('admin@demo.npq-ops.test'),
    w.signIn('programme.team@demo.npq-ops.test'),
    w.signIn('partner.north@demo.npq-ops.test'),
    w.signIn('participant1@demo.npq-ops.test'),
  ]);
});
afterAll(async () => {
  await w.destroy();
});

const api = (
  s: Session,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  payload?: unknown,
) => s.request({ method, url: `/api/v1${url}`, ...(payload === undefined ? {} : { payload }) });

async function auditCount(what: string): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    w.t.db,
    sql`select count(*)::int as n from audit_event where what = ${what}`,
  );
  return row!.n;
}

async function importCsv(s: Session, body: Buffer | string, fileName = 'gias.csv') {
  return s.request({
    method: 'POST',
    url: `/api/v1/school-imports?fileName=${fileName}`,
    payload: body,
    headers: { 'content-type': 'text/csv' },
  });
}

describe('the lead provider', () => {
  it('is read by staff, not by participants', async () => {
    const res = await api(team, 'GET', '/lead-provider');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ slug: 'ambition', name: 'Ambition Institute', version: 1 });
    expect((await api(participant, 'GET', '/lead-provider')).statusCode).toBe(404);
  });

  it('is changed by the programme team with the version they read (409 if stale), audited', async () => {
    const body = {
      name: 'Ambition Institute',
      contractEndDate: '2028-08-31',
      contactEmail: 'programmes@ambition.example',
      contactPhone: '020 3960 0000',
      openingHours: 'Monday to Friday, 9am to 5pm',
    };
    const stale = await api(team, 'PUT', '/lead-provider', { ...body, expectedVersion: 9 });
    expect(stale.statusCode).toBe(409);
    const bad = await api(team, 'PUT', '/lead-provider', {
      ...body,
      contactEmail: 'not an email',
      expectedVersion: 1,
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json()).toMatchObject({ errors: [{ path: 'contactEmail' }] });
    const res = await api(team, 'PUT', '/lead-provider', { ...body, expectedVersion: 1 });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ ...body, version: 2 });
    expect(await auditCount('LEAD_PROVIDER_UPDATED')).toBe(1);
    expect(
      (await api(partner, 'PUT', '/lead-provider', { ...body, expectedVersion: 2 })).statusCode,
    ).toBe(403);
    // Only one lead provider: an admin cannot create a second.
    expect((await api(admin, 'GET', '/lead-provider')).json()).toMatchObject({ version: 2 });
  });
});

describe('delivery partners', () => {
  it('are created with a unique lowercase slug and at most one national arm, and edited with a version check', async () => {
    const badSlug = await api(team, 'POST', '/delivery-partners', {
      name: 'East Hub',
      slug: 'East Hub',
    });
    expect(badSlug.statusCode).toBe(422);
    expect(badSlug.json()).toMatchObject({ errors: [{ path: 'slug' }] });
    const taken = await api(team, 'POST', '/delivery-partners', {
      name: 'Another North',
      slug: 'north',
    });
    expect(taken.json()).toMatchObject({
      errors: [{ path: 'slug', message: expect.stringContaining('already used') }],
    });
    const national = await api(team, 'POST', '/delivery-partners', {
      name: 'Second national',
      slug: 'national-2',
      isNational: true,
    });
    expect(national.statusCode).toBe(422);
    expect(national.json()).toMatchObject({ errors: [{ path: 'isNational' }] });

    const created = await api(team, 'POST', '/delivery-partners', {
      name: 'East Anglia Teaching School Hub',
      slug: 'east-anglia',
      contactEmail: 'npq@east.example',
      contactPhone: '01223 000000',
      openingHours: 'Weekdays 8am to 4pm',
    });
    expect(created.statusCode).toBe(201);
    const east = created.json() as { id: number; version: number };
    expect(east).toMatchObject({
      slug: 'east-anglia',
      isNational: false,
      version: 1,
      areaCount: 0,
    });
    expect((await api(team, 'GET', `/delivery-partners/${east.id}`)).statusCode).toBe(200);
    expect((await api(team, 'GET', '/delivery-partners')).json()).toHaveLength(6);

    const stale = await api(team, 'PATCH', `/delivery-partners/${east.id}`, {
      name: 'X',
      expectedVersion: 5,
    });
    expect(stale.statusCode).toBe(409);
    const edited = await api(admin, 'PATCH', `/delivery-partners/${east.id}`, {
      openingHours: 'Weekdays 9am to 5pm',
      expectedVersion: 1,
    });
    expect(edited.json()).toMatchObject({
      name: 'East Anglia Teaching School Hub',
      openingHours: 'Weekdays 9am to 5pm',
      version: 2,
    });
    expect(await auditCount('DELIVERY_PARTNER_CREATED')).toBe(1);
    expect(await auditCount('DELIVERY_PARTNER_UPDATED')).toBe(1);

    expect(
      (await api(partner, 'POST', '/delivery-partners', { name: 'Mine', slug: 'mine' })).statusCode,
    ).toBe(403);
    expect((await api(partner, 'GET', `/delivery-partners/${east.id}`)).statusCode).toBe(404);
    expect((await api(participant, 'GET', '/delivery-partners')).statusCode).toBe(404);
  });
});

describe('schools, areas and our network (2.6.4)', () => {
  it('imports the GIAS sample over the API, lists the bad row, and reports the import', async () => {
    const res = await importCsv(team, await readFile(SAMPLE), 'gias-sample.csv');
    expect(res.statusCode).toBe(201);
    const summary = res.json() as { id: number };
    expect(summary).toMatchObject({
      status: 'completed',
      created: 7,
      rejected: 1,
      fileName: 'gias-sample.csv',
    });
    const report = await api(admin, 'GET', `/school-imports/${summary.id}`);
    expect(report.json()).toMatchObject({
      errors: [
        { line: 7, field: 'URN' },
        { line: 7, field: 'EstablishmentName' },
      ],
    });
    expect((await api(partner, 'GET', `/school-imports/${summary.id}`)).statusCode).toBe(404);
    expect((await importCsv(partner, await readFile(SAMPLE))).statusCode).toBe(403);
    const json = await api(team, 'POST', '/school-imports', { csv: 'URN' });
    expect(json.statusCode).toBe(415);
    const missing = await importCsv(team, 'name,town\nA,B\n');
    expect(missing.statusCode).toBe(422);
    expect(missing.json()).toMatchObject({ errors: [{ path: 'header' }] });
    const tooBig = await team.request({
      method: 'POST',
      url: '/api/v1/school-imports',
      payload: 'URN\n',
      headers: { 'content-type': 'text/csv', 'content-length': String(300 * 1024 * 1024) },
    });
    expect(tooBig.statusCode).toBe(413);
    expect(tooBig.json()).toMatchObject({ error: expect.stringContaining('200 MB') });
  });

  it('finds schools by name, town or URN, closed ones marked and last', async () => {
    const byTown = (await api(participant, 'GET', '/schools?q=Devon')).json() as unknown[];
    expect(byTown).toEqual([]);
    const byName = (await api(participant, 'GET', '/schools?q=Quayside')).json();
    expect(byName).toEqual([
      expect.objectContaining({
        urn: '112222',
        town: 'Exeter',
        status: 'Open',
        localAuthority: 'Devon',
      }),
    ]);
    expect((await api(participant, 'GET', '/schools?q=113333')).json()).toEqual([
      expect.objectContaining({ name: 'Old Mill Infant School', status: 'Closed' }),
    ]);
  });

  it('adds areas from the imported local authorities or by code and name, idempotently, and removes them', async () => {
    const las = (await api(team, 'GET', '/local-authorities')).json() as {
      id: number;
      code: string;
      schools: number;
    }[];
    const devon = las.find((l) => l.code === '878')!;
    expect(devon.schools).toBe(2);
    const [north] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select id from delivery_partner where slug = 'north'`,
    );
    const url = `/delivery-partners/${north!.id}/areas`;
    const added = await api(team, 'POST', url, { localAuthorityId: devon.id });
    expect(added.statusCode).toBe(201);
    expect((await api(team, 'POST', url, { localAuthorityId: devon.id })).json()).toMatchObject({
      added: false,
    });
    const byCode = await api(admin, 'POST', '/lead-provider/areas', {
      code: '873',
      name: 'Cambridgeshire',
    });
    expect(byCode.statusCode).toBe(201);
    const badCode = await api(admin, 'POST', '/lead-provider/areas', { code: '87', name: 'X' });
    expect(badCode.json()).toMatchObject({ errors: [{ path: 'code' }] });
    expect((await api(team, 'GET', url)).json()).toEqual([
      expect.objectContaining({ code: '878', name: 'Devon', region: 'South West' }),
    ]);
    expect((await api(team, 'GET', '/lead-provider/areas')).json()).toEqual([
      expect.objectContaining({ code: '873', deliveryPartnerId: null }),
    ]);
    expect((await api(partner, 'DELETE', `${url}/${devon.id}`)).statusCode).toBe(403);
    expect((await api(team, 'DELETE', `${url}/${devon.id}`)).statusCode).toBe(204);
    expect((await api(team, 'DELETE', `${url}/${devon.id}`)).statusCode).toBe(404);
    expect(await auditCount('SERVICE_AREA_ADDED')).toBe(2);
    expect(await auditCount('SERVICE_AREA_REMOVED')).toBe(1);
  });

  it('a school in a served local authority of an uncovered region is inside the network; one in an unserved one is outside', async () => {
    // East of England is the region the demo lead provider does not cover; Cambridgeshire (873) is served above.
    const csv = [
      'URN,EstablishmentName,Town,Postcode,LA (code),LA (name),EstablishmentStatus (name),GOR (name),Extra',
      '200001,Fenland Primary School,March,PE15 8AA,873,Cambridgeshire,Open,East of England,x',
      '200002,Cathedral View Academy,Peterborough,PE1 1AA,874,Peterborough,Open,East of England,x',
    ].join('\n');
    expect((await importCsv(admin, csv)).json()).toMatchObject({ created: 2 });
    const enrolments = await queryRows<{ id: number; email: string }>(
      w.t.db,
      sql`select e.id, p.email from enrolment e join participant p on p.id = e.participant_id
          where p.email in ('participant1@demo.npq-ops.test', 'participant2@demo.npq-ops.test')
            and e.status in ('active', 'accepted', 'deferred') order by p.email`,
    );
    const movedOn = '2026-03-09';
    const inside = await api(participant, 'POST', '/school-moves', {
      enrolmentId: enrolments.find((e) => e.email.startsWith('participant1'))!.id,
      newSchoolUrn: '200001',
      movedOn,
    });
    expect(inside.statusCode).toBe(201);
    expect(inside.json()).toMatchObject({ insideNetwork: true, transfer: null });
    const p2 = await w.signIn('participant2@demo.npq-ops.test');
    const outside = await api(p2, 'POST', '/school-moves', {
      enrolmentId: enrolments.find((e) => e.email.startsWith('participant2'))!.id,
      newSchoolUrn: '200002',
      movedOn,
    });
    expect(outside.statusCode).toBe(201);
    const body = outside.json() as {
      insideNetwork: boolean;
      decision: { reasons: { code: string; clause: string; evidence: Record<string, unknown> }[] };
    };
    expect(body.insideNetwork).toBe(false);
    const reason = body.decision.reasons.find((r) => r.code === 'PORTABILITY.OUTSIDE_NETWORK');
    expect(reason?.clause).toBe('2.6.4');
    expect(reason?.evidence).toMatchObject({
      newSchoolLocalAuthority: '874',
      coveredAreas: ['873'],
    });
  });
});
