import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { evaluateCoachingEntitlement, isCoachingCourse } from '../../../policy/index.js';
import {
  BOOKABLE_STATUSES,
  bookEvent,
  cancelBooking,
  listBookings,
  listClinicSlots,
  listCohortEvents,
  rebookBooking,
  type BookingView,
  type EventView,
  type ClinicSlotView,
} from '../../../services/bookings.js';
import { contactDetailsFor } from '../../../services/organisations/contacts.js';
import { getEnrolment } from '../../../services/participants.js';
import { parseForm, type FormErrors } from '../../forms.js';
import {
  flashDecision,
  formFailureOf,
  govukDateTimeRange,
  parseId,
  participantPage,
  renderNotFound,
  setFlash,
  takeFlash,
  type PageDeps,
  type ParticipantContext,
} from './helpers.js';
import { assignedCoach } from './queries.js';

const KIND_NAMES = {
  clinic: 'Clinic',
  community_session: 'Community session',
  conference: 'Conference',
} as const;

type EventKind = keyof typeof KIND_NAMES;

function slotView(slot: EventView | ClinicSlotView, now: Date) {
  const past = new Date(slot.startsAt) <= now;
  return {
    id: slot.cohortEventId,
    when: govukDateTimeRange(slot.startsAt, slot.endsAt),
    location: slot.location,
    remaining: slot.remaining,
    mine: slot.myBookingId !== null,
    myBookingId: slot.myBookingId,
    past,
    decision: 'decision' in slot ? slot.decision : null,
  };
}

/** Events of one kind grouped by the activity they are dates of (clinic 2 has three slots). */
function groupByActivity(
  slots: readonly (EventView | ClinicSlotView)[],
  bookings: readonly BookingView[],
  now: Date,
) {
  const groups = new Map<
    number,
    {
      activityId: number;
      number: number;
      title: string;
      kind: EventKind;
      slots: ReturnType<typeof slotView>[];
    }
  >();
  for (const slot of slots) {
    const group = groupsGet(groups, slot);
    group.slots.push(slotView(slot, now));
  }
  return [...groups.values()].map((g) => {
    const booking = bookings.find((b) => b.activityId === g.activityId && b.status !== 'cancelled');
    const future = g.slots.filter((s) => !s.past);
    // The rule's answer for the first date still open to this participant explains the clinic.
    const explain = future.find((s) => !s.mine && s.decision)?.decision ?? null;
    return {
      ...g,
      // Activity titles repeat the kind ("Clinic: Implementation"); the heading already says it.
      title: g.title.replace(new RegExp(`^${KIND_NAMES[g.kind]}:\\s*`, 'i'), ''),
      name: `${KIND_NAMES[g.kind]} ${g.number}`,
      booking: booking
        ? {
            id: booking.id,
            status: booking.status,
            when: govukDateTimeRange(booking.startsAt, booking.endsAt),
            past: new Date(booking.startsAt) <= now,
          }
        : null,
      future,
      finished: future.length === 0,
      decision: explain,
      canChange:
        booking?.status === 'booked' &&
        future.some((s) => !s.mine) &&
        new Date(booking.startsAt) > now,
    };
  });
}

function groupsGet(
  groups: Map<
    number,
    {
      activityId: number;
      number: number;
      title: string;
      kind: EventKind;
      slots: ReturnType<typeof slotView>[];
    }
  >,
  slot: EventView,
) {
  let group = groups.get(slot.activityId);
  if (!group) {
    group = {
      activityId: slot.activityId,
      number: slot.number,
      title: slot.title,
      kind: slot.kind as EventKind,
      slots: [],
    };
    groups.set(slot.activityId, group);
  }
  return group;
}

async function renderEvents(
  deps: PageDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  { actor, enrolment }: ParticipantContext,
  extra: { errors?: FormErrors; values?: Record<string, unknown> } = {},
) {
  const now = deps.clock.now();
  const record = await getEnrolment(deps, actor, enrolment.id);
  const [clinics, community, conferences, bookings] = await Promise.all([
    listClinicSlots(deps, actor, enrolment.id),
    listCohortEvents(deps, actor, enrolment.id, 'community_session'),
    listCohortEvents(deps, actor, enrolment.id, 'conference'),
    listBookings(deps, actor, enrolment.id),
  ]);
  // Coaching is NPQEL and EHCO only (2.2.1.3); everyone else does not see it at all.
  const coaching = isCoachingCourse(record.cohort.course);
  const coach =
    coaching && actor.participantId !== null
      ? await assignedCoach(deps.db, actor.participantId)
      : null;
  const clinicGroups = groupByActivity(clinics, bookings.events, now);
  const bookable = BOOKABLE_STATUSES.includes(record.status);
  return reply.view('participant/events.njk', {
    ...extra,
    flash: takeFlash(request),
    cohort: record.cohort,
    bookable,
    // Instead of booking forms: why not, and whom to contact.
    contact: bookable ? null : await contactDetailsFor(deps, actor, enrolment.id),
    status: record.status,
    clinics: clinicGroups.filter((g) => !g.finished || g.booking),
    pastClinics: clinicGroups.filter((g) => g.finished && !g.booking).length,
    community: groupByActivity(community, bookings.events, now).filter(
      (g) => !g.finished || g.booking,
    ),
    conferences: groupByActivity(conferences, bookings.events, now),
    coaching: coaching
      ? {
          entitlement: evaluateCoachingEntitlement({ course: record.cohort.course }),
          coach,
          sessions: bookings.coaching.map((s) => ({
            id: s.id,
            title: s.title,
            coachName: s.coachName,
            status: s.status,
            when: govukDateTimeRange(s.startsAt, s.endsAt),
            upcoming: s.status === 'scheduled' && new Date(s.startsAt) > now,
          })),
        }
      : null,
  });
}

export function eventRoutes(app: FastifyInstance, deps: PageDeps): void {
  app.get('/events', (request, reply) =>
    participantPage(deps, request, reply, (ctx) => renderEvents(deps, request, reply, ctx)),
  );

  app.post<{ Params: { eventId: string } }>('/events/:eventId/book', (request, reply) =>
    participantPage(deps, request, reply, async (ctx) => {
      const cohortEventId = parseId(request.params.eventId);
      if (cohortEventId === null) return renderNotFound(reply);
      try {
        const result = await bookEvent(deps, ctx.actor, {
          enrolmentId: ctx.enrolment.id,
          cohortEventId,
        });
        const kind = KIND_NAMES[result.booking.kind as EventKind] ?? 'Session';
        setFlash(request, {
          heading: `${kind === 'Clinic' ? 'Booked' : 'Signed up'}: ${result.booking.title}`,
          text: govukDateTimeRange(result.booking.startsAt, result.booking.endsAt),
          decision: flashDecision(result.decision),
        });
        return reply.redirect(`/events#activity-${result.booking.activityId}`, 303);
      } catch (error) {
        const failure = formFailureOf(error, `event-${cohortEventId}`);
        if (!failure) throw error;
        return renderEvents(deps, request, reply.code(422), ctx, { errors: failure.errors });
      }
    }),
  );

  app.post<{ Params: { bookingId: string } }>('/bookings/:bookingId/cancel', (request, reply) =>
    participantPage(deps, request, reply, async (ctx) => {
      const bookingId = parseId(request.params.bookingId);
      if (bookingId === null) return renderNotFound(reply);
      try {
        const result = await cancelBooking(deps, ctx.actor, bookingId);
        setFlash(request, {
          heading: `Cancelled: ${result.booking.title}`,
          text: `Your place on ${govukDateTimeRange(result.booking.startsAt, result.booking.endsAt)} is cancelled.`,
        });
        return reply.redirect('/events', 303);
      } catch (error) {
        const failure = formFailureOf(error, `booking-${bookingId}`);
        if (!failure) throw error;
        return renderEvents(deps, request, reply.code(422), ctx, { errors: failure.errors });
      }
    }),
  );

  const changePage = async (
    request: FastifyRequest<{ Params: { bookingId: string } }>,
    reply: FastifyReply,
    ctx: ParticipantContext,
    extra: { errors?: FormErrors } = {},
  ) => {
    const bookingId = parseId(request.params.bookingId);
    if (bookingId === null) return renderNotFound(reply);
    const now = deps.clock.now();
    const bookings = await listBookings(deps, ctx.actor, ctx.enrolment.id);
    const booking = bookings.events.find((b) => b.id === bookingId && b.status === 'booked');
    // Someone else's booking, or one that cannot be changed, is not a page for this participant.
    if (!booking || new Date(booking.startsAt) <= now) return renderNotFound(reply);
    const slots =
      booking.kind === 'clinic'
        ? await listClinicSlots(deps, ctx.actor, ctx.enrolment.id)
        : await listCohortEvents(deps, ctx.actor, ctx.enrolment.id, booking.kind);
    const options = slots
      .filter(
        (s) => s.activityId === booking.activityId && s.cohortEventId !== booking.cohortEventId,
      )
      .map((s) => slotView(s, now))
      .filter((s) => !s.past);
    // The form only when a date can be chosen; otherwise why not, and what to do instead.
    const record = await getEnrolment(deps, ctx.actor, ctx.enrolment.id);
    const bookable = BOOKABLE_STATUSES.includes(record.status);
    const choosable = options.filter(
      (o) => o.remaining !== 0 && (!o.decision || o.decision.outcome === 'allowed'),
    );
    const showForm = bookable && choosable.length > 0;
    return reply.view('participant/booking-change.njk', {
      ...extra,
      booking: { ...booking, when: govukDateTimeRange(booking.startsAt, booking.endsAt) },
      options,
      showForm,
      bookable,
      status: record.status,
      contact: showForm ? null : await contactDetailsFor(deps, ctx.actor, ctx.enrolment.id),
    });
  };

  app.get<{ Params: { bookingId: string } }>('/bookings/:bookingId/change', (request, reply) =>
    participantPage(deps, request, reply, (ctx) => changePage(request, reply, ctx)),
  );

  app.post<{ Params: { bookingId: string } }>('/bookings/:bookingId/change', (request, reply) =>
    participantPage(deps, request, reply, async (ctx) => {
      const bookingId = parseId(request.params.bookingId);
      if (bookingId === null) return renderNotFound(reply);
      const form = parseForm(
        z.object({
          cohortEventId: z
            .string({ message: 'Choose a new date' })
            .regex(/^\d+$/, 'Choose a new date'),
        }),
        request.body,
      );
      if (!form.ok) return changePage(request, reply.code(422), ctx, { errors: form.errors });
      try {
        const result = await rebookBooking(deps, ctx.actor, bookingId, {
          cohortEventId: Number(form.data.cohortEventId),
        });
        setFlash(request, {
          heading: `Date changed: ${result.booking.title}`,
          text: `You are now booked on ${govukDateTimeRange(result.booking.startsAt, result.booking.endsAt)}.`,
          decision: flashDecision(result.decision),
        });
        return reply.redirect(`/events#activity-${result.booking.activityId}`, 303);
      } catch (error) {
        const failure = formFailureOf(error, 'cohortEventId');
        if (!failure) throw error;
        return changePage(request, reply.code(422), ctx, { errors: failure.errors });
      }
    }),
  );
}
