import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { seedCatalogue } from '../src/db/seed/catalogue.js';
import { seedDemo } from '../src/db/seed/demo.js';
import { createCliDatabase, type CliDatabase } from './support/cli-database.js';

let t: CliDatabase;
let withdrawnId = 0;
let activeId = 0;
const cli = (...args: string[]) => t.cli(args);

beforeAll(async () => {
  t = await createCliDatabase('cli-privacy');
  const database = await t.open();
  try {
    await migrate(database.db);
    await seedCatalogue(database.db);
    await seedDemo(database.db, { participants: 4, withUsers: false });
    const [first, second] = await queryRows<{ id: number }>(
      database.db,
      sql`select id from participant order by id limit 2`,
    );
    withdrawnId = first!.id;
    activeId = second!.id;
    await database.db.execute(
      sql`update enrolment set status = 'withdrawn', status_changed_at = now() where participant_id = ${withdrawnId}`,
    );
    await database.db.execute(
      sql`update enrolment set status = 'active' where participant_id = ${activeId}`,
    );
  } finally {
    await database.close();
  }
}, 400_000);
afterAll(async () => {
  await t?.destroy();
});

describe('npq-ops privacy erase', () => {
  it(
    'erases a participant with a reason (audited as the command line), refuses one with an open enrolment, an erased one and an unknown id',
    { timeout: 600_000 },
    async () => {
      const open = await cli(
        'privacy',
        'erase',
        '--participant',
        String(activeId),
        '--reason',
        'Ticket 1',
      );
      expect(open.code).toBe(2);
      expect(open.stderr).toMatch(/Withdraw the participant first/);

      const done = await cli(
        'privacy',
        'erase',
        '--participant',
        String(withdrawnId),
        '--reason',
        'Ticket 2',
      );
      expect(done.code, done.stderr).toBe(0);
      expect(done.stdout).toMatch(
        new RegExp(
          `^Participant ${withdrawnId} erased: \\d+ audit events redacted, \\d+ emails deleted\\.`,
        ),
      );

      const again = await cli(
        'privacy',
        'erase',
        '--participant',
        String(withdrawnId),
        '--reason',
        'Ticket 3',
      );
      expect(again.code).toBe(2);
      expect(again.stderr).toContain('already been erased');
      const unknown = await cli(
        'privacy',
        'erase',
        '--participant',
        '999999',
        '--reason',
        'Ticket 4',
      );
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('No participant 999999');

      const database = await t.open();
      try {
        const [row] = await queryRows<{ full_name: string; who: string; details: unknown }>(
          database.db,
          sql`select p.full_name, a.who, a.details from participant p
              join audit_event a on a.subject_type = 'participant' and a.subject_id = p.id::text and a.what = 'PARTICIPANT_ERASED'
              where p.id = ${withdrawnId}`,
        );
        expect(row).toEqual({
          full_name: `Former participant ${withdrawnId}`,
          who: 'system',
          details: {
            redacted: 'request',
            reason: 'Ticket 2',
            via: 'command line',
            dfeRegistrationId: `erased-${withdrawnId}`,
          },
        });
      } finally {
        await database.close();
      }
    },
  );
});
