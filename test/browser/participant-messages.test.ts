/// <reference lib="dom" />
import { afterAll, beforeAll, describe, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { fixedClock } from '../../src/clock.js';
import { queryRows } from '../../src/db/client.js';
import { DEFAULT_DEMO_NOW } from '../../src/db/seed/demo.js';
import { londonDateOf } from '../../src/policy/index.js';
import { loadActor, type Actor } from '../../src/services/actor.js';
import {
  approveDeferral,
  recordDeferralDiscussion,
  requestDeferral,
  startDeferral,
} from '../../src/services/deferral-cases.js';
import { queueDueNotices } from '../../src/services/notices/daily-notices.js';
import {
  DESKTOP,
  PHONE,
  checkPage,
  expectErrorSummary,
  expectSuccessBanner,
  navigate,
  shown,
  startBrowserWorld,
  type BrowserWorld,
} from './harness.js';

let world: BrowserWorld;

async function actor(email: string): Promise<Actor> {
  const [row] = await queryRows<{ id: number }>(
    world.database.db,
    sql`select id from app_user where lower(email) = lower(${email})`,
  );
  return (await loadActor(world.database.db, row!.id))!;
}

/** An agreed deferral whose 2.3.7 question is due today. */
async function deferred(email: string) {
  const deps = { db: world.database.db, clock: fixedClock(DEFAULT_DEMO_NOW) };
  const staff = await actor('programme.team@demo.npq-ops.test');
  const [e] = await queryRows<{ id: number }>(
    world.database.db,
    sql`select e.id from enrolment e join participant p on p.id = e.participant_id
        where lower(p.email) = lower(${email}) and e.status = 'active'`,
  );
  let c = await requestDeferral(deps, await actor(email), {
    enrolmentId: e!.id,
    circumstance: 'illness_or_health',
  });
  c = await recordDeferralDiscussion(deps, staff, c.id, {
    expectedVersion: c.version,
    alternativesOffered: ['defer'],
    participantChoice: 'defer',
  });
  c = await approveDeferral(deps, staff, c.id, { expectedVersion: c.version });
  c = await startDeferral(deps, staff, c.id, { expectedVersion: c.version });
  await world.database.db.execute(
    sql`update deferral_case set status = 'intent_contact_due', version = version + 1 where id = ${c.id}`,
  );
}

beforeAll(async () => {
  world = await startBrowserWorld();
  await deferred('participant1@demo.npq-ops.test');
  await deferred('participant5@demo.npq-ops.test');
  // Today's notices, as the daily job queues them (the request to confirm a return among them).
  await world.database.db.transaction((tx) =>
    queueDueNotices(tx, {
      today: londonDateOf(DEFAULT_DEMO_NOW),
      at: DEFAULT_DEMO_NOW,
      publicUrl: world.baseUrl,
    }),
  );
}, 180_000);
afterAll(async () => {
  await world?.close();
});

describe.each([
  ['phone', PHONE, 'participant5@demo.npq-ops.test', true],
  ['desktop', DESKTOP, 'participant1@demo.npq-ops.test', false],
] as const)('messages and the return question on a %s', (_name, viewport, email, returning) => {
  it('reads Messages, turns reminders off, and answers the question from the message', async () => {
    const { context, page } = await world.newPage(viewport);
    await world.signIn(page, email);
    await navigate(page, 'Messages');
    await shown(page.getByRole('heading', { level: 1, name: 'Messages' }));
    await checkPage(page);

    await page.getByRole('link', { name: 'Choose which reminders you get' }).click();
    await shown(page.getByRole('heading', { level: 1, name: 'Reminders' }));
    await checkPage(page);
    await page.getByLabel('No, do not send me reminders').check();
    await page.getByRole('button', { name: 'Save' }).click();
    await expectSuccessBanner(page, 'We will still send you the messages the policy requires.');

    await page
      .getByRole('link', { name: /^Are you returning to your NPQ on/ })
      .first()
      .click();
    await shown(page.getByRole('heading', { level: 1, name: /Are you returning/ }));
    await checkPage(page);
    await page.getByRole('button', { name: 'Go to the page' }).click();
    await shown(page.getByRole('heading', { level: 1, name: 'Returning to your programme' }));
    await checkPage(page);

    await page.getByRole('button', { name: 'Continue' }).click();
    await expectErrorSummary(page, 'Select whether you will return to your programme');
    if (returning) {
      await page.getByLabel('Yes, I will return').check();
      await page
        .getByLabel('Reasonable adjustments you need (optional)')
        .fill('Clinics after 4pm, please.');
      await page.getByRole('button', { name: 'Continue' }).click();
      await expectSuccessBanner(page, 'Thank you: you have told us you are returning');
      await shown(page.getByText('Clinics after 4pm, please.'));
    } else {
      await page.getByLabel('No, I will not return').check();
      await page.getByRole('button', { name: 'Continue' }).click();
      await shown(
        page.getByRole('heading', { level: 1, name: 'Check your answer: you will not return' }),
      );
      await checkPage(page);
      await page.getByRole('button', { name: 'Confirm: I will not return' }).click();
      await expectSuccessBanner(page, 'You are withdrawn from the programme.');
    }
    // The answer is confirmed in Messages too, newest first.
    await navigate(page, 'Messages');
    await shown(
      page
        .locator('[data-testid="messages"] li')
        .first()
        .getByText(/Your return from deferral/),
    );
    await checkPage(page);
    await context.close();
  }, 240_000);
});
