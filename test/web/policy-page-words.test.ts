import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import {
  approveDeferral,
  recordDeferralDiscussion,
  requestDeferral,
} from '../../src/services/deferral-cases.js';
import { createDemoWorld, pageText, type DemoWorld, type Session } from '../support/demo-world.js';
import { formFields } from '../support/forms.js';
import { multipartBody } from '../support/multipart.js';
import { TEAM, approveVersion } from '../support/policy-versions.js';
import { exchangeKeys, prepareTransfer } from '../support/transfer-worlds.js';
import { signTransferPackage } from '../../src/services/transfers/package.js';

/**
 * Issue 16, the words on the pages: version 2.4 comes into force on 4 June 2026 with a 95%
 * threshold, 10-day assessment windows, 3 attempts, other notice periods (clinics 70 days,
 * conferences 60, community sessions 30) and modules released 10 days ahead. On 3 June every page
 * still says 2.2's numbers (90%, 8 days, two attempts); on 4 June 2.4's. The world's today is
 * 3 June, inside NPQLT's first window (2 to 9 June), so participant 5 (100% engaged) is entered.
 */
let w: DemoWorld;
const BEFORE = '2026-06-03T12:00:00Z';
const ON = '2026-06-04T12:00:00Z';
const P1 = 'participant1@demo.npq-ops.test';
const P5 = 'participant5@demo.npq-ops.test';
const sessions: Record<string, Session> = {};
const at = (iso: string) => {
  w.clock.now = () => new Date(iso);
};

beforeAll(async () => {
  w = await createDemoWorld({ now: new Date(BEFORE) });
  await approveVersion(
    w,
    '2.4',
    {
      engagementThresholdBp: '95',
      assessmentWindowDays: '10',
      assessmentAttempts: '3',
      moduleReleaseLeadDays: '10',
      'eventNoticeDays.clinic': '70',
      'eventNoticeDays.conference': '60',
      'eventNoticeDays.community_session': '30',
    },
    '2026-06-04',
  );
  for (const email of [P1, P5, TEAM]) sessions[email] = await w.signIn(email);
}, 180_000);
afterAll(async () => {
  await w?.destroy();
});

/** The page's visible text as `email` sees it on the day `iso`. */
async function textOn(iso: string, email: string, url: string): Promise<string> {
  at(iso);
  const res = await sessions[email]!.request({ method: 'GET', url });
  expect(res.statusCode, url).toBe(200);
  return pageText(res.body);
}

/** The same page on 3 June (under 2.2) and on 4 June (under 2.4). */
async function beforeAndOn(email: string, url: string): Promise<[string, string]> {
  return [await textOn(BEFORE, email, url), await textOn(ON, email, url)];
}

async function enrolmentOf(email: string): Promise<{ id: number; participant_id: number }> {
  const [row] = await queryRows<{ id: number; participant_id: number }>(
    w.t.db,
    sql`select e.id, e.participant_id from enrolment e join participant p on p.id = e.participant_id
        where p.email = ${email} and e.status = 'active' order by e.id limit 1`,
  );
  return row!;
}

describe('participant pages', () => {
  it('Assessment: the window length, the attempts and the threshold of the day', async () => {
    const [before, on] = await beforeAndOn(P5, '/assessment');
    // Participant 5's own window (2 to 9 June) was set up under 2.2: it stays 8 days long.
    expect(before).toContain('Your assessment window is 8 days long.');
    expect(before).toContain('Attempts left 2 of 2');
    expect(before).toContain('Uploading your assessment uses attempt 1 of 2.');
    expect(before).toContain('you lose one of your two attempts.');
    expect(on).toContain('Your assessment window is 8 days long.');
    expect(on).toContain('Attempts left 3 of 3');
    expect(on).toContain('Uploading your assessment uses attempt 1 of 3.');
    expect(on).toContain('you lose one of your three attempts.');
    expect(on).not.toMatch(/10 days|of 2\b|two attempts/);
    // Before the deadline (11 September) participant 1's eligibility is not decided yet.
    const [notYet, notYetOn] = await beforeAndOn(P1, '/assessment');
    expect(notYet).toContain('if you have engaged with at least 90% of your programme by');
    expect(notYetOn).toContain('if you have engaged with at least 95% of your programme by');
  });

  it('Ask for an assessment deferral: "You have met the 95% requirement"', async () => {
    const [before, on] = await beforeAndOn(P5, '/assessment/deferral');
    expect(before).toContain('You have met the 90% requirement and are entered');
    expect(on).toContain('You have met the 95% requirement and are entered');
  });

  it('My calendar: "the deadline for 95% engagement"', async () => {
    const [before, on] = await beforeAndOn(P1, '/calendar');
    expect(before).toContain('the deadline for 90% engagement');
    expect(on).toContain('the deadline for 95% engagement');
  });

  it('My programme: the activity table "Counts towards 95%"', async () => {
    const [before, on] = await beforeAndOn(P1, '/my-programme');
    expect(before).toContain('Counts towards 90%');
    expect(on).toContain('Counts towards 95%');
    expect(on).not.toContain('90%');
  });

  it('the privacy notice: "the DfE\'s 95% requirement"', async () => {
    const [before, on] = await beforeAndOn(P1, '/privacy');
    expect(before).toContain("against the DfE's 90% requirement");
    expect(on).toContain("against the DfE's 95% requirement");
  });
});

describe('staff pages', () => {
  it("a participant's record: engagement against the 95% requirement", async () => {
    const { participant_id } = await enrolmentOf(P5);
    const [before, on] = await beforeAndOn(TEAM, `/participants/${participant_id}`);
    expect(before).toContain('100.0% (meets 90%)');
    expect(before).toContain('Engagement against the 90% requirement');
    expect(on).toContain('100.0% (meets 95%)');
    expect(on).toContain('Engagement against the 95% requirement');
  });

  it('setting up a cohort: the threshold, window length, lead time and notice periods of the day', async () => {
    const [before, on] = await beforeAndOn(TEAM, '/cohorts/new');
    expect(before).toContain(
      'the 90% engagement deadline and two assessment windows of 8 days each.',
    );
    expect(before).toContain('Usually 7 (a week); from 0 to 28.');
    expect(on).toContain('the 95% engagement deadline and two assessment windows of 10 days each.');
    expect(on).toContain('Usually 10; from 0 to 28.');
    at(ON);
    const form = await sessions[TEAM]!.request({ method: 'GET', url: '/cohorts/new' });
    expect(formFields(form.body, '/cohorts/new').releaseLeadDays).toBe('10');

    const [programme] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select p.id from programme p join course co on co.id = p.course_id
          where co.identifier = 'npq-early-years-leadership' order by p.id limit 1`,
    );
    const scheduleOn = async (iso: string) => {
      at(iso);
      const res = await sessions[TEAM]!.request({
        method: 'POST',
        url: '/cohorts/new',
        payload: {
          programmeId: String(programme!.id),
          startDate: '2027-10-04',
          clinicCapacity: '20',
        },
      });
      expect(res.statusCode).toBe(200);
      return { text: pageText(res.body), fields: formFields(res.body, '/cohorts') };
    };
    const draft22 = await scheduleOn(BEFORE);
    expect(draft22.text).toContain('Deadline for 90% engagement');
    expect(draft22.text).toContain(
      "Clinics, conferences and assessment windows need 6 weeks' notice; community sessions 2 weeks.",
    );
    expect(draft22.text).toContain('From 0 to 28; usually 7.');
    expect(draft22.text).toMatch(/8 days: closes \d+ \w+ \d{4}/);
    expect(draft22.fields.releaseLeadDays).toBe('7');
    const draft24 = await scheduleOn(ON);
    expect(draft24.text).toContain('Deadline for 95% engagement');
    expect(draft24.text).toContain(
      "Clinics need 10 weeks' notice; conferences 60 days; assessment windows 6 weeks; community sessions 30 days.",
    );
    expect(draft24.text).toContain('From 0 to 28; usually 10.');
    expect(draft24.text).toMatch(/10 days: closes \d+ \w+ \d{4}/);
    expect(draft24.text).not.toContain('8 days');
    expect(draft24.fields.releaseLeadDays).toBe('10');
  });

  it('a deferral case and the re-join planner: "New deadline for 95% engagement"', async () => {
    const e = await enrolmentOf(P1);
    const planUrl = `/participants/${e.participant_id}/rejoin-plan?enrolment=${e.id}`;
    const [planBefore, planOn] = await beforeAndOn(TEAM, planUrl);
    expect(planBefore).toContain('New deadline for 90% engagement');
    expect(planOn).toContain('New deadline for 95% engagement');

    at(BEFORE);
    const staff = await w.actor(TEAM);
    const deps = { db: w.t.db, clock: w.clock };
    let c = await requestDeferral(deps, staff, {
      enrolmentId: e.id,
      circumstance: 'maternity_leave',
      description: 'Baby due in July',
    });
    c = await recordDeferralDiscussion(deps, staff, c.id, {
      expectedVersion: c.version,
      alternativesOffered: ['defer', 'continue_with_current_cohort'],
      participantChoice: 'defer',
    });
    c = await approveDeferral(deps, staff, c.id, { expectedVersion: c.version });
    for (const url of [`/cases/deferrals/${c.id}`, `/cases/deferrals/${c.id}/plan`]) {
      const [before, on] = await beforeAndOn(TEAM, url);
      expect(before, url).toContain('New deadline for 90% engagement');
      expect(on, url).toContain('New deadline for 95% engagement');
    }
  });

  it('the home page, a cohort dashboard and the reports', async () => {
    const [home, homeOn] = await beforeAndOn(TEAM, '/');
    expect(home).toContain('an open engagement alert: 90% can no longer be reached');
    expect(homeOn).toContain('an open engagement alert: 95% can no longer be reached');

    // The cohort dashboard: its deadline row and its "coming up" list.
    const [cohort] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select e.cohort_id as id from enrolment e join participant p on p.id = e.participant_id
          where p.email = ${P1} order by e.id limit 1`,
    );
    const [dashboard, dashboardOn] = await beforeAndOn(TEAM, `/cohorts/${cohort!.id}`);
    expect(dashboard.match(/Deadline for 90% engagement/g)).toHaveLength(2);
    expect(dashboardOn.match(/Deadline for 95% engagement/g)).toHaveLength(2);

    const [reports, reportsOn] = await beforeAndOn(TEAM, '/reports');
    expect(reports).toContain('the threshold in force that week: 90% today');
    expect(reportsOn).toContain('the threshold in force that week: 95% today');
    expect(reportsOn).not.toContain('90%');
  });

  it('an alert says the threshold it was raised against, from its details', async () => {
    const e = await enrolmentOf(P1);
    await w.t.db.execute(
      sql`insert into engagement_alert (kind, enrolment_id, raised_on, details)
          values ('engagement_behind', ${e.id}, '2026-06-04', '{"thresholdBp": 9500}'::jsonb),
                 ('engagement_unreachable', ${e.id}, '2026-06-04', '{}'::jsonb)
          on conflict (kind, enrolment_id) do update set details = excluded.details, cleared_on = null`,
    );
    at(ON);
    const res = await sessions[P1]!.request({
      method: 'GET',
      url: `/api/v1/enrolments/${e.id}/engagement`,
    });
    expect(res.statusCode).toBe(200);
    const labels = (res.json() as { openAlerts: { kind: string; label: string }[] }).openAlerts
      .map((a) => [a.kind, a.label])
      .sort();
    expect(labels).toEqual([
      ['engagement_behind', 'Behind: projected below 95% at the current pace'],
      ['engagement_unreachable', 'The engagement threshold can no longer be reached'],
    ]);
  });
});

describe('checking a transfer package before importing it', () => {
  let sender: DemoWorld;
  beforeAll(async () => {
    sender = await createDemoWorld({ participants: 12, ownPglite: true, now: new Date(BEFORE) });
  }, 180_000);
  afterAll(async () => {
    await sender?.destroy();
  });

  it('prior learning counts towards the 95% engagement requirement from 4 June', async () => {
    const { transferId } = await prepareTransfer(sender);
    await exchangeKeys(sender, w);
    const pkg = await signTransferPackage(
      { db: sender.t.db, clock: sender.clock },
      await sender.actor(TEAM),
      transferId,
    );
    const [target] = await queryRows<{ cohort_id: number; partner_id: number }>(
      w.t.db,
      sql`select e.cohort_id, e.delivery_partner_id as partner_id from enrolment e
          where e.participant_id = 2 order by e.id limit 1`,
    );
    const checkOn = async (iso: string) => {
      at(iso);
      const session = sessions[TEAM]!;
      const body = multipartBody(
        {
          _csrf: session.csrf,
          cohortId: String(target!.cohort_id),
          deliveryPartnerId: String(target!.partner_id),
        },
        { field: 'package', name: 'transfer.jws', type: 'application/jose', content: pkg.jws },
      );
      const res = await session.request({
        method: 'POST',
        url: '/transfers/import',
        payload: body.payload,
        headers: body.headers,
      });
      expect(res.statusCode).toBe(200);
      return pageText(res.body);
    };
    expect(await checkOn(BEFORE)).toContain(
      'counts their prior learning towards the 90% engagement requirement',
    );
    expect(await checkOn(ON)).toContain(
      'counts their prior learning towards the 95% engagement requirement',
    );
  });
});

describe('a cohort with no assessment window yet', () => {
  it('Assessment: the window length of the version of the day', async () => {
    // Participant 4 moves to a cohort of its own that has no window (as a new cohort starts).
    const enrolment = await enrolmentOf('participant4@demo.npq-ops.test');
    await w.t.db.transaction(async (tx) => {
      const [cohort] = await queryRows<{ id: number }>(
        tx,
        sql`insert into cohort (lead_provider_id, programme_id, year, name, start_date, engagement_deadline, end_date)
            select lead_provider_id, programme_id, year + 10, name || ' (no window)', start_date, engagement_deadline, end_date
            from cohort where id = (select cohort_id from enrolment where id = ${enrolment.id})
            returning id`,
      );
      await tx.execute(sql`delete from assessment_entry where enrolment_id = ${enrolment.id}`);
      await tx.execute(
        sql`update enrolment set cohort_id = ${cohort!.id} where id = ${enrolment.id}`,
      );
    });
    sessions.p4 = await w.signIn('participant4@demo.npq-ops.test');
    const [before, on] = await beforeAndOn('p4', '/assessment');
    expect(before).toContain('No assessment window is scheduled for your cohort yet.');
    expect(before).toContain('The assessment takes place in a window of 8 days.');
    expect(on).toContain('The assessment takes place in a window of 10 days.');
  });
});
