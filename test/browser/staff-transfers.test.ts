/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import { queryRows } from '../../src/db/client.js';
import { DEFAULT_DEMO_NOW } from '../../src/db/seed/demo.js';
import { SYSTEM } from '../../src/services/actor.js';
import { trustSenderKeys } from '../../src/services/transfers/keys.js';
import {
  TRANSFER_CONSENT_COVERS,
  type TransferPackage,
} from '../../src/domain/transfer-package.js';
import {
  checkPage,
  DESKTOP,
  expectErrorSummary,
  navigate,
  PHONE,
  shown,
  startBrowserWorld,
  type BrowserWorld,
} from './harness.js';

/**
 * The programme team imports a transfer package from another lead provider (policy 2.6.4): the
 * keys page, a tampered file refused with the reason, then a signed one checked and imported, at
 * phone and desktop size with axe on every page.
 */
let world: BrowserWorld;
let sign: (n: number, tamper?: boolean) => Promise<string>;
let cohortName: string;

beforeAll(async () => {
  world = await startBrowserWorld({ participants: 12 });
  const { publicKey, privateKey } = await generateKeyPair('EdDSA');
  const [trusted] = await trustSenderKeys(world.database.db, SYSTEM, {
    senderName: 'Northern Lead Provider',
    keysText: JSON.stringify(await exportJWK(publicKey)),
    at: DEFAULT_DEMO_NOW,
  });
  const [cohort] = await queryRows<{
    name: string;
    course: string;
    kind: string;
    seq: number;
    title: string;
  }>(
    world.database.db,
    sql`select c.name, co.identifier as course, a.kind, a.sequence_number as seq, a.title
        from cohort c join programme pr on pr.id = c.programme_id join course co on co.id = pr.course_id
        join programme_activity a on a.programme_id = pr.id and a.position = 1
        order by c.start_date desc, c.id limit 1`,
  );
  cohortName = cohort!.name;
  sign = async (n, tamper = false) => {
    const payload: TransferPackage = {
      type: 'npq-ops.transfer-package',
      version: 1,
      kid: trusted!.kid,
      issuedAt: DEFAULT_DEMO_NOW.toISOString(),
      expiresAt: new Date(DEFAULT_DEMO_NOW.getTime() + 30 * 86_400_000).toISOString(),
      from: { leadProvider: 'Northern Lead Provider' },
      to: { leadProvider: 'Ambition Institute' },
      consent: { givenAt: DEFAULT_DEMO_NOW.toISOString(), covers: [...TRANSFER_CONSENT_COVERS] },
      participant: {
        fullName: `Robin Transfer ${n}`,
        email: `robin.transfer${n}@example.org`,
        trn: `765432${n}`,
        dfeRegistrationId: null,
        fundingRoute: 'dfe_scholarship',
        workingPattern: 'full_time',
        partTimeFraction: null,
        schoolHistory: [],
      },
      programme: {
        course: cohort!.course as TransferPackage['programme']['course'],
        programmeVersion: '1',
        cohort: 'Their cohort',
        cohortStartDate: '2025-09-01',
        engagementPercentage: 4,
        completed: [
          {
            kind: cohort!.kind as TransferPackage['programme']['completed'][number]['kind'],
            sequenceNumber: cohort!.seq,
            title: cohort!.title,
            completedAt: '2025-10-01T10:00:00.000Z',
          },
        ],
      },
      assessment: { attemptsUsed: 0 },
    };
    const jws = await new CompactSign(Buffer.from(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'EdDSA', kid: trusted!.kid, typ: 'npq-transfer+jws' })
      .sign(privateKey);
    if (!tamper) return jws;
    const [h, , s] = jws.split('.');
    const changed = { ...payload, assessment: { attemptsUsed: 2 } };
    return `${h}.${Buffer.from(JSON.stringify(changed)).toString('base64url')}.${s}`;
  };
}, 300_000);
afterAll(async () => {
  await world?.close();
});

describe.each([
  ['phone', PHONE, 1],
  ['desktop', DESKTOP, 2],
] as const)('the programme team importing a transfer on a %s', (_name, viewport, n) => {
  it(
    'is told a tampered file was changed, then checks and imports a signed one',
    { timeout: 180_000 },
    async () => {
      const { context, page } = await world.newPage(viewport);
      await world.signIn(page, 'programme.team@demo.npq-ops.test');
      await navigate(page, 'Administration');
      await page.getByRole('link', { name: 'Transfer keys' }).click();
      await shown(page.getByRole('heading', { name: 'Transfer keys', level: 1 }));
      await expect(page.getByTestId('trusted-keys').textContent()).resolves.toContain(
        'Northern Lead Provider',
      );
      await checkPage(page);
      await page.goto('/admin');
      await page.getByRole('link', { name: 'Import a transfer' }).click();
      await shown(
        page.getByRole('heading', { name: 'Import a transfer from another lead provider' }),
      );
      await checkPage(page);

      await page.getByLabel('Cohort they join').selectOption({ label: cohortName });
      await page.getByLabel('Their delivery partner').selectOption({ index: 1 });
      await page.getByLabel('Transfer package').setInputFiles({
        name: 'tampered.jws',
        mimeType: 'application/jose',
        buffer: Buffer.from(await sign(n, true)),
      });
      await page.getByRole('button', { name: 'Check the package' }).click();
      await expectErrorSummary(page, /has been changed since Northern Lead Provider signed it/);
      await checkPage(page);

      await page.getByLabel('Transfer package').setInputFiles({
        name: 'transfer.jws',
        mimeType: 'application/jose',
        buffer: Buffer.from(await sign(n)),
      });
      await page.getByRole('button', { name: 'Check the package' }).click();
      await shown(page.getByRole('heading', { name: 'Check the transfer before importing it' }));
      await expect(page.getByTestId('check-answers').textContent()).resolves.toContain(
        `Robin Transfer ${n}`,
      );
      await checkPage(page);
      await page.getByRole('button', { name: 'Import the participant' }).click();
      await shown(page.getByRole('heading', { name: 'Transfer imported' }));
      await expect(page.getByTestId('reference').textContent()).resolves.toMatch(/^TRI-\d+$/);
      await checkPage(page);
      await context.close();
    },
  );
});
