import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import ical from 'ical-generator';
import { queryRows, type Db } from '../db/client.js';
import { addDays, formatThreshold, londonDateOf, type PolicyRegister } from '../policy/index.js';
import { registerInForce } from './policy-register.js';
import type { Actor } from './actor.js';
import { audit } from './audit.js';
import { requireParticipant } from './authorisation.js';
import { ForbiddenError } from './errors.js';
import type { ServiceDeps } from './participants.js';

/**
 * A participant's private calendar feed (iCal) with the dates they plan around (policy 2.1.3,
 * 2.2.1.1-2.2.1.5): booked clinics and community sessions, coaching, conferences, module windows,
 * the 90% deadline and the assessment window. Calendar apps fetch it without signing in, so the URL
 * carries an unguessable secret; only its SHA-256 digest is stored, so the secret is shown once and
 * a lost one is replaced by regenerating. Revoking makes the old URL answer 404.
 */

type Executor = Pick<Db, 'execute'>;

/** 32 random bytes as base64url: 43 characters. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export function calendarTokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface CalendarFeedStatus {
  active: boolean;
  createdAt: string | null;
  revokedAt: string | null;
  /** The engagement threshold in force today (2.1.1), in basis points: the feed's deadline says it. */
  engagementThresholdBp: number;
}

function participantOf(actor: Actor): number {
  // Feeds are personal: staff see dates in their own tools, not through a participant's feed.
  if (actor.role !== 'participant' || actor.participantId === null) {
    throw new ForbiddenError('Only a participant can have a calendar feed.');
  }
  return actor.participantId;
}

export async function getCalendarFeed(
  { db, clock }: ServiceDeps,
  actor: Actor,
): Promise<CalendarFeedStatus> {
  const participantId = participantOf(actor);
  await requireParticipant(db, actor, participantId);
  const [[row], register] = await Promise.all([
    queryRows<{ created_at: Date | string; revoked_at: Date | string | null }>(
      db,
      sql`select created_at, revoked_at from calendar_feed where participant_id = ${participantId}`,
    ),
    registerInForce(db, londonDateOf(clock.now())),
  ]);
  return {
    engagementThresholdBp: register.parameters.engagementThresholdBp,
    active: row !== undefined && row.revoked_at === null,
    createdAt: row ? new Date(row.created_at).toISOString() : null,
    revokedAt: row?.revoked_at ? new Date(row.revoked_at).toISOString() : null,
  };
}

/** Creates the feed, or replaces its secret (the old URL stops working at once). */
export async function issueCalendarFeed(
  { db, clock }: ServiceDeps,
  actor: Actor,
): Promise<{ token: string; regenerated: boolean }> {
  const participantId = participantOf(actor);
  const now = clock.now();
  const token = randomBytes(32).toString('base64url');
  return db.transaction(async (tx) => {
    await requireParticipant(tx, actor, participantId, 'write', { participantMayWrite: true });
    const [previous] = await queryRows<{ participant_id: number }>(
      tx,
      sql`select participant_id from calendar_feed where participant_id = ${participantId} for update`,
    );
    await tx.execute(
      sql`insert into calendar_feed (participant_id, token_hash, created_at, revoked_at)
          values (${participantId}, ${calendarTokenDigest(token)}, ${now}, null)
          on conflict (participant_id) do update
          set token_hash = excluded.token_hash, created_at = excluded.created_at, revoked_at = null`,
    );
    const regenerated = previous !== undefined;
    await audit(tx, {
      what: regenerated ? 'CALENDAR_FEED_REGENERATED' : 'CALENDAR_FEED_CREATED',
      who: actor,
      subjectType: 'participant',
      subjectId: participantId,
      details: {},
      at: now,
    });
    return { token, regenerated };
  });
}

export async function revokeCalendarFeed(
  { db, clock }: ServiceDeps,
  actor: Actor,
): Promise<{ changed: boolean }> {
  const participantId = participantOf(actor);
  const now = clock.now();
  return db.transaction(async (tx) => {
    await requireParticipant(tx, actor, participantId, 'write', { participantMayWrite: true });
    const revoked = await queryRows<{ participant_id: number }>(
      tx,
      sql`update calendar_feed set revoked_at = ${now}
          where participant_id = ${participantId} and revoked_at is null
          returning participant_id`,
    );
    if (revoked.length === 0) return { changed: false };
    await audit(tx, {
      what: 'CALENDAR_FEED_REVOKED',
      who: actor,
      subjectType: 'participant',
      subjectId: participantId,
      details: {},
      at: now,
    });
    return { changed: true };
  });
}

interface FeedEvent {
  uid: string;
  summary: string;
  description: string;
  location: string | null;
  starts_at: Date | string | null;
  ends_at: Date | string | null;
  /** All-day events: first day and last day (inclusive). */
  first_day: string | null;
  last_day: string | null;
}

/**
 * The feed for a secret, or null when there is no such feed or it was revoked. The secret is the
 * only credential, so nothing else about the request is trusted.
 */
export async function calendarFeedIcs(
  { db, clock }: ServiceDeps,
  token: string,
): Promise<string | null> {
  if (!TOKEN.test(token)) return null;
  const [feed] = await queryRows<{ participant_id: number; full_name: string }>(
    db,
    sql`select f.participant_id, p.full_name from calendar_feed f join participant p on p.id = f.participant_id
        where f.token_hash = ${calendarTokenDigest(token)} and f.revoked_at is null`,
  );
  if (!feed) return null;
  const register = await registerInForce(db, londonDateOf(clock.now()));
  const events = await feedEvents(db, feed.participant_id, register);
  const now = clock.now();
  const calendar = ical({
    name: 'NPQ programme',
    prodId: { company: 'npq-ops', product: 'calendar', language: 'EN' },
    ttl: 60 * 60,
  });
  for (const e of events) {
    const allDay = e.first_day !== null;
    calendar.createEvent({
      id: `${e.uid}@npq-ops`,
      summary: e.summary,
      description: e.description,
      stamp: now,
      ...(e.location ? { location: e.location } : {}),
      ...(allDay
        ? {
            allDay: true,
            start: new Date(`${e.first_day}T00:00:00Z`),
            // DTEND of an all-day event is the day after the last day.
            end: new Date(`${addDays(e.last_day ?? e.first_day!, 1)}T00:00:00Z`),
          }
        : { start: new Date(e.starts_at!), end: new Date(e.ends_at!) }),
    });
  }
  return calendar.toString();
}

/** Every dated thing for the participant's enrolments that are under way, in one statement. */
async function feedEvents(
  db: Executor,
  participantId: number,
  register: PolicyRegister,
): Promise<FeedEvent[]> {
  const threshold = formatThreshold(register.parameters.engagementThresholdBp);
  return queryRows<FeedEvent>(
    db,
    sql`with e as (
          select e.id, e.cohort_id, e.assessment_attempts_used, c.name as cohort_name, c.engagement_deadline
          from enrolment e join cohort c on c.id = e.cohort_id
          where e.participant_id = ${participantId} and e.status in ('accepted', 'active', 'deferred')
        )
        select 'booking-' || b.id as uid,
               a.title || case when a.kind = 'clinic' then ' (booked clinic)' else ' (signed up)' end as summary,
               'Your place is booked. Change or cancel it in npq-ops under Clinics and events.' as description,
               ce.location, ce.starts_at, ce.ends_at, null::text as first_day, null::text as last_day
        from e join event_booking b on b.enrolment_id = e.id and b.status in ('booked', 'attended')
        join cohort_event ce on ce.id = b.cohort_event_id
        join programme_activity a on a.id = ce.activity_id
        union all
        -- Conferences are whole-cohort days: every one is in the calendar, booked or not.
        select 'conference-' || ce.id, a.title, 'A conference for your cohort (policy 2.2.1.4).',
               ce.location, ce.starts_at, ce.ends_at, null, null
        from e join cohort_event ce on ce.cohort_id = e.cohort_id
        join programme_activity a on a.id = ce.activity_id and a.kind = 'conference'
        where not exists (select 1 from event_booking b where b.enrolment_id = e.id and b.cohort_event_id = ce.id
                          and b.status in ('booked', 'attended'))
        union all
        -- A cancelled session leaves the feed, as a cancelled booking does (so subscribed calendars
        -- drop it), whether the participant, the coach or a resume into a new cohort cancelled it.
        select 'coaching-' || s.id, a.title || ' with ' || u.display_name,
               'A coaching session arranged with your coach (policy 2.2.1.3).',
               null, s.starts_at, s.ends_at, null, null
        from e join coaching_session s on s.enrolment_id = e.id and s.status <> 'cancelled'
        join programme_activity a on a.id = s.activity_id
        join app_user u on u.id = s.coach_user_id
        union all
        select 'module-' || e.cohort_id || '-' || m.id,
               'Module ' || m.position || ': ' || m.title || ' (ideal 2-week window)',
               'Released on ' || r.release_date::text || '. Ideally finished in this window; it stays open to the end of your programme (policy 2.2.1.1).',
               null, null, null, r.ideal_window_start::text, r.ideal_window_end::text
        from e join cohort_module_release r on r.cohort_id = e.cohort_id
        join programme_module m on m.id = r.module_id
        union all
        select 'deadline-' || e.id, ${`${threshold} engagement deadline`},
               ${`The last day to reach ${threshold} engagement, needed to sit the assessment and complete (policy 2.1.1).`},
               null, null, null, e.engagement_deadline::text, e.engagement_deadline::text
        from e
        union all
        select 'assessment-' || e.id || '-' || w.id, 'Assessment window',
               -- The window's own length, which the version in force when it was set decided.
               'Submit your assessment at any time in this ' || (w.closes_on - w.opens_on + 1)
                 || '-day window (policy 2.2.1.5).',
               null, null, null, w.opens_on::text, w.closes_on::text
        from e
        join lateral (
          -- The window the participant is entered into, or the one for their next attempt.
          select w.id, w.opens_on, w.closes_on from assessment_window w
          where w.id = (select ae.window_id from assessment_entry ae where ae.enrolment_id = e.id)
             or (not exists (select 1 from assessment_entry ae where ae.enrolment_id = e.id)
                 and w.cohort_id = e.cohort_id and w.sequence_number >= e.assessment_attempts_used + 1)
          order by w.opens_on limit 1
        ) w on true
        order by 1`,
  );
}
