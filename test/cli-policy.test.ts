import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../src/db/client.js';
import { addDays, londonDateOf } from '../src/policy/index.js';
import { createCliDatabase, type CliDatabase } from './support/cli-database.js';

/**
 * `npx npq-ops policy versions | draft | what-if | approve` and `npx npq-ops reports` as an
 * operator runs them (issue 16): the same services as the register pages, the what-if and the
 * reports (authorisation, a read-only what-if, audit), on the real clock.
 */
let t: CliDatabase;
const cli = (...args: string[]) => t.cli(args);
const TEAM = 'programme.team@demo.npq-ops.test';
const ADMIN = 'admin@demo.npq-ops.test';
const PARTNER = 'partner.north@demo.npq-ops.test';
// The CLI runs on the real clock: dates far enough from today that a run across midnight passes.
const today = londonDateOf(new Date());
const inForceFrom = addDays(today, 30);
const nextReview = addDays(today, 365);

async function counts(): Promise<{ audit: number; versions: number }> {
  const database = await t.open();
  try {
    const [row] = await queryRows<{ audit: number; versions: number }>(
      database.db,
      sql`select (select count(*)::int from audit_event) as audit,
                 (select count(*)::int from policy_version) as versions`,
    );
    return row!;
  } finally {
    await database.close();
  }
}

beforeAll(async () => {
  t = await createCliDatabase('cli-policy');
  const seeded = await cli('seed', '--demo', '--participants', '12');
  expect(seeded.code, seeded.stderr).toBe(0);
}, 300_000);
afterAll(async () => {
  await t?.destroy();
});

describe('npq-ops policy', () => {
  it(
    'lists the register, drafts 2.3 at 95%, tries it with the what-if (nothing written) and has it approved by someone else',
    { timeout: 300_000 },
    async () => {
      const listed = await cli('policy', 'versions', '--as', TEAM);
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout).toMatch(/^2\.2\tin force\tissued 2025-08-\d\d/m);
      expect(listed.stdout.trim().split('\n')).toHaveLength(4);

      // A draft needs a summary; a field that does not exist is named with the ones that do.
      const noSummary = await cli('policy', 'draft', '2.3', '--as', TEAM);
      expect(noSummary.code).toBe(2);
      expect(noSummary.stderr).toContain('summary: Enter a summary of the changes');
      const unknown = await cli('policy', 'draft', '2.3', '--as', TEAM, '--set', 'threshold=95');
      expect(unknown.code).not.toBe(0);
      expect(unknown.stderr).toContain('unknown field threshold');
      expect(unknown.stderr).toContain('engagementThresholdBp');
      const outOfRange = await cli(
        'policy',
        'draft',
        '2.3',
        '--as',
        TEAM,
        '--summary',
        'Threshold raised',
        '--set',
        'assessmentAttempts=9',
      );
      expect(outOfRange.code).toBe(2);
      expect(outOfRange.stderr).toContain('assessmentAttempts');

      // A refused edit saves nothing, not even the start of the draft.
      expect((await counts()).versions).toBe(4);
      const drafted = await cli(
        'policy',
        'draft',
        '2.3',
        '--as',
        TEAM,
        '--summary',
        'Engagement threshold raised to 95%',
        '--next-review',
        nextReview,
        '--set',
        'engagementThresholdBp=95',
      );
      expect(drafted.code, drafted.stderr).toBe(0);
      expect(drafted.stdout).toContain('Draft 2.3 saved');
      expect(drafted.stdout).toContain('engagementThresholdBp = 95%');
      expect(drafted.stdout).toContain('assessmentAttempts = 2');

      const before = await counts();
      const json = await cli('policy', 'what-if', '2.3', '--as', TEAM, '--json');
      expect(json.code, json.stderr).toBe(0);
      const result = JSON.parse(json.stdout) as {
        comparedWith: string;
        enrolmentsConsidered: number;
        changedParameters: { field: string; from: string; to: string }[];
      };
      expect(result.comparedWith).toBe('2.2');
      expect(result.enrolmentsConsidered).toBeGreaterThan(0);
      expect(result.changedParameters).toEqual([
        expect.objectContaining({ field: 'engagementThresholdBp', from: '90%', to: '95%' }),
      ]);
      const text = await cli('policy', 'what-if', '2.3', '--as', TEAM, '--cohort', '1');
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(/^Version 2\.3 against 2\.2 \(in force on \d{4}-\d\d-\d\d\)/);
      expect(text.stdout).toContain('Engagement needed to sit the assessment: 90% → 95%');
      const csv = await cli('policy', 'what-if', '2.3', '--as', TEAM, '--csv');
      expect(csv.code).toBe(0);
      expect(csv.stdout.split('\r\n')[0]).toBe(
        'Participant ID,Enrolment ID,Name,Delivery partner,Cohort ID,Outcome,Under the version in force,Under this version,Clause,Parameter,Why',
      );
      expect(await counts()).toEqual(before);
      // Partner staff may read the register but not run the what-if.
      const partnerTry = await cli('policy', 'what-if', '2.3', '--as', PARTNER);
      expect(partnerTry.code).toBe(2);

      // The person who drafted it cannot approve it; the admin can, from a month on.
      const own = await cli(
        'policy',
        'approve',
        '2.3',
        '--as',
        TEAM,
        '--in-force-from',
        inForceFrom,
        '--approver',
        'Programme Operations Committee',
      );
      expect(own.code).toBe(2);
      const approved = await cli(
        'policy',
        'approve',
        '2.3',
        '--as',
        ADMIN,
        '--in-force-from',
        inForceFrom,
        '--approver',
        'Programme Operations Committee',
      );
      expect(approved.code, approved.stderr).toBe(0);
      expect(approved.stdout).toContain(
        `Version 2.3 approved by Programme Operations Committee: in force from ${inForceFrom} (reference POLICY-2.3).`,
      );
      const after = await cli('policy', 'versions', '--as', PARTNER);
      expect(after.code).toBe(0);
      expect(after.stdout).toMatch(
        new RegExp(`^2\\.3\\tapproved, not yet in force\\tissued ${inForceFrom}`, 'm'),
      );
      const edited = await cli(
        'policy',
        'draft',
        '2.3',
        '--as',
        TEAM,
        '--set',
        'assessmentAttempts=3',
      );
      expect(edited.code).toBe(2);
      expect(edited.stderr).toContain('not a draft');
    },
  );
});

describe('npq-ops reports', () => {
  it('prints a report table as CSV; partner staff get their own participants only', async () => {
    const team = await cli('reports', '--as', TEAM, '--by', 'partner');
    expect(team.code, team.stderr).toBe(0);
    const lines = team.stdout.trim().split('\r\n');
    expect(lines[0]).toMatch(/^partner,accepted,commenced,/);
    const totalOf = (csvLines: string[]) => Number(csvLines.at(-1)!.split(',')[1]);
    expect(lines.at(-1)).toMatch(/^Total,/);
    const partner = await cli('reports', '--as', PARTNER, '--by', 'partner');
    expect(partner.code, partner.stderr).toBe(0);
    const own = partner.stdout.trim().split('\r\n');
    expect(own).toHaveLength(3); // header, North, total
    expect(totalOf(own)).toBeLessThan(totalOf(lines));
    expect(totalOf(own)).toBeGreaterThan(0);
    const withdrawals = await cli('reports', '--as', TEAM, '--table', 'withdrawals');
    expect(withdrawals.code).toBe(0);
    expect(withdrawals.stdout.split('\r\n')[0]).toBe('dfe_reason,participants');
    const bad = await cli('reports', '--as', TEAM, '--pattern', 'sometimes');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('must be one of full_time, part_time');
    const coach = await cli('reports', '--as', 'coach@demo.npq-ops.test');
    expect(coach.code).toBe(2);
  }, 300_000);
});
