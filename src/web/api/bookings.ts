import { z } from 'zod';
import { ACTIVITY_KINDS } from '../../domain/catalogue.js';
import {
  bookEvent,
  cancelBooking,
  listBookings,
  listClinicSlots,
  listCohortEvents,
  rebookBooking,
} from '../../services/bookings.js';
import { bookCoaching, cancelCoaching } from '../../services/coaching-bookings.js';
import { freeSlotsFor } from '../../services/coaching-slots.js';
import { actorOf, ErrorBody, type ApiModule } from './plugin.js';
import { Id, IdParam, PolicyDecision, writeErrors } from './schemas.js';

const EventFields = {
  cohortEventId: z.number(),
  activityId: z.number(),
  kind: z.enum(ACTIVITY_KINDS),
  number: z.number(),
  title: z.string(),
  startsAt: z.string(),
  endsAt: z.string(),
  location: z.string(),
  capacity: z.number().nullable(),
  booked: z.number(),
  remaining: z.number().nullable(),
  myBookingId: z.number().nullable(),
};

const CohortEvent = z.object(EventFields).meta({ id: 'CohortEvent' });

const ClinicSlot = z
  .object({ ...EventFields, decision: PolicyDecision.nullable() })
  .meta({ id: 'ClinicSlot' });

const Booking = z
  .object({
    id: z.number(),
    enrolmentId: z.number(),
    participantId: z.number(),
    cohortEventId: z.number(),
    activityId: z.number(),
    kind: z.enum(ACTIVITY_KINDS),
    title: z.string(),
    startsAt: z.string(),
    endsAt: z.string(),
    status: z.string(),
    accommodation: z.string().nullable(),
    bookedAt: z.string(),
    cancelledAt: z.string().nullable(),
  })
  .meta({ id: 'EventBooking' });

const CoachingSession = z
  .object({
    id: z.number(),
    enrolmentId: z.number(),
    participantId: z.number(),
    coachUserId: z.number(),
    coachName: z.string(),
    activityId: z.number(),
    title: z.string(),
    startsAt: z.string(),
    endsAt: z.string(),
    status: z.string(),
    slotId: z.number().nullable(),
    mode: z.string().nullable().meta({ description: "'online' or 'in_person'" }),
    place: z.string().nullable(),
    note: z
      .string()
      .nullable()
      .meta({ description: "The coach's note; staff only (null for the participant)." }),
  })
  .meta({ id: 'CoachingSession' });

const CoachingSlot = z
  .object({
    id: z.number(),
    coachUserId: z.number(),
    coachName: z.string(),
    startsAt: z.string(),
    endsAt: z.string(),
    mode: z.enum(['online', 'in_person']),
    place: z.string(),
  })
  .meta({ id: 'CoachingSlot' });

const BookingResult = z
  .object({ booking: Booking, decision: PolicyDecision, cancelled: Booking.optional() })
  .meta({ id: 'BookingResult' });

const Accommodation = z.object({ note: z.string().trim().min(1).max(2000) }).meta({
  description:
    'Staff only: a change to the clinic sequence agreed for a participant who works part-time (policy 2.2.1.2). It is recorded on the booking.',
});

/** Bookings: clinics, community sessions, conferences and coaching. */
export const bookingsApi: ApiModule = (app, deps) => {
  app.get(
    '/enrolments/:id/bookings',
    {
      schema: {
        tags: ['Bookings'],
        summary: "An enrolment's event bookings and coaching sessions",
        params: IdParam,
        response: {
          200: z.object({ events: z.array(Booking), coaching: z.array(CoachingSession) }),
          401: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (request) => listBookings(deps, actorOf(request), request.params.id),
  );

  app.get(
    '/enrolments/:id/clinic-slots',
    {
      schema: {
        tags: ['Bookings'],
        summary:
          "The cohort's clinic slots with places left and whether each can be booked now, in sequence (policy 2.2.1.2)",
        params: IdParam,
        response: { 200: z.array(ClinicSlot), 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => listClinicSlots(deps, actorOf(request), request.params.id),
  );

  app.get(
    '/enrolments/:id/events',
    {
      schema: {
        tags: ['Bookings'],
        summary:
          "The cohort's dated events (clinics, community sessions, conferences) with places left",
        params: IdParam,
        querystring: z.object({ kind: z.enum(ACTIVITY_KINDS).optional() }),
        response: { 200: z.array(CohortEvent), 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) =>
      listCohortEvents(deps, actorOf(request), request.params.id, request.query.kind),
  );

  app.post(
    '/bookings',
    {
      schema: {
        tags: ['Bookings'],
        summary:
          'Book a clinic slot (in sequence and within capacity) or sign up for a community session or conference',
        body: z.object({
          enrolmentId: Id,
          cohortEventId: Id,
          accommodation: Accommodation.optional(),
        }),
        response: { 201: BookingResult, ...writeErrors },
      },
    },
    async (request, reply) => {
      const result = await bookEvent(deps, actorOf(request), request.body);
      return reply.code(201).send(result);
    },
  );

  app.post(
    '/bookings/:id/cancel',
    {
      schema: {
        tags: ['Bookings'],
        summary: 'Cancel a booking (cancelling it again changes nothing)',
        params: IdParam,
        response: { 200: z.object({ booking: Booking, changed: z.boolean() }), ...writeErrors },
      },
    },
    async (request) => cancelBooking(deps, actorOf(request), request.params.id),
  );

  app.post(
    '/bookings/:id/rebook',
    {
      schema: {
        tags: ['Bookings'],
        summary:
          'Move a booking to another date of the same session, atomically: if the new date cannot be booked the old booking stands',
        params: IdParam,
        body: z.object({
          cohortEventId: Id,
          accommodation: Accommodation.optional(),
        }),
        response: { 200: BookingResult, ...writeErrors },
      },
    },
    async (request) => rebookBooking(deps, actorOf(request), request.params.id, request.body),
  );

  app.get(
    '/enrolments/:id/coaching-slots',
    {
      schema: {
        tags: ['Bookings'],
        summary:
          "The free coaching slots of the enrolment's assigned coach, from now on (policy 2.2.1.3)",
        params: IdParam,
        response: { 200: z.object({ slots: z.array(CoachingSlot) }) },
      },
    },
    async (request) => ({
      slots: (await freeSlotsFor(deps, actorOf(request), request.params.id)).map(
        ({ sessionId: _s, participantName: _p, ...slot }) => slot,
      ),
    }),
  );

  app.post(
    '/coaching-sessions',
    {
      schema: {
        tags: ['Bookings'],
        summary:
          "Book coaching (NPQEL and EHCO only, policy 2.2.1.3) into one of your coach's free slots: give slotId, or coachUserId with the slot's exact startsAt and endsAt",
        body: z
          .object({
            enrolmentId: Id,
            slotId: Id.optional(),
            coachUserId: Id.optional(),
            startsAt: z.iso.datetime({ offset: true }).optional(),
            endsAt: z.iso.datetime({ offset: true }).optional(),
            activityId: Id.optional(),
          })
          .refine((b) => b.slotId !== undefined || (b.startsAt && b.endsAt && b.coachUserId), {
            message: 'Give slotId, or coachUserId, startsAt and endsAt of a free slot',
            path: ['slotId'],
          }),
        response: {
          201: z
            .object({ session: CoachingSession, decision: PolicyDecision })
            .meta({ id: 'CoachingBookingResult' }),
          ...writeErrors,
        },
      },
    },
    async (request, reply) => {
      const { startsAt, endsAt, ...rest } = request.body;
      const result = await bookCoaching(deps, actorOf(request), {
        ...rest,
        startsAt: startsAt ? new Date(startsAt) : undefined,
        endsAt: endsAt ? new Date(endsAt) : undefined,
      });
      return reply.code(201).send(result);
    },
  );

  app.post(
    '/coaching-sessions/:id/cancel',
    {
      schema: {
        tags: ['Bookings'],
        summary: 'Cancel a coaching session (cancelling it again changes nothing)',
        params: IdParam,
        response: {
          200: z.object({ session: CoachingSession, changed: z.boolean() }),
          ...writeErrors,
        },
      },
    },
    async (request) => cancelCoaching(deps, actorOf(request), request.params.id),
  );
};
