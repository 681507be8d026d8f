import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../db/client.js';
import { loadEnrolmentFacts, type EnrolmentFacts } from '../db/queries/enrolment-facts.js';
import type { ActivityKind } from '../domain/catalogue.js';
import {
  evaluateClinicBooking,
  evaluateClinicCancellation,
  evaluateEventNotice,
  londonDateOf,
  type ClinicAccommodation,
  type ClinicDecision,
  type ClinicRecord,
  type Decision,
  type PolicyRegister,
} from '../policy/index.js';
import { enrolmentStatusDecision, statusesAllowing } from '../policy/enrolment-status.js';
import { registerInForce } from './policy-register.js';
import type { Actor } from './actor.js';
import { audit } from './audit.js';
import { requireEnrolment } from './authorisation.js';
import { ConflictError, NotFoundError, PolicyRefusalError, ValidationError } from './errors.js';
import type { ServiceDeps } from './participants.js';
import { queueBookingNotice } from './notices/bookings.js';

/**
 * Bookings (policy 2.2.1.2–2.2.1.4): clinic slots booked in sequence and within capacity,
 * community sessions and conferences signed up for, coaching arranged at a time free for both the
 * participant and their coach. Participants book for themselves; staff who may change a record
 * book for their participants. The policy decides; these functions make the decision happen.
 */

export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
type Executor = Pick<Db, 'execute'>;

/**
 * A booking is only made while the participant is on the programme: active, or accepted and not yet
 * started, since attending a first event is one way to start it (policy 2.3.2).
 */
export const BOOKABLE_STATUSES: readonly string[] = statusesAllowing('book_event');

export interface AccommodationInput {
  /** Why the change to the clinic sequence is agreed (2.2.1.2). */
  note: string;
}

export interface EventView {
  cohortEventId: number;
  activityId: number;
  kind: ActivityKind;
  /** Clinic n, community session n, conference n: the activity's place in its kind's sequence. */
  number: number;
  title: string;
  startsAt: string;
  endsAt: string;
  location: string;
  capacity: number | null;
  booked: number;
  remaining: number | null;
  /** This participant's active booking of the event, if any. */
  myBookingId: number | null;
}

export interface BookingView {
  id: number;
  enrolmentId: number;
  participantId: number;
  cohortEventId: number;
  activityId: number;
  kind: ActivityKind;
  title: string;
  startsAt: string;
  endsAt: string;
  status: string;
  accommodation: string | null;
  bookedAt: string;
  cancelledAt: string | null;
}

export interface CoachingSessionView {
  id: number;
  enrolmentId: number;
  participantId: number;
  coachUserId: number;
  coachName: string;
  activityId: number;
  title: string;
  startsAt: string;
  endsAt: string;
  status: string;
  /** The coach's availability slot it was booked into; null for sessions booked before slots. */
  slotId: number | null;
  /** 'online' or 'in_person', and the link or address; null without a slot. */
  mode: string | null;
  place: string | null;
  /** The coach's note, recorded with attendance (staff see it; the participant does not). */
  note: string | null;
}

/** The reference a participant quotes about a coaching booking. */
export const coachingReference = (id: number) => `CO-${id}`;

const iso = (v: string | Date): string => new Date(v).toISOString();

/* ------------------------------------------------------------------------------------------ */
/* Reads                                                                                       */
/* ------------------------------------------------------------------------------------------ */

interface EventRow {
  id: number;
  cohort_id: number;
  activity_id: number;
  kind: ActivityKind;
  sequence_number: number;
  programme_id: number;
  title: string;
  starts_at: string | Date;
  ends_at: string | Date;
  location: string;
  capacity: number | null;
  booked: number;
  my_booking_id: number | null;
}

function toEventView(r: EventRow): EventView {
  return {
    cohortEventId: r.id,
    activityId: r.activity_id,
    kind: r.kind,
    number: r.sequence_number,
    title: r.title,
    startsAt: iso(r.starts_at),
    endsAt: iso(r.ends_at),
    location: r.location,
    capacity: r.capacity,
    booked: r.booked,
    remaining: r.capacity === null ? null : Math.max(0, r.capacity - r.booked),
    myBookingId: r.my_booking_id,
  };
}

/**
 * The dated events of the enrolment's cohort (all kinds, or one), each with how many places are
 * taken: one query, counting active bookings per event.
 */
export async function listCohortEvents(
  { db }: ServiceDeps,
  actor: Actor,
  enrolmentId: number,
  kind?: ActivityKind,
): Promise<EventView[]> {
  await requireEnrolment(db, actor, enrolmentId);
  const rows = await queryRows<EventRow>(
    db,
    sql`select ce.id, ce.cohort_id, ce.activity_id, a.kind, a.sequence_number, a.programme_id, a.title,
               ce.starts_at, ce.ends_at, ce.location, ce.capacity,
               coalesce(n.booked, 0)::int as booked, mine.id as my_booking_id
        from enrolment e
        join cohort_event ce on ce.cohort_id = e.cohort_id
        join programme_activity a on a.id = ce.activity_id
        left join (select b.cohort_event_id, count(*) as booked from event_booking b
                   join cohort_event x on x.id = b.cohort_event_id
                   join enrolment ee on ee.cohort_id = x.cohort_id and ee.id = ${enrolmentId}
                   where b.status <> 'cancelled' group by b.cohort_event_id) n on n.cohort_event_id = ce.id
        left join event_booking mine on mine.cohort_event_id = ce.id and mine.participant_id = e.participant_id
                                     and mine.status <> 'cancelled'
        where e.id = ${enrolmentId} ${kind ? sql`and a.kind = ${kind}` : sql``}
        order by ce.starts_at, ce.id`,
  );
  return rows.map(toEventView);
}

export interface ClinicSlotView extends EventView {
  /** What the policy would say to booking this slot now (2.2.1.2); null once it has passed. */
  decision: ClinicDecision | null;
}

/** The cohort's clinic slots with remaining capacity and, for each future slot, the booking rule's answer. */
export async function listClinicSlots(
  deps: ServiceDeps,
  actor: Actor,
  enrolmentId: number,
): Promise<ClinicSlotView[]> {
  const slots = await listCohortEvents(deps, actor, enrolmentId, 'clinic');
  const facts = await loadEnrolmentFacts(deps.db, enrolmentId);
  if (!facts) throw new NotFoundError('Enrolment not found');
  const now = deps.clock.now();
  const today = londonDateOf(now);
  const [history, register] = await Promise.all([
    loadClinicHistory(deps.db, facts.participant.id, facts.cohort.programmeId, {
      missedIn: { cohortId: facts.cohort.id, today },
    }),
    registerInForce(deps.db, today),
  ]);
  return slots.map((slot) => ({
    ...slot,
    decision:
      new Date(slot.startsAt) <= now
        ? null
        : evaluateClinicBooking(
            {
              clinicNumber: slot.number,
              sessionOn: londonDateOf(new Date(slot.startsAt)),
              today,
              history,
              workingPattern: facts.participant.workingPattern,
            },
            register,
          ),
  }));
}

export async function listBookings(
  { db }: ServiceDeps,
  actor: Actor,
  enrolmentId: number,
): Promise<{ events: BookingView[]; coaching: CoachingSessionView[] }> {
  await requireEnrolment(db, actor, enrolmentId);
  const events = await queryRows<BookingRow>(
    db,
    sql`${BOOKING_SELECT} where b.enrolment_id = ${enrolmentId} order by ce.starts_at, b.id`,
  );
  const coaching = await queryRows<CoachingRow>(
    db,
    sql`${COACHING_SELECT} where s.enrolment_id = ${enrolmentId} order by s.starts_at, s.id`,
  );
  return bookingsOf(actor, events, coaching);
}

/** An enrolment's bookings as the actor sees them, from the rows of BOOKING_SELECT and COACHING_SELECT. */
export function bookingsOf(
  actor: Actor,
  events: readonly BookingRow[],
  coaching: readonly CoachingRow[],
): { events: BookingView[]; coaching: CoachingSessionView[] } {
  // The coach's notes are for staff (2.2.1.3 record keeping), not shown back to the participant.
  const hideNotes = actor.role === 'participant';
  return {
    events: events.map(toBookingView),
    coaching: coaching.map((r) => ({ ...toCoachingView(r), ...(hideNotes ? { note: null } : {}) })),
  };
}

export interface BookingRow {
  id: number;
  enrolment_id: number;
  participant_id: number;
  cohort_event_id: number;
  activity_id: number;
  kind: ActivityKind;
  title: string;
  starts_at: string | Date;
  ends_at: string | Date;
  status: string;
  accommodation: string | null;
  booked_at: string | Date;
  cancelled_at: string | Date | null;
}

export const BOOKING_SELECT = sql`select b.id, b.enrolment_id, b.participant_id, b.cohort_event_id, ce.activity_id, a.kind, a.title,
       ce.starts_at, ce.ends_at, b.status, b.accommodation, b.booked_at, b.cancelled_at
  from event_booking b join cohort_event ce on ce.id = b.cohort_event_id
  join programme_activity a on a.id = ce.activity_id`;

function toBookingView(r: BookingRow): BookingView {
  return {
    id: r.id,
    enrolmentId: r.enrolment_id,
    participantId: r.participant_id,
    cohortEventId: r.cohort_event_id,
    activityId: r.activity_id,
    kind: r.kind,
    title: r.title,
    startsAt: iso(r.starts_at),
    endsAt: iso(r.ends_at),
    status: r.status,
    accommodation: r.accommodation,
    bookedAt: iso(r.booked_at),
    cancelledAt: r.cancelled_at === null ? null : iso(r.cancelled_at),
  };
}

export interface CoachingRow {
  id: number;
  enrolment_id: number;
  participant_id: number;
  coach_user_id: number;
  coach_name: string;
  activity_id: number;
  title: string;
  starts_at: string | Date;
  ends_at: string | Date;
  status: string;
  slot_id: number | null;
  mode: string | null;
  place: string | null;
  note: string | null;
}

export const COACHING_SELECT = sql`select s.id, s.enrolment_id, s.participant_id, s.coach_user_id, u.display_name as coach_name,
       s.activity_id, a.title, s.starts_at, s.ends_at, s.status, s.slot_id, sl.mode, sl.place, s.note
  from coaching_session s join app_user u on u.id = s.coach_user_id
  join programme_activity a on a.id = s.activity_id
  left join coaching_slot sl on sl.id = s.slot_id`;

export function toCoachingView(r: CoachingRow): CoachingSessionView {
  return {
    id: r.id,
    enrolmentId: r.enrolment_id,
    participantId: r.participant_id,
    coachUserId: r.coach_user_id,
    coachName: r.coach_name,
    activityId: r.activity_id,
    title: r.title,
    startsAt: iso(r.starts_at),
    endsAt: iso(r.ends_at),
    status: r.status,
    slotId: r.slot_id,
    mode: r.mode,
    place: r.place,
    note: r.note,
  };
}

/**
 * A participant's clinics as the clinic rules see them: attended (from engagement evidence, any
 * source, any cohort of the programme, so attendance before a deferral still counts) and booked.
 */
export async function loadClinicHistory(
  db: Executor,
  participantId: number,
  programmeId: number,
  options: { excludeBookingId?: number; missedIn?: { cohortId: number; today: string } } = {},
): Promise<ClinicRecord[]> {
  const missed = options.missedIn
    ? sql`union all
        -- A clinic of this cohort whose every date has passed without the participant attending it.
        select a.sequence_number, 'missed', max((ce.starts_at at time zone 'Europe/London')::date)::text, false
        from cohort_event ce join programme_activity a on a.id = ce.activity_id
        where ce.cohort_id = ${options.missedIn.cohortId} and a.kind = 'clinic'
          and not exists (select 1 from engagement_record r where r.participant_id = ${participantId} and r.activity_id = a.id)
        group by a.sequence_number
        having max((ce.starts_at at time zone 'Europe/London')::date) < ${options.missedIn.today}::date`
    : sql``;
  const rows = await queryRows<{
    clinic_number: number;
    status: ClinicRecord['status'];
    on: string;
    accommodated: boolean;
  }>(
    db,
    sql`select a.sequence_number as clinic_number, 'attended' as status,
               min((r.occurred_at at time zone 'Europe/London')::date)::text as on, false as accommodated
        from engagement_record r join programme_activity a on a.id = r.activity_id
        where r.participant_id = ${participantId} and a.kind = 'clinic' and a.programme_id = ${programmeId}
        group by a.sequence_number
        union all
        select a.sequence_number, 'booked', ((ce.starts_at at time zone 'Europe/London')::date)::text,
               b.accommodation is not null
        from event_booking b join cohort_event ce on ce.id = b.cohort_event_id
        join programme_activity a on a.id = ce.activity_id
        where b.participant_id = ${participantId} and b.status = 'booked' and a.kind = 'clinic'
          and a.programme_id = ${programmeId} and b.id <> ${options.excludeBookingId ?? -1}
        ${missed}
        order by 1, 2`,
  );
  return rows.map((r) => ({
    clinicNumber: r.clinic_number,
    status: r.status,
    on: r.on,
    accommodated: r.accommodated,
  }));
}

/* ------------------------------------------------------------------------------------------ */
/* Event bookings                                                                              */
/* ------------------------------------------------------------------------------------------ */

export interface BookEventInput {
  enrolmentId: number;
  cohortEventId: number;
  accommodation?: AccommodationInput | undefined;
}

export interface BookingResult {
  booking: BookingView;
  /** The clinic rule's decision (2.2.1.2), or for other events whether their date was shared in time. */
  decision: Decision;
  /** The booking this one replaced, when rebooking. */
  cancelled?: BookingView;
}

export async function loadFactsFor(tx: Executor, enrolmentId: number): Promise<EnrolmentFacts> {
  const facts = await loadEnrolmentFacts(tx, enrolmentId);
  if (!facts) throw new NotFoundError('Enrolment not found');
  return facts;
}

/**
 * Only an enrolment on the programme books (the policy's status rule): a refusal is a policy
 * refusal with its clause, not a form error, so the API answers it as 422 POLICY_REFUSED.
 */
export function requireBookable(
  facts: EnrolmentFacts,
  action: 'book_event' | 'book_coaching',
  register: PolicyRegister,
): void {
  const decision = enrolmentStatusDecision(facts.enrolment.status, action, register);
  if (decision.outcome !== 'allowed') throw new PolicyRefusalError(decision);
}

/** Locks the event row so that places are counted and taken one booking at a time. */
async function lockEvent(tx: Tx, cohortEventId: number, cohortId: number): Promise<EventRow> {
  const [row] = await queryRows<EventRow>(
    tx,
    sql`select ce.id, ce.cohort_id, ce.activity_id, a.kind, a.sequence_number, a.programme_id, a.title,
               ce.starts_at, ce.ends_at, ce.location, ce.capacity, 0 as booked, null as my_booking_id
        from cohort_event ce join programme_activity a on a.id = ce.activity_id
        where ce.id = ${cohortEventId}
        for update of ce`,
  );
  // An event of another cohort is, for this participant, an event that does not exist.
  if (!row || row.cohort_id !== cohortId) throw new NotFoundError('Event not found');
  return row;
}

function accommodationFor(
  actor: Actor,
  input: AccommodationInput | undefined,
  today: string,
): ClinicAccommodation | undefined {
  if (!input) return undefined;
  return {
    grantedBy: actor.displayName,
    grantedByRole: actor.role,
    recordedOn: today,
    note: input.note,
  };
}

/** Checks, decides and inserts one event booking inside the caller's transaction. */
async function placeBooking(
  tx: Tx,
  deps: ServiceDeps,
  actor: Actor,
  facts: EnrolmentFacts,
  input: BookEventInput,
  options: { register: PolicyRegister; replacingBookingId?: number },
): Promise<{ booking: BookingView; decision: Decision; accommodation?: ClinicAccommodation }> {
  const { register } = options;
  const now = deps.clock.now();
  const today = londonDateOf(now);
  const event = await lockEvent(tx, input.cohortEventId, facts.cohort.id);
  const participantId = facts.participant.id;
  if (!['clinic', 'community_session', 'conference'].includes(event.kind)) {
    throw new ValidationError([
      {
        path: 'cohortEventId',
        message: 'Only clinics, community sessions and conferences are booked here.',
      },
    ]);
  }
  const startsAt = new Date(event.starts_at);
  const eventOn = londonDateOf(startsAt);

  const taken = await queryRows<{ id: number; cohort_event_id: number }>(
    tx,
    sql`select b.id, b.cohort_event_id from event_booking b join cohort_event ce on ce.id = b.cohort_event_id
        where b.participant_id = ${participantId} and b.status <> 'cancelled'
          and ce.activity_id = ${event.activity_id} and b.id <> ${options.replacingBookingId ?? -1}`,
  );
  if (taken.some((t) => t.cohort_event_id === event.id)) {
    throw new ConflictError('You are already booked on this session.');
  }
  if (taken.length > 0) {
    throw new ConflictError(
      'You are already booked on another date for this session. Change that booking instead.',
    );
  }

  let decision: Decision;
  let accommodation: ClinicAccommodation | undefined;
  if (event.kind === 'clinic') {
    accommodation = accommodationFor(actor, input.accommodation, today);
    const history = await loadClinicHistory(tx, participantId, event.programme_id, {
      missedIn: { cohortId: facts.cohort.id, today },
      ...(options.replacingBookingId !== undefined
        ? { excludeBookingId: options.replacingBookingId }
        : {}),
    });
    const clinic = evaluateClinicBooking(
      {
        clinicNumber: event.sequence_number,
        sessionOn: eventOn,
        today,
        history,
        workingPattern: facts.participant.workingPattern,
        ...(accommodation ? { accommodation } : {}),
      },
      register,
    );
    if (clinic.outcome !== 'allowed') throw new PolicyRefusalError(clinic);
    if (!clinic.details.allowedByAccommodation) accommodation = undefined;
    decision = clinic;
  } else {
    // Not a gate: it tells the participant whether the date was shared in good time (2.1.3, 2.2.1.4).
    decision = evaluateEventNotice(
      {
        kind: event.kind === 'conference' ? 'conference' : 'community_session',
        eventOn,
        publishedOn: await publishedOn(tx, event.id),
        inPerson: event.location !== 'Online',
      },
      register,
    );
  }

  if (startsAt <= now) {
    throw new ValidationError([
      { path: 'cohortEventId', message: 'This session has already taken place.' },
    ]);
  }

  // The event row is locked, so this count cannot change before our insert commits.
  if (event.capacity !== null) {
    const [count] = await queryRows<{ n: number }>(
      tx,
      sql`select count(*)::int as n from event_booking where cohort_event_id = ${event.id} and status <> 'cancelled'`,
    );
    if ((count?.n ?? 0) >= event.capacity) {
      throw new ConflictError('This session is full. Please choose another date.');
    }
  }

  const [inserted] = await queryRows<{ id: number }>(
    tx,
    sql`insert into event_booking (participant_id, enrolment_id, cohort_event_id, status, accommodation, booked_at)
        values (${participantId}, ${facts.enrolment.id}, ${event.id}, 'booked', ${accommodation?.note ?? null}, ${now})
        returning id`,
  );
  const [booking] = await queryRows<BookingRow>(
    tx,
    sql`${BOOKING_SELECT} where b.id = ${inserted!.id}`,
  );
  return {
    booking: toBookingView(booking!),
    decision,
    ...(accommodation ? { accommodation } : {}),
  };
}

async function publishedOn(tx: Executor, cohortEventId: number): Promise<string> {
  const [row] = await queryRows<{ published_on: string }>(
    tx,
    sql`select published_on::text from cohort_event where id = ${cohortEventId}`,
  );
  return row!.published_on;
}

/** A participant's own booking is confirmed at once; one staff make is sent in the daytime. */
export const noticeOptions = (deps: ServiceDeps, actor: Actor) => ({
  at: deps.clock.now(),
  publicUrl: deps.publicUrl,
  immediately: actor.role === 'participant',
});

const bookedWhat = (kind: ActivityKind) =>
  kind === 'clinic' ? 'CLINIC' : kind === 'conference' ? 'CONFERENCE' : 'COMMUNITY_SESSION';

/** Book a clinic slot, or sign up for a community session or conference. */
export async function bookEvent(
  deps: ServiceDeps,
  actor: Actor,
  input: BookEventInput,
): Promise<BookingResult> {
  return deps.db.transaction(async (tx) => {
    await requireEnrolment(tx, actor, input.enrolmentId, 'write', { participantMayWrite: true });
    const facts = await loadFactsFor(tx, input.enrolmentId);
    const register = await registerInForce(tx, londonDateOf(deps.clock.now()));
    requireBookable(facts, 'book_event', register);
    const placed = await placeBooking(tx, deps, actor, facts, input, { register });
    await audit(tx, {
      what: `${bookedWhat(placed.booking.kind)}_BOOKED`,
      who: actor,
      subjectType: 'event_booking',
      subjectId: placed.booking.id,
      details: {
        enrolmentId: input.enrolmentId,
        cohortEventId: input.cohortEventId,
        accommodation: placed.accommodation ?? null,
        decision: placed.decision,
      },
      at: deps.clock.now(),
    });
    await queueBookingNotice(tx, placed.booking.id, 'booked', noticeOptions(deps, actor));
    return { booking: placed.booking, decision: placed.decision };
  });
}

async function lockBooking(tx: Tx, actor: Actor, bookingId: number): Promise<BookingRow> {
  const [row] = await queryRows<BookingRow>(
    tx,
    sql`${BOOKING_SELECT} where b.id = ${bookingId} for update of b`,
  );
  if (!row) throw new NotFoundError('Booking not found');
  await requireEnrolment(tx, actor, row.enrolment_id, 'write', { participantMayWrite: true });
  return row;
}

async function markCancelled(tx: Tx, bookingId: number, at: Date): Promise<BookingView> {
  await tx.execute(
    sql`update event_booking set status = 'cancelled', cancelled_at = ${at} where id = ${bookingId}`,
  );
  const [row] = await queryRows<BookingRow>(tx, sql`${BOOKING_SELECT} where b.id = ${bookingId}`);
  return toBookingView(row!);
}

/** Cancel a booking; cancelling one already cancelled changes nothing. */
export async function cancelBooking(
  deps: ServiceDeps,
  actor: Actor,
  bookingId: number,
): Promise<{ booking: BookingView; changed: boolean }> {
  return deps.db.transaction(async (tx) => {
    const row = await lockBooking(tx, actor, bookingId);
    if (row.status === 'cancelled') return { booking: toBookingView(row), changed: false };
    if (row.status === 'attended') {
      throw new ConflictError(
        'This session has been attended, so the booking cannot be cancelled.',
      );
    }
    if (row.kind === 'clinic') {
      const [clinic] = await queryRows<{ number: number; programme_id: number }>(
        tx,
        sql`select sequence_number as number, programme_id from programme_activity where id = ${row.activity_id}`,
      );
      const decision = evaluateClinicCancellation(
        {
          clinicNumber: clinic!.number,
          history: await loadClinicHistory(tx, row.participant_id, clinic!.programme_id, {
            excludeBookingId: bookingId,
          }),
        },
        await registerInForce(tx, londonDateOf(deps.clock.now())),
      );
      if (decision.outcome !== 'allowed') throw new PolicyRefusalError(decision);
    }
    const now = deps.clock.now();
    const booking = await markCancelled(tx, bookingId, now);
    await audit(tx, {
      what: `${bookedWhat(row.kind)}_BOOKING_CANCELLED`,
      who: actor,
      subjectType: 'event_booking',
      subjectId: bookingId,
      details: { enrolmentId: row.enrolment_id, cohortEventId: row.cohort_event_id },
      at: now,
    });
    await queueBookingNotice(tx, bookingId, 'cancelled', noticeOptions(deps, actor));
    return { booking, changed: true };
  });
}

/**
 * Move a booking to another date of the same session, atomically: if the new date cannot be
 * booked, the original booking stands.
 */
export async function rebookBooking(
  deps: ServiceDeps,
  actor: Actor,
  bookingId: number,
  input: { cohortEventId: number; accommodation?: AccommodationInput | undefined },
): Promise<BookingResult> {
  return deps.db.transaction(async (tx) => {
    const row = await lockBooking(tx, actor, bookingId);
    if (row.status !== 'booked') {
      throw new ConflictError(`Only a current booking can be changed; this one is ${row.status}.`);
    }
    const facts = await loadFactsFor(tx, row.enrolment_id);
    const register = await registerInForce(tx, londonDateOf(deps.clock.now()));
    requireBookable(facts, 'book_event', register);
    const [target] = await queryRows<{ activity_id: number }>(
      tx,
      sql`select activity_id from cohort_event where id = ${input.cohortEventId} and cohort_id = ${facts.cohort.id}`,
    );
    if (!target) throw new NotFoundError('Event not found');
    if (input.cohortEventId === row.cohort_event_id) {
      throw new ConflictError('You are already booked on this date.');
    }
    if (target.activity_id !== row.activity_id) {
      throw new ValidationError([
        { path: 'cohortEventId', message: 'Choose another date of the same session.' },
      ]);
    }
    const now = deps.clock.now();
    // The old place is released first, so a full session can still be rebooked onto itself.
    const cancelled = await markCancelled(tx, bookingId, now);
    const placed = await placeBooking(
      tx,
      deps,
      actor,
      facts,
      { enrolmentId: row.enrolment_id, ...input },
      { register, replacingBookingId: bookingId },
    );
    await audit(tx, {
      what: `${bookedWhat(row.kind)}_REBOOKED`,
      who: actor,
      subjectType: 'event_booking',
      subjectId: placed.booking.id,
      details: {
        enrolmentId: row.enrolment_id,
        from: { bookingId, cohortEventId: row.cohort_event_id },
        cohortEventId: input.cohortEventId,
        accommodation: placed.accommodation ?? null,
        decision: placed.decision,
      },
      at: now,
    });
    await queueBookingNotice(tx, placed.booking.id, 'changed', noticeOptions(deps, actor));
    return { booking: placed.booking, decision: placed.decision, cancelled };
  });
}
