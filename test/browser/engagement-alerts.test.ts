/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { systemClock } from '../../src/clock.js';
import { queryRows } from '../../src/db/client.js';
import { appUser } from '../../src/db/schema.js';
import { DEMO_PASSWORD } from '../../src/db/seed/demo.js';
import { formatBasisPoints } from '../../src/policy/index.js';
import { hashPassword } from '../../src/services/auth.js';
import { runDailyProcessing } from '../../src/services/daily.js';
import {
  DESKTOP,
  checkPage,
  expectErrorSummary,
  expectSuccessBanner,
  shown,
  startBrowserWorld,
  type BrowserWorld,
} from './harness.js';

/**
 * Issue 10 in a browser at 320 px and at desktop width, axe on every page: a partner follows the
 * alert count on their home page to the cohort's at-risk list, where each participant's alert
 * shows the day raised and "expected by today" stands next to their engagement (and in the CSV);
 * participants with an open alert see it on My programme with the day raised and what to do; the
 * programme team changes the cohort's release lead time (error summary, check answers).
 */
const PHONE_320 = { width: 320, height: 640 } as const;
const DAY = '2026-03-16';
let world: BrowserWorld;

interface Alerted {
  enrolmentId: number;
  participantId: number;
  cohortId: number;
  fullName: string;
  email: string;
}
/** One north participant per kind of alert, each given a login for the journey. */
const alerted: Record<'engagement_unreachable' | 'engagement_behind', Alerted> = {} as never;

beforeAll(async () => {
  world = await startBrowserWorld();
  const db = world.database.db;
  // The daily job raises the alerts the journey looks for (sessions are on the real clock).
  await runDailyProcessing({
    db,
    clock: { now: () => new Date(`${DAY}T06:00:00Z`) },
    wallClock: systemClock,
  });
  for (const kind of ['engagement_unreachable', 'engagement_behind'] as const) {
    const [row] = await queryRows<{
      enrolment_id: number;
      participant_id: number;
      cohort_id: number;
      full_name: string;
    }>(
      db,
      sql`select a.enrolment_id, e.participant_id, e.cohort_id, p.full_name
          from engagement_alert a join enrolment e on e.id = a.enrolment_id
          join participant p on p.id = e.participant_id
          join delivery_partner dp on dp.id = e.delivery_partner_id
          where a.cleared_on is null and a.kind = ${kind} and dp.slug = 'north' and e.status = 'active'
            and (select count(*) from enrolment e2 where e2.participant_id = e.participant_id) = 1
            and not exists (select 1 from engagement_alert b where b.enrolment_id = e.id and b.kind <> a.kind and b.cleared_on is null)
          order by e.cohort_id, a.enrolment_id limit 1`,
    );
    expect(row, `a north participant with an open ${kind} alert`).toBeDefined();
    const email = `alerted-${row!.participant_id}@demo.npq-ops.test`;
    await db.delete(appUser).where(sql`participant_id = ${row!.participant_id}`);
    await db.insert(appUser).values({
      email,
      displayName: row!.full_name,
      passwordHash: await hashPassword(DEMO_PASSWORD),
      role: 'participant',
      participantId: row!.participant_id,
    });
    alerted[kind] = {
      enrolmentId: row!.enrolment_id,
      participantId: row!.participant_id,
      cohortId: row!.cohort_id,
      fullName: row!.full_name,
      email,
    };
  }
}, 180_000);
afterAll(async () => {
  await world?.close();
});

describe.each([
  ['320 px', PHONE_320, '5'],
  ['desktop', DESKTOP, '4'],
] as const)('engagement alerts on a %s screen', (_name, viewport, leadDays) => {
  it('a partner follows the alert count to the at-risk list: alert with its date, expected by today', async () => {
    const { context, page } = await world.newPage(viewport);
    await world.signIn(page, 'partner.north@demo.npq-ops.test');
    await shown(page.getByTestId('alert-count'));
    await checkPage(page);
    const target = alerted.engagement_unreachable;
    await page.locator(`a[href="/cohorts/${target.cohortId}#at-risk"]`).first().click();
    await page.waitForURL(new RegExp(`/cohorts/${target.cohortId}#at-risk$`));
    const table = page.getByTestId('at-risk');
    await shown(table);
    await checkPage(page);
    const heads = await table.locator('thead th').allTextContents();
    expect(heads.map((h) => h.trim())).toEqual([
      'Participant',
      'Delivery partner',
      'Engagement',
      'Expected by today',
      'Best possible',
      'Why',
      'Alert',
    ]);
    for (const who of Object.values(alerted).filter((a) => a.cohortId === target.cohortId)) {
      const row = table.locator('tbody tr').filter({
        has: page.locator(`a[href="/participants/${who.participantId}"]`),
      });
      await expect(row.count()).resolves.toBe(1);
      const cells = (await row.locator('th, td').allTextContents()).map((c) => c.trim());
      expect(cells[6]).toMatch(/, raised 16 March 2026$/);
      // The expected figure is the policy function's for this one enrolment.
      const api = await page.request.get(`/api/v1/enrolments/${who.enrolmentId}/engagement`);
      const expected = (
        (await api.json()) as {
          decision: { details: { projection: { expectedBasisPoints: number } } };
        }
      ).decision.details.projection.expectedBasisPoints;
      expect(cells[3]).toBe(formatBasisPoints(expected));
    }
    // The CSV carries the same figure next to the engagement.
    const csv = await page.request.get(`/cohorts/${target.cohortId}/export.csv?atRisk=yes`);
    const [header, ...lines] = (await csv.text()).trim().split('\r\n');
    const cols = header!.split(',');
    expect(cols[cols.indexOf('engagement') + 1]).toBe('expected_by_today');
    const line = lines.find(
      (l) => l.split(',')[cols.indexOf('enrolment_id')] === String(target.enrolmentId),
    );
    const cell = await table
      .locator('tbody tr')
      .filter({ has: page.locator(`a[href="/participants/${target.participantId}"]`) })
      .locator('td')
      .nth(2)
      .textContent();
    expect(line!.split(',')[cols.indexOf('expected_by_today')]).toBe(cell!.trim());
    await context.close();
  });

  it('participants see their own alert on My programme with the day raised and what to do', async () => {
    for (const [kind, who] of Object.entries(alerted)) {
      const { context, page } = await world.newPage(viewport);
      await world.signIn(page, who.email);
      await page.goto('/my-programme');
      const banner = page.getByRole('region', { name: 'Important' });
      await shown(banner);
      await expect(banner.getByTestId(`alert-${kind}`).isVisible()).resolves.toBe(true);
      const text = (await banner.textContent())!.replace(/\s+/g, ' ');
      expect(text).toContain('On 16 March 2026 we found that');
      expect(text).toContain(
        kind === 'engagement_unreachable' ? 'You can no longer reach 90%.' : 'You are behind.',
      );
      expect(text).toContain('What to do:');
      await expect(
        banner.getByRole('link', { name: 'Changes' }).getAttribute('href'),
      ).resolves.toBe('/changes');
      await checkPage(page);
      await context.close();
    }
  });

  it('the programme team changes the release lead time: error summary, check answers, done', async () => {
    const { context, page } = await world.newPage(viewport);
    await world.signIn(page, 'programme.team@demo.npq-ops.test');
    const cohortId = alerted.engagement_unreachable.cohortId;
    await page.goto(`/cohorts/${cohortId}`);
    await page.getByRole('link', { name: 'Change the release lead time' }).click();
    await page.waitForURL(`**/cohorts/${cohortId}/release-lead-time`);
    await checkPage(page);
    await page.getByLabel('Days each module is released ahead of its ideal window').fill('29');
    await page.getByRole('button', { name: 'Continue' }).click();
    await expectErrorSummary(page, 'Enter how many days ahead modules are released, from 0 to 28');
    await page.getByLabel('Days each module is released ahead of its ideal window').fill(leadDays);
    await page.getByRole('button', { name: 'Continue' }).click();
    await shown(page.getByRole('heading', { name: 'Check the change to the release lead time' }));
    await checkPage(page);
    await page.getByRole('button', { name: 'Change the lead time' }).click();
    await page.waitForURL(/notice=lead-time-changed/);
    await expectSuccessBanner(page, 'Release lead time changed');
    await expect(page.getByTestId('release-lead-days').textContent()).resolves.toContain(
      `${leadDays} days (at least)`,
    );
    await context.close();
  });
});
