/**
 * A coach's own pages (policy 2.2.1.3): publish and remove availability slots (a phone-sized form,
 * field errors), and record each session's attendance with a short note. Coaches only: any other
 * member of staff is told the page does not exist.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../../api/plugin.js';
import { placeText, SLOT_MINUTES } from '../../../domain/coaching-slots.js';
import type { Actor } from '../../../services/actor.js';
import { coachingReference } from '../../../services/bookings.js';
import {
  getCoachSession,
  NOTE_MAX,
  recordCoachingOutcome,
} from '../../../services/coaching-sessions.js';
import { addSlot, getMySlot, listMySlots, removeSlot } from '../../../services/coaching-slots.js';
import { formErrors, type FormErrors } from '../../forms.js';
import { whenText } from './assignments.js';
import { idParam, notFound, page, requireStaffPage, submit, type FormFailure } from './support.js';

type Body = Record<string, unknown>;
const str = (body: Body, key: string): string =>
  typeof body[key] === 'string' ? (body[key] as string) : '';

const SLOT_FIELDS = ['day', 'month', 'year', 'startTime', 'minutes', 'mode', 'place'] as const;

const MINUTE_LABELS: Record<string, string> = {
  '30': '30 minutes',
  '45': '45 minutes',
  '60': '1 hour',
  '90': '1 hour 30 minutes',
};

/** The date error is shown on the date input and links to its day box. */
function dateFirst(errors: FormErrors): FormErrors {
  return {
    list: errors.list.map((l) => (l.href === '#date' ? { ...l, href: '#date-day' } : l)),
    byField: errors.byField,
  };
}

function coachOnly(request: FastifyRequest, reply: FastifyReply): Actor | null {
  const actor = requireStaffPage(request, reply);
  if (!actor) return null;
  if (actor.role !== 'coach') {
    void notFound(reply);
    return null;
  }
  return actor;
}

export function coachingPageRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const availabilityPage = async (
    reply: FastifyReply,
    actor: Actor,
    extra: { errors?: FormErrors; values?: Body; notice?: string | undefined } = {},
  ) => {
    const { slots, window } = await listMySlots(deps, actor);
    return reply.view('staff/coaching-availability.njk', {
      ...extra,
      values: extra.values ?? { minutes: '60', mode: 'online' },
      window,
      minutes: SLOT_MINUTES.map((m) => ({ value: m, text: MINUTE_LABELS[m] })),
      slots: slots.map((s) => ({
        ...s,
        when: whenText(s.startsAt),
        length: `${Math.round((Date.parse(s.endsAt) - Date.parse(s.startsAt)) / 60_000)} minutes`,
        where: placeText(s.mode, s.place),
      })),
    });
  };

  app.get('/coaching/availability', async (request, reply) => {
    const actor = coachOnly(request, reply);
    if (!actor) return reply;
    const q = (request.query ?? {}) as { notice?: string };
    const notice =
      q.notice === 'added'
        ? 'Slot added: participants can book it now'
        : q.notice === 'removed'
          ? 'Slot removed'
          : q.notice === 'cancelled'
            ? 'Slot removed and the booking cancelled: the participant has been emailed'
            : undefined;
    return page(reply, () => availabilityPage(reply, actor, { notice }));
  });

  app.post('/coaching/availability', async (request, reply) => {
    const actor = coachOnly(request, reply);
    if (!actor) return reply;
    const body = (request.body ?? {}) as Body;
    const values = Object.fromEntries(SLOT_FIELDS.map((f) => [f, str(body, f)]));
    return page(reply, () =>
      submit(
        reply,
        async () => {
          await addSlot(deps, actor, {
            day: str(body, 'day'),
            month: str(body, 'month'),
            year: str(body, 'year'),
            startTime: str(body, 'startTime'),
            minutes: str(body, 'minutes'),
            mode: str(body, 'mode'),
            place: str(body, 'place'),
          });
          return '/coaching/availability?notice=added#slots';
        },
        (failure, status) =>
          availabilityPage(reply.code(status), actor, {
            errors: dateFirst(failure.errors),
            values,
          }),
      ),
    );
  });

  const removePage = async (
    reply: FastifyReply,
    actor: Actor,
    slotId: number,
    failure?: FormFailure,
  ) => {
    const slot = await getMySlot(deps, actor, slotId);
    return reply.view('staff/coaching-slot-remove.njk', {
      slot: { ...slot, when: whenText(slot.startsAt), where: placeText(slot.mode, slot.place) },
      errors: failure?.errors,
    });
  };

  app.get<{ Params: { id: string } }>(
    '/coaching/availability/:id/remove',
    async (request, reply) => {
      const actor = coachOnly(request, reply);
      if (!actor) return reply;
      const slotId = idParam(request.params.id);
      if (slotId === undefined) return notFound(reply);
      return page(reply, () => removePage(reply, actor, slotId));
    },
  );

  app.post<{ Params: { id: string } }>(
    '/coaching/availability/:id/remove',
    async (request, reply) => {
      const actor = coachOnly(request, reply);
      if (!actor) return reply;
      const slotId = idParam(request.params.id);
      if (slotId === undefined) return notFound(reply);
      const cancelBooking = str((request.body ?? {}) as Body, 'cancelBooking') === 'yes';
      return page(reply, () =>
        submit(
          reply,
          async () => {
            const result = await removeSlot(deps, actor, slotId, { cancelBooking });
            return `/coaching/availability?notice=${result.cancelledSessionId === null ? 'removed' : 'cancelled'}`;
          },
          (failure, status) => removePage(reply.code(status), actor, slotId, failure),
        ),
      );
    },
  );

  const sessionPage = async (
    reply: FastifyReply,
    actor: Actor,
    sessionId: number,
    extra: { errors?: FormErrors; values?: Body } = {},
  ) => {
    const s = await getCoachSession(deps, actor, sessionId);
    const started = Date.parse(s.startsAt) <= deps.clock.now().getTime();
    return reply.view('staff/coaching-session.njk', {
      ...extra,
      values: extra.values ?? {
        attended: s.status === 'attended' || s.status === 'did_not_attend' ? s.status : '',
        note: s.note ?? '',
      },
      noteMax: NOTE_MAX,
      canRecord: started && s.status !== 'cancelled',
      session: {
        ...s,
        reference: coachingReference(s.id),
        when: whenText(s.startsAt),
        where: s.mode && s.place ? placeText(s.mode, s.place) : null,
      },
    });
  };

  app.get<{ Params: { id: string } }>('/coaching/sessions/:id', async (request, reply) => {
    const actor = coachOnly(request, reply);
    if (!actor) return reply;
    const sessionId = idParam(request.params.id);
    if (sessionId === undefined) return notFound(reply);
    return page(reply, () => sessionPage(reply, actor, sessionId));
  });

  app.post<{ Params: { id: string } }>('/coaching/sessions/:id', async (request, reply) => {
    const actor = coachOnly(request, reply);
    if (!actor) return reply;
    const sessionId = idParam(request.params.id);
    if (sessionId === undefined) return notFound(reply);
    const body = (request.body ?? {}) as Body;
    const attended = str(body, 'attended');
    const values = { attended, note: str(body, 'note') };
    if (attended !== 'attended' && attended !== 'did_not_attend') {
      return page(reply, () =>
        sessionPage(reply.code(422), actor, sessionId, {
          errors: formErrors([
            { path: ['attended'], message: 'Choose whether the participant attended' },
          ]),
          values,
        }),
      );
    }
    return page(reply, () =>
      submit(
        reply,
        async () => {
          await recordCoachingOutcome(deps, actor, sessionId, { attended, note: values.note });
          return `/coaching?notice=recorded`;
        },
        (failure, status) =>
          sessionPage(reply.code(status), actor, sessionId, { errors: failure.errors, values }),
      ),
    );
  });
}
