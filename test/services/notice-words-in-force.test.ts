import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { fixedClock } from '../../src/clock.js';
import { queryRows } from '../../src/db/client.js';
import { renderEmail, type EmailTemplateKey } from '../../src/domain/email-templates.js';
import { londonInstant } from '../../src/domain/london-time.js';
import { addDays } from '../../src/policy/index.js';
import { runDailyProcessing } from '../../src/services/daily.js';
import { queueDueNotices } from '../../src/services/notices/daily-notices.js';
import { createDemoWorld, type DemoWorld } from '../support/demo-world.js';
import { approveVersion } from '../support/policy-versions.js';

/**
 * Issue 16 (3.1.1): the engagement notices name the threshold of the version in force on the day
 * they are queued. Version 2.4 (95%) comes into force ten days before a cohort's engagement
 * deadline: the four-week notice still says 90% (2.2), the one-week notice and the "can no longer
 * be reached" notices queued after it say 95%.
 */
let w: DemoWorld;
let deadline: string;
const PUBLIC = 'https://npq.example.test';
const jobAt = (day: string) => londonInstant(day, '02:15');

beforeAll(async () => {
  w = await createDemoWorld({ participants: 40 });
  await w.t.db.execute(
    sql`update delivery_partner set contact_email = slug || '@partner.example.test'`,
  );
  const [cohort] = await queryRows<{ deadline: string }>(
    w.t.db,
    sql`select c.engagement_deadline::text as deadline from cohort c
        where c.engagement_deadline > '2026-04-20'
          and exists (select 1 from enrolment e where e.cohort_id = c.id and e.status = 'active')
        order by c.engagement_deadline limit 1`,
  );
  deadline = cohort!.deadline;
  await approveVersion(w, '2.4', { engagementThresholdBp: '95' }, addDays(deadline, -10));
}, 180_000);
afterAll(async () => {
  await w?.destroy();
});

interface Msg {
  template: EmailTemplateKey;
  notice_key: string;
  personalisation: Record<string, string>;
}

async function messages(template: string, keyLike: string): Promise<Msg[]> {
  return queryRows<Msg>(
    w.t.db,
    sql`select template, notice_key, personalisation from email_message
        where template = ${template} and notice_key like ${keyLike} order by notice_key`,
  );
}

describe('engagement notices follow the version in force', () => {
  it('the deadline notices: 90% four weeks before (2.2), 95% one week before (2.4)', async () => {
    const day4 = addDays(deadline, -28);
    await w.t.db.transaction((tx) =>
      queueDueNotices(tx, { today: day4, at: jobAt(day4), publicUrl: PUBLIC }),
    );
    const four = await messages('notice_deadline', `deadline_4w:%:${deadline}`);
    expect(four.length).toBeGreaterThan(0);
    for (const m of four) {
      expect(m.personalisation.threshold).toBe('90%');
      const { body } = renderEmail(m.template, m.personalisation);
      expect(body).toContain('engage with at least 90% of the programme');
      expect(body).toMatch(/You (have reached|can still reach) 90%\./);
      expect(body).not.toContain('95%');
    }

    const day1 = addDays(deadline, -7);
    await w.t.db.transaction((tx) =>
      queueDueNotices(tx, { today: day1, at: jobAt(day1), publicUrl: PUBLIC }),
    );
    const one = await messages('notice_deadline', `deadline_1w:%:${deadline}`);
    expect(one.length).toBeGreaterThan(0);
    for (const m of one) {
      expect(m.personalisation.threshold).toBe('95%');
      const { body } = renderEmail(m.template, m.personalisation);
      expect(body).toContain('engage with at least 95% of the programme');
      expect(body).toMatch(/You (have reached|can still reach) 95%\./);
      expect(body).not.toContain('90%');
    }
  });

  it('"can no longer be reached", to the participant and the partner, under 2.4', async () => {
    const day = addDays(deadline, -6);
    const clock = fixedClock(jobAt(day));
    await runDailyProcessing({ db: w.t.db, clock, wallClock: clock, publicUrl: PUBLIC });
    const mine = await messages('notice_unreachable', 'unreachable:%');
    const partners = await messages('notice_unreachable_partner', 'unreachable_partner:%');
    expect(mine.length).toBeGreaterThan(0);
    expect(partners).toHaveLength(mine.length);
    for (const m of mine) {
      const { subject, body } = renderEmail(m.template, m.personalisation);
      expect(subject).toBe('95% engagement can no longer be reached');
      expect(body).toContain('you cannot now reach the 95% the DfE requires');
    }
    for (const m of partners) {
      const { subject, body } = renderEmail(m.template, m.personalisation);
      expect(subject).toMatch(/^A participant can no longer reach 95%: /);
      expect(body).toContain('can no longer reach 95% by');
    }
  });

  it('messages queued before the threshold became a placeholder still render, saying 90%', async () => {
    const [row] = await queryRows<{ id: number }>(
      w.t.db,
      sql`insert into email_message (template, to_email, personalisation, subject_type, subject_id, notice_key)
          values ('notice_unreachable', 'old@example.test',
                  ${JSON.stringify({
                    name: 'Old Message',
                    figure: '41%',
                    programme: 'NPQ for Senior Leadership',
                    deadline: '1 May 2026',
                    delivery_partner: 'A partner',
                    contact: 'a@partner.example.test',
                    link: 'https://npq.example.test/my-programme',
                  })}::jsonb, 'enrolment', '0', 'unreachable:old')
          returning id`,
    );
    const [before] = await queryRows<Msg>(
      w.t.db,
      sql`select template, notice_key, personalisation from email_message where id = ${row!.id}`,
    );
    expect(() => renderEmail(before!.template, before!.personalisation)).toThrow(/threshold/);
    const migration = await readFile(
      new URL('../../drizzle/0024_notice_threshold.sql', import.meta.url),
      'utf8',
    );
    await w.t.db.execute(sql.raw(migration));
    const [after] = await queryRows<Msg>(
      w.t.db,
      sql`select template, notice_key, personalisation from email_message where id = ${row!.id}`,
    );
    expect(renderEmail(after!.template, after!.personalisation).subject).toBe(
      '90% engagement can no longer be reached',
    );
    // Messages that already name their threshold keep it.
    const named = await messages('notice_unreachable', 'unreachable:%');
    expect(
      named
        .filter((m) => m.notice_key !== 'unreachable:old')
        .every((m) => m.personalisation.threshold === '95%'),
    ).toBe(true);
  });
});
