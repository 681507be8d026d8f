/**
 * The engagement CSV uploaded as a file through the imports page (POST /imports/engagement/upload,
 * multipart, as a signed-in member of staff), then processed by the import runner: the time until
 * the upload is answered (the file streamed into the staging rows), the time until the import is
 * processed, and the total. Called by scripts/bench.ts after its API-path measurement.
 */
import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import { createApp } from '../src/app.js';
import { fixedClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { queryRows, type Db } from '../src/db/client.js';
import { DEFAULT_DEMO_NOW } from '../src/db/seed/demo.js';
import { hashPassword } from '../src/services/auth.js';

export interface UploadBench {
  rows: number;
  bytes: number;
  uploadMs: number;
  processMs: number;
  added: number;
  rejected: number;
  status: string;
}

const EMAIL = 'bench.upload@npq-ops.test';
const PASSWORD = 'bench-upload-password-1';

export async function benchUpload(db: Db, wanted: number, prefix = 'upload'): Promise<UploadBench> {
  const rows = await queryRows<{ participant_id: number; activity_id: number; kind: string }>(
    db,
    sql`select e.participant_id, a.id as activity_id, a.kind
        from enrolment e join cohort c on c.id = e.cohort_id
        join programme_activity a on a.programme_id = c.programme_id
        where e.status = 'active'
        order by e.id, a.position limit ${wanted}`,
  );
  const when = new Date(DEFAULT_DEMO_NOW.getTime() - 86_400_000).toISOString();
  const csv = Buffer.from(
    [
      'participant,activity_id,kind,occurred_at,source,source_event_id',
      ...rows.map(
        (r) =>
          `id:${r.participant_id},${r.activity_id},${r.kind},${when},import,${prefix}-${r.participant_id}-${r.activity_id}`,
      ),
    ].join('\n'),
  );
  // A member of staff to upload it: an admin, signed in through the sign-in page.
  await db.execute(sql`insert into app_user (email, display_name, role, password_hash)
    values (${EMAIL}, 'Bench Upload', 'admin', ${await hashPassword(PASSWORD)})
    on conflict do nothing`);
  const app = await createApp({
    db,
    clock: fixedClock(DEFAULT_DEMO_NOW),
    config: loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'warn' }),
  });
  try {
    const cookiesOf = (res: { cookies: { name: string; value: string }[] }) =>
      Object.fromEntries(res.cookies.map((c) => [c.name, c.value]));
    const form = await app.inject({ method: 'GET', url: '/sign-in' });
    const formCsrf = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
    const signedIn = await app.inject({
      method: 'POST',
      url: '/sign-in',
      cookies: cookiesOf(form),
      payload: { _csrf: formCsrf, email: EMAIL, password: PASSWORD },
    });
    if (signedIn.statusCode !== 303) throw new Error(`Sign-in failed: ${signedIn.statusCode}`);
    const cookies = { ...cookiesOf(form), ...cookiesOf(signedIn) };
    const page = await app.inject({ method: 'GET', url: '/imports', cookies });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    const boundary = '----npqopsbench';
    const payload = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="engagement-${rows.length}.csv"\r\nContent-Type: text/csv\r\n\r\n`,
      ),
      csv,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const started = performance.now();
    const res = await app.inject({
      method: 'POST',
      url: '/imports/engagement/upload',
      cookies: { ...cookies, ...cookiesOf(page) },
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload,
    });
    const uploadMs = performance.now() - started;
    if (res.statusCode !== 303) throw new Error(`Upload refused: ${res.statusCode}`);
    const jobId = Number(String(res.headers.location).split('/').pop());
    await app.importQueue.whenIdle();
    const processMs = performance.now() - started - uploadMs;
    const [job] = await queryRows<{ status: string; added: number; rejected: number }>(
      db,
      sql`select status, added, rejected from import_job where id = ${jobId}`,
    );
    return {
      rows: rows.length,
      bytes: csv.length,
      uploadMs,
      processMs,
      added: job!.added,
      rejected: job!.rejected,
      status: job!.status,
    };
  } finally {
    await app.close();
  }
}
