/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { fixedClock } from '../../src/clock.js';
import { queryRows } from '../../src/db/client.js';
import { DEFAULT_DEMO_NOW } from '../../src/db/seed/demo.js';
import { loadActor } from '../../src/services/actor.js';
import { requestAssessmentDeferral } from '../../src/services/assessment-deferrals.js';
import { requestDeferral } from '../../src/services/deferral-cases.js';
import { recordSchoolMove } from '../../src/services/school-moves.js';
import { DESKTOP, PHONE, startBrowserWorld, checkPage, type BrowserWorld } from './harness.js';

let world: BrowserWorld;
beforeAll(async () => {
  world = await startBrowserWorld();
});
afterAll(async () => {
  await world?.close();
});

const TEAM = 'programme.team@demo.npq-ops.test';

async function one<T>(query: ReturnType<typeof sql>): Promise<T> {
  const [row] = await queryRows<T>(world.database.db, query);
  return row!;
}

async function actor(email: string) {
  const { id } = await one<{ id: number }>(sql`select id from app_user where email = ${email}`);
  return (await loadActor(world.database.db, id))!;
}

const deps = () => ({ db: world.database.db, clock: fixedClock(DEFAULT_DEMO_NOW) });

/** Active, commenced 2025 enrolments whose programme runs a 2026 cohort, so a deferral can be planned. */
async function deferrable(): Promise<number[]> {
  const rows = await queryRows<{ id: number }>(
    world.database.db,
    sql`select e.id from enrolment e join cohort c on c.id = e.cohort_id join participant p on p.id = e.participant_id
        where c.year = 2025 and e.status = 'active' and p.dfe_registration_confirmed and p.employment_confirmed
          and exists (select 1 from engagement_record r where r.participant_id = p.id)
          and exists (select 1 from cohort c2 where c2.programme_id = c.programme_id and c2.year = 2026)
          and not exists (select 1 from deferral_case d where d.enrolment_id = e.id)
        order by e.id`,
  );
  return rows.map((r) => r.id);
}

describe.each([
  ['phone', PHONE, 'npq-early-years-leadership'],
  ['desktop', DESKTOP, 'npq-leading-literacy'],
])('the programme team on a %s', (_name, viewport, course) => {
  it('filters a dashboard by partner, then sets up a cohort from a start date', async () => {
    const { context, page } = await world.newPage(viewport);
    await world.signIn(page, TEAM);
    await page.getByRole('link', { name: 'NPQSL 2025' }).click();
    await page.waitForURL(/\/cohorts\/\d+$/);
    await checkPage(page);
    const before = await page.locator('[data-testid="participants"] tbody tr').count();
    await page
      .getByLabel('Delivery partner')
      .selectOption({ label: 'South Coast Teaching School Hub' });
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/partner=\d+/);
    const after = await page.locator('[data-testid="participants"] tbody tr').count();
    expect(after).toBeLessThan(before);
    const partners = await page
      .locator('[data-testid="participants"] tbody tr td:nth-child(2)')
      .allTextContents();
    expect(new Set(partners.map((p) => p.trim()))).toEqual(
      new Set(['South Coast Teaching School Hub']),
    );
    await checkPage(page);

    await page.goto('/cohorts/new');
    await checkPage(page);
    await page.getByRole('button', { name: 'Generate the schedule' }).click();
    await page.waitForFunction(
      (source) => new RegExp(source).test(document.title),
      /^Error: Set up a cohort/.source,
    );
    await checkPage(page);
    const { id } = await one<{ id: number }>(
      sql`select p.id from programme p join course c on c.id = p.course_id where c.identifier = ${course}`,
    );
    await page.getByLabel('Programme', { exact: true }).selectOption(String(id));
    await page.getByLabel("Start date (module 1's ideal window starts)").fill('2026-10-05');
    await page.getByLabel('This is the last cohort of this programme').check();
    await page.getByRole('button', { name: 'Generate the schedule' }).click();
    // Wait for the new page: the form page being replaced has a heading too.
    await page
      .getByRole('heading', { level: 1, name: /^Check the schedule for/ })
      .waitFor({ state: 'visible' });
    await expect(page.getByTestId('notices-ok').isVisible()).resolves.toBe(true);
    await checkPage(page);
    // Module 2 released ten days before its ideal window starts: at least the 7-day lead time (2.2.1.1).
    const module2 = page.getByRole('group', { name: /^Module 2: / });
    const windowStarts = await module2.getByLabel('Ideal window starts').inputValue();
    const releasedOn = new Date(Date.parse(`${windowStarts}T00:00:00Z`) - 10 * 86_400_000)
      .toISOString()
      .slice(0, 10);
    await module2.getByLabel('Released on').fill(releasedOn);
    await page.getByRole('button', { name: 'Save the cohort' }).click();
    await page.waitForURL(/\/cohorts\/\d+\?notice=cohort-created/);
    await expect(page.getByText('Cohort created with its schedule').isVisible()).resolves.toBe(
      true,
    );
    await checkPage(page);
    const cohortId = Number(/\/cohorts\/(\d+)/.exec(page.url())![1]);
    const saved = await one<{ is_final: boolean; release: string }>(
      sql`select c.is_final, r.release_date::text as release from cohort c join cohort_module_release r on r.cohort_id = c.id
          join programme_module m on m.id = r.module_id where c.id = ${cohortId} and m.position = 2`,
    );
    expect(saved).toEqual({ is_final: true, release: releasedOn });
    await context.close();
  });

  it('decides a deferral case, keyboard only, and reads the re-join plan', async () => {
    const ids = await deferrable();
    const enrolmentId = viewport === PHONE ? ids[0]! : ids[1]!;
    const c = await requestDeferral(deps(), await actor(TEAM), {
      enrolmentId,
      circumstance: 'maternity_leave',
    });
    const { context, page } = await world.newPage(viewport);
    await world.signIn(page, TEAM);
    await page.goto('/cases');
    await checkPage(page);
    await page.locator(`a[href="/cases/deferrals/${c.id}"]`).click();
    await page.waitForURL(`**/cases/deferrals/${c.id}`);
    await expect(page.locator('#deferral-decision').textContent()).resolves.toMatch(
      /Policy 2\.3\.\d/,
    );
    await checkPage(page);

    // Keyboard only: tick nothing new (all options offered), choose "Defer" and send the form.
    await page.locator('#participantChoice').focus();
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    for (let i = 0; i < 5; i += 1) {
      const text = await page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
      if (text === 'Record the discussion') break;
      await page.keyboard.press('Tab');
    }
    await page.keyboard.press('Enter');
    await page.waitForURL(/notice=discussed/);
    await checkPage(page);
    await page.getByRole('button', { name: 'Approve the deferral' }).click();
    await page.waitForURL(/notice=approved/);
    await checkPage(page);
    await page.getByRole('link', { name: 'Open the re-join planner' }).click();
    await page.waitForURL(/\/plan$/);
    await expect(page.getByText('Re-join here').first().isVisible()).resolves.toBe(true);
    await checkPage(page);

    // A declined request needs reasons: the error summary and the field say so.
    await page.goBack();
    await page.getByRole('button', { name: 'Decline the request' }).click();
    await page.waitForFunction(
      (source) => new RegExp(source).test(document.title),
      /^Error: Deferral case/.source,
    );
    await checkPage(page);

    const audit = await page.goto(`/audit/deferral-case/${c.id}`);
    expect(audit?.status()).toBe(200);
    await checkPage(page);
    await context.close();
  });

  it('works through a transfer to another lead provider', async () => {
    const ids = await deferrable();
    const enrolmentId = ids.at(viewport === PHONE ? -1 : -2)!;
    const { urn } = await one<{ urn: string }>(
      sql`select s.urn from school s where not exists (select 1 from lead_provider_region lr where lr.region_id = s.region_id) order by s.id limit 1`,
    );
    const move = await recordSchoolMove(deps(), await actor(TEAM), {
      enrolmentId,
      newSchoolUrn: urn,
      movedOn: '2026-03-12',
    });
    const { context, page } = await world.newPage(viewport);
    await world.signIn(page, TEAM);
    await page.goto(`/cases/school-moves/${move.id}`);
    await checkPage(page);
    await page.getByLabel('Lead provider the participant chose').fill('Best Practice Network');
    await page.getByRole('button', { name: 'Save the lead provider' }).click();
    await page.waitForURL(/notice=provider-chosen/);
    await checkPage(page);
    await page.getByRole('button', { name: 'Record consent' }).click();
    await page.waitForFunction(
      (source) => new RegExp(source).test(document.title),
      /^Error: School move/.source,
    );
    await checkPage(page);
    await context.close();
  });

  it('reads an assessment deferral request and is told what is missing', async () => {
    const ids = await queryRows<{ id: number }>(
      world.database.db,
      sql`select e.id from enrolment e join cohort c on c.id = e.cohort_id
          where c.name = 'NPQSL 2025' and e.status = 'active' order by e.id`,
    );
    const enrolmentId = ids.at(viewport === PHONE ? 0 : 1)!.id;
    await world.database.db.execute(sql`
      insert into engagement_record (participant_id, activity_id, kind, occurred_at, source, source_event_id)
      select e.participant_id, a.id, a.kind, (c.engagement_deadline - 1)::timestamp + interval '10 hours', 'staff', 'browser-' || e.id || '-' || a.id
      from enrolment e join cohort c on c.id = e.cohort_id
      join programme_activity a on a.programme_id = c.programme_id and a.required
      where e.id = ${enrolmentId} on conflict do nothing`);
    const c = await requestAssessmentDeferral(
      { db: world.database.db, clock: fixedClock('2026-09-24T10:00:00Z') },
      await actor(TEAM),
      { enrolmentId, circumstance: 'unforeseen_illness_or_health', description: 'In hospital' },
    );
    const { context, page } = await world.newPage(viewport);
    await world.signIn(page, TEAM);
    await page.goto(`/cases/assessment-deferrals/${c.id}`);
    await expect(page.locator('#assessment-decision').textContent()).resolves.toMatch(
      /Policy 2\.5\.\d/,
    );
    await checkPage(page);
    await page.getByRole('button', { name: 'Ask for evidence' }).click();
    await page.waitForFunction(
      (source) => new RegExp(source).test(document.title),
      /^Error: Assessment deferral/.source,
    );
    await checkPage(page);
    await context.close();
  });
});
