import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ApiDeps } from '../../api/plugin.js';
import type { Actor } from '../../../services/actor.js';
import {
  changeCohortEvent,
  getCohortEvent,
  listEventsOfCohort,
  previewEventChange,
  type EventChangeInput,
} from '../../../services/cohort-events.js';
import { ConflictError, PolicyRefusalError, ValidationError } from '../../../services/errors.js';
import { formErrors, type FormErrors } from '../../forms.js';
import { whenText } from '../../email-view.js';
import { dateFromParts } from '../participant/changes.js';
import { idParam, notFound, page, requireStaffPage } from './support.js';

/**
 * Cohorts after set-up: the programme team lists a cohort's events and changes one's date, time,
 * place or capacity: a form, a check page with the calendar rule's decision and how many booked
 * participants will be emailed, then the change.
 */

type Body = Record<string, unknown>;
type Values = Record<string, string>;
const SETUP_ROLES: readonly Actor['role'][] = ['programme_team', 'admin'];
const FIELDS = [
  'date-day',
  'date-month',
  'date-year',
  'startTime',
  'endTime',
  'location',
  'capacity',
  'shortNoticeReason',
  'expectedStartsAt',
];
const KIND_LABELS: Record<string, string> = {
  clinic: 'Clinic',
  community_session: 'Community session',
  conference: 'Conference',
};

function valuesOf(body: Body): Values {
  const v: Values = {};
  for (const f of FIELDS) {
    const x = body[f];
    v[f] = typeof x === 'string' ? x.trim().slice(0, 500) : '';
  }
  return v;
}

function parse(
  cohortId: number,
  eventId: number,
  v: Values,
): { ok: true; input: EventChangeInput } | { ok: false; errors: FormErrors } {
  const issues: { path: string[]; message: string }[] = [];
  const date = dateFromParts(v, 'date');
  if (!date.ok) issues.push({ path: ['date'], message: date.message });
  const capacity = v.capacity === '' ? null : Number(v.capacity);
  if (capacity !== null && !/^\d{1,6}$/.test(v.capacity ?? '')) {
    issues.push({
      path: ['capacity'],
      message: 'Capacity is a whole number of 1 or more, or empty',
    });
  }
  if (issues.length > 0) return { ok: false, errors: withDateHref(formErrors(issues)) };
  return {
    ok: true,
    input: {
      cohortId,
      eventId,
      date: date.ok ? date.date : '',
      startTime: v.startTime ?? '',
      endTime: v.endTime ?? '',
      location: v.location ?? '',
      capacity,
      shortNoticeReason: v.shortNoticeReason ?? '',
    },
  };
}

function withDateHref(errors: FormErrors): FormErrors {
  return {
    byField: errors.byField,
    list: errors.list.map((e) => (e.href === '#date' ? { ...e, href: '#date-day' } : e)),
  };
}

export function cohortEventRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const allowed = (actor: Actor) => SETUP_ROLES.includes(actor.role);

  app.get<{ Params: { id: string } }>('/cohorts/:id/events', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    const cohortId = idParam(request.params.id);
    if (cohortId === undefined || !allowed(actor)) return notFound(reply);
    const changed = idParam((request.query as { changed?: string } | undefined)?.changed);
    return page(reply, async () => {
      const { cohortName, events } = await listEventsOfCohort(deps, actor, cohortId);
      return reply.view('staff/cohort-events.njk', {
        cohortId,
        cohortName,
        now: deps.clock.now().toISOString(),
        events: events.map((e) => ({
          ...e,
          kindLabel: KIND_LABELS[e.kind],
          when: whenText(e.startsAt),
        })),
        notice:
          changed !== undefined
            ? 'Event changed. Everyone booked on it has been sent an email.'
            : undefined,
      });
    });
  });

  const renderForm = async (
    reply: FastifyReply,
    actor: Actor,
    cohortId: number,
    eventId: number,
    values: Values | null,
    errors?: FormErrors,
    status = 200,
  ) => {
    const event = await getCohortEvent(deps, actor, cohortId, eventId);
    const [y, m, d] = event.date.split('-');
    return reply.code(status).view('staff/cohort-event-change.njk', {
      event,
      kindLabel: KIND_LABELS[event.kind],
      values: values ?? {
        'date-day': String(Number(d)),
        'date-month': String(Number(m)),
        'date-year': y,
        startTime: event.startTime,
        endTime: event.endTime,
        location: event.location,
        capacity: event.capacity === null ? '' : String(event.capacity),
        expectedStartsAt: event.startsAt,
      },
      errors,
    });
  };

  const target = (request: { params: { id: string; eventId: string } }) => {
    const cohortId = idParam(request.params.id);
    const eventId = idParam(request.params.eventId);
    return cohortId === undefined || eventId === undefined ? null : { cohortId, eventId };
  };

  app.get<{ Params: { id: string; eventId: string } }>(
    '/cohorts/:id/events/:eventId/change',
    async (request, reply) => {
      const actor = requireStaffPage(request, reply);
      if (!actor) return reply;
      const t = target(request);
      if (!t || !allowed(actor)) return notFound(reply);
      return page(reply, () => renderForm(reply, actor, t.cohortId, t.eventId, null));
    },
  );

  const failureStatus = (error: unknown): [FormErrors, number] | null => {
    if (error instanceof ValidationError) {
      return [
        withDateHref(formErrors(error.errors.map((e) => ({ path: [e.path], message: e.message })))),
        422,
      ];
    }
    if (error instanceof ConflictError) {
      return [formErrors([{ path: ['date'], message: error.message }]), 409];
    }
    return null;
  };

  for (const step of ['check', 'confirm'] as const) {
    app.post<{ Params: { id: string; eventId: string } }>(
      `/cohorts/:id/events/:eventId/${step === 'check' ? 'change' : 'change/confirm'}`,
      async (request, reply) => {
        const actor = requireStaffPage(request, reply);
        if (!actor) return reply;
        const t = target(request);
        if (!t || !allowed(actor)) return notFound(reply);
        const values = valuesOf((request.body ?? {}) as Body);
        const parsed = parse(t.cohortId, t.eventId, values);
        return page(reply, async () => {
          if (!parsed.ok) {
            return renderForm(reply, actor, t.cohortId, t.eventId, values, parsed.errors, 422);
          }
          try {
            if (step === 'confirm') {
              await changeCohortEvent(deps, actor, {
                ...parsed.input,
                expectedStartsAt: values.expectedStartsAt ?? '',
              });
              return reply.redirect(`/cohorts/${t.cohortId}/events?changed=${t.eventId}`, 303);
            }
            const preview = await previewEventChange(deps, actor, parsed.input);
            return reply.view('staff/cohort-event-check.njk', {
              event: preview.before,
              kindLabel: KIND_LABELS[preview.before.kind],
              preview,
              values,
            });
          } catch (error) {
            if (error instanceof PolicyRefusalError) {
              const preview = await previewEventChange(deps, actor, parsed.input);
              return reply.code(422).view('staff/cohort-event-check.njk', {
                event: preview.before,
                kindLabel: KIND_LABELS[preview.before.kind],
                preview,
                values,
                errors: formErrors([
                  {
                    path: ['shortNoticeReason'],
                    message: 'Say why the change is made at short notice',
                  },
                ]),
              });
            }
            const failure = failureStatus(error);
            if (!failure) throw error;
            return renderForm(reply, actor, t.cohortId, t.eventId, values, failure[0], failure[1]);
          }
        });
      },
    );
  }
}
