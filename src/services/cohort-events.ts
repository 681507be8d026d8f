import { sql } from 'drizzle-orm';
import { queryRows } from '../db/client.js';
import type { ActivityKind } from '../domain/catalogue.js';
import { londonDateTime, londonInstant } from '../domain/london-time.js';
import {
  evaluateEventNotice,
  isIsoDate,
  londonDateOf,
  type Decision,
  type NoticeEventKind,
} from '../policy/index.js';
import type { Actor } from './actor.js';
import { audit } from './audit.js';
import { cohortVisibleTo } from './authorisation.js';
import { requireCohortSetup } from './cohort-setup.js';
import { enqueueEmail } from './email/outbox.js';
import { ConflictError, NotFoundError, PolicyRefusalError, ValidationError } from './errors.js';
import type { ServiceDeps } from './participants.js';
import { registerInForce } from './policy-register.js';

/**
 * Cohorts after set-up (issue 15): the programme team changes an event's date, time, place or
 * capacity. A new date or time is checked against the calendar rule (dates communicated in
 * advance: 2.1.3, 2.2.1.2, 2.2.1.4): with too little notice the change needs a reason, recorded as
 * an exception. Capacity cannot fall below the places already taken. Everyone booked is told by
 * email, written to the outbox in the same transaction as the change.
 */

const EVENT_KINDS: readonly ActivityKind[] = ['clinic', 'community_session', 'conference'];

export interface CohortEventView {
  id: number;
  cohortId: number;
  cohortName: string;
  kind: ActivityKind;
  number: number;
  title: string;
  date: string;
  startTime: string;
  endTime: string;
  location: string;
  capacity: number | null;
  booked: number;
  publishedOn: string;
  startsAt: string;
}

interface EventRow {
  id: number;
  cohort_id: number;
  cohort_name: string;
  kind: ActivityKind;
  sequence_number: number;
  title: string;
  starts_at: string | Date;
  ends_at: string | Date;
  location: string;
  capacity: number | null;
  booked: number;
  published_on: string;
}

function view(r: EventRow): CohortEventView {
  const start = londonDateTime(new Date(r.starts_at).getTime());
  const end = londonDateTime(new Date(r.ends_at).getTime());
  return {
    id: r.id,
    cohortId: r.cohort_id,
    cohortName: r.cohort_name,
    kind: r.kind,
    number: r.sequence_number,
    title: r.title,
    date: start.date,
    startTime: start.time,
    endTime: end.time,
    location: r.location,
    capacity: r.capacity,
    booked: r.booked,
    publishedOn: r.published_on,
    startsAt: new Date(r.starts_at).toISOString(),
  };
}

async function loadEvent(
  db: ServiceDeps['db'],
  actor: Actor,
  cohortId: number,
  eventId: number,
  lock = false,
): Promise<EventRow> {
  const [row] = await queryRows<EventRow>(
    db,
    sql`select ce.id, ce.cohort_id, c.name as cohort_name, a.kind, a.sequence_number, a.title, ce.starts_at,
               ce.ends_at, ce.location, ce.capacity, ce.published_on::text,
               (select count(*)::int from event_booking b where b.cohort_event_id = ce.id and b.status = 'booked') as booked
        from cohort_event ce join cohort c on c.id = ce.cohort_id join programme_activity a on a.id = ce.activity_id
        where ce.id = ${eventId} and ce.cohort_id = ${cohortId} and (${cohortVisibleTo(actor)})
        ${lock ? sql`for update of ce` : sql``}`,
  );
  if (!row || !EVENT_KINDS.includes(row.kind)) throw new NotFoundError('Event not found');
  return row;
}

export async function getCohortEvent(
  { db }: ServiceDeps,
  actor: Actor,
  cohortId: number,
  eventId: number,
): Promise<CohortEventView> {
  requireCohortSetup(actor);
  return view(await loadEvent(db, actor, cohortId, eventId));
}

export interface EventChangeInput {
  cohortId: number;
  eventId: number;
  date: string;
  startTime: string;
  endTime: string;
  location: string;
  /** Null: no limit. */
  capacity: number | null;
  /** Why the change is made at short notice, when the calendar rule is not met. */
  shortNoticeReason: string;
}

export interface EventChangePreview {
  before: CohortEventView;
  after: {
    date: string;
    startTime: string;
    endTime: string;
    location: string;
    capacity: number | null;
  };
  changed: ('date' | 'time' | 'location' | 'capacity')[];
  /** The calendar rule on the new date, when the date or time changes. */
  notice: Decision | null;
  /** Too little notice and no reason given: the change cannot be made. */
  refused: boolean;
  /** Participants who will be told by email. */
  toTell: number;
}

function validate(input: EventChangeInput, today: string) {
  const errors = [];
  if (!isIsoDate(input.date)) errors.push({ path: 'date', message: 'Enter a real date' });
  else if (input.date < today) {
    errors.push({ path: 'date', message: 'The new date must be today or later' });
  }
  const time = /^([01]\d|2[0-3]):[0-5]\d$/;
  if (!time.test(input.startTime)) {
    errors.push({ path: 'startTime', message: 'Enter the start time as HH:MM, like 15:30' });
  }
  if (!time.test(input.endTime)) {
    errors.push({ path: 'endTime', message: 'Enter the end time as HH:MM, like 16:30' });
  } else if (time.test(input.startTime) && input.endTime <= input.startTime) {
    errors.push({ path: 'endTime', message: 'The end time must be after the start time' });
  }
  if (input.location.trim() === '') {
    errors.push({ path: 'location', message: 'Enter the place, or "Online"' });
  }
  if (input.capacity !== null && (!Number.isInteger(input.capacity) || input.capacity < 1)) {
    errors.push({ path: 'capacity', message: 'Capacity is a whole number of 1 or more, or empty' });
  }
  if (errors.length > 0) throw new ValidationError(errors);
}

async function decide(
  deps: ServiceDeps,
  actor: Actor,
  input: EventChangeInput,
  lock: boolean,
): Promise<EventChangePreview & { row: EventRow }> {
  requireCohortSetup(actor);
  const today = londonDateOf(deps.clock.now());
  validate(input, today);
  const row = await loadEvent(deps.db, actor, input.cohortId, input.eventId, lock);
  const before = view(row);
  if (new Date(row.starts_at) <= deps.clock.now()) {
    throw new ValidationError([
      { path: 'date', message: 'This event has already started, so it cannot be changed.' },
    ]);
  }
  if (input.capacity !== null && input.capacity < row.booked) {
    throw new ValidationError([
      {
        path: 'capacity',
        message: `${row.booked} places are already booked: the capacity cannot be less than that.`,
      },
    ]);
  }
  const changed: EventChangePreview['changed'] = [];
  if (input.date !== before.date) changed.push('date');
  if (input.startTime !== before.startTime || input.endTime !== before.endTime)
    changed.push('time');
  if (input.location.trim() !== before.location) changed.push('location');
  if (input.capacity !== before.capacity) changed.push('capacity');
  if (changed.length === 0) {
    throw new ValidationError([{ path: 'date', message: 'Nothing is changed.' }]);
  }
  const moves = changed.includes('date') || changed.includes('time');
  // A new date is communicated today (2.1.3): it must still give the notice its kind needs.
  const notice = moves
    ? evaluateEventNotice(
        {
          kind: row.kind as NoticeEventKind,
          eventOn: input.date,
          publishedOn: today,
          inPerson: input.location.trim() !== 'Online',
        },
        // The notice period of the version in force today, the day the new date is shared.
        await registerInForce(deps.db, today),
      )
    : null;
  const refused = notice?.outcome === 'not_met' && input.shortNoticeReason.trim() === '';
  return {
    row,
    before,
    after: {
      date: input.date,
      startTime: input.startTime,
      endTime: input.endTime,
      location: input.location.trim(),
      capacity: input.capacity,
    },
    changed,
    notice,
    refused,
    toTell: changed.some((c) => c !== 'capacity') ? row.booked : 0,
  };
}

/** What the change would do and what the calendar rule says; changes nothing. */
export async function previewEventChange(
  deps: ServiceDeps,
  actor: Actor,
  input: EventChangeInput,
): Promise<EventChangePreview> {
  const { row: _row, ...preview } = await decide(deps, actor, input, false);
  return preview;
}

const when = (date: string, start: string, end: string) => {
  const d = new Date(`${date}T12:00:00Z`).toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  });
  return `${d}, ${start} to ${end}`;
};

/** Makes the change, tells everyone booked (outbox, same transaction) and audits it. */
export async function changeCohortEvent(
  deps: ServiceDeps,
  actor: Actor,
  input: EventChangeInput & { expectedStartsAt: string },
): Promise<EventChangePreview> {
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const txDeps = { ...deps, db: tx };
    const { row, ...preview } = await decide(txDeps, actor, input, true);
    if (preview.before.startsAt !== new Date(input.expectedStartsAt).toISOString()) {
      throw new ConflictError('Someone else changed this event meanwhile. Check it again.');
    }
    if (preview.refused && preview.notice) throw new PolicyRefusalError(preview.notice);
    const startsAt = londonInstant(input.date, input.startTime);
    const endsAt = londonInstant(input.date, input.endTime);
    const moves = preview.notice !== null;
    await tx.execute(
      sql`update cohort_event set starts_at = ${startsAt}, ends_at = ${endsAt}, location = ${preview.after.location},
            capacity = ${input.capacity}${moves ? sql`, published_on = ${londonDateOf(now)}::date` : sql``}
          where id = ${row.id}`,
    );
    const people =
      preview.toTell > 0
        ? await queryRows<{ email: string; full_name: string; participant_id: number }>(
            tx,
            sql`select p.email, p.full_name, p.id as participant_id from event_booking b
                join participant p on p.id = b.participant_id
                where b.cohort_event_id = ${row.id} and b.status = 'booked' order by p.id`,
          )
        : [];
    const was = `${when(preview.before.date, preview.before.startTime, preview.before.endTime)}, ${preview.before.location}`;
    const nowText = `${when(input.date, input.startTime, input.endTime)}, ${preview.after.location}`;
    await enqueueEmail(
      tx,
      ...people.map((p) => ({
        template: 'event_changed' as const,
        to: p.email,
        personalisation: { name: p.full_name, event: row.title, was, now: nowText },
        subject: { type: 'participant', id: p.participant_id },
      })),
    );
    await audit(tx, {
      what: 'COHORT_EVENT_CHANGED',
      who: actor,
      subjectType: 'cohort_event',
      subjectId: row.id,
      details: {
        cohortId: row.cohort_id,
        changed: preview.changed,
        before: {
          startsAt: preview.before.startsAt,
          location: preview.before.location,
          capacity: preview.before.capacity,
        },
        after: {
          startsAt: startsAt.toISOString(),
          location: preview.after.location,
          capacity: input.capacity,
        },
        notice: preview.notice,
        shortNoticeReason:
          preview.notice?.outcome === 'not_met' ? input.shortNoticeReason.trim() : null,
        told: people.length,
      },
      at: now,
    });
    return preview;
  });
}

/** The cohort's clinics, community sessions and conferences, for the programme team to change. */
export async function listEventsOfCohort(
  { db }: ServiceDeps,
  actor: Actor,
  cohortId: number,
): Promise<{ cohortName: string; events: CohortEventView[] }> {
  requireCohortSetup(actor);
  const [cohort] = await queryRows<{ name: string }>(
    db,
    sql`select c.name from cohort c where c.id = ${cohortId} and (${cohortVisibleTo(actor)})`,
  );
  if (!cohort) throw new NotFoundError('Cohort not found');
  const rows = await queryRows<EventRow>(
    db,
    sql`select ce.id, ce.cohort_id, c.name as cohort_name, a.kind, a.sequence_number, a.title, ce.starts_at,
               ce.ends_at, ce.location, ce.capacity, ce.published_on::text,
               (select count(*)::int from event_booking b where b.cohort_event_id = ce.id and b.status = 'booked') as booked
        from cohort_event ce join cohort c on c.id = ce.cohort_id join programme_activity a on a.id = ce.activity_id
        where ce.cohort_id = ${cohortId} and a.kind in ('clinic', 'community_session', 'conference')
        order by ce.starts_at, ce.id`,
  );
  return { cohortName: cohort.name, events: rows.map(view) };
}
