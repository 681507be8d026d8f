import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../src/db/client.js';
import { SYSTEM } from '../src/services/actor.js';
import { createSigningKey, publishedKeySet } from '../src/services/transfers/keys.js';
import { signTransferPackage } from '../src/services/transfers/package.js';
import { createCliDatabase, type CliDatabase } from './support/cli-database.js';
import { createDemoWorld, type DemoWorld } from './support/demo-world.js';
import { MOVER, prepareTransfer } from './support/transfer-worlds.js';

/**
 * `npx npq-ops keys …` and `npx npq-ops transfers import` as an operator runs them: a signing key
 * from an empty database, the sender's key set trusted from a file, a package imported once (a
 * second run adds nothing) and a tampered one refused with the reason.
 */
let t: CliDatabase;
let sender: DemoWorld;
let dir: string;
const cli = (...args: string[]) => t.cli(args);

beforeAll(async () => {
  t = await createCliDatabase('cli-transfers');
  dir = await mkdtemp(path.join(tmpdir(), 'npq-transfer-files-'));
  // The sender signs "now" so the package is fresh for the CLI, which runs on the real clock.
  sender = await createDemoWorld({ participants: 12, now: new Date(), ownPglite: true });
}, 180_000);
afterAll(async () => {
  await sender?.destroy();
  await t?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('npq-ops keys and transfers', () => {
  it(
    'creates our signing key from an empty database and prints the public key set',
    { timeout: 300_000 },
    async () => {
      const none = await cli('keys', 'list');
      expect(none.stdout).toContain('No signing keys');
      const created = await cli('keys', 'create');
      expect(created.code).toBe(0);
      const kid = created.stdout.trim();
      expect(kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const jwks = JSON.parse((await cli('keys', 'jwks')).stdout) as {
        keys: Record<string, string>[];
      };
      expect(jwks.keys).toHaveLength(1);
      expect(jwks.keys[0]).toMatchObject({ kid, crv: 'Ed25519' });
      expect(jwks.keys[0]).not.toHaveProperty('d');
      expect((await cli('keys', 'list')).stdout).toContain(`${kid}  EdDSA`);
    },
  );

  it(
    'trusts a sender, imports their package once, and refuses a tampered one',
    { timeout: 400_000 },
    async () => {
      const { transferId } = await prepareTransfer(sender);
      await createSigningKey(sender.t.db, SYSTEM, { at: sender.clock.now() });
      const deps = { db: sender.t.db, clock: sender.clock };
      const signed = await signTransferPackage(
        deps,
        await sender.actor('programme.team@demo.npq-ops.test'),
        transferId,
      );
      const jwksFile = path.join(dir, 'sender-jwks.json');
      const packageFile = path.join(dir, signed.filename);
      const tamperedFile = path.join(dir, 'tampered.jws');
      await writeFile(jwksFile, JSON.stringify(await publishedKeySet(sender.t.db)));
      await writeFile(packageFile, signed.jws);
      const [h, p, s] = signed.jws.split('.');
      const payload = JSON.parse(Buffer.from(p!, 'base64url').toString()) as {
        assessment: { attemptsUsed: number };
      };
      payload.assessment.attemptsUsed = payload.assessment.attemptsUsed === 0 ? 1 : 0;
      await writeFile(
        tamperedFile,
        `${h}.${Buffer.from(JSON.stringify({ ...payload, version: 1 })).toString('base64url')}.${s}`,
      );

      const unknown = await cli(
        'transfers',
        'import',
        packageFile,
        '--cohort',
        '1',
        '--delivery-partner',
        '1',
      );
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('signed with a key we do not trust');

      const trusted = await cli('keys', 'trust', jwksFile, '--name', 'Sender LP');
      expect(trusted.code).toBe(0);
      expect(trusted.stdout).toContain(`Trusted ${signed.kid} of Sender LP`);
      expect((await cli('keys', 'trusted')).stdout).toContain('Sender LP');

      const tampered = await cli(
        'transfers',
        'import',
        tamperedFile,
        '--cohort',
        '1',
        '--delivery-partner',
        '1',
      );
      expect(tampered.code).toBe(2);
      expect(tampered.stderr).toContain('has been changed since Sender LP signed it');

      expect((await cli('seed', '--demo', '--participants', '5')).code).toBe(0);
      const database = await t.open();
      let cohort: number;
      let partner: number;
      try {
        const [row] = await queryRows<{ cohort_id: number; partner_id: number }>(
          database.db,
          sql`select c.id as cohort_id, (select id from delivery_partner order by id limit 1) as partner_id
            from cohort c join programme pr on pr.id = c.programme_id join course co on co.id = pr.course_id
            where co.identifier = ${(JSON.parse(Buffer.from(p!, 'base64url').toString()) as { programme: { course: string } }).programme.course}
            order by c.start_date desc limit 1`,
        );
        cohort = row!.cohort_id;
        partner = row!.partner_id;
      } finally {
        await database.close();
      }
      const first = await cli(
        'transfers',
        'import',
        packageFile,
        '--cohort',
        String(cohort),
        '--delivery-partner',
        String(partner),
      );
      expect(first.stderr).toBe('');
      expect(first.stdout).toMatch(
        /^Imported TRI-1: participant \d+, enrolment \d+, \d+ prior learning records; invitation emailed\./,
      );
      const again = await cli(
        'transfers',
        'import',
        packageFile,
        '--cohort',
        String(cohort),
        '--delivery-partner',
        String(partner),
      );
      expect(again.stdout).toContain('Already imported as TRI-1');
      const check = await t.open();
      try {
        const rows = await queryRows<{ n: number }>(
          check.db,
          sql`select count(*)::int as n from participant where email = ${MOVER.email}`,
        );
        expect(rows[0]!.n).toBe(1);
      } finally {
        await check.close();
      }
    },
  );
});
