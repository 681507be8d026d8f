/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { BrowserContext, Page } from 'playwright-core';
import { fixedClock } from '../../src/clock.js';
import { queryRows } from '../../src/db/client.js';
import { DEFAULT_DEMO_NOW } from '../../src/db/seed/demo.js';
import { loadActor } from '../../src/services/actor.js';
import { inviteStaff } from '../../src/services/accounts/invitations.js';
import {
  DESKTOP,
  PHONE,
  checkPage,
  checkPageAtBothSizes,
  expectErrorSummary,
  expectSuccessBanner,
  navigate,
  shown,
  startBrowserWorld,
  type BrowserWorld,
} from './harness.js';

/**
 * Assignments in the browser: the programme team assigns a coach to an NPQEL participant, an
 * assessor to a cohort and a facilitator to an event (each after choosing no one); the coach
 * records a session on My coaching and the assessor reads Marking. Each page is checked at phone
 * and desktop sizes when first seen (axe WCAG 2.2 AA, no sideways scrolling, error links that lead
 * somewhere, landmarks), and each error and success state at the size in use.
 */
let world: BrowserWorld;
const TEAM = 'programme.team@demo.npq-ops.test';

interface Npqel {
  participantId: number;
  enrolmentId: number;
  cohortId: number;
  cohortName: string;
  name: string;
}
let npqel: Npqel;
let facilitatorName: string;

async function rows<T>(query: ReturnType<typeof sql>): Promise<T[]> {
  return queryRows<T>(world.database.db, query);
}

beforeAll(async () => {
  world = await startBrowserWorld({ participants: 20 });
  const [el] = await rows<Npqel>(
    sql`select e.participant_id as "participantId", e.id as "enrolmentId", e.cohort_id as "cohortId",
               c.name as "cohortName", p.full_name as name
        from enrolment e join cohort c on c.id = e.cohort_id join programme pr on pr.id = c.programme_id
        join participant p on p.id = e.participant_id
        where pr.coaching_entitled and e.status = 'active' order by e.id limit 1`,
  );
  npqel = el!;
  // A participant without a coach yet, so the page offers "Assign".
  await world.database.db.execute(
    sql`delete from staff_assignment where participant_id = ${npqel.participantId}`,
  );
  // The demo has no facilitator: the programme team invites one (they need no password to be
  // assigned).
  const [team] = await rows<{ id: number }>(sql`select id from app_user where email = ${TEAM}`);
  facilitatorName = 'Farah Facilitator';
  await inviteStaff(
    {
      db: world.database.db,
      clock: fixedClock(DEFAULT_DEMO_NOW),
      publicUrl: world.baseUrl,
    },
    (await loadActor(world.database.db, team!.id))!,
    { name: facilitatorName, email: 'farah@ambition.example', role: 'facilitator' },
  );
});
afterAll(async () => {
  await world?.close();
});

describe('the programme team assigns staff (phone)', () => {
  let context: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    ({ context, page } = await world.newPage(PHONE));
    await world.signIn(page, TEAM);
  });
  afterAll(async () => {
    await context?.close();
  });

  it('assigns a coach to an NPQEL participant, after choosing no one', async () => {
    await navigate(page, 'Assignments');
    await shown(page.getByRole('heading', { level: 2, name: 'Coaching' }));
    await checkPageAtBothSizes(page);

    // Filter by the participant's cohort, then assign their coach: nothing chosen first.
    await page.getByLabel('Cohort').selectOption(String(npqel.cohortId));
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/cohortId=/);
    await checkPage(page);
    await page.getByRole('link', { name: `Assign coach for ${npqel.name}` }).click();
    await shown(page.getByRole('heading', { level: 1, name: `Coach for ${npqel.name}` }));
    await shown(page.getByText('No coach yet.'));
    await checkPageAtBothSizes(page);
    await page.getByRole('button', { name: 'Assign a coach' }).click();
    await expectErrorSummary(page, 'Choose a coach');
    await page
      .locator('.govuk-error-summary')
      .getByRole('link', { name: 'Choose a coach' })
      .click();
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('userId');
    // Keyboard: the focused select takes the first person with the arrow key.
    await page.keyboard.press('ArrowDown');
    await expect(page.getByLabel('Coach', { exact: true }).inputValue()).resolves.not.toBe('');
    await page
      .getByLabel('Coach', { exact: true })
      .selectOption({ label: 'Demo Coach (coach@demo.npq-ops.test)' });
    await page.getByRole('button', { name: 'Assign a coach' }).click();
    await page.waitForURL(/notice=coach-assigned/);
    await expectSuccessBanner(page, 'Coach assigned');
  });

  it('adds an assessor to a cohort, after choosing no one', async () => {
    await page.getByRole('link', { name: 'Assessors', exact: true }).click();
    await page.waitForURL(/\/assignments\/assessors$/);
    await shown(page.getByRole('heading', { level: 2, name: 'Assessors' }));
    await checkPageAtBothSizes(page);

    await page.getByRole('link', { name: `Add an assessor to ${npqel.cohortName}` }).click();
    await shown(
      page.getByRole('heading', { level: 1, name: `Add an assessor to ${npqel.cohortName}` }),
    );
    await checkPageAtBothSizes(page);
    await page.getByRole('button', { name: 'Assign an assessor' }).click();
    await expectErrorSummary(page, 'Choose an assessor');
    await page
      .getByLabel('Assessor', { exact: true })
      .selectOption({ label: 'Demo Assessor (assessor@demo.npq-ops.test)' });
    await page.getByRole('button', { name: 'Assign an assessor' }).click();
    await page.waitForURL(/notice=assessor-assigned/);
    await expectSuccessBanner(page, 'Assessor added');
    const remove = page.getByRole('button', {
      name: `Remove Demo Assessor from ${npqel.cohortName}`,
    });
    await shown(remove);
  });

  it('adds a facilitator to an event, after choosing no one', async () => {
    await page.getByRole('link', { name: 'Facilitators', exact: true }).click();
    await page.waitForURL(/\/assignments\/facilitators$/);
    await page.getByLabel('Cohort').selectOption(String(npqel.cohortId));
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/cohortId=/);
    await checkPageAtBothSizes(page);
    const add = page.getByRole('link', { name: /^Add a facilitator to / }).first();
    const event = (await add.textContent())!.replace(/^Add a facilitator to /, '').trim();
    await add.click();
    await shown(page.getByRole('heading', { level: 1, name: /^Add a facilitator to / }));
    await checkPageAtBothSizes(page);
    await page.getByRole('button', { name: 'Assign a facilitator' }).click();
    await expectErrorSummary(page, 'Choose a facilitator');
    await page
      .getByLabel('Facilitator', { exact: true })
      .selectOption({ label: `${facilitatorName} (farah@ambition.example)` });
    await page.getByRole('button', { name: 'Assign a facilitator' }).click();
    await page.waitForURL(/notice=facilitator-assigned/);
    await expectSuccessBanner(page, 'Facilitator added');
    await shown(page.getByRole('button', { name: `Remove ${facilitatorName} from ${event}` }));
  });
});

describe('the coach and the assessor see their work (desktop)', () => {
  it('My coaching lists the participant and records a session that took place', async () => {
    const [coach] = await rows<{ id: number }>(
      sql`select id from app_user where email = 'coach@demo.npq-ops.test'`,
    );
    // A coaching session that has taken place (booked by the participant before today).
    await world.database.db.execute(
      sql`insert into coaching_session (enrolment_id, participant_id, coach_user_id, activity_id, starts_at, ends_at)
          select e.id, e.participant_id, ${coach!.id}, a.id, '2026-03-12T10:00:00Z', '2026-03-12T11:00:00Z'
          from enrolment e join cohort c on c.id = e.cohort_id
          join programme_activity a on a.programme_id = c.programme_id and a.kind = 'coaching'
          where e.id = ${npqel.enrolmentId} order by a.position desc limit 1`,
    );
    const { context, page } = await world.newPage(DESKTOP);
    await world.signIn(page, 'coach@demo.npq-ops.test');
    await navigate(page, 'My coaching');
    await shown(page.getByRole('heading', { level: 1, name: 'My coaching' }));
    await shown(page.getByRole('link', { name: npqel.name }));
    await checkPageAtBothSizes(page);
    await page
      .getByRole('link', { name: new RegExp(`^Record attendance and a note\\s*: ${npqel.name}`) })
      .click();
    await page.getByLabel('Attended', { exact: true }).check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/notice=recorded/);
    await expectSuccessBanner(page, 'Coaching session recorded');
    await context.close();
  });

  it('Marking lists the cohort they were added to and its submissions', async () => {
    const { context, page } = await world.newPage(DESKTOP);
    await world.signIn(page, 'assessor@demo.npq-ops.test');
    await navigate(page, 'Marking');
    await shown(page.getByRole('heading', { level: 1, name: 'Marking' }));
    await shown(
      page
        .getByRole('region', { name: 'My cohorts' })
        .getByRole('link', { name: npqel.cohortName }),
    );
    await checkPageAtBothSizes(page);
    await page.getByRole('link', { name: 'Show all submissions' }).click();
    await page.waitForURL(/show=all/);
    await shown(page.getByText('Showing all submissions.'));
    await checkPageAtBothSizes(page);
    await context.close();
  });
});
