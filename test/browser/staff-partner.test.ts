/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import {
  DESKTOP,
  PHONE,
  startBrowserWorld,
  checkPage,
  navigate,
  type BrowserWorld,
} from './harness.js';

let world: BrowserWorld;
beforeAll(async () => {
  world = await startBrowserWorld();
});
afterAll(async () => {
  await world?.close();
});

/** Names and emails of South's participants that no North participant shares. */
async function southOnly(): Promise<string[]> {
  const rows = await queryRows<{ full_name: string; email: string }>(
    world.database.db,
    sql`select p.full_name, p.email from participant p
        where exists (select 1 from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id
                      where e.participant_id = p.id and dp.slug = 'south')
          and not exists (select 1 from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id
                          join participant q on q.id = e.participant_id
                          where dp.slug = 'north' and (q.id = p.id or q.full_name = p.full_name))`,
  );
  return rows.flatMap((r) => [r.full_name, r.email]);
}

describe.each([
  ['phone', PHONE],
  ['desktop', DESKTOP],
])('a delivery partner on a %s', (_name, viewport) => {
  it('goes from the cohorts to a dashboard, filters, exports, and opens a participant’s record', async () => {
    const { context, page } = await world.newPage(viewport);
    const seen: string[] = [];
    const keep = async () => seen.push(await page.content());
    await world.signIn(page, 'partner.north@demo.npq-ops.test');
    expect(new URL(page.url()).pathname).toBe('/');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain(
      'NPQ cohorts',
    );
    await checkPage(page);
    await keep();

    await page.getByRole('link', { name: 'NPQH 2025' }).click();
    await page.waitForURL(/\/cohorts\/\d+$/);
    await expect(
      page.getByRole('heading', { name: 'At risk of missing 90%' }).isVisible(),
    ).resolves.toBe(true);
    // A partner's staff see only their own partner, so there is no partner filter.
    await expect(page.getByLabel('Delivery partner').count()).resolves.toBe(0);
    await checkPage(page);
    await keep();

    await page.getByLabel('At risk only').check();
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/atRisk=yes/);
    await checkPage(page);
    await keep();
    const csvHref = await page
      .getByRole('link', { name: /Download these participants/ })
      .getAttribute('href');
    expect(csvHref).toContain('atRisk=yes');
    const csv = await page.request.get(csvHref!);
    expect(csv.headers()['content-type']).toContain('text/csv');
    const csvText = await csv.text();
    seen.push(csvText);
    const atRiskRows = await page.locator('[data-testid="at-risk"] tbody tr').count();
    expect(csvText.trim().split('\r\n')).toHaveLength(atRiskRows + 1);

    await navigate(page, 'Participants');
    await page.waitForURL('**/participants');
    await checkPage(page);
    await keep();
    const first = page.locator('table a[href^="/participants/"]').first();
    const name = (await first.textContent())!.trim();
    await page.getByLabel('Search by name or TRN').fill(name.split(' ')[1]!);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/q=/);
    await checkPage(page);
    await keep();
    await page.getByRole('link', { name, exact: true }).first().click();
    await page.waitForURL(/\/participants\/\d+$/);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(name);
    await expect(page.getByText('Engagement by activity type').first().isVisible()).resolves.toBe(
      true,
    );
    await checkPage(page);
    await keep();

    await page.getByRole('link', { name: /View the full audit log/ }).click();
    await page.waitForURL(/\/audit$/);
    await checkPage(page);
    await keep();
    await page.goBack();
    await page
      .getByRole('link', { name: /Plan a re-join after deferral/ })
      .first()
      .click();
    await page.waitForURL(/rejoin-plan/);
    await checkPage(page);
    await keep();

    await page.goto('/cases');
    await checkPage(page);
    await keep();
    await navigate(page, 'Imports');
    await page.waitForURL('**/imports');
    await checkPage(page);
    // A few rows are pasted under "Or paste a few rows" (files go through the upload above it).
    await page.locator('details:has(#engagementCsv) summary').click();
    await page
      .getByLabel('Engagement CSV', { exact: true })
      .fill(
        'participant,activity_id,kind,occurred_at,source,source_event_id\nnobody@example.test,1,,2026-03-01T10:00:00Z,import,x-1',
      );
    await page.getByRole('button', { name: 'Import engagement' }).click();
    await page.locator('[data-testid="row-errors"]').waitFor();
    await expect(page.locator('[data-testid="row-errors"] tbody tr').count()).resolves.toBe(1);
    await checkPage(page);
    const forbidden = await page.goto('/cohorts/new');
    expect(forbidden?.status()).toBe(403);
    await checkPage(page);

    const south = await southOnly();
    expect(south.length).toBeGreaterThan(0);
    for (const text of seen) for (const s of south) expect(text).not.toContain(s);
    await context.close();
  });
});

describe('a delivery partner never sees another partner’s participants', () => {
  it('on any cohort dashboard, any export, any page of the participants list, or a record', async () => {
    const { context, page } = await world.newPage(DESKTOP);
    await world.signIn(page, 'partner.north@demo.npq-ops.test');
    const south = await southOnly();
    // North sees a cohort where it has an enrolment; any other cohort answers 404. The world has both.
    const cohorts = await queryRows<{ id: number; north: boolean }>(
      world.database.db,
      sql`select c.id, exists (select 1 from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id
                               where e.cohort_id = c.id and dp.slug = 'north') as north
          from cohort c order by c.id`,
    );
    expect(cohorts.filter((c) => c.north).length).toBeGreaterThan(0);
    expect(cohorts.filter((c) => !c.north).length).toBeGreaterThan(0);
    const texts: string[] = [];
    const statuses: { id: number; page: number; csv: number }[] = [];
    for (const c of cohorts) {
      const html = await page.request.get(`/cohorts/${c.id}`);
      const csv = await page.request.get(`/cohorts/${c.id}/export.csv`);
      statuses.push({ id: c.id, page: html.status(), csv: csv.status() });
      texts.push(await html.text(), await csv.text());
    }
    expect(statuses).toEqual(
      cohorts.map((c) => ({ id: c.id, page: c.north ? 200 : 404, csv: c.north ? 200 : 404 })),
    );
    for (let n = 1; n <= 5; n += 1)
      texts.push(await (await page.request.get(`/participants?page=${n}`)).text());
    const [someone] = await queryRows<{ id: number; full_name: string }>(
      world.database.db,
      sql`select p.id, p.full_name from participant p join enrolment e on e.participant_id = p.id
          join delivery_partner dp on dp.id = e.delivery_partner_id where dp.slug = 'south' and p.email not like 'participant%' limit 1`,
    );
    // The search box echoes what was typed; what matters is that nobody is found.
    const search = await (
      await page.request.get(`/participants?q=${encodeURIComponent(someone!.full_name)}`)
    ).text();
    expect(search).toContain('No participants found');
    expect(search).not.toContain('href="/participants/');
    expect((await page.request.get(`/participants/${someone!.id}`)).status()).toBe(404);
    texts.push(await (await page.request.get('/cases')).text());
    texts.push(await (await page.request.get('/')).text());
    for (const text of texts)
      for (const s of south) expect(text, /<title>([^<]*)/.exec(text)?.[1]).not.toContain(s);
    await context.close();
  });
});
