/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { DEFAULT_DEMO_NOW } from '../../src/db/seed/demo.js';
import {
  checkPage,
  checkPageAtBothSizes,
  DESKTOP,
  expectErrorSummary,
  navigate,
  PHONE,
  shown,
  startBrowserWorld,
  type BrowserWorld,
} from './harness.js';

let world: BrowserWorld;
let csv: string;
beforeAll(async () => {
  world = await startBrowserWorld({ participants: 12 });
  const rows = await queryRows<{ trn: string; activity_id: number }>(
    world.database.db,
    sql`select p.trn, a.id as activity_id from enrolment e join participant p on p.id = e.participant_id
        join delivery_partner dp on dp.id = e.delivery_partner_id and dp.slug = 'north'
        join cohort c on c.id = e.cohort_id join programme_activity a on a.programme_id = c.programme_id
        where p.trn is not null order by e.id, a.position limit 50`,
  );
  const when = new Date(DEFAULT_DEMO_NOW.getTime() - 86_400_000).toISOString();
  const lines = ['participant,activity_id,kind,occurred_at,source,source_event_id'];
  for (let i = 0; i < 2_000; i += 1) {
    const r = rows[i % rows.length]!;
    lines.push(`trn:${r.trn},${r.activity_id},,${when},import,browser-${i}`);
  }
  lines.push(`trn:${rows[0]!.trn},999999,,${when},import,browser-bad`);
  csv = lines.join('\n');
}, 300_000);
afterAll(async () => {
  await world?.close();
});

describe.each([
  ['phone', PHONE],
  ['desktop', DESKTOP],
])('a delivery partner uploading an engagement file on a %s', (name, viewport) => {
  it(
    'is told what is wrong with a bad file, then uploads, follows the progress and reads the report',
    { timeout: 180_000 },
    async () => {
      const { context, page } = await world.newPage(viewport);
      await world.signIn(page, 'partner.north@demo.npq-ops.test');
      await navigate(page, 'Imports');
      await page.waitForURL(/\/imports$/);
      await expect(page.getByTestId('import-limit').textContent()).resolves.toMatch(
        /100,000 rows.*50 MB/s,
      );
      await checkPage(page);

      // A spreadsheet, not a CSV: the error is on the file field, on the same page.
      await page.getByLabel('Engagement CSV file').setInputFiles({
        name: 'records.xlsx',
        mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        buffer: Buffer.from('PK\u0003\u0004'),
      });
      await page.getByRole('button', { name: 'Upload engagement file' }).click();
      await expectErrorSummary(page, /records\.xlsx is not a CSV file/);

      await page.getByLabel('Engagement CSV file').setInputFiles({
        name: `engagement-${name}.csv`,
        mimeType: 'text/csv',
        buffer: Buffer.from(csv),
      });
      await page.getByRole('button', { name: 'Upload engagement file' }).click();
      await page.waitForURL(/\/imports\/jobs\/\d+$/);
      // Progress or, once the runner has finished, the report (the page reloads itself at the end).
      await shown(page.getByRole('heading', { name: /imported, with problems/ }));
      await expect(page.getByTestId('row-errors').textContent()).resolves.toContain(
        "This activity is not part of the participant's programme",
      );
      await expect(
        page.getByRole('link', { name: /Download the rows not imported/ }).getAttribute('href'),
      ).resolves.toMatch(/\/errors\.csv$/);
      await checkPage(page);
      await context.close();
    },
  );
});

describe('an import still running', () => {
  it(
    'shows its progress and a refresh button, at phone and desktop size',
    { timeout: 180_000 },
    async () => {
      // The runner is stopped so that the import stays where it is while we look.
      await world.app.importQueue.stop();
      const [job] = await queryRows<{ id: number }>(
        world.database.db,
        sql`insert into import_job (kind, file_name, status, started_by_user_id, delivery_partner_id, lead_provider_id, rows_received, rows_processed)
          select 'engagement', 'running.csv', 'running', u.id, u.delivery_partner_id, dp.lead_provider_id, 10000, 2500
          from app_user u join delivery_partner dp on dp.id = u.delivery_partner_id
          where u.email = 'partner.north@demo.npq-ops.test' returning id`,
      );
      const { context, page } = await world.newPage(PHONE);
      // No JavaScript: the refresh button is the way to see more.
      await world.signIn(page, 'partner.north@demo.npq-ops.test');
      await page.goto(`/imports/jobs/${job!.id}`);
      await expect(page.getByTestId('import-progress').textContent()).resolves.toContain(
        '2,500 of 10,000 rows processed (25%)',
      );
      await expect(
        page.getByRole('button', { name: 'Refresh to see progress' }).count(),
      ).resolves.toBe(1);
      await checkPageAtBothSizes(page);
      await world.database.db.execute(sql`delete from import_job where id = ${job!.id}`);
      await context.close();
    },
  );
});
