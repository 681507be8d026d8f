import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { fixedClock } from '../../src/clock.js';
import { queryRows } from '../../src/db/client.js';
import { seedCatalogue } from '../../src/db/seed/catalogue.js';
import { DEFAULT_DEMO_NOW, seedDemo } from '../../src/db/seed/demo.js';
import { loadActor, type Actor } from '../../src/services/actor.js';
import { runDailyProcessing } from '../../src/services/daily.js';
import {
  approveDraft,
  createDraft,
  formValuesOf,
  updateDraft,
  valuesFromForm,
} from '../../src/services/policy-register.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

let t: TestDatabase;
let team: Actor;
let admin: Actor;

async function actorOf(email: string): Promise<Actor> {
  const [row] = await queryRows<{ id: number }>(
    t.db,
    sql`select id from app_user where email = ${email}`,
  );
  return (await loadActor(t.db, row!.id))!;
}

/** The daily job on a fixed clock (09:00 London in summer is 08:00 UTC). */
async function dailyOn(day: string) {
  const clock = fixedClock(`${day}T08:00:00Z`);
  return runDailyProcessing({ db: t.db, clock, wallClock: clock, publicUrl: 'https://npq.test' });
}

const reviewEmails = () =>
  queryRows<{ to_email: string; personalisation: Record<string, string> }>(
    t.db,
    sql`select to_email, personalisation from email_message where template = 'policy_review_due' order by id`,
  );
const reviewTasks = () =>
  queryRows<{ due_on: string; status: string; version: string }>(
    t.db,
    sql`select to_char(st.due_on, 'YYYY-MM-DD') as due_on, st.status, v.version
        from staff_task st join policy_version v on v.id = st.policy_version_id
        where st.kind = 'policy_review' order by st.id`,
  );

beforeAll(async () => {
  t = await createTestDatabase();
  await seedCatalogue(t.db);
  await seedDemo(t.db, { participants: 4, withUsers: true, now: DEFAULT_DEMO_NOW });
  team = await actorOf('programme.team@demo.npq-ops.test');
  admin = await actorOf('admin@demo.npq-ops.test');
});
afterAll(async () => {
  await t.destroy();
});

describe('review due (3.1.1): a task and a notice reach the policy owner before the review date', () => {
  it('60 days before 1 July 2026, once: v2.2 has no owner email, so the admins and programme team are told', async () => {
    expect((await dailyOn('2026-05-01')).policyReviewTasksOpened).toBe(0);
    expect(await reviewEmails()).toEqual([]);

    const report = await dailyOn('2026-05-02');
    expect(report.policyReviewTasksOpened).toBe(1);
    expect(await reviewTasks()).toEqual([{ due_on: '2026-07-01', status: 'open', version: '2.2' }]);
    const emails = await reviewEmails();
    expect(emails.map((e) => e.to_email).sort()).toEqual([admin.email, team.email].sort());
    expect(emails[0]!.personalisation).toMatchObject({
      owner: 'Director, NPQ Programmes',
      version: '2.2',
      due: '1 July 2026',
      link: 'https://npq.test/policy-register',
    });
    const [auditRow] = await queryRows<{ details: { clause: string } }>(
      t.db,
      sql`select details from audit_event where what = 'POLICY_REVIEW_DUE'`,
    );
    expect(auditRow!.details.clause).toBe('3.1.1');

    // Never twice, however often the job runs.
    expect((await dailyOn('2026-05-02')).policyReviewNoticesQueued).toBe(0);
    expect((await dailyOn('2026-06-20')).policyReviewNoticesQueued).toBe(0);
    expect(await reviewEmails()).toHaveLength(2);
  });

  it('approving the next version closes the task; its owner email gets the next notice', async () => {
    const clock = fixedClock('2026-06-22T09:00:00Z');
    const draft = await createDraft({ db: t.db, clock }, team, {
      version: '2.3',
      summary: 'Annual review',
    });
    await updateDraft({ db: t.db, clock }, team, '2.3', {
      revision: draft.revision,
      summary: 'Annual review',
      owner: 'Director, NPQ Programmes',
      ownerEmail: 'npq.director@provider.test',
      appliesTo: draft.appliesTo!,
      nextReviewOn: '2027-07-01',
      values: valuesFromForm(formValuesOf(draft.parameters!)),
    });
    await approveDraft({ db: t.db, clock }, admin, '2.3', {
      revision: draft.revision + 1,
      issuedOn: '2026-07-01',
      approver: 'Programme Operations Committee',
    });
    expect((await reviewTasks())[0]!.status).toBe('done');

    expect((await dailyOn('2027-05-01')).policyReviewNoticesQueued).toBe(0);
    expect((await dailyOn('2027-05-02')).policyReviewNoticesQueued).toBe(1);
    const emails = await reviewEmails();
    expect(emails.at(-1)).toMatchObject({
      to_email: 'npq.director@provider.test',
      personalisation: { version: '2.3', due: '1 July 2027' },
    });
    expect((await reviewTasks()).at(-1)).toEqual({
      due_on: '2027-07-01',
      status: 'open',
      version: '2.3',
    });
  });
});
