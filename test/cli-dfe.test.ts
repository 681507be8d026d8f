import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../src/db/client.js';
import { enqueueApplicationDecision } from '../src/services/dfe/outbox/enqueue.js';
import {
  seedApplications,
  seedStatements,
  startFakeDfe,
  type FakeApplication,
  type FakeDfe,
} from '../src/services/dfe/fake/index.js';
import { createCliDatabase, type CliDatabase } from './support/cli-database.js';

// `npx npq-ops dfe …` as a user runs it, on an empty database, against the stateful fake DfE:
// pull reads the applications, send delivers the one DfE outbox, statements reads the statements;
// with DFE_API_URL/DFE_API_TOKEN unset the commands that need the DfE say sync is off and exit 2.
let t: CliDatabase;
let fake: FakeDfe;
let apps: FakeApplication[];
const on = () => ({ DFE_API_URL: fake.url, DFE_API_TOKEN: 'fake' });
const cli = (args: string[], env: Record<string, string> = {}) => t.cli(args, env);

beforeAll(async () => {
  t = await createCliDatabase('cli-dfe');
  fake = await startFakeDfe();
  apps = seedApplications(fake.state, {
    count: 5,
    schoolUrns: ['100000'],
    offers: [{ courseIdentifier: 'npq-headship', cohortYear: 2026 }],
    before: new Date(),
  });
  seedStatements(fake.state, [2026]);
});
afterAll(async () => {
  await fake?.stop();
  await t?.destroy();
});

describe('npx npq-ops dfe', () => {
  it(
    'says plainly that DfE sync is off and exits 2 when DFE_API_URL/DFE_API_TOKEN are unset',
    { timeout: 300_000 },
    async () => {
      for (const command of ['pull', 'send']) {
        const r = await cli(['dfe', command], { DFE_API_URL: '', DFE_API_TOKEN: '' });
        expect(r.code).toBe(2);
        expect(r.stderr).toContain('DfE sync is off');
      }
      // Counting declarations due needs no DfE.
      const due = await cli(['dfe', 'declarations'], { DFE_API_URL: '', DFE_API_TOKEN: '' });
      expect(due.code).toBe(0);
      expect(due.stdout).toMatch(/Declarations due on \d{4}-\d{2}-\d{2}: /);
    },
  );

  it(
    'pull stores every application from the fake DfE; a second pull finds nothing new',
    { timeout: 300_000 },
    async () => {
      const first = await cli(['dfe', 'pull'], on());
      expect(first.code).toBe(0);
      expect(first.stdout).toContain('DfE applications pulled (all)');
      expect(first.stdout).toContain('received: 5; new: 5');
      const again = await cli(['dfe', 'pull'], on());
      expect(again.stdout).toMatch(
        /DfE applications pulled \(changed since .+\)\. Pages: 1; received: 0; new: 0/,
      );
      const database = await t.open();
      const rows = await queryRows<{ dfe_id: string }>(
        database.db,
        sql`select dfe_id from dfe_application order by dfe_id`,
      );
      await database.close();
      expect(rows.map((r) => r.dfe_id)).toEqual(apps.map((a) => a.id).sort());
    },
  );

  it(
    'send delivers a decision waiting in the DfE outbox once, and run (its alias) finds nothing more',
    { timeout: 300_000 },
    async () => {
      const target = apps[0]!;
      const database = await t.open();
      const [app] = await queryRows<{ id: number }>(
        database.db,
        sql`select id from dfe_application where dfe_id = ${target.id}`,
      );
      await database.db.transaction((tx) =>
        enqueueApplicationDecision(tx, {
          key: `reject:application:${app!.id}`,
          action: 'reject',
          applicationId: app!.id,
          attributes: {},
          createdBy: 'test',
          at: new Date(),
        }),
      );
      await database.close();
      expect(fake.state.applications.get(target.id)!.attributes.status).toBe('pending');

      const sent = await cli(['dfe', 'send'], on());
      expect(sent.code).toBe(0);
      expect(sent.stdout).toContain('DfE outbox: sent 1;');
      expect(fake.state.applications.get(target.id)!.attributes.status).toBe('rejected');

      const again = await cli(['dfe', 'run'], on());
      expect(again.stdout).toContain('DfE outbox: sent 0;');
      const rejects = fake.state.requests.filter((r) => r.path.endsWith(`${target.id}/reject`));
      expect(rejects).toHaveLength(1);
    },
  );

  it('statements reads the DfE statements', { timeout: 300_000 }, async () => {
    const r = await cli(['dfe', 'statements'], on());
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/DfE statements read: .*"statements":[1-9]/);
  });

  it(
    'milestones lists the dates and set enters a year, refusing nonsense field by field (no DfE needed)',
    { timeout: 300_000 },
    async () => {
      const off = { DFE_API_URL: '', DFE_API_TOKEN: '' };
      const listed = await cli(['dfe', 'milestones'], off);
      expect(listed.code).toBe(0);
      expect(listed.stdout.trim().split('\n')).toHaveLength(8);
      expect(listed.stdout).toContain(
        '2025 npq-leadership-spring  started 2025-05-30  retained-1 2025-12-19  retained-2 2026-07-24  completed 2027-02-25',
      );
      const bad = await cli(
        [
          'dfe',
          'milestones',
          'set',
          '--year',
          '2026',
          '--schedule',
          'npq-specialist-spring',
          '--started',
          '2026-06-01',
          '--retained-1',
          '2026-05-01',
          '--completed',
          '2027-08-20',
        ],
        off,
      );
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain(
        'retained1On: The retained-1 milestone must open after the started milestone (2026-06-01)',
      );
      const good = await cli(
        [
          'dfe',
          'milestones',
          'set',
          '--year',
          '2026',
          '--schedule',
          'npq-specialist-spring',
          '--started',
          '2026-01-09',
          '--retained-1',
          '2026-06-05',
          '--completed',
          '2027-08-20',
        ],
        off,
      );
      expect(good.code).toBe(0);
      expect(good.stdout).toContain('Entered the 2026 npq-specialist-spring milestone dates');
      const after = await cli(['dfe', 'milestones'], off);
      expect(after.stdout.trim().split('\n')[0]).toBe(
        '2026 npq-specialist-spring  started 2026-01-09  retained-1 2026-06-05  retained-2 -           completed 2027-08-20',
      );
    },
  );
});
