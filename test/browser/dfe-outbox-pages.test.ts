/// <reference lib="dom" />
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { sql } from 'drizzle-orm';
import { fixedClock } from '../../src/clock.js';
import { queryRows } from '../../src/db/client.js';
import { DEFAULT_DEMO_NOW } from '../../src/db/seed/demo.js';
import { createDfeClient } from '../../src/services/dfe/client.js';
import { pullApplications } from '../../src/services/dfe/applications/pull.js';
import { syncDeclarations } from '../../src/services/dfe/declarations/sync.js';
import {
  catalogueForFake,
  seedApplications,
  startFakeDfe,
  type FakeDfe,
} from '../../src/services/dfe/fake/index.js';
import {
  PHONE,
  checkPageAtBothSizes,
  expectSuccessBanner,
  shown,
  startBrowserWorld,
  type BrowserWorld,
} from './harness.js';

/**
 * The programme team on a phone, against the fake DfE: rejects an application (the decision goes
 * into the one DfE outbox), reads the milestone report, finds a refused request in the outbox with
 * the DfE's words and sends it again, and reads the statements. Every page is checked at phone and
 * desktop sizes (axe WCAG 2.2 AA, no sideways scrolling).
 */
const STATEMENT = 'dddddddd-0000-4000-8000-000000000002';
let fake: FakeDfe;
let world: BrowserWorld;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  fake = await startFakeDfe({ now: () => new Date(DEFAULT_DEMO_NOW) });
  world = await startBrowserWorld({
    participants: 12,
    env: { DFE_API_URL: fake.url, DFE_API_TOKEN: 'fake' },
  });
  const db = world.database.db;
  const clock = fixedClock(DEFAULT_DEMO_NOW);
  seedApplications(fake.state, {
    count: 2,
    before: DEFAULT_DEMO_NOW,
    ...(await catalogueForFake(db, { fromYear: 2026 })),
  });
  await pullApplications(
    { db, clock, dfe: createDfeClient({ url: fake.url, token: 'fake' }) },
    { startedBy: 'test' },
  );
  // Commencement at first engagement (the demo does not record it), then the declarations due.
  await db.execute(sql`update enrolment e set commenced_at = f.first_at
    from (select e2.id, min(er.occurred_at) as first_at from enrolment e2
          join engagement_record er on er.participant_id = e2.participant_id
          where e2.status not in ('applied', 'accepted') group by e2.id) f
    where e.id = f.id`);
  await syncDeclarations({ db, clock });
  // One declaration the DfE refused, in its own words; one submitted, in a statement.
  await db.execute(sql`update dfe_outbox set status = 'refused', attempts = 1,
      last_error = 'declaration_date: The declaration date is before the schedule start'
    where id = (select min(id) from dfe_outbox where action = 'declare')`);
  await db.execute(sql`update dfe_declaration set status = 'refused',
      refusal = 'declaration_date: The declaration date is before the schedule start'
    where id = (select declaration_id from dfe_outbox where status = 'refused')`);
  await db.execute(sql`update dfe_declaration set status = 'submitted', dfe_id = 'eeeeeeee-0000-4000-8000-000000000002',
      dfe_state = 'eligible', statement_id = ${STATEMENT}
    where id = (select max(id) from dfe_declaration)`);
  await db.execute(sql`insert into dfe_statement (dfe_id, cohort, month, year, payment_date, paid)
    values (${STATEMENT}, '2025', 'March', '2026', '2026-03-25', false)`);
  const [n] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from dfe_outbox`);
  if (!n || n.n === 0) throw new Error('No declarations were queued for the journey');
  ({ context, page } = await world.newPage(PHONE));
  await world.signIn(page, 'programme.team@demo.npq-ops.test');
}, 240_000);
afterAll(async () => {
  await context?.close();
  await world?.close();
  await fake?.stop();
});

describe('the DfE pages on a phone', () => {
  it('rejects an application with a reason', async () => {
    await page.goto('/dfe/applications');
    await page.getByRole('table').getByRole('link').first().click();
    await page
      .getByLabel('Reason for rejecting')
      .fill('Applied twice; the other application stands');
    await page.getByRole('button', { name: 'Reject application' }).click();
    await expectSuccessBanner(page, /rejected/i);
    await checkPageAtBothSizes(page);
  }, 240_000);

  it('shows the milestone report', async () => {
    await page.goto('/dfe/declarations');
    await shown(page.getByRole('heading', { level: 1 }));
    await shown(
      page.getByText('declaration_date: The declaration date is before the schedule start').first(),
    );
    await checkPageAtBothSizes(page);
  }, 240_000);

  it('shows a refused request in the outbox with the DfE’s words and sends it again', async () => {
    await page.goto('/dfe/outbox');
    await shown(page.getByRole('heading', { level: 1, name: 'DfE outbox' }));
    await shown(
      page.getByText(
        'The DfE said: declaration_date: The declaration date is before the schedule start',
      ),
    );
    await checkPageAtBothSizes(page);
    await page
      .getByRole('button', { name: /^Send the declare for .+ again$/ })
      .first()
      .click();
    await expectSuccessBanner(page, 'The request will be sent again at the next run');
    await checkPageAtBothSizes(page);
  }, 240_000);

  it('shows the statements and the declarations in one', async () => {
    await page.goto('/dfe/statements');
    await shown(page.getByRole('heading', { level: 1 }));
    await page
      .getByRole('link', { name: /March 2026/ })
      .first()
      .click();
    await shown(page.getByRole('heading', { level: 1 }));
    await checkPageAtBothSizes(page);
  }, 240_000);

  it('shows DfE sync with the decision waiting or sent', async () => {
    await page.goto('/dfe/sync');
    await shown(page.getByRole('heading', { level: 1, name: 'DfE sync' }));
    await checkPageAtBothSizes(page);
  }, 240_000);
});
