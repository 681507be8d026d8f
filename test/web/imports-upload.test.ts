import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { startImportLoop } from '../../src/services/imports/runner.js';
import { CLASH_REFERRED, PARTICIPANT_CSV_COLUMNS } from '../../src/services/participant-import.js';
import { createDemoWorld, pageText, type DemoWorld, type Session } from '../support/demo-world.js';
import { multipartBody } from '../support/multipart.js';

/**
 * Participants and engagement CSV files uploaded through the imports page and the API: staged as
 * they stream in, processed by the job runner (in this process here), with progress and a report.
 */
let w: DemoWorld;
let north: Session;
let south: Session;
let when: string;
let target: { participantId: number; trn: string; activities: number[] };
let southParticipant: { participantId: number; trn: string };

const ENGAGEMENT_HEADER = 'participant,activity_id,kind,occurred_at,source,source_event_id';

async function one<T>(query: ReturnType<typeof sql>): Promise<T> {
  const [row] = await queryRows<T>(w.t.db, query);
  return row!;
}

/** While true, files are staged but the runner does not start them (to see a job in progress). */
let holdImports = false;

beforeAll(async () => {
  w = await createDemoWorld({
    participants: 12,
    // The app's own in-process runner, with a gate in front of it.
    importQueue: ({ db, clock }) => {
      const loop = startImportLoop({
        db,
        clock,
        publicUrl: 'http://localhost:3000',
        logger: { info: () => undefined, error: () => undefined },
        intervalMs: 3_600_000,
      });
      return {
        queued: async (jobId) => (holdImports ? undefined : loop.queued(jobId)),
        whenIdle: () => loop.whenIdle(),
        stop: () => loop.stop(),
      };
    },
  });
  north = await w.signIn('partner.north@demo.npq-ops.test');
  south = await w.signIn('partner.south@demo.npq-ops.test');
  when = new Date(w.clock.now().getTime() - 86_400_000).toISOString();
  const rows = await queryRows<{ participant_id: number; trn: string; activity_id: number }>(
    w.t.db,
    sql`select e.participant_id, p.trn, a.id as activity_id from enrolment e
        join participant p on p.id = e.participant_id
        join delivery_partner dp on dp.id = e.delivery_partner_id and dp.slug = 'north'
        join cohort c on c.id = e.cohort_id join programme_activity a on a.programme_id = c.programme_id
        where p.trn is not null
          and e.participant_id = (select min(e2.participant_id) from enrolment e2 join delivery_partner d2 on d2.id = e2.delivery_partner_id
                                  join participant p2 on p2.id = e2.participant_id where d2.slug = 'north' and p2.trn is not null)
        order by a.position`,
  );
  target = {
    participantId: rows[0]!.participant_id,
    trn: rows[0]!.trn,
    activities: rows.map((r) => r.activity_id),
  };
  const s = await one<{ participant_id: number; trn: string }>(
    sql`select e.participant_id, p.trn from enrolment e join participant p on p.id = e.participant_id
        join delivery_partner dp on dp.id = e.delivery_partner_id
        where dp.slug = 'south' and p.trn is not null
          and not exists (select 1 from enrolment x join delivery_partner y on y.id = x.delivery_partner_id
                          where x.participant_id = p.id and y.slug <> 'south')
        order by p.id limit 1`,
  );
  southParticipant = { participantId: s.participant_id, trn: s.trn };
});
afterAll(async () => {
  await w?.destroy();
});

/** An engagement file: `rows` good rows for the north participant, and three bad ones. */
function engagementFile(rows: number, prefix: string): { csv: string; bad: number[] } {
  const lines = [ENGAGEMENT_HEADER];
  for (let i = 0; i < rows; i += 1) {
    const activity = target.activities[i % target.activities.length]!;
    lines.push(`trn:${target.trn},${activity},,${when},import,${prefix}-${i}`);
  }
  lines.push(
    `id:${southParticipant.participantId},${target.activities[0]},,${when},import,${prefix}-south`,
  );
  lines.push(`trn:${target.trn},${target.activities[0]},,not-a-date,import,${prefix}-date`);
  lines.push(`trn:${target.trn},999999,,${when},import,${prefix}-activity`);
  return { csv: lines.join('\n') + '\n', bad: [rows + 2, rows + 3, rows + 4] };
}

function upload(
  session: Session,
  kind: string,
  name: string,
  content: string | Buffer,
  type?: string,
) {
  const { payload, headers } = multipartBody(
    { _csrf: session.csrf },
    { name, content, ...(type ? { type } : {}) },
  );
  return session.request({ method: 'POST', url: `/imports/${kind}/upload`, payload, headers });
}

function tableRows(html: string): string[][] {
  const body =
    /data-testid="row-errors"[\s\S]*?<tbody[^>]*>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...body.matchAll(/<tr[\s\S]*?<\/tr>/g)].map((r) =>
    [...r[0].matchAll(/<t[hd][^>]*>\s*([\s\S]*?)\s*<\/t[hd]>/g)].map((c) => c[1]!),
  );
}

describe('uploading an engagement file on the imports page', () => {
  it('states the limit on the page', async () => {
    const page = await north.request({ method: 'GET', url: '/imports' });
    expect(page.statusCode).toBe(200);
    expect(pageText(page.body)).toContain(
      'Each file can have up to 100,000 rows and be up to 50 MB',
    );
    expect(page.body).toContain('enctype="multipart/form-data"');
  });

  it('stages 20,000 rows, shows progress, processes them in the background and reports the refused rows', async () => {
    const { csv, bad } = engagementFile(20_000, 'page');
    holdImports = true;
    const res = await upload(north, 'engagement', 'engagement.csv', csv);
    expect(res.statusCode, res.body.slice(0, 500)).toBe(303);
    const location = res.headers.location as string;
    expect(location).toMatch(/^\/imports\/jobs\/\d+$/);
    const jobId = Number(location.split('/').pop());
    // The request returned once the rows were staged: the job waits for the runner.
    const staged = await one<{ status: string; rows_received: number }>(
      sql`select status, rows_received from import_job where id = ${jobId}`,
    );
    expect(staged.rows_received).toBe(20_003);
    expect(staged.status).toBe('queued');
    const progress = await north.request({ method: 'GET', url: location });
    expect(progress.statusCode).toBe(200);
    expect(pageText(progress.body)).toMatch(/Refresh to see progress/);
    expect(progress.body).toContain('data-testid="import-progress"');

    holdImports = false;
    await w.app.importQueue.queued(jobId);
    await w.app.importQueue.whenIdle();
    const report = await north.request({ method: 'GET', url: location });
    const text = pageText(report.body);
    expect(text).toContain('Engagement imported, with problems');
    expect(text).toMatch(/Rows in the file 20,003/);
    expect(text).toMatch(/Engagement records added 20,000/);
    expect(text).toMatch(/Rows not imported 3/);
    expect(tableRows(report.body)).toEqual([
      [String(bad[0]), 'participant', 'No participant of yours matches this'],
      [
        String(bad[1]),
        'occurred_at',
        'Enter when it happened as a date and time, e.g. 2026-03-01T10:00:00Z',
      ],
      [
        String(bad[2]),
        'activity_id',
        'This activity is not part of the participant&#39;s programme',
      ],
    ]);
    const recorded = await one<{ n: number }>(
      sql`select count(*)::int as n from engagement_record where source = 'import' and source_event_id like 'page-%'`,
    );
    expect(recorded.n).toBe(20_000);
    // The staged rows (personal data) are gone once processed.
    const left = await one<{ n: number }>(
      sql`select count(*)::int as n from import_row where job_id = ${jobId}`,
    );
    expect(left.n).toBe(0);

    const download = await north.request({ method: 'GET', url: `${location}/errors.csv` });
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-type']).toMatch(/^text\/csv/);
    expect(download.headers['content-disposition']).toMatch(/^attachment/);
    expect(download.body.trim().split('\n')).toEqual([
      'line,column,problem',
      `${bad[0]},participant,No participant of yours matches this`,
      `${bad[1]},occurred_at,"Enter when it happened as a date and time, e.g. 2026-03-01T10:00:00Z"`,
      `${bad[2]},activity_id,This activity is not part of the participant's programme`,
    ]);

    // The same file again adds nothing twice.
    const again = await upload(north, 'engagement', 'engagement.csv', csv);
    await w.app.importQueue.whenIdle();
    const second = pageText(
      (await north.request({ method: 'GET', url: again.headers.location as string })).body,
    );
    expect(second).toMatch(/Engagement records added 0/);
    expect(second).toMatch(/Already there 20,000/);

    // Listed under recent uploads.
    const imports = await north.request({ method: 'GET', url: '/imports' });
    expect(imports.body).toContain(`href="${location}"`);
  }, 240_000);
});

describe('files refused as a whole', () => {
  async function jobs(): Promise<number> {
    return (await one<{ n: number }>(sql`select count(*)::int as n from import_job`)).n;
  }

  it('refuses the wrong type, a bad header, an empty choice and an empty file on the same page, leaving nothing behind', async () => {
    const before = await jobs();
    const wrongType = await upload(
      north,
      'engagement',
      'records.xlsx',
      'PK\u0003\u0004',
      'application/vnd.ms-excel',
    );
    expect(wrongType.statusCode).toBe(415);
    expect(wrongType.body).toContain('govuk-error-summary');
    expect(wrongType.body).toContain('href="#engagementFile"');
    expect(pageText(wrongType.body)).toContain('records.xlsx is not a CSV file');

    const badHeader = await upload(
      north,
      'participants',
      'people.csv',
      'name,email\nJo,jo@example.test\n',
    );
    expect(badHeader.statusCode).toBe(422);
    expect(badHeader.body).toContain('href="#participantsFile"');
    expect(pageText(badHeader.body)).toContain('The header is missing these columns: full_name');

    const missing = await upload(north, 'engagement', 'eng.csv', 'participant,activity_id\n1,2\n');
    expect(pageText(missing.body)).toContain(
      'The header is missing these columns: occurred_at, source_event_id',
    );

    const none = await north.request({
      method: 'POST',
      url: '/imports/engagement/upload',
      ...(() => {
        const m = multipartBody({ _csrf: north.csrf }, { name: '', content: '' });
        return { payload: m.payload, headers: m.headers };
      })(),
    });
    expect(none.statusCode).toBe(422);
    expect(pageText(none.body)).toContain('Choose the engagement CSV file to upload');

    const empty = await upload(north, 'engagement', 'empty.csv', `${ENGAGEMENT_HEADER}\n`);
    expect(empty.statusCode).toBe(422);
    expect(pageText(empty.body)).toContain('empty.csv has no rows under its header');

    const unreadable = await upload(
      north,
      'engagement',
      'quotes.csv',
      `${ENGAGEMENT_HEADER}\n"a,1,,x,import,y\n`,
    );
    expect(unreadable.statusCode).toBe(422);
    expect(pageText(unreadable.body)).toContain('quotes.csv could not be read as a CSV');
    expect(await jobs()).toBe(before);
  });

  it('refuses a file over 100,000 rows and one over 50 MB, saying the limit', async () => {
    const before = await jobs();
    const lines = [ENGAGEMENT_HEADER];
    for (let i = 0; i <= 100_000; i += 1) lines.push(`1,1,,${when},import,x${i}`);
    const tooMany = await upload(north, 'engagement', 'big.csv', lines.join('\n'));
    expect(tooMany.statusCode, tooMany.body.slice(0, 3000)).toBe(413);
    expect(pageText(tooMany.body)).toContain(
      'big.csv has more than 100,000 rows, the most one import takes',
    );
    const huge = Buffer.alloc(51 * 1024 * 1024, 'a');
    const tooBig = await upload(north, 'engagement', 'huge.csv', huge);
    expect(tooBig.statusCode).toBe(413);
    expect(pageText(tooBig.body)).toContain('larger than 50 MB, the most one import takes');
    expect(tooBig.body).toContain('href="#engagementFile"');
    expect(await jobs()).toBe(before);
  }, 240_000);
});

describe('uploading a participants file', () => {
  it('adds participants, and refers a clash with another partner without saying whose it is', async () => {
    const school = await one<{ urn: string }>(sql`select urn from school order by id limit 1`);
    const row = (o: Record<string, string>) =>
      PARTICIPANT_CSV_COLUMNS.map((c) => o[c] ?? '').join(',');
    const base = {
      school_urn: school.urn,
      funding_route: 'school',
      dfe_registration_confirmed: 'yes',
      employment_confirmed: 'yes',
      course_identifier: 'npq-headship',
      cohort_year: '2026',
      delivery_partner: 'north',
    };
    const csv = [
      PARTICIPANT_CSV_COLUMNS.join(','),
      row({ ...base, trn: '7100001', full_name: 'Una Upload', email: 'una.upload@example.test' }),
      row({
        ...base,
        trn: southParticipant.trn,
        full_name: 'Clash Person',
        email: 'clash@example.test',
      }),
      row({ ...base, trn: '7100003', full_name: 'Bad Email', email: 'nope' }),
    ].join('\n');
    const res = await upload(north, 'participants', 'participants.csv', csv);
    expect(res.statusCode).toBe(303);
    await w.app.importQueue.whenIdle();
    const report = await north.request({ method: 'GET', url: res.headers.location as string });
    const text = pageText(report.body);
    expect(text).toMatch(/Participants added 1/);
    expect(text).toMatch(/Invitations emailed 1/);
    expect(tableRows(report.body)).toEqual([
      ['3', 'row', CLASH_REFERRED],
      ['4', 'email', 'Enter an email address in the correct format'],
    ]);
    expect(report.body).not.toContain(southParticipant.trn);
    const referred = await one<{ n: number }>(
      sql`select count(*)::int as n from audit_event where what = 'IMPORT_ROW_REFERRED' and subject_id = ${String(southParticipant.participantId)}`,
    );
    expect(referred.n).toBe(1);
    const added = await one<{ n: number }>(
      sql`select count(*)::int as n from participant where trn = '7100001'`,
    );
    expect(added.n).toBe(1);
  });
});

describe('the API', () => {
  it('takes a multipart upload with 202 and the job, then reports it when processed', async () => {
    const { csv } = engagementFile(50, 'api');
    const { payload, headers } = multipartBody({}, { name: 'api.csv', content: csv });
    const res = await north.request({
      method: 'POST',
      url: '/api/v1/imports/engagement',
      payload,
      headers,
    });
    expect(res.statusCode, res.body).toBe(202);
    const job = res.json() as { id: number; status: string; rowsReceived: number };
    expect(res.headers.location).toBe(`/api/v1/imports/${job.id}`);
    expect(job.rowsReceived).toBe(53);
    await w.app.importQueue.whenIdle();
    const done = await north.request({ method: 'GET', url: `/api/v1/imports/${job.id}` });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({
      id: job.id,
      kind: 'engagement',
      status: 'completed',
      rowsProcessed: 53,
      added: 50,
      rejected: 3,
      errorCount: 3,
    });
    const csvReport = await north.request({
      method: 'GET',
      url: `/api/v1/imports/${job.id}/errors.csv`,
    });
    expect(csvReport.statusCode).toBe(200);
    expect(csvReport.body.split('\n')[0]).toBe('line,column,problem');

    // Another partner's staff cannot see it; a coach may not import at all.
    expect(
      (await south.request({ method: 'GET', url: `/api/v1/imports/${job.id}` })).statusCode,
    ).toBe(404);
    const coach = await w.signIn('coach@demo.npq-ops.test');
    expect(
      (await coach.request({ method: 'GET', url: `/api/v1/imports/${job.id}` })).statusCode,
    ).toBe(403);
    expect(
      (await coach.request({ method: 'POST', url: '/api/v1/imports/engagement', payload, headers }))
        .statusCode,
    ).toBe(403);
  });

  it('refuses JSON (415), a bad header (422 on file) and a file over the row limit (413)', async () => {
    const json = await north.request({
      method: 'POST',
      url: '/api/v1/imports/participants',
      payload: {},
    });
    expect(json.statusCode).toBe(415);
    expect(json.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    const bad = multipartBody({}, { name: 'x.csv', content: 'a,b\n1,2\n' });
    const header = await north.request({
      method: 'POST',
      url: '/api/v1/imports/engagement',
      ...bad,
    });
    expect(header.statusCode).toBe(422);
    expect(header.json()).toMatchObject({ code: 'VALIDATION', errors: [{ path: 'file' }] });
    const lines = [ENGAGEMENT_HEADER];
    for (let i = 0; i <= 100_000; i += 1) lines.push(`1,1,,${when},import,y${i}`);
    const big = multipartBody({}, { name: 'big.csv', content: lines.join('\n') });
    const tooMany = await north.request({
      method: 'POST',
      url: '/api/v1/imports/engagement',
      ...big,
    });
    expect(tooMany.statusCode).toBe(413);
    expect(tooMany.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  }, 240_000);

  it('is in the OpenAPI document', async () => {
    const doc = (await w.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as {
      paths: Record<
        string,
        Record<string, { requestBody?: { content?: Record<string, unknown> } }>
      >;
    };
    expect(
      Object.keys(doc.paths['/api/v1/imports/engagement']!.post!.requestBody!.content!),
    ).toEqual(['multipart/form-data']);
    expect(doc.paths['/api/v1/imports/participants']?.post).toBeDefined();
    expect(doc.paths['/api/v1/imports/{id}']?.get).toBeDefined();
  });
});

describe('who may see an import page', () => {
  it('answers by role: the partner, the programme team and admins see it; others do not', async () => {
    const { csv } = engagementFile(5, 'roles');
    const res = await upload(north, 'engagement', 'roles.csv', csv);
    await w.app.importQueue.whenIdle();
    const url = res.headers.location as string;
    const expected: Record<string, number> = {
      'admin@demo.npq-ops.test': 200,
      'programme.team@demo.npq-ops.test': 200,
      'partner.north@demo.npq-ops.test': 200,
      'partner.south@demo.npq-ops.test': 404,
      'coach@demo.npq-ops.test': 403,
      'assessor@demo.npq-ops.test': 403,
      'participant2@demo.npq-ops.test': 404,
    };
    const got: Record<string, number> = {};
    for (const email of Object.keys(expected)) {
      const s = await w.signIn(email);
      got[email] = (await s.request({ method: 'GET', url })).statusCode;
      const csvStatus = (await s.request({ method: 'GET', url: `${url}/errors.csv` })).statusCode;
      expect(csvStatus, `${email} errors.csv`).toBe(expected[email]);
    }
    expect(got).toEqual(expected);
    const coach = await w.signIn('coach@demo.npq-ops.test');
    expect((await upload(coach, 'engagement', 'x.csv', csv)).statusCode).toBe(403);
  });
});
