/**
 * Coaching booked, changed or cancelled (2.2.1.3): the participant and their coach are told, once
 * each (keyed by session and change), in the transaction that makes the change; and the day before,
 * the participant is reminded (a nudge they may turn off), found set-based by the daily job.
 */
import { sql } from 'drizzle-orm';
import { queryRows } from '../../db/client.js';
import { placeText } from '../../domain/coaching-slots.js';
import { eventWhen } from '../../domain/notices.js';
import { addDays } from '../../policy/index.js';
import { queueNotices, type Notice, type QueueOptions } from './queue.js';

type Executor = Parameters<typeof queueNotices>[0];

const WHAT = {
  booked: 'Coaching booked',
  changed: 'Coaching changed',
  cancelled: 'Coaching cancelled',
} as const;

interface SessionRow {
  id: number;
  participant_id: number;
  full_name: string;
  email: string;
  coach_name: string;
  coach_email: string;
  title: string;
  starts_at: string | Date;
  ends_at: string | Date;
  mode: string | null;
  place: string | null;
}

const SESSION_COLUMNS = sql`s.id, p.id as participant_id, p.full_name, p.email, u.display_name as coach_name,
       u.email as coach_email, a.title, s.starts_at, s.ends_at, sl.mode, sl.place`;
const SESSION_FROM = sql`coaching_session s
  join participant p on p.id = s.participant_id
  join app_user u on u.id = s.coach_user_id
  join programme_activity a on a.id = s.activity_id
  left join coaching_slot sl on sl.id = s.slot_id`;

const where = (r: SessionRow) => (r.mode && r.place ? `${placeText(r.mode, r.place)}.` : '');

export async function queueCoachingNotice(
  tx: Executor,
  sessionId: number,
  change: keyof typeof WHAT,
  options: QueueOptions,
): Promise<number> {
  return queueCoachingNotices(tx, [sessionId], change, options);
}

/**
 * The same for many sessions at once (one read, one queue): a resume into a new cohort cancels
 * every coaching session still to come (2.3.6), and `why` ("on re-joining …") says so in the email.
 */
export async function queueCoachingNotices(
  tx: Executor,
  sessionIds: readonly number[],
  change: keyof typeof WHAT,
  options: QueueOptions,
  why?: string,
): Promise<number> {
  if (sessionIds.length === 0) return 0;
  const rows = await queryRows<SessionRow>(
    tx,
    sql`select ${SESSION_COLUMNS} from ${SESSION_FROM}
        where s.id in (${sql.join(
          sessionIds.map((id) => sql`${id}`),
          sql`, `,
        )})
        order by s.starts_at, s.id`,
  );
  const what = why ? `${WHAT[change]} ${why}` : WHAT[change];
  return queueNotices(
    tx,
    rows.flatMap((row): Notice[] => {
      const when = eventWhen(new Date(row.starts_at), new Date(row.ends_at));
      const reference = `CO-${row.id}`;
      return [
        {
          template: 'notice_coaching',
          to: row.email,
          key: `coaching:${row.id}:${change}`,
          linkPath: '/coaching/book',
          participantId: row.participant_id,
          personalisation: {
            name: row.full_name,
            what,
            session: row.title,
            coach: row.coach_name,
            when,
            place: where(row),
            reference,
          },
        },
        {
          template: 'notice_coaching_coach',
          to: row.coach_email,
          key: `coaching_coach:${row.id}:${change}`,
          linkPath: '/coaching',
          participantId: row.participant_id,
          personalisation: {
            name: row.coach_name,
            what,
            session: row.title,
            participant: row.full_name,
            when,
            place: where(row),
            reference,
          },
        },
      ];
    }),
    options,
  );
}

/** The day before a scheduled coaching session (London dates), unless nudges are turned off. */
export async function coachingReminders(
  tx: Executor,
  { today }: { today: string },
): Promise<Notice[]> {
  const key = sql`'coaching_reminder:' || s.id`;
  const rows = await queryRows<SessionRow & { key: string }>(
    tx,
    sql`select ${SESSION_COLUMNS}, ${key} as key from ${SESSION_FROM}
        where s.status = 'scheduled'
          and (s.starts_at at time zone 'Europe/London')::date = ${addDays(today, 1)}::date
          and not exists (select 1 from notice_preference np where np.participant_id = p.id and not np.nudges)
          and not exists (select 1 from email_message m where m.notice_key = ${key})`,
  );
  return rows.map((r) => ({
    template: 'notice_coaching_reminder',
    to: r.email,
    key: r.key,
    linkPath: '/coaching/book',
    participantId: r.participant_id,
    personalisation: {
      name: r.full_name,
      session: r.title,
      coach: r.coach_name,
      when: eventWhen(new Date(r.starts_at), new Date(r.ends_at)),
      place: where(r),
    },
  }));
}
