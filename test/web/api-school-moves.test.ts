import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

/**
 * School moves and transfers (2.6.1-2.6.4). Enrolment n is participant n: 1 is South, 2 and 9 are
 * North. The demo's lead provider covers every region but one.
 */
let w: DemoWorld;
let p1: Session;
let p2: Session;
let north: Session;
let south: Session;

let insideUrn = '';
let insideUrn2 = '';
let outsideUrn = '';

type Reason = { code: string; clause: string; met: boolean };
interface Transfer {
  id: number;
  status: string;
  version: number;
  receivingLeadProvider: string | null;
  dataSharingConsent: boolean | null;
}
interface Move {
  id: number;
  insideNetwork: boolean;
  toSchool: { urn: string };
  decision: { outcome: string; reasons: Reason[] };
  transfer: Transfer | null;
}

const move = (s: Session, body: Record<string, unknown>, headers?: Record<string, string>) =>
  s.request({
    method: 'POST',
    url: '/api/v1/school-moves',
    payload: body,
    ...(headers ? { headers } : {}),
  });
const transferAct = (s: Session, id: number, action: string, payload: Record<string, unknown>) =>
  s.request({ method: 'POST', url: `/api/v1/transfers/${id}/${action}`, payload });

async function schoolUrns(covered: boolean, except: number[]): Promise<string[]> {
  const rows = await queryRows<{ urn: string }>(
    w.t.db,
    sql`select s.urn from school s
        where ${covered ? sql`` : sql`not`} exists (select 1 from lead_provider_region lr where lr.region_id = s.region_id)
          and s.id not in (select current_school_id from participant where id in (${sql.join(
            except.map((i) => sql`${i}`),
            sql`, `,
          )}))
        order by s.id limit 2`,
  );
  return rows.map((r) => r.urn);
}

beforeAll(async () => {
  w = await createDemoWorld();
  [p1, p2, north, south] = await Promise.all([
    w.signIn('participant1@demo.npq-ops.test'),
    w.signIn('participant2@demo.npq-ops.test'),
    w.signIn('partner.north@demo.npq-ops.test'),
    w.signIn('partner.south@demo.npq-ops.test'),
  ]);
  [insideUrn, insideUrn2] = (await schoolUrns(true, [1, 2, 9])) as [string, string];
  [outsideUrn] = (await schoolUrns(false, [1, 2, 9])) as [string];
});
afterAll(async () => {
  await w.destroy();
});

describe('a move inside the network', () => {
  it('continues the enrolment and updates the employment history (2.6.2, 2.6.3)', async () => {
    const res = await move(p1, { enrolmentId: 1, newSchoolUrn: insideUrn, movedOn: '2026-03-02' });
    expect(res.statusCode).toBe(201);
    const m = res.json() as Move;
    expect(m).toMatchObject({ insideNetwork: true, transfer: null, toSchool: { urn: insideUrn } });
    expect(m.decision.outcome).toBe('allowed');
    expect(m.decision.reasons.map((r) => [r.code, r.clause])).toEqual(
      expect.arrayContaining([
        ['PORTABILITY.CONTINUES', '2.6.2'],
        ['PORTABILITY.NOTIFIED', '2.6.3'],
      ]),
    );
    const participant = (
      await p1.request({ method: 'GET', url: '/api/v1/participants/1' })
    ).json() as {
      currentSchool: { urn: string };
      employmentHistory: { schoolUrn: string; startedOn: string; endedOn: string | null }[];
    };
    expect(participant.currentSchool.urn).toBe(insideUrn);
    const history = participant.employmentHistory;
    expect(history.at(-1)).toEqual(
      expect.objectContaining({ schoolUrn: insideUrn, startedOn: '2026-03-02', endedOn: null }),
    );
    expect(history.at(-2)?.endedOn).toBe('2026-03-01');
    expect(history.filter((h) => h.endedOn === null)).toHaveLength(1);
    const [e] = await queryRows<{ status: string }>(
      w.t.db,
      sql`select status from enrolment where id = 1`,
    );
    expect(e!.status).toBe('active');
    const list = await south.request({
      method: 'GET',
      url: '/api/v1/school-moves?participantId=1',
    });
    expect((list.json() as Move[]).map((x) => x.id)).toEqual([m.id]);
    expect(
      (await north.request({ method: 'GET', url: '/api/v1/school-moves?participantId=1' }))
        .statusCode,
    ).toBe(404);
  });

  it('answers an unknown URN with 422 on the field, and a move before the current job with 422', async () => {
    const unknown = await move(p1, {
      enrolmentId: 1,
      newSchoolUrn: '9999999',
      movedOn: '2026-03-10',
    });
    expect(unknown.statusCode).toBe(422);
    expect((unknown.json() as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual([
      'newSchoolUrn',
    ]);
    const early = await move(p1, {
      enrolmentId: 1,
      newSchoolUrn: insideUrn2,
      movedOn: '2026-03-01',
    });
    expect(early.statusCode).toBe(422);
    expect((early.json() as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual([
      'movedOn',
    ]);
    const farFuture = await move(p1, {
      enrolmentId: 1,
      newSchoolUrn: insideUrn2,
      movedOn: '9999-12-31',
    });
    expect(farFuture.statusCode).toBe(422);
    expect(
      (farFuture.json() as { errors: { path: string; message: string }[] }).errors[0],
    ).toMatchObject({
      path: 'movedOn',
      message: expect.stringContaining('on or before the end of your programme'),
    });
    const malformed = await move(p1, { enrolmentId: 1, newSchoolUrn: 'abc', movedOn: 'soon' });
    expect(malformed.statusCode).toBe(400);
  });

  it("hides another partner's participant, and replays an Idempotency-Key without a second move", async () => {
    expect(
      (await move(north, { enrolmentId: 1, newSchoolUrn: insideUrn2, movedOn: '2026-03-10' }))
        .statusCode,
    ).toBe(404);
    const headers = { 'idempotency-key': 'move-1-again' };
    const body = { enrolmentId: 1, newSchoolUrn: insideUrn2, movedOn: '2026-03-10' };
    const first = await move(south, body, headers);
    expect(first.statusCode).toBe(201);
    const replay = await move(south, body, headers);
    expect(replay.headers['idempotent-replay']).toBe('true');
    expect(replay.json()).toEqual(first.json());
    const [n] = await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(*)::int as n from school_move where participant_id = 1`,
    );
    expect(n!.n).toBe(2);
  });
});

describe('a move outside the network', () => {
  let transferId = 0;

  it('opens a transfer case (2.6.4)', async () => {
    const res = await move(p2, { enrolmentId: 2, newSchoolUrn: outsideUrn, movedOn: '2026-03-09' });
    expect(res.statusCode).toBe(201);
    const m = res.json() as Move;
    expect(m.insideNetwork).toBe(false);
    expect(m.decision.reasons.map((r) => [r.code, r.clause])).toContainEqual([
      'PORTABILITY.OUTSIDE_NETWORK',
      '2.6.4',
    ]);
    expect(m.transfer).toMatchObject({ status: 'opened', version: 1, receivingLeadProvider: null });
    transferId = m.transfer!.id;
    const got = await north.request({ method: 'GET', url: `/api/v1/transfers/${transferId}` });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toMatchObject({ schoolMove: { id: m.id } });
    expect(
      (await south.request({ method: 'GET', url: `/api/v1/transfers/${transferId}` })).statusCode,
    ).toBe(404);
    expect(
      (await transferAct(south, transferId, 'export', { expectedVersion: 1 })).statusCode,
    ).toBe(404);
  });

  it('records the participant’s choice of lead provider, refusing a stale version', async () => {
    const res = await transferAct(p2, transferId, 'receiving-provider', {
      name: 'Best Practice Network',
      expectedVersion: 1,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'provider_chosen',
      version: 2,
      receivingLeadProvider: 'Best Practice Network',
    });
    expect(
      (await transferAct(p2, transferId, 'consent', { consent: true, expectedVersion: 1 }))
        .statusCode,
    ).toBe(409);
  });

  it('refuses the export without data-sharing consent, citing 2.6.4', async () => {
    expect(
      (await transferAct(p2, transferId, 'consent', { consent: false, expectedVersion: 2 }))
        .statusCode,
    ).toBe(200);
    const res = await transferAct(north, transferId, 'export', { expectedVersion: 3 });
    expect(res.statusCode).toBe(422);
    const body = res.json() as { code: string; reasons: Reason[] };
    expect(body.code).toBe('POLICY_REFUSED');
    expect(body.reasons.map((r) => [r.code, r.clause])).toEqual([
      ['PORTABILITY.NO_DATA_SHARING_CONSENT', '2.6.4'],
    ]);
  });

  it('produces the export package once consent is given (staff only)', async () => {
    expect(
      (await transferAct(p2, transferId, 'consent', { consent: true, expectedVersion: 3 }))
        .statusCode,
    ).toBe(200);
    expect((await transferAct(p2, transferId, 'export', { expectedVersion: 4 })).statusCode).toBe(
      403,
    );
    const res = await transferAct(north, transferId, 'export', { expectedVersion: 4 });
    expect(res.statusCode).toBe(200);
    const body = res.json() as {
      transfer: Transfer;
      package: {
        to: string;
        participant: { email: string; employmentHistory: { schoolUrn: string }[] };
        enrolment: { status: string; course: string };
        engagement: { percentage: string; decision: { reasons: Reason[] } };
        decisions: { kind: string }[];
      };
    };
    expect(body.transfer).toMatchObject({ status: 'exported', version: 5 });
    expect(body.package.to).toBe('Best Practice Network');
    expect(body.package.participant.email).toBe('participant2@demo.npq-ops.test');
    expect(body.package.participant.employmentHistory.at(-1)?.schoolUrn).toBe(outsideUrn);
    expect(body.package.enrolment).toMatchObject({ status: 'active', course: 'npq-headship' });
    expect(body.package.engagement.decision.reasons[0]?.clause).toBe('2.1.1');
    expect(body.package.decisions.map((d) => d.kind)).toContain('school_move');
  });

  it('transfers the enrolment out when confirmed', async () => {
    expect((await transferAct(p2, transferId, 'confirm', { expectedVersion: 5 })).statusCode).toBe(
      403,
    );
    const res = await transferAct(north, transferId, 'confirm', { expectedVersion: 5 });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'transferred_out',
      enrolmentStatus: 'transferred_out',
    });
    const e = (await north.request({ method: 'GET', url: '/api/v1/enrolments/2' })).json() as {
      status: string;
    };
    expect(e.status).toBe('transferred_out');
    expect(
      (await transferAct(north, transferId, 'confirm', { expectedVersion: 6 })).statusCode,
    ).toBe(409);
    // A transferred-out enrolment has no current programme to continue at another school.
    const after = await move(north, {
      enrolmentId: 2,
      newSchoolUrn: insideUrn2,
      movedOn: '2026-04-01',
    });
    expect(after.statusCode).toBe(422);
    expect(
      (after.json() as { reasons: Reason[] }).reasons.filter((r) => !r.met).map((r) => r.code),
    ).toEqual(['PORTABILITY.NO_CURRENT_ENROLMENT']);
  });

  it('confirms a transfer without shared data once the lead provider is chosen, and not before', async () => {
    const res = await move(north, {
      enrolmentId: 9,
      newSchoolUrn: outsideUrn,
      movedOn: '2026-03-09',
    });
    expect(res.statusCode).toBe(201);
    const t = (res.json() as Move).transfer!;
    expect((await transferAct(north, t.id, 'confirm', { expectedVersion: 1 })).statusCode).toBe(
      409,
    );
    expect((await transferAct(north, t.id, 'export', { expectedVersion: 1 })).statusCode).toBe(422);
    await transferAct(north, t.id, 'receiving-provider', {
      name: 'Teach First',
      expectedVersion: 1,
    });
    const done = await transferAct(north, t.id, 'confirm', { expectedVersion: 2 });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ status: 'transferred_out', dataSharingConsent: null });
  });
});
