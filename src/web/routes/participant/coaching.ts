/**
 * Coaching for participants (policy 2.2.1.3, NPQEL and EHCO only): choose one of your coach's free
 * times, check your answers, book once (a double submit books once), and see the confirmation
 * with a reference. The same pages change a booking to another time; cancelling asks first.
 * Everyone else is told why coaching is not part of their course, with the clause.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { placeText } from '../../../domain/coaching-slots.js';
import { evaluateCoachingEntitlement, isCoachingCourse } from '../../../policy/index.js';
import { coachingReference, listBookings } from '../../../services/bookings.js';
import {
  bookCoaching,
  cancelCoaching,
  changeCoaching,
} from '../../../services/coaching-bookings.js';
import { freeSlotsFor, type SlotView } from '../../../services/coaching-slots.js';
import { ConflictError } from '../../../services/errors.js';
import { isFormToken, newFormToken, submitOnce } from '../../../services/form-submissions.js';
import { getEnrolment } from '../../../services/participants.js';
import type { FormErrors } from '../../forms.js';
import {
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

type Body = Record<string, unknown>;

const slotText = (s: SlotView) => ({
  id: s.id,
  when: govukDateTimeRange(s.startsAt, s.endsAt),
  where: placeText(s.mode, s.place),
  coachName: s.coachName,
});

export function coachingRoutes(app: FastifyInstance, deps: PageDeps): void {
  /** The booking page: my sessions, and the coach's free times to choose from. */
  const bookPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    { actor, enrolment }: ParticipantContext,
    extra: { errors?: FormErrors; changeOf?: number | null } = {},
  ): Promise<FastifyReply> => {
    const record = await getEnrolment(deps, actor, enrolment.id);
    const entitlement = evaluateCoachingEntitlement({ course: record.cohort.course });
    if (!isCoachingCourse(record.cohort.course)) {
      return reply.view('participant/coaching.njk', { entitlement, entitled: false });
    }
    const now = deps.clock.now();
    const coach = await assignedCoach(deps.db, actor.participantId!);
    const [bookings, slots] = await Promise.all([
      listBookings(deps, actor, enrolment.id),
      coach ? freeSlotsFor(deps, actor, enrolment.id) : Promise.resolve([]),
    ]);
    const sessions = bookings.coaching
      .filter((s) => s.status !== 'cancelled')
      .map((s) => ({
        id: s.id,
        reference: coachingReference(s.id),
        title: s.title,
        coachName: s.coachName,
        status: s.status,
        when: govukDateTimeRange(s.startsAt, s.endsAt),
        where: s.mode && s.place ? placeText(s.mode, s.place) : null,
        upcoming: s.status === 'scheduled' && new Date(s.startsAt) > now,
      }));
    const changeOf = extra.changeOf ?? null;
    const changing =
      changeOf === null ? null : sessions.find((s) => s.id === changeOf && s.upcoming);
    if (changeOf !== null && !changing) return renderNotFound(reply);
    return reply.view('participant/coaching.njk', {
      ...extra,
      entitled: true,
      entitlement,
      flash: takeFlash(request),
      bookable: ['accepted', 'active'].includes(record.status),
      coach,
      upcoming: sessions.filter((s) => s.upcoming),
      past: sessions.filter((s) => !s.upcoming),
      slots: slots.map(slotText),
      changing,
    });
  };

  const changeOfQuery = (request: FastifyRequest): number | null | undefined => {
    const raw = (request.query as { change?: string } | undefined)?.change;
    if (raw === undefined) return null;
    return parseId(raw) ?? undefined;
  };

  app.get('/coaching/book', (request, reply) =>
    participantPage(deps, request, reply, async (ctx) => {
      const changeOf = changeOfQuery(request);
      if (changeOf === undefined) return renderNotFound(reply);
      return bookPage(request, reply, ctx, { changeOf });
    }),
  );

  /** Chosen a time: check your answers (nothing is booked yet). */
  app.post('/coaching/book', (request, reply) =>
    participantPage(deps, request, reply, async (ctx) => {
      const body = (request.body ?? {}) as Body;
      const changeOf = parseId(typeof body['changeOf'] === 'string' ? body['changeOf'] : undefined);
      const slotId = parseId(typeof body['slotId'] === 'string' ? body['slotId'] : undefined);
      const slots = await freeSlotsFor(deps, ctx.actor, ctx.enrolment.id);
      const slot = slots.find((s) => s.id === slotId);
      if (!slot) {
        const text =
          slotId === null ? 'Choose a time' : 'That time has just been taken; choose another';
        return bookPage(request, reply.code(422), ctx, {
          changeOf,
          errors: { list: [{ text, href: '#slotId' }], byField: { slotId: { text } } },
        });
      }
      return reply.view('participant/coaching-check.njk', {
        slot: slotText(slot),
        changeOf,
        token: isFormToken(body['token']) ? body['token'] : newFormToken(),
      });
    }),
  );

  /** Book (or change) once: a second submission of the same form shows the first one's result. */
  app.post('/coaching/book/confirm', (request, reply) =>
    participantPage(deps, request, reply, async (ctx) => {
      const body = (request.body ?? {}) as Body;
      const changeOf = parseId(typeof body['changeOf'] === 'string' ? body['changeOf'] : undefined);
      const slotId = parseId(typeof body['slotId'] === 'string' ? body['slotId'] : undefined);
      if (slotId === null) return renderNotFound(reply);
      try {
        const sent = await submitOnce(deps, ctx.actor, String(body['token'] ?? ''), async (tx) => {
          const result =
            changeOf === null
              ? await bookCoaching(tx, ctx.actor, { enrolmentId: ctx.enrolment.id, slotId })
              : await changeCoaching(tx, ctx.actor, changeOf, slotId);
          return `/coaching/booked/${result.session.id}${changeOf === null ? '' : '?changed=1'}`;
        });
        return reply.redirect(sent.location, 303);
      } catch (error) {
        const failure = formFailureOf(error, 'slotId');
        if (!failure) throw error;
        return bookPage(request, reply.code(error instanceof ConflictError ? 409 : 422), ctx, {
          changeOf,
          errors: failure.errors,
        });
      }
    }),
  );

  app.get<{ Params: { id: string } }>('/coaching/booked/:id', (request, reply) =>
    participantPage(deps, request, reply, async ({ actor, enrolment }) => {
      const id = parseId(request.params.id);
      const bookings = await listBookings(deps, actor, enrolment.id);
      const session = bookings.coaching.find((s) => s.id === id && s.status !== 'cancelled');
      if (!session) return renderNotFound(reply);
      return reply.view('participant/coaching-booked.njk', {
        changed: (request.query as { changed?: string } | undefined)?.changed === '1',
        reference: coachingReference(session.id),
        session: {
          ...session,
          when: govukDateTimeRange(session.startsAt, session.endsAt),
          where: session.mode && session.place ? placeText(session.mode, session.place) : null,
        },
      });
    }),
  );

  const cancelPage = async (
    request: FastifyRequest<{ Params: { sessionId: string } }>,
    reply: FastifyReply,
    { actor, enrolment }: ParticipantContext,
    errors?: FormErrors,
  ) => {
    const id = parseId(request.params.sessionId);
    const bookings = await listBookings(deps, actor, enrolment.id);
    const session = bookings.coaching.find(
      (s) => s.id === id && s.status === 'scheduled' && new Date(s.startsAt) > deps.clock.now(),
    );
    if (!session) return renderNotFound(reply);
    return reply.view('participant/coaching-cancel.njk', {
      errors,
      reference: coachingReference(session.id),
      session: { ...session, when: govukDateTimeRange(session.startsAt, session.endsAt) },
    });
  };

  app.get<{ Params: { sessionId: string } }>('/coaching/:sessionId/cancel', (request, reply) =>
    participantPage(deps, request, reply, (ctx) => cancelPage(request, reply, ctx)),
  );

  app.post<{ Params: { sessionId: string } }>('/coaching/:sessionId/cancel', (request, reply) =>
    participantPage(deps, request, reply, async (ctx) => {
      const sessionId = parseId(request.params.sessionId);
      if (sessionId === null) return renderNotFound(reply);
      try {
        const result = await cancelCoaching(deps, ctx.actor, sessionId);
        setFlash(request, {
          heading: 'Coaching cancelled',
          text: `${result.session.title} with ${result.session.coachName}, ${govukDateTimeRange(result.session.startsAt, result.session.endsAt)}, is cancelled. Your coach has been told.`,
        });
        return reply.redirect('/coaching/book', 303);
      } catch (error) {
        const failure = formFailureOf(error, 'cancel');
        if (!failure) throw error;
        return cancelPage(request, reply.code(422), ctx, failure.errors);
      }
    }),
  );
}
