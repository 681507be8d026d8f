import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { PARTICIPANT_CSV_COLUMNS } from '../../src/services/participant-import.js';
import { createDemoWorld, pageText, type DemoWorld, type Session } from '../support/demo-world.js';

let world: DemoWorld;
let north: Session;

beforeAll(async () => {
  world = await createDemoWorld({ participants: 12 });
  north = await world.signIn('partner.north@demo.npq-ops.test');
});
afterAll(async () => {
  await world?.destroy();
});

function reportRows(html: string): string[][] {
  const body =
    /data-testid="row-errors"[\s\S]*?<tbody[^>]*>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...body.matchAll(/<tr[\s\S]*?<\/tr>/g)].map((r) =>
    [...r[0].matchAll(/<t[hd][^>]*>\s*([\s\S]*?)\s*<\/t[hd]>/g)].map((c) => c[1]!),
  );
}

async function count(query: ReturnType<typeof sql>): Promise<number> {
  const [row] = await queryRows<{ n: number }>(world.t.db, query);
  return row!.n;
}

describe('imports', () => {
  it('is for partners, the programme team and admins only', async () => {
    const coach = await world.signIn('coach@demo.npq-ops.test');
    expect((await coach.request({ method: 'GET', url: '/imports' })).statusCode).toBe(403);
    expect(
      (
        await coach.request({
          method: 'POST',
          url: '/imports/engagement',
          payload: { engagementCsv: 'x' },
        })
      ).statusCode,
    ).toBe(403);
    const page = await north.request({ method: 'GET', url: '/imports' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Participants CSV');
  });

  it('imports participants for the partner only, reporting every bad row by line and column', async () => {
    const [school] = await queryRows<{ urn: string }>(
      world.t.db,
      sql`select urn from school order by id limit 1`,
    );
    const header = PARTICIPANT_CSV_COLUMNS.join(',');
    const row = (o: Record<string, string>) =>
      PARTICIPANT_CSV_COLUMNS.map((c) => o[c] ?? '').join(',');
    const base = {
      school_urn: school!.urn,
      funding_route: 'school',
      dfe_registration_confirmed: 'yes',
      employment_confirmed: 'yes',
      course_identifier: 'npq-headship',
      cohort_year: '2026',
    };
    const csv = [
      header,
      row({
        ...base,
        trn: '7000001',
        full_name: 'Imogen Import',
        email: 'imogen.import@example.test',
        delivery_partner: 'north',
      }),
      row({
        ...base,
        trn: '7000002',
        full_name: 'Sid Southern',
        email: 'sid.southern@example.test',
        delivery_partner: 'south',
      }),
      row({
        ...base,
        trn: '7000003',
        full_name: 'Bad Email',
        email: 'not-an-email',
        delivery_partner: 'north',
      }),
    ].join('\n');
    const res = await north.request({
      method: 'POST',
      url: '/imports/participants',
      payload: { participantsCsv: csv },
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('1 participant added');
    expect(res.body).toContain('1 invitation to set a password emailed');
    expect(
      await count(sql`select count(*)::int as n from email_message m join app_user u on m.subject_id = u.id::text
                      join participant p on p.id = u.participant_id
                      where m.template = 'participant_invitation' and p.trn = '7000001' and u.password_hash is null`),
    ).toBe(1);
    const rows = reportRows(res.body);
    expect(rows).toEqual([
      [
        '3',
        'delivery_partner',
        'You cannot enrol participants with the delivery partner &quot;south&quot;',
      ],
      ['4', 'email', 'Enter an email address in the correct format'],
    ]);
    expect(
      await count(
        sql`select count(*)::int as n from participant where trn in ('7000001', '7000002', '7000003')`,
      ),
    ).toBe(1);
    expect(
      await count(sql`select count(*)::int as n from enrolment e join participant p on p.id = e.participant_id
                      join delivery_partner dp on dp.id = e.delivery_partner_id where p.trn = '7000001' and dp.slug = 'north'`),
    ).toBe(1);

    const again = await north.request({
      method: 'POST',
      url: '/imports/participants',
      payload: { participantsCsv: csv },
    });
    expect(again.body).toContain('0 participants added');
    expect(again.body).toContain('1 already there');
    expect(again.body).toContain('0 invitations to set a password emailed');
  });

  it('refuses an empty paste or a CSV without the columns it needs', async () => {
    const empty = await north.request({
      method: 'POST',
      url: '/imports/participants',
      payload: { participantsCsv: ' ' },
    });
    expect(empty.statusCode).toBe(422);
    expect(empty.body).toContain('href="#participantsCsv"');
    const wrong = await north.request({
      method: 'POST',
      url: '/imports/engagement',
      payload: { engagementCsv: 'who,what\n1,2' },
    });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.body).toContain('The CSV needs a participant column');
    expect(wrong.body).toContain('who,what');
  });

  it('imports engagement for the partner’s own participants and reports the rest', async () => {
    const [mine] = await queryRows<{ email: string; activity: number }>(
      world.t.db,
      sql`select p.email, a.id as activity from participant p join enrolment e on e.participant_id = p.id
          join delivery_partner dp on dp.id = e.delivery_partner_id join cohort c on c.id = e.cohort_id
          join programme_activity a on a.programme_id = c.programme_id and a.kind = 'study_session'
          where dp.slug = 'north' and not exists (select 1 from engagement_record r where r.participant_id = p.id and r.activity_id = a.id)
          order by p.id, a.position limit 1`,
    );
    const [theirs] = await queryRows<{ email: string }>(
      world.t.db,
      sql`select p.email from participant p join enrolment e on e.participant_id = p.id
          join delivery_partner dp on dp.id = e.delivery_partner_id where dp.slug = 'south'
          and p.id not in (select e2.participant_id from enrolment e2 join delivery_partner d2 on d2.id = e2.delivery_partner_id where d2.slug = 'north')
          limit 1`,
    );
    const csv = [
      'participant,activity_id,kind,occurred_at,source,source_event_id',
      `${mine!.email},${mine!.activity},,2026-03-10T10:00:00Z,import,web-1`,
      `${theirs!.email},${mine!.activity},,2026-03-10T10:00:00Z,import,web-2`,
      `${mine!.email},${mine!.activity},,yesterday,import,web-3`,
    ].join('\n');
    const res = await north.request({
      method: 'POST',
      url: '/imports/engagement',
      payload: { engagementCsv: csv },
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('1 engagement record added');
    const rows = reportRows(res.body);
    expect(rows.map((r) => [r[0], r[1]])).toEqual([
      ['3', 'participant'],
      ['4', 'occurred_at'],
    ]);
    // Someone else's participant reads exactly like no participant at all.
    expect(rows[0]![2]).toBe('No participant of yours matches this');
    expect(
      await count(
        sql`select count(*)::int as n from engagement_record where source = 'import' and source_event_id like 'web-%'`,
      ),
    ).toBe(1);
  });

  it('states the size limit before anyone pastes, and answers a larger file with a page, not a raw error', async () => {
    const page = await north.request({ method: 'GET', url: '/imports' });
    expect(pageText(page.body)).toContain('Up to 2 MB; the rows are imported at once');
    const header = PARTICIPANT_CSV_COLUMNS.join(',');
    const over = `${header}\n${'x'.repeat(2_100_000)}`;
    const tooLong = await north.request({
      method: 'POST',
      url: '/imports/participants',
      payload: new URLSearchParams({ _csrf: north.csrf, participantsCsv: over }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(tooLong.statusCode).toBe(422);
    expect(pageText(tooLong.body)).toContain('split it into files under 2 MB');
    const huge = await north.request({
      method: 'POST',
      url: '/imports/participants',
      payload: new URLSearchParams({ participantsCsv: ','.repeat(3_000_000) }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.headers['content-type']).toContain('text/html');
    expect(pageText(huge.body)).toContain('What you sent is too large');
  });
});
