import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { fixedClock } from '../../src/clock.js';
import { queryRows } from '../../src/db/client.js';
import { seedCatalogue } from '../../src/db/seed/catalogue.js';
import { DEFAULT_DEMO_NOW, seedDemo } from '../../src/db/seed/demo.js';
import { loadActor } from '../../src/services/actor.js';
import { processImportJob, PROCESS_PAGE } from '../../src/services/imports/process.js';
import { stageImport } from '../../src/services/imports/upload.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * An uploaded engagement file is handed to ingestEngagement in pages of its own chunk (25,000
 * rows), not the participant import's 5,000: each page is one staging COPY, one transaction and one
 * ENGAGEMENT_IMPORTED audit event.
 */
const clock = fixedClock(DEFAULT_DEMO_NOW);
let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
  await seedCatalogue(t.db);
  await seedDemo(t.db, { participants: 4, withUsers: true, now: DEFAULT_DEMO_NOW });
});
afterAll(async () => {
  await t?.destroy();
});

describe('an engagement upload of more than 5,000 rows', () => {
  it('is imported in one page: one transaction and one audit event for all its rows', async () => {
    const pairs = await queryRows<{ participant_id: number; activity_id: number }>(
      t.db,
      sql`select e.participant_id, a.id as activity_id from enrolment e join cohort c on c.id = e.cohort_id
          join programme_activity a on a.programme_id = c.programme_id
          where a.kind in ('study_session', 'clinic', 'community_session', 'conference')
          order by e.id, a.position`,
    );
    expect(pairs.length).toBeGreaterThan(0);
    const rows = PROCESS_PAGE + 1;
    const when = new Date(DEFAULT_DEMO_NOW.getTime() - 86_400_000).toISOString();
    const lines = ['participant,activity_id,occurred_at,source_event_id'];
    for (let i = 0; i < rows; i++) {
      const p = pairs[i % pairs.length]!;
      lines.push(`id:${p.participant_id},${p.activity_id},${when},page-test-${i}`);
    }
    const [admin] = await queryRows<{ id: number }>(
      t.db,
      sql`select id from app_user where role = 'admin' order by id limit 1`,
    );
    const actor = (await loadActor(t.db, admin!.id))!;
    const deps = { db: t.db, clock, publicUrl: 'http://x.test' };
    const staged = await stageImport(
      deps,
      actor,
      'engagement',
      Readable.from([Buffer.from(lines.join('\n'))]),
      'many.csv',
    );
    const before = await importedEvents();

    expect(await processImportJob(deps, staged.id)).toBe(true);

    const [job] = await queryRows<{
      status: string;
      rows_processed: number;
      added: number;
      rejected: number;
    }>(
      t.db,
      sql`select status, rows_processed, added, rejected from import_job where id = ${staged.id}`,
    );
    expect(job).toEqual({ status: 'completed', rows_processed: rows, added: rows, rejected: 0 });
    const events = (await importedEvents()).slice(before.length);
    expect(events).toEqual([{ rows, inserted: rows, duplicates: 0, format: 'csv' }]);
  });
});

async function importedEvents() {
  const found = await queryRows<{ details: unknown }>(
    t.db,
    sql`select details from audit_event where what = 'ENGAGEMENT_IMPORTED' order by id`,
  );
  return found.map((r) => (typeof r.details === 'string' ? JSON.parse(r.details) : r.details));
}
