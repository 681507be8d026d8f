/**
 * The daily job's notices (issue 14): what is due today for every participant, found in a few
 * set-based statements (one query per kind of notice, never one per participant) and queued with
 * ON CONFLICT DO NOTHING on each notice's key, so a second run the same day queues nothing. They go
 * out at 8am London time (the job runs at 02:15).
 *
 * A day or two of grace ("released in the last 3 days") means a missed run is made up the next day;
 * the keys stop a notice from being sent twice either way.
 */
import { sql, type SQL } from 'drizzle-orm';
import { arrayParam, queryRows } from '../../db/client.js';
import { cohortEngagement } from '../../db/queries/cohort-engagement.js';
import { eventWhen, londonDay, percentText } from '../../domain/notices.js';
import { addDays, formatLongDate, formatThreshold } from '../../policy/index.js';
import { registerInForce } from '../policy-register.js';
import type { Tx } from '../withdrawals.js';
import {
  enrolmentsIn,
  fingerprint,
  isEmpty,
  londonDayStart,
  recordRun,
  statementText,
  takeScope,
  widened,
} from '../daily-changes.js';
import { coachingReminders } from './coaching.js';
import { queueNotices, recipientsOf, type Notice } from './queue.js';

export interface NoticeRunInput {
  today: string;
  at: Date;
  publicUrl?: string | undefined;
  /** Look at every participant, not only those where something changed or fell due (issue 13). */
  everything?: boolean | undefined;
}

export type NoticeReport = Record<string, number>;

/** Days after the fact a missed daily run still sends the notice. */
const GRACE_DAYS = 2;
/** Community sessions and conferences are announced this many days ahead (2.2.1.4). */
export const UPCOMING_DAYS = 14;
/** A behind-the-window nudge at most once in this many days. */
export const NUDGE_INTERVAL_DAYS = 14;

const NUDGES_ON = sql`not exists (select 1 from notice_preference np where np.participant_id = p.id and not np.nudges)`;
const notQueued = (key: SQL) =>
  sql`not exists (select 1 from email_message m where m.notice_key = ${key})`;

const EVENT_NAMES: Record<string, string> = {
  clinic: 'Clinic',
  community_session: 'Community session',
  conference: 'Conference',
};

export async function queueDueNotices(tx: Tx, input: NoticeRunInput): Promise<NoticeReport> {
  const steps: [string, (tx: Tx, input: NoticeRunInput) => Promise<Notice[]>][] = [
    ['moduleReleased', moduleReleased],
    ['behindWindow', behindWindow],
    ['eventPublished', eventPublished],
    ['eventUpcoming', eventUpcoming],
    ['eventReminder', eventReminder],
    ['coachingReminder', coachingReminders],
    ['deadline', deadlineNotices],
    ['unreachable', unreachable],
    ['windowOpening', windowOpening],
    ['windowClosing', windowClosing],
    ['intentRequest', intentRequest],
  ];
  const report: NoticeReport = {};
  for (const [name, find] of steps) {
    const notices = await find(tx, input);
    report[name] = await queueNotices(tx, notices, { at: input.at, publicUrl: input.publicUrl });
  }
  return report;
}

interface PersonRow {
  participant_id: number;
  full_name: string;
  email: string;
  key: string;
}

/** 2.1.3, 2.2.1.1: a module released to a cohort the participant is on. */
async function moduleReleased(tx: Tx, { today }: NoticeRunInput): Promise<Notice[]> {
  const key = sql`'module_released:' || p.id || ':' || r.cohort_id || ':' || r.module_id`;
  const rows = await queryRows<
    PersonRow & { module: string; programme: string; ws: string; we: string }
  >(
    tx,
    sql`select p.id as participant_id, p.full_name, p.email, ${key} as key,
               'Module ' || m.position || ': ' || m.title as module, c.name as programme,
               r.ideal_window_start::text as ws, r.ideal_window_end::text as we
        from cohort_module_release r
        join cohort c on c.id = r.cohort_id
        join programme_module m on m.id = r.module_id
        join enrolment e on e.cohort_id = r.cohort_id and e.status in ('accepted', 'active')
        join participant p on p.id = e.participant_id
        where r.release_date between ${addDays(today, -GRACE_DAYS)}::date and ${today}::date
          and ${notQueued(key)}`,
  );
  return rows.map((r) => ({
    template: 'notice_module_released',
    to: r.email,
    key: r.key,
    linkPath: '/my-programme',
    participantId: r.participant_id,
    personalisation: {
      name: r.full_name,
      module: r.module,
      programme: r.programme,
      window_start: formatLongDate(r.ws),
      window_end: formatLongDate(r.we),
    },
  }));
}

/** Who is behind their ideal window today and may be nudged, among the enrolments `within`. */
function behindWindowSql(today: string, within: SQL): SQL {
  return sql`with behind as (
          select e.participant_id, count(*)::int as sessions
          from enrolment e
          join cohort_module_release r on r.cohort_id = e.cohort_id and r.ideal_window_end < ${today}::date
          join programme_activity a on a.module_id = r.module_id and a.kind = 'study_session' and a.required
          where e.status = 'active' and ${within}
            and not exists (select 1 from engagement_completion done
                            where done.participant_id = e.participant_id and done.activity_id = a.id)
          group by e.participant_id)
        select p.id as participant_id, p.full_name, p.email,
               'behind_window:' || p.id || ':' || ${today} as key, b.sessions
        from behind b join participant p on p.id = b.participant_id
        where ${NUDGES_ON}
          and not exists (
            select 1 from email_message m
            where lower(m.to_email) = lower(p.email) and m.template = 'notice_behind_window'
              and (m.created_at at time zone 'Europe/London')::date > ${addDays(today, -NUDGE_INTERVAL_DAYS)}::date)`;
}

/** What the nudges depend on besides the data: when it changes, the step looks at everyone. */
const BEHIND_WINDOW_KEY = fingerprint(
  statementText(behindWindowSql('2000-01-01', sql`true`)),
  String(NUDGE_INTERVAL_DAYS),
);

/**
 * Since the step last ran for `lastRunDay`, who may have become due a nudge by the passing of
 * time alone: the cohorts where a module's ideal window ended (its sessions became "behind"), and
 * whoever has the address of a nudge whose fortnight has now passed.
 */
async function behindWindowFellDue(
  tx: Tx,
  lastRunDay: string,
  today: string,
): Promise<{ participantIds: number[]; cohortIds: number[] }> {
  const cohorts = await queryRows<{ id: number }>(
    tx,
    sql`select distinct cohort_id as id from cohort_module_release
        where ideal_window_end >= ${lastRunDay}::date and ideal_window_end < ${today}::date`,
  );
  // A nudge of London day D blocks while D > day - 14: those of days (last - 14, today - 14] have
  // stopped blocking since the last run.
  const participants = await queryRows<{ id: number }>(
    tx,
    sql`select p.id from participant p
        where lower(p.email) in (
          select lower(m.to_email) from email_message m
          where m.template = 'notice_behind_window'
            and m.created_at >= ${londonDayStart(addDays(lastRunDay, 1 - NUDGE_INTERVAL_DAYS))}
            and m.created_at < ${londonDayStart(addDays(today, 1 - NUDGE_INTERVAL_DAYS))})`,
  );
  return { participantIds: participants.map((r) => r.id), cohortIds: cohorts.map((r) => r.id) };
}

/**
 * A gentle nudge for study sessions left in modules whose ideal two weeks have passed; at most
 * once a fortnight, and not for those who turned nudges off.
 *
 * Incremental (issue 13): only participants where something changed, or a window ended or a
 * fortnight passed, since the step last ran are looked at (see daily-changes.ts). Anyone else was
 * either nudged on an earlier run (and is still within the fortnight) or was not due one then and
 * nothing that decides it has changed since.
 */
async function behindWindow(tx: Tx, { today, everything }: NoticeRunInput): Promise<Notice[]> {
  let scope = await takeScope(tx, 'behind_window', {
    today,
    key: BEHIND_WINDOW_KEY,
    ...(everything === undefined ? {} : { everything }),
  });
  if (!scope.everything && scope.lastRunDay < today) {
    const due = await behindWindowFellDue(tx, scope.lastRunDay, today);
    scope = widened(scope, due.participantIds, due.cohortIds);
  }
  await recordRun(tx, 'behind_window', today, BEHIND_WINDOW_KEY);
  if (isEmpty(scope)) return [];
  const rows = await queryRows<PersonRow & { sessions: number }>(
    tx,
    behindWindowSql(today, enrolmentsIn(scope)),
  );
  // Due a nudge, but today's key is taken (nudged earlier today at an address they have since
  // changed): nothing is queued and nothing blocks them, so they are looked at again next run.
  if (rows.length > 0) {
    await tx.execute(
      sql`insert into daily_change (step, participant_id)
          select 'behind_window', r.id
          from unnest(${arrayParam(rows.map((r) => r.participant_id))}::int[]) as r(id)
          where exists (select 1 from email_message m
                        where m.notice_key = 'behind_window:' || r.id || ':' || ${today})`,
    );
  }
  return rows.map((r) => ({
    template: 'notice_behind_window',
    to: r.email,
    key: r.key,
    linkPath: '/my-programme',
    participantId: r.participant_id,
    personalisation: { name: r.full_name, sessions: String(r.sessions) },
  }));
}

interface EventRow extends PersonRow {
  kind: string;
  title: string;
  starts_at: string | Date;
  ends_at: string | Date;
  location: string;
}

const EVENT_COLUMNS = sql`a.kind, a.title, ev.starts_at, ev.ends_at, ev.location`;

function eventNotice(
  r: EventRow,
  template: Notice['template'],
  extra: Record<string, string> = {},
): Notice {
  const starts = new Date(r.starts_at);
  return {
    template,
    to: r.email,
    key: r.key,
    linkPath: '/events',
    participantId: r.participant_id,
    personalisation: {
      name: r.full_name,
      event: `${EVENT_NAMES[r.kind] ?? 'Event'}: ${r.title}`,
      when: eventWhen(starts, new Date(r.ends_at)),
      location: r.location,
      day: londonDay(starts),
      ...extra,
    },
  };
}

/** 2.2.1.2, 2.2.1.4: dates of clinics, community sessions and conferences, when published. */
async function eventPublished(tx: Tx, { today, at }: NoticeRunInput): Promise<Notice[]> {
  const key = sql`'event_published:' || p.id || ':' || ev.id`;
  const rows = await queryRows<EventRow>(
    tx,
    sql`select p.id as participant_id, p.full_name, p.email, ${key} as key, ${EVENT_COLUMNS}
        from cohort_event ev
        join programme_activity a on a.id = ev.activity_id
        join enrolment e on e.cohort_id = ev.cohort_id and e.status in ('accepted', 'active')
        join participant p on p.id = e.participant_id
        where ev.published_on between ${addDays(today, -GRACE_DAYS)}::date and ${today}::date
          and ev.starts_at > ${at}
          and ${notQueued(key)}`,
  );
  return rows.map((r) => eventNotice(r, 'notice_event_published'));
}

/** 2.2.1.4: community sessions and conferences two weeks ahead. */
async function eventUpcoming(tx: Tx, { today }: NoticeRunInput): Promise<Notice[]> {
  const key = sql`'event_upcoming:' || p.id || ':' || ev.id`;
  const rows = await queryRows<EventRow>(
    tx,
    sql`select p.id as participant_id, p.full_name, p.email, ${key} as key, ${EVENT_COLUMNS}
        from cohort_event ev
        join programme_activity a on a.id = ev.activity_id and a.kind in ('community_session', 'conference')
        join enrolment e on e.cohort_id = ev.cohort_id and e.status in ('accepted', 'active')
        join participant p on p.id = e.participant_id
        where (ev.starts_at at time zone 'Europe/London')::date
                between ${addDays(today, UPCOMING_DAYS - GRACE_DAYS)}::date and ${addDays(today, UPCOMING_DAYS)}::date
          and ${notQueued(key)}`,
  );
  return rows.map((r) => eventNotice(r, 'notice_event_upcoming'));
}

/** The day before a booked clinic, community session or conference (a nudge). */
async function eventReminder(tx: Tx, { today }: NoticeRunInput): Promise<Notice[]> {
  const key = sql`'event_reminder:' || b.id`;
  const rows = await queryRows<EventRow>(
    tx,
    sql`select p.id as participant_id, p.full_name, p.email, ${key} as key, ${EVENT_COLUMNS}
        from event_booking b
        join cohort_event ev on ev.id = b.cohort_event_id
        join programme_activity a on a.id = ev.activity_id
        join participant p on p.id = b.participant_id
        where b.status = 'booked'
          and (ev.starts_at at time zone 'Europe/London')::date = ${addDays(today, 1)}::date
          and ${NUDGES_ON} and ${notQueued(key)}`,
  );
  return rows.map((r) => eventNotice(r, 'notice_event_reminder'));
}

/**
 * 2.1.1: four weeks and one week before the engagement deadline, with the participant's own figure
 * (the same figures the dashboards show). Those who can no longer reach the threshold get that notice
 * instead. The threshold is the one in the register in force today (3.1.1).
 */
async function deadlineNotices(tx: Tx, { today }: NoticeRunInput): Promise<Notice[]> {
  const cohorts = await queryRows<{ id: number; deadline: string; weeks: number }>(
    tx,
    sql`select c.id, c.engagement_deadline::text as deadline,
               case when c.engagement_deadline - ${today}::date between 22 and 28 then 4 else 1 end as weeks
        from cohort c
        where (c.engagement_deadline - ${today}::date between 22 and 28
               or c.engagement_deadline - ${today}::date between 1 and 7)
          and exists (select 1 from enrolment e where e.cohort_id = c.id and e.status = 'active')
        order by c.id`,
  );
  const due: {
    enrolmentId: number;
    basisPoints: number;
    meets: boolean;
    cohort: (typeof cohorts)[number];
  }[] = [];
  // One set-based statement per cohort (a handful at most on any day).
  const register = await registerInForce(tx, today);
  for (const cohort of cohorts) {
    const rows = await cohortEngagement(tx, {
      cohortId: cohort.id,
      today,
      register,
      visibleTo: sql`e.status = 'active'`,
    });
    for (const r of rows) {
      if (r.totalWeight === 0 || !r.reachable) continue;
      due.push({
        enrolmentId: r.enrolmentId,
        basisPoints: r.basisPoints,
        meets: r.meetsThreshold,
        cohort,
      });
    }
  }
  const recipients = await recipientsOf(
    tx,
    due.map((d) => d.enrolmentId),
  );
  return due.flatMap((d) => {
    const who = recipients.get(d.enrolmentId);
    if (!who) return [];
    const weeks = d.cohort.weeks === 4 ? 'Four weeks' : 'One week';
    const threshold = formatThreshold(register.parameters.engagementThresholdBp);
    return [
      {
        template: 'notice_deadline' as const,
        to: who.email,
        key: `deadline_${d.cohort.weeks}w:${d.enrolmentId}:${d.cohort.deadline}`,
        linkPath: '/my-programme',
        participantId: who.participantId,
        personalisation: {
          name: who.name,
          weeks,
          programme: who.programme,
          threshold,
          deadline: formatLongDate(d.cohort.deadline),
          figure: percentText(d.basisPoints),
          advice: d.meets
            ? `You have reached ${threshold}. Well done: keep going to get the most from the programme.`
            : `You can still reach ${threshold}. Plan the study sessions and events left before ${formatLongDate(d.cohort.deadline)}; if something is getting in the way, contact ${who.deliveryPartner} (${who.contact}).`,
        },
      },
    ];
  });
}

/**
 * 2.1.1: the threshold in force today can no longer be reached: the participant and their delivery
 * partner, once.
 */
async function unreachable(tx: Tx, { today }: NoticeRunInput): Promise<Notice[]> {
  const alerts = await queryRows<{
    enrolment_id: number;
    completed: number;
    total: number;
    deadline: string;
  }>(
    tx,
    sql`select a.enrolment_id, (a.details->>'completedWeight')::float8 as completed,
               (a.details->>'totalWeight')::float8 as total, a.details->>'deadline' as deadline
        from engagement_alert a join enrolment e on e.id = a.enrolment_id and e.status = 'active'
        where a.kind = 'engagement_unreachable' and a.cleared_on is null
          and a.raised_on between ${addDays(today, -GRACE_DAYS)}::date and ${today}::date
          and not exists (select 1 from email_message m where m.notice_key = 'unreachable:' || a.enrolment_id)`,
  );
  if (alerts.length === 0) return [];
  const threshold = formatThreshold(
    (await registerInForce(tx, today)).parameters.engagementThresholdBp,
  );
  const recipients = await recipientsOf(
    tx,
    alerts.map((a) => a.enrolment_id),
  );
  return alerts.flatMap((a) => {
    const who = recipients.get(a.enrolment_id);
    if (!who) return [];
    const figure = percentText(a.total > 0 ? Math.floor((a.completed * 10_000) / a.total) : 0);
    const deadline = formatLongDate(a.deadline);
    const notices: Notice[] = [
      {
        template: 'notice_unreachable',
        to: who.email,
        key: `unreachable:${a.enrolment_id}`,
        linkPath: '/my-programme',
        participantId: who.participantId,
        personalisation: {
          name: who.name,
          threshold,
          figure,
          programme: who.programme,
          deadline,
          delivery_partner: who.deliveryPartner,
          contact: who.contact,
        },
      },
    ];
    if (who.partnerEmail) {
      notices.push({
        template: 'notice_unreachable_partner',
        to: who.partnerEmail,
        key: `unreachable_partner:${a.enrolment_id}`,
        linkPath: `/participants/${who.participantId}`,
        participantId: who.participantId,
        personalisation: {
          participant: who.name,
          programme: who.programme,
          threshold,
          figure,
          deadline,
        },
      });
    }
    return notices;
  });
}

interface WindowRow {
  enrolment_id: number;
  window_id: number;
  opens_on: string;
  closes_on: string;
}

async function windowNotices(
  tx: Tx,
  rows: WindowRow[],
  template: 'notice_window_opening' | 'notice_window_closing',
  prefix: string,
): Promise<Notice[]> {
  const recipients = await recipientsOf(
    tx,
    rows.map((r) => r.enrolment_id),
  );
  return rows.flatMap((r) => {
    const who = recipients.get(r.enrolment_id);
    if (!who) return [];
    return [
      {
        template,
        to: who.email,
        key: `${prefix}:${r.enrolment_id}:${r.window_id}`,
        linkPath: '/assessment',
        participantId: who.participantId,
        personalisation: {
          name: who.name,
          programme: who.programme,
          opens: formatLongDate(r.opens_on),
          closes: formatLongDate(r.closes_on),
          contact: `${who.deliveryPartner} (${who.contact})`,
        },
      },
    ];
  });
}

/** 2.2.1.5: the assessment window a participant is entered into opens. */
async function windowOpening(tx: Tx, { today }: NoticeRunInput): Promise<Notice[]> {
  const rows = await queryRows<WindowRow>(
    tx,
    sql`select en.enrolment_id, w.id as window_id, w.opens_on::text, w.closes_on::text
        from assessment_window w
        join assessment_entry en on en.window_id = w.id
        join enrolment e on e.id = en.enrolment_id and e.status = 'active'
        where w.opens_on between ${addDays(today, -GRACE_DAYS)}::date and ${today}::date
          and w.closes_on >= ${today}::date
          and not exists (select 1 from email_message m
                          where m.notice_key = 'window_open:' || en.enrolment_id || ':' || w.id)`,
  );
  return windowNotices(tx, rows, 'notice_window_opening', 'window_open');
}

/** 2.2.1.5: two days before the window closes, to those who have not submitted. */
async function windowClosing(tx: Tx, { today }: NoticeRunInput): Promise<Notice[]> {
  const rows = await queryRows<WindowRow>(
    tx,
    sql`select en.enrolment_id, w.id as window_id, w.opens_on::text, w.closes_on::text
        from assessment_window w
        join assessment_entry en on en.window_id = w.id
        join enrolment e on e.id = en.enrolment_id and e.status = 'active'
        where w.closes_on between ${today}::date and ${addDays(today, 2)}::date
          and w.opens_on <= ${today}::date
          and not exists (select 1 from assessment_submission s
                          where s.enrolment_id = en.enrolment_id and s.window_id = w.id)
          and not exists (select 1 from email_message m
                          where m.notice_key = 'window_closing:' || en.enrolment_id || ':' || w.id)`,
  );
  return windowNotices(tx, rows, 'notice_window_closing', 'window_closing');
}

/** 2.3.7: before the restart date, the participant is asked whether they will return. */
async function intentRequest(tx: Tx, { today }: NoticeRunInput): Promise<Notice[]> {
  const cases = await queryRows<{ id: number; enrolment_id: number; rejoin_date: string }>(
    tx,
    sql`select dc.id, dc.enrolment_id, dc.rejoin_date::text
        from deferral_case dc
        where dc.status = 'intent_contact_due' and dc.rejoin_date >= ${today}::date
          and not exists (select 1 from email_message m where m.notice_key = 'intent_request:' || dc.id)`,
  );
  const recipients = await recipientsOf(
    tx,
    cases.map((c) => c.enrolment_id),
  );
  return cases.flatMap((c) => {
    const who = recipients.get(c.enrolment_id);
    if (!who) return [];
    return [
      {
        template: 'notice_intent_request' as const,
        to: who.email,
        key: `intent_request:${c.id}`,
        linkPath: '/changes/return',
        participantId: who.participantId,
        personalisation: {
          name: who.name,
          programme: who.programme,
          restart: formatLongDate(c.rejoin_date),
          contact: `${who.deliveryPartner} (${who.contact})`,
        },
      },
    ];
  });
}
