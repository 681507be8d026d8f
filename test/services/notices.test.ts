import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { fixedClock } from '../../src/clock.js';
import { queryRows } from '../../src/db/client.js';
import { cohortEngagement } from '../../src/db/queries/cohort-engagement.js';
import { londonInstant } from '../../src/domain/london-time.js';
import { percentText, sensibleSendTime } from '../../src/domain/notices.js';
import { addDays, formatLongDate } from '../../src/policy/index.js';
import { runDailyProcessing } from '../../src/services/daily.js';
import {
  approveDeferral,
  confirmReturn,
  declineDeferral,
  recordDeferralDiscussion,
  requestDeferral,
  resumeFromDeferral,
  startDeferral,
} from '../../src/services/deferral-cases.js';
import { bookEvent } from '../../src/services/bookings.js';
import { recordSchoolMove } from '../../src/services/school-moves.js';
import { queueDueNotices } from '../../src/services/notices/daily-notices.js';
import { setNoticeSettings } from '../../src/services/notices/messages.js';
import { createDemoWorld, type DemoWorld } from '../support/demo-world.js';

let w: DemoWorld;
const PUBLIC = 'https://npq.example.test';

beforeAll(async () => {
  w = await createDemoWorld({ participants: 40 });
  // Partners' contact addresses, where "tell the delivery partner" notices go.
  await w.t.db.execute(
    sql`update delivery_partner set contact_email = slug || '@partner.example.test', contact_phone = '0113 496 0000'`,
  );
}, 120_000);
afterAll(async () => {
  await w?.destroy();
});

/** The daily job's time on a London day: 02:15, as scheduled. */
const jobAt = (day: string) => londonInstant(day, '02:15');

async function queue(day: string) {
  return w.t.db.transaction((tx) =>
    queueDueNotices(tx, { today: day, at: jobAt(day), publicUrl: PUBLIC }),
  );
}

interface Msg {
  template: string;
  to_email: string;
  notice_key: string;
  link_path: string;
  personalisation: Record<string, string>;
  next_attempt_at: Date | string;
  subject_id: string;
}

async function messages(template: string, keyLike = '%'): Promise<Msg[]> {
  return queryRows<Msg>(
    w.t.db,
    sql`select template, to_email, notice_key, link_path, personalisation, next_attempt_at, subject_id
        from email_message where template = ${template} and notice_key like ${keyLike} order by notice_key`,
  );
}

const emailsOf = async (sqlText: ReturnType<typeof sql>) =>
  (await queryRows<{ email: string }>(w.t.db, sqlText)).map((r) => r.email).sort();

describe('when a message goes out', () => {
  it('sends in the daytime in England: now between 8am and 8pm, otherwise at the next 8am', () => {
    const noon = new Date('2026-07-01T11:00:00Z'); // midday BST
    expect(sensibleSendTime(noon)).toEqual(noon);
    expect(sensibleSendTime(new Date('2026-07-01T01:15:00Z'))).toEqual(
      new Date('2026-07-01T07:00:00Z'),
    );
    expect(sensibleSendTime(new Date('2026-01-15T21:30:00Z'))).toEqual(
      new Date('2026-01-16T08:00:00Z'),
    );
    expect(percentText(7250)).toBe('72.5%');
    expect(percentText(9000)).toBe('90%');
  });
});

describe('the daily notices', () => {
  it('behind the ideal window: a gentle nudge at most once a fortnight, not when nudges are off', async () => {
    const day = '2026-03-16';
    const [someone] = await queryRows<{ participant_id: number; email: string }>(
      w.t.db,
      sql`select e.participant_id, p.email from enrolment e join participant p on p.id = e.participant_id
          join app_user u on u.participant_id = p.id
          where e.status = 'active' order by e.id limit 1`,
    );
    const actor = await w.actor(someone!.email);
    await setNoticeSettings({ db: w.t.db, clock: w.clock }, actor, { nudges: false });
    const report = await queue(day);
    expect(report.behindWindow).toBeGreaterThan(0);
    const sent = await messages('notice_behind_window');
    expect(sent.map((m) => m.to_email)).not.toContain(someone!.email);
    for (const m of sent) {
      expect(m.link_path).toBe('/my-programme');
      expect(Number(m.personalisation.sessions)).toBeGreaterThan(0);
      expect(m.personalisation.settings_link).toBe(`${PUBLIC}/messages/settings`);
    }
    // Everyone sent to really is behind: a study session of a module whose window has ended, not done.
    const behind = await emailsOf(
      sql`select distinct p.email from enrolment e join participant p on p.id = e.participant_id
          join cohort_module_release r on r.cohort_id = e.cohort_id and r.ideal_window_end < ${day}::date
          join programme_activity a on a.module_id = r.module_id and a.kind = 'study_session'
          where e.status = 'active' and not exists (select 1 from engagement_record er
            where er.participant_id = p.id and er.activity_id = a.id)`,
    );
    expect(sent.map((m) => m.to_email).sort()).toEqual(behind.filter((e) => e !== someone!.email));
    expect((await queue(addDays(day, 1))).behindWindow).toBe(0);
    expect((await queue(addDays(day, 13))).behindWindow).toBe(0);
    expect((await queue(addDays(day, 14))).behindWindow).toBeGreaterThan(0);
    await setNoticeSettings({ db: w.t.db, clock: w.clock }, actor, { nudges: true });
  });

  it('module released: every participant on that cohort, once, at 8am, linking to My programme', async () => {
    const [release] = await queryRows<{ cohort_id: number; module_id: number; day: string }>(
      w.t.db,
      sql`select r.cohort_id, r.module_id, r.release_date::text as day from cohort_module_release r
          where exists (select 1 from enrolment e where e.cohort_id = r.cohort_id and e.status = 'active')
            and r.release_date > '2026-03-16'
          order by r.release_date limit 1`,
    );
    expect(release).toBeDefined();
    const day = release!.day;
    const expected = await emailsOf(
      sql`select p.email from enrolment e join participant p on p.id = e.participant_id
          where e.cohort_id = ${release!.cohort_id} and e.status in ('accepted', 'active')`,
    );
    expect(expected.length).toBeGreaterThan(0);
    const first = await queue(day);
    const sent = (await messages('notice_module_released')).filter((m) =>
      m.notice_key.endsWith(`:${release!.cohort_id}:${release!.module_id}`),
    );
    expect(sent.map((m) => m.to_email).sort()).toEqual(expected);
    expect(first.moduleReleased).toBeGreaterThanOrEqual(expected.length);
    for (const m of sent) {
      expect(m.link_path).toBe('/my-programme');
      expect(m.personalisation.link).toBe(`${PUBLIC}/my-programme`);
      expect(new Date(m.next_attempt_at)).toEqual(londonInstant(day, '08:00'));
    }
    // The same day again, and the next day (within the grace days): nothing new.
    expect((await queue(day)).moduleReleased).toBe(0);
    expect((await queue(addDays(day, 1))).moduleReleased).toBe(0);
  });

  it('event dates published, two weeks ahead (community sessions and conferences), and the day before a booking', async () => {
    // A date published today (not in advance, as the demo publishes them) is announced that day.
    const [e] = await queryRows<{ id: number }>(
      w.t.db,
      sql`insert into cohort_event (cohort_id, activity_id, starts_at, ends_at, location, published_on)
          select ev.cohort_id, ev.activity_id, '2026-05-20T14:00:00Z', '2026-05-20T15:00:00Z', 'Online', '2026-04-01'
          from cohort_event ev join programme_activity a on a.id = ev.activity_id and a.kind = 'clinic'
          where exists (select 1 from enrolment e where e.cohort_id = ev.cohort_id and e.status = 'active')
          order by ev.id limit 1 returning id`,
    );
    expect(e).toBeDefined();
    await queue('2026-04-01');
    const published = (await messages('notice_event_published')).filter((m) =>
      m.notice_key.endsWith(`:${e!.id}`),
    );
    expect(published.length).toBeGreaterThan(0);
    expect(published.every((m) => m.link_path === '/events')).toBe(true);
    expect(published[0]!.personalisation.when).toBe('Wednesday 20 May 2026, 3pm to 4pm');

    const [upcoming] = await queryRows<{ id: number; day: string; cohort_id: number }>(
      w.t.db,
      sql`select ev.id, ev.cohort_id, (ev.starts_at at time zone 'Europe/London')::date::text as day
          from cohort_event ev join programme_activity a on a.id = ev.activity_id
          where a.kind in ('community_session', 'conference') and ev.starts_at > '2026-04-01'
            and exists (select 1 from enrolment e where e.cohort_id = ev.cohort_id and e.status = 'active')
          order by ev.starts_at limit 1`,
    );
    expect(upcoming).toBeDefined();
    await queue(addDays(upcoming!.day, -14));
    const ahead = (await messages('notice_event_upcoming')).filter((m) =>
      m.notice_key.endsWith(`:${upcoming!.id}`),
    );
    const onCohort = await emailsOf(
      sql`select p.email from enrolment e join participant p on p.id = e.participant_id
          where e.cohort_id = ${upcoming!.cohort_id} and e.status in ('accepted', 'active')`,
    );
    expect(ahead.map((m) => m.to_email).sort()).toEqual(onCohort);
    expect((await queue(addDays(upcoming!.day, -13))).eventUpcoming).toBe(0);

    // A participant signs up: "Booking confirmed" goes at once (they just did it), linking to Events.
    const [signUp] = await queryRows<{
      event_id: number;
      enrolment_id: number;
      email: string;
      day: string;
    }>(
      w.t.db,
      sql`select ev.id as event_id, e.id as enrolment_id, p.email,
                 (ev.starts_at at time zone 'Europe/London')::date::text as day
          from cohort_event ev join programme_activity a on a.id = ev.activity_id and a.kind = 'community_session'
          join enrolment e on e.cohort_id = ev.cohort_id and e.status = 'active'
          join participant p on p.id = e.participant_id join app_user u on u.participant_id = p.id
          where ev.starts_at > '2026-03-17'
            and not exists (select 1 from event_booking b where b.cohort_event_id = ev.id and b.participant_id = p.id)
          order by ev.starts_at, e.id limit 1`,
    );
    expect(signUp).toBeDefined();
    const { booking } = await bookEvent(
      { db: w.t.db, clock: w.clock, publicUrl: PUBLIC },
      await w.actor(signUp!.email),
      { enrolmentId: signUp!.enrolment_id, cohortEventId: signUp!.event_id },
    );
    const confirmed = await messages('notice_booking', `booking:${booking.id}:booked`);
    expect(confirmed.map((m) => m.to_email)).toEqual([signUp!.email]);
    expect(confirmed[0]!.personalisation.what).toBe('Booking confirmed');
    expect(new Date(confirmed[0]!.next_attempt_at)).toEqual(w.clock.now());
    expect(confirmed[0]!.link_path).toBe('/events');

    await queue(addDays(signUp!.day, -2));
    expect(await messages('notice_event_reminder', `event_reminder:${booking.id}`)).toEqual([]);
    await queue(addDays(signUp!.day, -1));
    const reminder = await messages('notice_event_reminder', `event_reminder:${booking.id}`);
    expect(reminder.map((m) => m.to_email)).toEqual([signUp!.email]);
    expect(reminder[0]!.link_path).toBe('/events');
    expect(new Date(reminder[0]!.next_attempt_at)).toEqual(
      londonInstant(addDays(signUp!.day, -1), '08:00'),
    );
    expect((await queue(addDays(signUp!.day, -1))).eventReminder).toBe(0);
  });

  it('the 90% deadline four weeks and one week ahead, with each participant’s own figure', async () => {
    const [cohort] = await queryRows<{ id: number; deadline: string }>(
      w.t.db,
      sql`select c.id, c.engagement_deadline::text as deadline from cohort c
          where c.engagement_deadline > '2026-04-20'
            and exists (select 1 from enrolment e where e.cohort_id = c.id and e.status = 'active')
          order by c.engagement_deadline limit 1`,
    );
    const day = addDays(cohort!.deadline, -28);
    const rows = await cohortEngagement(w.t.db, {
      cohortId: cohort!.id,
      today: day,
      visibleTo: sql`e.status = 'active'`,
    });
    const expected = rows.filter((r) => r.totalWeight > 0 && r.reachable);
    expect(expected.length).toBeGreaterThan(0);
    await queue(day);
    const sent = await messages('notice_deadline', `deadline_4w:%:${cohort!.deadline}`);
    const byKey = new Map(sent.map((m) => [m.notice_key, m]));
    for (const r of expected) {
      const m = byKey.get(`deadline_4w:${r.enrolmentId}:${cohort!.deadline}`);
      expect(m, `enrolment ${r.enrolmentId}`).toBeDefined();
      expect(m!.personalisation.figure).toBe(percentText(r.basisPoints));
      expect(m!.personalisation.weeks).toBe('Four weeks');
    }
    expect((await queue(addDays(day, 1))).deadline).toBe(0);
    await queue(addDays(cohort!.deadline, -7));
    const week = await messages('notice_deadline', `deadline_1w:%:${cohort!.deadline}`);
    expect(week.length).toBeGreaterThan(0);
    expect(week.every((m) => m.personalisation.weeks === 'One week')).toBe(true);
  });
});

describe('the daily job', () => {
  it('queues what is due (90% unreachable to participant and partner) and a second run queues nothing', async () => {
    const day = '2026-03-20';
    const clock = fixedClock(jobAt(day));
    const first = await runDailyProcessing({
      db: w.t.db,
      clock,
      wallClock: clock,
      publicUrl: PUBLIC,
    });
    const alerts = await queryRows<{ enrolment_id: number }>(
      w.t.db,
      sql`select a.enrolment_id from engagement_alert a join enrolment e on e.id = a.enrolment_id
          where a.kind = 'engagement_unreachable' and e.status = 'active'`,
    );
    expect(alerts.length).toBeGreaterThan(0);
    const toParticipants = await messages('notice_unreachable');
    const toPartners = await messages('notice_unreachable_partner');
    expect(toParticipants.map((m) => m.notice_key).sort()).toEqual(
      alerts.map((a) => `unreachable:${a.enrolment_id}`).sort(),
    );
    expect(toPartners).toHaveLength(alerts.length);
    expect(toPartners.every((m) => m.to_email.endsWith('@partner.example.test'))).toBe(true);
    expect(toParticipants[0]!.personalisation.contact).toContain('@partner.example.test');
    expect(first['notices.unreachable']).toBeGreaterThan(0);

    const outbox = await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(*)::int as n from email_message`,
    );
    const again = await runDailyProcessing({
      db: w.t.db,
      clock,
      wallClock: clock,
      publicUrl: PUBLIC,
    });
    const noticeCounts = Object.entries(again).filter(([k]) => k.startsWith('notices.'));
    expect(noticeCounts.length).toBeGreaterThan(5);
    expect(noticeCounts.every(([, n]) => n === 0)).toBe(true);
    expect(
      await queryRows<{ n: number }>(w.t.db, sql`select count(*)::int as n from email_message`),
    ).toEqual(outbox);
  });
});

describe('the assessment window (2.2.1.5)', () => {
  it('tells those entered when it opens, and two days before it closes those who have not submitted', async () => {
    const [win] = await queryRows<{
      id: number;
      opens_on: string;
      closes_on: string;
      cohort_id: number;
    }>(
      w.t.db,
      sql`select w.id, w.opens_on::text, w.closes_on::text, w.cohort_id from assessment_window w
          where w.opens_on > '2026-03-20'
            and exists (select 1 from enrolment e where e.cohort_id = w.cohort_id and e.status = 'active')
          order by w.opens_on limit 1`,
    );
    expect(win).toBeDefined();
    const clock = fixedClock(jobAt(win!.opens_on));
    await runDailyProcessing({ db: w.t.db, clock, wallClock: clock, publicUrl: PUBLIC });
    const entered = await queryRows<{ enrolment_id: number }>(
      w.t.db,
      sql`select en.enrolment_id from assessment_entry en join enrolment e on e.id = en.enrolment_id
          where en.window_id = ${win!.id} and e.status = 'active' order by 1`,
    );
    expect(entered.length).toBeGreaterThan(0);
    const opened = await messages('notice_window_opening', `window_open:%:${win!.id}`);
    expect(opened.map((m) => m.notice_key).sort()).toEqual(
      entered.map((e) => `window_open:${e.enrolment_id}:${win!.id}`).sort(),
    );
    expect(opened.every((m) => m.link_path === '/assessment')).toBe(true);

    // One of them submits; two days before the close only the others are reminded.
    const submitter = entered[0]!.enrolment_id;
    await w.t.db.execute(
      sql`insert into assessment_submission (enrolment_id, window_id, attempt_number, submitted_at)
          values (${submitter}, ${win!.id}, 1, ${jobAt(win!.opens_on)})`,
    );
    const closingDay = addDays(win!.closes_on, -2);
    await queue(addDays(closingDay, -1));
    expect(await messages('notice_window_closing', `window_closing:%:${win!.id}`)).toEqual([]);
    await queue(closingDay);
    const closing = await messages('notice_window_closing', `window_closing:%:${win!.id}`);
    expect(closing.map((m) => m.notice_key).sort()).toEqual(
      entered
        .filter((e) => e.enrolment_id !== submitter)
        .map((e) => `window_closing:${e.enrolment_id}:${win!.id}`)
        .sort(),
    );
    expect((await queue(closingDay)).windowClosing).toBe(0);
  });
});

describe('decisions and the intent-to-return request', () => {
  it('a declined deferral is sent with the staff’s reason; an approved one with the restart, and 2.3.7 is asked once', async () => {
    const deps = { db: w.t.db, clock: w.clock, publicUrl: PUBLIC };
    const staff = await w.actor('programme.team@demo.npq-ops.test');
    const [a, b] = await queryRows<{ enrolment_id: number; email: string }>(
      w.t.db,
      sql`select e.id as enrolment_id, p.email from enrolment e join participant p on p.id = e.participant_id
          join app_user u on u.participant_id = p.id
          where e.status = 'active' and not exists (select 1 from deferral_case d where d.enrolment_id = e.id)
          order by e.id desc limit 2`,
    );
    const ask = async (enrolmentId: number, email: string) => {
      const c = await requestDeferral(deps, await w.actor(email), {
        enrolmentId,
        circumstance: 'illness_or_health',
      });
      expect(c.status).toBe('requested');
      return recordDeferralDiscussion(deps, staff, c.id, {
        expectedVersion: c.version,
        alternativesOffered: ['defer', 'continue_with_current_cohort'],
        participantChoice: 'defer',
      });
    };
    const first = await ask(a!.enrolment_id, a!.email);
    const declined = await declineDeferral(deps, staff, first.id, {
      reason: 'You can catch up with your cohort with the support agreed.',
      expectedVersion: first.version,
    });
    const [decision] = await messages('notice_decision', `decision:deferral:${declined.id}:%`);
    expect(decision!.to_email).toBe(a!.email);
    expect(decision!.personalisation.outcome).toBe('declined');
    expect(decision!.personalisation.reason).toBe(
      'You can catch up with your cohort with the support agreed.',
    );
    expect(decision!.personalisation.next_steps).toContain('2.3.10');
    expect(decision!.link_path).toBe('/changes');

    const second = await ask(b!.enrolment_id, b!.email);
    const approved = await approveDeferral(deps, staff, second.id, {
      expectedVersion: second.version,
    });
    const [yes] = await messages('notice_decision', `decision:deferral:${approved.id}:approved`);
    expect(yes!.to_email).toBe(b!.email);
    expect(yes!.personalisation.next_steps).toContain('re-join');
    const started = await startDeferral(deps, staff, approved.id, {
      expectedVersion: approved.version,
    });
    // The deferral starting: the re-join cohort and date and when 2.3.7 is asked, sent once.
    const begun = await messages('notice_decision', `decision:deferral:${approved.id}:started`);
    expect(begun.map((m) => m.to_email)).toEqual([b!.email]);
    expect(begun[0]!.link_path).toBe('/changes');
    expect(begun[0]!.personalisation.outcome).toBe('it has started');
    expect(begun[0]!.personalisation.reason).toContain('2.3.3');
    expect(begun[0]!.personalisation.next_steps).toContain(
      `on ${formatLongDate(started.rejoinDate!)}`,
    );
    expect(begun[0]!.personalisation.next_steps).toContain(
      formatLongDate(started.intentContactDueOn!),
    );
    expect(new Date(begun[0]!.next_attempt_at)).toEqual(sensibleSendTime(w.clock.now()));
    // 2.3.7: on the contact date the daily job asks the participant, once.
    const due = started.intentContactDueOn!;
    const clock = fixedClock(jobAt(due));
    await runDailyProcessing({ db: w.t.db, clock, wallClock: clock, publicUrl: PUBLIC });
    const asked = await messages('notice_intent_request', `intent_request:${started.id}`);
    expect(asked.map((m) => m.to_email)).toEqual([b!.email]);
    expect(asked[0]!.link_path).toBe('/changes/return');
    expect(asked[0]!.personalisation.link).toBe(`${PUBLIC}/changes/return`);
    await runDailyProcessing({ db: w.t.db, clock, wallClock: clock, publicUrl: PUBLIC });
    expect(await messages('notice_intent_request', `intent_request:${started.id}`)).toHaveLength(1);

    // They confirm; on the restart date staff record the return: "welcome back", to My programme.
    const [c] = await queryRows<{ version: number }>(
      w.t.db,
      sql`select version from deferral_case where id = ${started.id}`,
    );
    const confirmed = await confirmReturn({ ...deps, clock }, staff, started.id, {
      expectedVersion: c!.version,
    });
    const restartAt = fixedClock(londonInstant(started.rejoinDate!, '09:30'));
    await resumeFromDeferral({ ...deps, clock: restartAt }, staff, started.id, {
      expectedVersion: confirmed.version,
    });
    const back = await messages('notice_decision', `decision:deferral:${started.id}:resumed`);
    expect(back.map((m) => m.to_email)).toEqual([b!.email]);
    expect(back[0]!.link_path).toBe('/my-programme');
    expect(back[0]!.personalisation.link).toBe(`${PUBLIC}/my-programme`);
    expect(back[0]!.personalisation.reason).toContain('2.3.6');
    expect(new Date(back[0]!.next_attempt_at)).toEqual(restartAt.now());
  });

  it('a school move is answered with its decision at once when the participant reports it', async () => {
    const deps = { db: w.t.db, clock: w.clock, publicUrl: PUBLIC };
    const [who] = await queryRows<{ enrolment_id: number; email: string }>(
      w.t.db,
      sql`select e.id as enrolment_id, p.email from enrolment e join participant p on p.id = e.participant_id
          join app_user u on u.participant_id = p.id where e.status = 'active' order by e.id limit 1`,
    );
    const [school] = await queryRows<{ urn: string }>(
      w.t.db,
      sql`select s.urn from school s join lead_provider_region lr on lr.region_id = s.region_id
          order by s.id offset 5 limit 1`,
    );
    const move = await recordSchoolMove(deps, await w.actor(who!.email), {
      enrolmentId: who!.enrolment_id,
      newSchoolUrn: school!.urn,
      movedOn: '2026-03-02',
    });
    const [notice] = await messages('notice_decision', `decision:school_move:${move.id}`);
    expect(notice!.to_email).toBe(who!.email);
    expect(notice!.personalisation.outcome).toBe('you continue your programme');
    expect(notice!.personalisation.reason).toContain('2.6');
    expect(new Date(notice!.next_attempt_at)).toEqual(w.clock.now());
  });
});

describe('the day before a clinic', () => {
  it('reminds the participant booked on it, once, at 8am, linking to Clinics and events', async () => {
    const [clinic] = await queryRows<{
      event_id: number;
      enrolment_id: number;
      participant_id: number;
      email: string;
      day: string;
    }>(
      w.t.db,
      sql`select ev.id as event_id, e.id as enrolment_id, p.id as participant_id, p.email,
                 (ev.starts_at at time zone 'Europe/London')::date::text as day
          from cohort_event ev join programme_activity a on a.id = ev.activity_id and a.kind = 'clinic'
          join enrolment e on e.cohort_id = ev.cohort_id and e.status = 'active'
          join participant p on p.id = e.participant_id join app_user u on u.participant_id = p.id
          where ev.starts_at > '2026-04-20'
            and not exists (select 1 from event_booking b where b.cohort_event_id = ev.id and b.participant_id = p.id)
            and not exists (select 1 from notice_preference np where np.participant_id = p.id and not np.nudges)
          order by ev.starts_at, e.id limit 1`,
    );
    expect(clinic).toBeDefined();
    const [booking] = await queryRows<{ id: number }>(
      w.t.db,
      sql`insert into event_booking (participant_id, enrolment_id, cohort_event_id, status, booked_at)
          values (${clinic!.participant_id}, ${clinic!.enrolment_id}, ${clinic!.event_id}, 'booked', ${w.clock.now()})
          returning id`,
    );
    const key = `event_reminder:${booking!.id}`;
    await queue(addDays(clinic!.day, -2));
    expect(await messages('notice_event_reminder', key)).toEqual([]);
    await queue(addDays(clinic!.day, -1));
    const reminder = await messages('notice_event_reminder', key);
    expect(reminder.map((m) => m.to_email)).toEqual([clinic!.email]);
    expect(reminder[0]!.link_path).toBe('/events');
    expect(reminder[0]!.personalisation.link).toBe(`${PUBLIC}/events`);
    expect(new Date(reminder[0]!.next_attempt_at)).toEqual(
      londonInstant(addDays(clinic!.day, -1), '08:00'),
    );
    await queue(addDays(clinic!.day, -1));
    expect(await messages('notice_event_reminder', key)).toHaveLength(1);
  });
});
