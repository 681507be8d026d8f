/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { fixedClock } from '../../src/clock.js';
import { queryRows } from '../../src/db/client.js';
import { DEFAULT_DEMO_NOW } from '../../src/db/seed/demo.js';
import { loadActor } from '../../src/services/actor.js';
import { recordSchoolMove } from '../../src/services/school-moves.js';
import {
  DESKTOP,
  PHONE,
  startBrowserWorld,
  checkPage,
  navigate,
  shown,
  type BrowserWorld,
} from './harness.js';

/**
 * Forms only for those who may use them (issue 14), in a browser at phone and desktop size with
 * axe on every page: the transfer form after a move outside the network (question → check your
 * answers → confirmation with a reference, then no form), and Clinics and events for a deferred
 * participant (why they cannot book and what stays open, instead of Book buttons).
 */
let world: BrowserWorld;
beforeAll(async () => {
  world = await startBrowserWorld({ participants: 20 });
});
afterAll(async () => {
  await world?.close();
});

/** A move to a school outside the network, as the participant reported it: opens a transfer. */
async function transferFor(email: string): Promise<number> {
  const db = world.database.db;
  const [who] = await queryRows<{ enrolment_id: number; user_id: number }>(
    db,
    sql`select e.id as enrolment_id, u.id as user_id from enrolment e
        join participant p on p.id = e.participant_id join app_user u on u.participant_id = p.id
        where p.email = ${email} and e.status in ('accepted', 'active') order by e.id limit 1`,
  );
  const [outside] = await queryRows<{ urn: string }>(
    db,
    sql`select s.urn from school s
        where not exists (select 1 from lead_provider_region l where l.region_id = s.region_id)
        order by s.id limit 1`,
  );
  const move = await recordSchoolMove(
    { db, clock: fixedClock(DEFAULT_DEMO_NOW) },
    (await loadActor(db, who!.user_id))!,
    { enrolmentId: who!.enrolment_id, newSchoolUrn: outside!.urn, movedOn: '2026-03-02' },
  );
  return move.transfer!.id;
}

describe.each([
  ['phone', PHONE, 'participant1@demo.npq-ops.test'],
  ['desktop', DESKTOP, 'participant2@demo.npq-ops.test'],
] as const)('forms only when allowed, on a %s', (_name, viewport, email) => {
  it('tells us the new lead provider and consent: check answers, a reference, then no form', async () => {
    const transferId = await transferFor(email);
    const { context, page } = await world.newPage(viewport);
    await world.signIn(page, email);
    await navigate(page, 'Changes');
    await page.getByRole('link', { name: /Tell us which lead provider you are moving to/ }).click();
    await shown(
      page.getByRole('heading', { level: 1, name: 'Your move to another lead provider' }),
    );
    await checkPage(page);
    await page.getByRole('button', { name: 'Continue' }).click();
    await shown(page.locator('.govuk-error-summary'));
    await expect(page.title()).resolves.toMatch(/^Error: /);
    await checkPage(page);
    await page
      .getByLabel('Which lead provider are you moving to?')
      .fill('Fenland Teaching Partnership');
    await page.getByLabel('Yes, share my record').check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await shown(
      page.getByRole('heading', { level: 1, name: 'Check your answers before sending them' }),
    );
    await checkPage(page);
    await page.getByRole('button', { name: 'Send my answers' }).click();
    await shown(
      page.locator('.govuk-panel--confirmation').getByText('Your answers have been sent'),
    );
    await shown(page.getByText(`TR-${transferId}`));
    await checkPage(page);
    // Answered: the transfer's page says where it stands, with no form.
    await page.goto(`${world.baseUrl}/changes/transfer/${transferId}`);
    await shown(page.getByRole('heading', { level: 1, name: 'Your transfer' }));
    await expect(
      page.locator(`form[action="/changes/transfer/${transferId}"]`).count(),
    ).resolves.toBe(0);
    await checkPage(page);
    await context.close();
  });
});

describe.each([
  ['phone', PHONE],
  ['desktop', DESKTOP],
] as const)('a deferred participant on a %s', (_name, viewport) => {
  it('is told why they cannot book and what stays open, with no Book buttons', async () => {
    const { context, page } = await world.newPage(viewport);
    await world.signIn(page, 'participant3@demo.npq-ops.test');
    await navigate(page, 'Clinics and events');
    await shown(page.getByRole('heading', { level: 1, name: 'Clinics and events' }));
    await shown(
      page.getByText('Your place is deferred, so you cannot book clinics or events now.'),
    );
    await expect(page.getByRole('button', { name: /^Book/ }).count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: /^Sign up/ }).count()).resolves.toBe(0);
    await checkPage(page);
    await context.close();
  });
});
