import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../../api/plugin.js';
import type { Actor } from '../../../services/actor.js';
import { DFE_WITHDRAWAL_REASONS, withdrawalReasonLabel } from '../../../domain/catalogue.js';
import {
  ASSESSMENT_CIRCUMSTANCES,
  EXTENUATING_CIRCUMSTANCES,
  formatLongDate,
  londonDateOf,
} from '../../../policy/index.js';
import { listBookings, listClinicSlots } from '../../../services/bookings.js';
import {
  confirmStaffAction,
  isStaffAction,
  mayActForParticipants,
  previewStaffAction,
  type ActionPreview,
  type StaffActionInput,
  type StaffActionKind,
} from '../../../services/participant-record/actions.js';
import { ConflictError, ValidationError } from '../../../services/errors.js';
import { getParticipant } from '../../../services/participants.js';
import { formErrors, type FormErrors } from '../../forms.js';
import { whenText } from '../../email-view.js';
import { CIRCUMSTANCE_LABELS, dateFromParts } from '../participant/changes.js';
import { forbidden, idParam, notFound, page, submit, requireStaffPage } from './support.js';

/**
 * Acting for a participant from their record (issue 15): a form, then a check-answers page with
 * the policy's decision and its clause-cited reasons, then a confirmation with a reference. The
 * answers travel as hidden fields from the check page, so nothing is kept in the session.
 */

type Body = Record<string, unknown>;
type Values = Record<string, string>;

const str = (body: Body, key: string): string => {
  const v = body[key];
  return typeof v === 'string' ? v.trim() : '';
};

export const ACTION_TITLES: Record<StaffActionKind, string> = {
  deferral: 'Raise a deferral request',
  'assessment-deferral': 'Raise an assessment deferral request',
  'school-move': 'Record a school move',
  clinic: 'Book or change a clinic',
  withdrawal: 'Withdraw from the programme',
};

const DONE_TITLES: Record<StaffActionKind, string> = {
  deferral: 'Deferral request recorded',
  'assessment-deferral': 'Assessment deferral request recorded',
  'school-move': 'School move recorded',
  clinic: 'Clinic booked',
  withdrawal: 'Withdrawal recorded',
};

export const ASSESSMENT_CIRCUMSTANCE_LABELS: Record<
  (typeof ASSESSMENT_CIRCUMSTANCES)[number],
  string
> = {
  unforeseen_illness_or_health: 'Unforeseen illness or a health-related issue',
  leave_of_absence: 'A leave of absence',
  bereavement: 'Bereavement',
  unforeseen_personal_change: 'An unforeseen change in personal circumstances',
  other_significant_unforeseen: 'Another significant and unforeseen change',
};

/** The form fields each action reads (dates as GOV.UK day/month/year boxes). */
const FIELDS: Record<StaffActionKind, readonly string[]> = {
  deferral: [
    'circumstance',
    'description',
    'requestedOn-day',
    'requestedOn-month',
    'requestedOn-year',
  ],
  'assessment-deferral': ['circumstance', 'description'],
  'school-move': ['newSchoolUrn', 'movedOn-day', 'movedOn-month', 'movedOn-year'],
  clinic: ['cohortEventId', 'accommodationNote'],
  withdrawal: ['reason', 'note', 'withdrawnOn-day', 'withdrawnOn-month', 'withdrawnOn-year'],
};

function valuesOf(kind: StaffActionKind, body: Body): Values {
  const values: Values = { enrolmentId: str(body, 'enrolmentId') };
  for (const f of FIELDS[kind]) values[f] = str(body, f).slice(0, 2000);
  return values;
}

type Parsed = { ok: true; input: StaffActionInput } | { ok: false; errors: FormErrors };

/** The form's answers as the use case's input, or the errors to show against each field. */
function parse(kind: StaffActionKind, v: Values, today: string): Parsed {
  const issues: { path: string[]; message: string }[] = [];
  const enrolmentId = idParam(v.enrolmentId);
  if (enrolmentId === undefined) issues.push({ path: ['form'], message: 'Choose an enrolment' });
  const date = (prefix: string, what: string) => {
    const d = dateFromParts(v, prefix);
    if (!d.ok) {
      issues.push({ path: [prefix], message: d.message.replace('Enter the date', what) });
      return '';
    }
    if (d.date > today) {
      issues.push({ path: [prefix], message: 'The date must be today or in the past' });
    }
    return d.date;
  };
  let input: StaffActionInput | undefined;
  switch (kind) {
    case 'deferral': {
      const circumstance = v.circumstance ?? '';
      if (!(EXTENUATING_CIRCUMSTANCES as readonly string[]).includes(circumstance)) {
        issues.push({ path: ['circumstance'], message: 'Select what has happened' });
      }
      if (circumstance === 'other' && !v.description) {
        issues.push({ path: ['description'], message: 'Describe what has happened' });
      }
      const requestedOn = date('requestedOn', 'Enter the date they asked');
      input = {
        kind,
        enrolmentId: enrolmentId ?? 0,
        circumstance,
        description: v.description ?? '',
        requestedOn,
      };
      break;
    }
    case 'assessment-deferral': {
      const circumstance = v.circumstance ?? '';
      if (!(ASSESSMENT_CIRCUMSTANCES as readonly string[]).includes(circumstance)) {
        issues.push({ path: ['circumstance'], message: 'Select what has happened' });
      }
      if (!v.description) {
        issues.push({
          path: ['description'],
          message: 'Describe how it affects their assessment',
        });
      }
      input = {
        kind,
        enrolmentId: enrolmentId ?? 0,
        circumstance: circumstance as (typeof ASSESSMENT_CIRCUMSTANCES)[number],
        description: v.description ?? '',
      };
      break;
    }
    case 'school-move': {
      const urn = v.newSchoolUrn ?? '';
      if (!/^\d{6,7}$/.test(urn)) {
        issues.push({
          path: ['newSchoolUrn'],
          message: urn
            ? 'The URN is 6 or 7 digits, like 123456'
            : 'Enter the URN of the new school',
        });
      }
      const movedOn = date('movedOn', 'Enter the date they moved');
      input = { kind, enrolmentId: enrolmentId ?? 0, newSchoolUrn: urn, movedOn };
      break;
    }
    case 'clinic': {
      const cohortEventId = idParam(v.cohortEventId);
      if (cohortEventId === undefined) {
        issues.push({ path: ['cohortEventId'], message: 'Select a clinic date' });
      }
      input = {
        kind,
        enrolmentId: enrolmentId ?? 0,
        cohortEventId: cohortEventId ?? 0,
        accommodationNote: v.accommodationNote ?? '',
      };
      break;
    }
    case 'withdrawal': {
      const reason = v.reason ?? '';
      if (!(DFE_WITHDRAWAL_REASONS as readonly string[]).includes(reason)) {
        issues.push({ path: ['reason'], message: 'Select the DfE withdrawal reason' });
      }
      const withdrawnOn = date('withdrawnOn', 'Enter the date they withdrew');
      input = { kind, enrolmentId: enrolmentId ?? 0, reason, withdrawnOn, note: v.note ?? '' };
      break;
    }
  }
  return issues.length > 0 ? { ok: false, errors: fieldErrors(kind, issues) } : { ok: true, input };
}

/**
 * Errors against this action's fields: a date's points at its day box, and one about something
 * not on the form (the enrolment's status, a case already open) at the top of the form.
 */
function fieldErrors(
  kind: StaffActionKind,
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
): FormErrors {
  const fields = new Set(FIELDS[kind].map((f) => f.replace(/-(day|month|year)$/, '')));
  const errors = formErrors(
    issues.map((i) => ({
      path: [fields.has(String(i.path[0])) ? String(i.path[0]) : 'form'],
      message: i.message,
    })),
  );
  return {
    byField: errors.byField,
    list: errors.list.map((e) =>
      /^#(requestedOn|movedOn|withdrawnOn)$/.test(e.href) ? { ...e, href: `${e.href}-day` } : e,
    ),
  };
}

const humanReason = withdrawalReasonLabel;

export function actionRoutes(app: FastifyInstance, deps: ApiDeps): void {
  type Req = FastifyRequest<{ Params: { id: string; action: string } }>;

  /** The signed-in staff member who may act, the participant and the action, or null once answered. */
  const target = (request: Req, reply: FastifyReply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return null;
    const participantId = idParam(request.params.id);
    const kind = request.params.action;
    if (participantId === undefined || !isStaffAction(kind)) {
      void notFound(reply);
      return null;
    }
    return { actor, participantId, kind };
  };

  /** Someone who may not act: 404 if they cannot even see the participant, 403 if they can. */
  const refuse = (reply: FastifyReply, actor: Actor, participantId: number) =>
    page(reply, async () => {
      await getParticipant(deps, actor, participantId);
      return forbidden(
        reply,
        'Only delivery partner staff and the programme team act for participants.',
      );
    });

  const formContext = async (
    actor: Actor,
    participantId: number,
    kind: StaffActionKind,
    values: Values,
  ) => {
    const participant = await getParticipant(deps, actor, participantId);
    const enrolmentId = idParam(values.enrolmentId) ?? participant.enrolments[0]?.id;
    const enrolment = participant.enrolments.find((e) => e.id === enrolmentId);
    if (!enrolment) return null;
    let clinics: unknown[] = [];
    let bookings: unknown[] = [];
    if (kind === 'clinic') {
      const now = deps.clock.now();
      const slots = await listClinicSlots(deps, actor, enrolment.id);
      clinics = slots
        .filter((s) => new Date(s.startsAt) > now)
        .map((s) => ({
          value: String(s.cohortEventId),
          text: `Clinic ${s.number}: ${s.title}, ${whenText(s.startsAt)}`,
          hint: {
            text: `${s.location}. ${s.remaining === null ? 'No limit on places' : `${s.remaining} places left`}.${
              s.myBookingId ? ' Booked on this date.' : ''
            }${s.decision && s.decision.outcome !== 'allowed' ? ' Out of sequence for them.' : ''}`,
          },
          checked: values.cohortEventId === String(s.cohortEventId),
        }));
      bookings = (await listBookings(deps, actor, enrolment.id)).events
        .filter((b) => b.kind === 'clinic' && b.status === 'booked')
        .map((b) => ({
          title: b.title,
          when: whenText(b.startsAt),
          accommodation: b.accommodation,
        }));
    }
    return { participant, enrolment, clinics, bookings };
  };

  const renderForm = async (
    reply: FastifyReply,
    actor: Actor,
    participantId: number,
    kind: StaffActionKind,
    values: Values,
    errors?: FormErrors,
    status = 200,
  ) => {
    const ctx = await formContext(actor, participantId, kind, values);
    if (!ctx) return notFound(reply);
    const today = londonDateOf(deps.clock.now());
    const [y, m, d] = today.split('-');
    const todayParts = { day: String(Number(d)), month: String(Number(m)), year: y };
    return reply.code(status).view('staff/participant-action.njk', {
      kind,
      dfeSyncOn: deps.dfeSyncOn ?? false,
      title: ACTION_TITLES[kind],
      ...ctx,
      values: { ...values, enrolmentId: String(ctx.enrolment.id) },
      todayParts,
      errors,
      circumstances: EXTENUATING_CIRCUMSTANCES.map((value) => ({
        value,
        text: CIRCUMSTANCE_LABELS[value],
        checked: values.circumstance === value,
      })),
      assessmentCircumstances: ASSESSMENT_CIRCUMSTANCES.map((value) => ({
        value,
        text: ASSESSMENT_CIRCUMSTANCE_LABELS[value],
        checked: values.circumstance === value,
      })),
      reasons: [
        { value: '', text: 'Choose a reason' },
        ...DFE_WITHDRAWAL_REASONS.map((value) => ({
          value,
          text: humanReason(value),
          selected: values.reason === value,
        })),
      ],
    });
  };

  /** The answers as summary-list rows for the check page. */
  const answerRows = async (
    actor: Actor,
    participantId: number,
    input: StaffActionInput,
    values: Values,
  ) => {
    const ctx = await formContext(actor, participantId, input.kind, values);
    const rows: { key: { text: string }; value: { text: string } }[] = [
      { key: { text: 'Cohort' }, value: { text: ctx?.enrolment.cohortName ?? '' } },
    ];
    const row = (key: string, text: string) => rows.push({ key: { text: key }, value: { text } });
    switch (input.kind) {
      case 'deferral':
        row(
          'What has happened',
          CIRCUMSTANCE_LABELS[input.circumstance as keyof typeof CIRCUMSTANCE_LABELS] ?? '',
        );
        row('Details', input.description || 'None given');
        row('Date they asked', formatLongDate(input.requestedOn));
        break;
      case 'assessment-deferral':
        row('What has happened', ASSESSMENT_CIRCUMSTANCE_LABELS[input.circumstance]);
        row('Details', input.description);
        break;
      case 'school-move':
        row('New school URN', input.newSchoolUrn);
        row('Moved on', formatLongDate(input.movedOn));
        break;
      case 'clinic': {
        const slot = (ctx?.clinics as { value: string; text: string }[] | undefined)?.find(
          (c) => c.value === String(input.cohortEventId),
        );
        row('Clinic', slot?.text ?? `Event ${input.cohortEventId}`);
        row(
          'Part-time accommodation (Policy 2.2.1.2)',
          input.accommodationNote || 'None: the clinic order applies',
        );
        break;
      }
      case 'withdrawal':
        row('DfE withdrawal reason', humanReason(input.reason));
        row('Withdrawn on', formatLongDate(input.withdrawnOn));
        row('Note', input.note || 'None');
        break;
    }
    return { rows, participant: ctx?.participant };
  };

  const renderCheck = async (
    reply: FastifyReply,
    actor: Actor,
    participantId: number,
    input: StaffActionInput,
    values: Values,
    preview: ActionPreview,
    options: { errors?: FormErrors; status?: number } = {},
  ) => {
    const { rows, participant } = await answerRows(actor, participantId, input, values);
    if (!participant) return notFound(reply);
    return reply.code(options.status ?? 200).view('staff/participant-action-check.njk', {
      kind: input.kind,
      title: ACTION_TITLES[input.kind],
      participant,
      rows,
      values,
      preview,
      // A deferral the policy refuses is still recorded, as declined, so the options can be discussed.
      confirmable: preview.allowed || input.kind === 'deferral',
      errors: options.errors,
    });
  };

  app.get<{ Params: { id: string; action: string }; Querystring: { enrolment?: string } }>(
    '/participants/:id/actions/:action',
    async (request, reply) => {
      const t = target(request, reply);
      if (!t) return reply;
      if (!mayActForParticipants(t.actor)) return refuse(reply, t.actor, t.participantId);
      const enrolment = idParam(request.query.enrolment);
      return page(reply, () =>
        renderForm(reply, t.actor, t.participantId, t.kind, {
          ...(enrolment !== undefined ? { enrolmentId: String(enrolment) } : {}),
        }),
      );
    },
  );

  /** The answers: back to the form with errors, or on to the check page with the decision. */
  app.post<{ Params: { id: string; action: string } }>(
    '/participants/:id/actions/:action',
    async (request, reply) => {
      const t = target(request, reply);
      if (!t) return reply;
      if (!mayActForParticipants(t.actor)) return refuse(reply, t.actor, t.participantId);
      const values = valuesOf(t.kind, (request.body ?? {}) as Body);
      const parsed = parse(t.kind, values, londonDateOf(deps.clock.now()));
      return page(reply, async () => {
        if (!parsed.ok) {
          return renderForm(reply, t.actor, t.participantId, t.kind, values, parsed.errors, 422);
        }
        return submitPreview(reply, t.actor, t.participantId, parsed.input, values);
      });
    },
  );

  const submitPreview = async (
    reply: FastifyReply,
    actor: Actor,
    participantId: number,
    input: StaffActionInput,
    values: Values,
  ) => {
    let preview: ActionPreview;
    try {
      preview = await previewStaffAction(deps, actor, participantId, input);
    } catch (error) {
      // Mistakes the use case found (an unknown URN, a full clinic, a case already open): the form again.
      if (error instanceof ValidationError) {
        const errors = fieldErrors(
          input.kind,
          error.errors.map((e) => ({ path: [e.path], message: e.message })),
        );
        return renderForm(reply, actor, participantId, input.kind, values, errors, 422);
      }
      if (error instanceof ConflictError) {
        const errors = formErrors([{ path: ['form'], message: error.message }]);
        return renderForm(reply, actor, participantId, input.kind, values, errors, 409);
      }
      throw error;
    }
    return renderCheck(reply, actor, participantId, input, values, preview);
  };

  /** "Change your answers" from the check page: the form again with what was typed. */
  app.post<{ Params: { id: string; action: string } }>(
    '/participants/:id/actions/:action/edit',
    async (request, reply) => {
      const t = target(request, reply);
      if (!t) return reply;
      if (!mayActForParticipants(t.actor)) return refuse(reply, t.actor, t.participantId);
      const values = valuesOf(t.kind, (request.body ?? {}) as Body);
      return page(reply, () => renderForm(reply, t.actor, t.participantId, t.kind, values));
    },
  );

  app.post<{ Params: { id: string; action: string } }>(
    '/participants/:id/actions/:action/confirm',
    async (request, reply) => {
      const t = target(request, reply);
      if (!t) return reply;
      if (!mayActForParticipants(t.actor)) return refuse(reply, t.actor, t.participantId);
      const values = valuesOf(t.kind, (request.body ?? {}) as Body);
      const parsed = parse(t.kind, values, londonDateOf(deps.clock.now()));
      return page(reply, async () => {
        if (!parsed.ok) {
          return renderForm(reply, t.actor, t.participantId, t.kind, values, parsed.errors, 422);
        }
        const input = parsed.input;
        return submit(
          reply,
          async () => {
            const done = await confirmStaffAction(deps, t.actor, t.participantId, input);
            return `/participants/${t.participantId}/actions/${t.kind}/done?ref=${done.subjectId}`;
          },
          async (failure, status) => {
            // The policy now says no (something changed since the check page): show why, there.
            if (failure.decision) {
              return renderCheck(
                reply,
                t.actor,
                t.participantId,
                input,
                values,
                {
                  allowed: false,
                  decisions: [{ title: ACTION_TITLES[t.kind], decision: failure.decision }],
                  consequence: 'The policy does not allow this now, so nothing was recorded.',
                },
                { errors: failure.errors, status },
              );
            }
            return renderForm(
              reply,
              t.actor,
              t.participantId,
              t.kind,
              values,
              fieldErrors(
                t.kind,
                Object.entries(failure.errors.byField).map(([k, e]) => ({
                  path: [k],
                  message: e.text,
                })),
              ),
              status,
            );
          },
        );
      });
    },
  );

  app.get<{ Params: { id: string; action: string }; Querystring: { ref?: string } }>(
    '/participants/:id/actions/:action/done',
    async (request, reply) => {
      const t = target(request, reply);
      if (!t) return reply;
      if (!mayActForParticipants(t.actor)) return refuse(reply, t.actor, t.participantId);
      const ref = idParam(request.query.ref);
      if (ref === undefined) return notFound(reply);
      return page(reply, async () => {
        const participant = await getParticipant(deps, t.actor, t.participantId);
        return reply.view('staff/participant-action-done.njk', {
          participant,
          title: DONE_TITLES[t.kind],
          reference: `${REFERENCE_PREFIX[t.kind]} ${ref}`,
          kind: t.kind,
        });
      });
    },
  );
}

const REFERENCE_PREFIX: Record<StaffActionKind, string> = {
  deferral: 'Deferral case',
  'assessment-deferral': 'Assessment deferral case',
  'school-move': 'School move',
  clinic: 'Booking',
  withdrawal: 'Withdrawal',
};
