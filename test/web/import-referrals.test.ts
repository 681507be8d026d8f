import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { CLASH_REFERRED, PARTICIPANT_CSV_COLUMNS } from '../../src/services/participant-import.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

/**
 * A delivery partner's participant import must not reveal that a TRN or an email belongs to
 * another partner's participant (or to an account): the row is answered "we could not add this
 * row; the programme team has been told", and the programme team reads the detail.
 */
let w: DemoWorld;
let north: Session;
let team: Session;
let southParticipant: { id: number; trn: string; email: string };

beforeAll(async () => {
  w = await createDemoWorld({ participants: 12 });
  [north, team] = await Promise.all([
    w.signIn('partner.north@demo.npq-ops.test'),
    w.signIn('programme.team@demo.npq-ops.test'),
  ]);
  const [p] = await queryRows<{ id: number; trn: string; email: string }>(
    w.t.db,
    sql`select p.id, p.trn, p.email from participant p
        where p.trn is not null
          and exists (select 1 from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id
                      where e.participant_id = p.id and dp.slug = 'south')
          and not exists (select 1 from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id
                          where e.participant_id = p.id and dp.slug <> 'south')
        order by p.id limit 1`,
  );
  southParticipant = p!;
});
afterAll(async () => {
  await w?.destroy();
});

async function csvFor(rows: Record<string, string>[]): Promise<string> {
  const [school] = await queryRows<{ urn: string }>(
    w.t.db,
    sql`select urn from school order by id limit 1`,
  );
  const base: Record<string, string> = {
    school_urn: school!.urn,
    funding_route: 'school',
    dfe_registration_confirmed: 'yes',
    employment_confirmed: 'yes',
    course_identifier: 'npq-headship',
    cohort_year: '2026',
    delivery_partner: 'north',
  };
  return [
    PARTICIPANT_CSV_COLUMNS.join(','),
    ...rows.map((r) => PARTICIPANT_CSV_COLUMNS.map((c) => ({ ...base, ...r })[c] ?? '').join(',')),
  ].join('\n');
}

/** The report's row errors: [line, column, message]. */
function reportRows(html: string): string[][] {
  const body =
    /data-testid="row-errors"[\s\S]*?<tbody[^>]*>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...body.matchAll(/<tr[\s\S]*?<\/tr>/g)].map((r) =>
    [...r[0].matchAll(/<t[hd][^>]*>\s*([\s\S]*?)\s*<\/t[hd]>/g)].map((c) => c[1]!),
  );
}

const clashingRows = () => [
  // Line 2: another partner's participant, by TRN.
  { trn: southParticipant.trn, full_name: 'Someone Else', email: 'someone.else@example.test' },
  // Line 3: another partner's participant's email, with a new TRN.
  { trn: '7100001', full_name: 'Email Clash', email: southParticipant.email },
  // Line 4: a staff account's email.
  { trn: '7100002', full_name: 'Account Clash', email: 'programme.team@demo.npq-ops.test' },
  // Line 5: a good row, which lands.
  { trn: '7100003', full_name: 'Good Row', email: 'good.row@example.test' },
];

describe('participant import clashes', () => {
  it('tells a delivery partner only that the programme team has been told', async () => {
    const res = await north.request({
      method: 'POST',
      url: '/imports/participants',
      payload: { participantsCsv: await csvFor(clashingRows()) },
    });
    expect(res.statusCode).toBe(200);
    expect(reportRows(res.body)).toEqual([
      ['2', 'row', CLASH_REFERRED],
      ['3', 'row', CLASH_REFERRED],
      ['4', 'row', CLASH_REFERRED],
    ]);
    for (const leak of ['another delivery partner', 'belongs to', 'sign in to another', 'South']) {
      expect(res.body).not.toContain(leak);
    }
    expect(res.body).toContain('1 participant added');
    // A row whose TRN is simply unknown gets the same answer shape as a fresh one: it is added.
    const [added] = await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(*)::int as n from participant where trn in ('7100001', '7100002', '7100003')`,
    );
    expect(added!.n).toBe(1);
  });

  it('gives the programme team the detail of each referred row; partners cannot read it', async () => {
    const res = await team.request({ method: 'GET', url: '/api/v1/import-referrals' });
    expect(res.statusCode).toBe(200);
    const referrals = res.json() as {
      line: number;
      field: string;
      reason: string;
      participantId: number | null;
      deliveryPartner: string;
      importedBy: string;
    }[];
    const byLine = [...referrals].sort((a, b) => a.line - b.line);
    expect(byLine).toMatchObject([
      {
        line: 2,
        field: 'trn',
        reason: expect.stringContaining('enrolled with another delivery partner') as string,
        participantId: southParticipant.id,
        deliveryPartner: expect.stringMatching(/north/i) as string,
      },
      {
        line: 3,
        field: 'email',
        reason: 'This email address belongs to another participant',
        participantId: southParticipant.id,
      },
      {
        line: 4,
        field: 'email',
        reason: 'This email address is already used to sign in to another account',
        participantId: null,
      },
    ]);
    // The record holds ids, not the TRN or email the partner typed.
    expect(res.body).not.toContain(southParticipant.email);
    expect(res.body).not.toContain(southParticipant.trn);

    expect(
      (await north.request({ method: 'GET', url: '/api/v1/import-referrals' })).statusCode,
    ).toBe(404);
  });

  it('keeps the full detail for programme team importers', async () => {
    const rows = clashingRows().slice(1, 3);
    const res = await team.request({
      method: 'POST',
      url: '/imports/participants',
      payload: { participantsCsv: await csvFor(rows) },
    });
    expect(res.statusCode).toBe(200);
    expect(reportRows(res.body)).toEqual([
      ['2', 'email', 'This email address belongs to another participant'],
      ['3', 'email', 'This email address is already used to sign in to another account'],
    ]);
  });
});

describe('engagement import', () => {
  it("answers another partner's participant exactly as an unknown one", async () => {
    const [activity] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select id from programme_activity order by id limit 1`,
    );
    const row = (participant: string, id: string) => ({
      participant,
      activityId: activity!.id,
      occurredAt: '2025-10-01T10:00:00Z',
      sourceEventId: id,
    });
    const res = await north.request({
      method: 'POST',
      url: '/api/v1/engagement/batch',
      payload: [
        row(`trn:${southParticipant.trn}`, 'a'),
        row('trn:7199999', 'b'),
        row(`email:${southParticipant.email}`, 'c'),
        row('email:nobody.at.all@example.test', 'd'),
      ],
    });
    expect(res.statusCode).toBe(200);
    const { errors } = res.json() as { errors: { index: number; message: string }[] };
    expect(errors.map((e) => e.index)).toEqual([0, 1, 2, 3]);
    expect(new Set(errors.map((e) => e.message)).size).toBe(1);
  });
});
