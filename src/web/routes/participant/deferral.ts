/**
 * Asking to defer (policy 2.3): the policy is asked before the form is shown, so a participant who
 * cannot defer is told why and what else they can do instead of a form. Those who can answer the
 * questions, check their answers, and send once: the confirmation carries the case reference.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { EXTENUATING_CIRCUMSTANCES, londonDateOf } from '../../../policy/index.js';
import {
  getDeferralCase,
  listDeferralCases,
  previewDeferral,
  requestDeferral,
} from '../../../services/deferral-cases.js';
import { currentDeferralOf } from '../../../services/deferral-status.js';
import { isFormToken, newFormToken, submitOnce } from '../../../services/form-submissions.js';
import { contactDetailsFor } from '../../../services/organisations/contacts.js';
import { getEnrolment } from '../../../services/participants.js';
import { parseForm, type FormErrors } from '../../forms.js';
import { addError, CIRCUMSTANCE_LABELS, dateFromParts } from './changes.js';
import { deferralReference } from './references.js';
import {
  formFailureOf,
  parseId,
  participantPage,
  renderNotFound,
  type PageDeps,
  type ParticipantContext,
} from './helpers.js';

/**
 * Reasons about the circumstance itself: before the participant has said what happened, the
 * preview shows only what does not depend on it (eligibility and consequences).
 */
const CIRCUMSTANCE_CODES = [
  'DEFERRAL.EXTENUATING_CIRCUMSTANCE',
  'DEFERRAL.SUPPORT_TO_COMPLETE',
  'DEFERRAL.CIRCUMSTANCE_NOT_DESCRIBED',
  'DEFERRAL.NO_EXTENUATING_CIRCUMSTANCE',
];

/** Case statuses in which a request is still being considered. */
const OPEN = ['requested', 'discussed'];

const DeferralForm = z.object({
  circumstance: z.enum(EXTENUATING_CIRCUMSTANCES, { message: 'Select what has happened' }),
  description: z
    .string()
    .trim()
    .max(2000, 'Description must be 2,000 characters or fewer')
    .optional()
    .default(''),
});

type Answers = { circumstance: (typeof EXTENUATING_CIRCUMSTANCES)[number]; description: string };

/** The answers checked: field errors, or the answers and the date as YYYY-MM-DD. */
function checkAnswers(
  body: Record<string, unknown>,
  today: string,
): { ok: true; answers: Answers; requestedOn: string } | { ok: false; errors: FormErrors } {
  const form = parseForm(DeferralForm, body);
  const date = dateFromParts(body, 'requestedOn');
  let errors: FormErrors = form.ok ? { list: [], byField: {} } : form.errors;
  if (form.ok && form.data.circumstance === 'other' && form.data.description === '') {
    errors = addError(errors, 'description', '#description', 'Describe what has happened');
  }
  if (!date.ok) errors = addError(errors, 'requestedOn', '#requestedOn-day', date.message);
  if (date.ok && date.date > today) {
    errors = addError(
      errors,
      'requestedOn',
      '#requestedOn-day',
      'The date must be today or in the past',
    );
  }
  if (!form.ok || !date.ok || errors.list.length > 0) return { ok: false, errors };
  return { ok: true, answers: form.data, requestedOn: date.date };
}

export function deferralRoutes(app: FastifyInstance, deps: PageDeps): void {
  /** The question page, or, when the participant may not ask, why not and what they can do. */
  const formPage = async (
    reply: FastifyReply,
    { actor, enrolment }: ParticipantContext,
    extra: { errors?: FormErrors; values?: Record<string, unknown> } = {},
  ) => {
    const [cases, current, contact, record] = await Promise.all([
      listDeferralCases(deps, actor, { limit: 50, offset: 0 }),
      currentDeferralOf(deps, actor, enrolment.id),
      contactDetailsFor(deps, actor, enrolment.id),
      getEnrolment(deps, actor, enrolment.id),
    ]);
    const open = cases.items.find((c) => c.enrolmentId === enrolment.id && OPEN.includes(c.status));
    // Eligibility and consequences do not depend on which circumstance is chosen, so they come first.
    const preview = await previewDeferral(deps, actor, {
      enrolmentId: enrolment.id,
      circumstance: 'change_in_personal_circumstances',
      description: '',
    });
    const blocking =
      preview.deferral.outcome === 'refused'
        ? preview.deferral
        : preview.preWindow?.outcome === 'refused'
          ? preview.preWindow
          : null;
    const today = londonDateOf(deps.clock.now());
    const [year, month, day] = today.split('-');
    const values = extra.values ?? {
      'requestedOn-day': String(Number(day)),
      'requestedOn-month': String(Number(month)),
      'requestedOn-year': year,
    };
    return reply.view('participant/deferral.njk', {
      ...extra,
      values,
      token: isFormToken(values['token']) ? values['token'] : newFormToken(),
      contact,
      openCase: open ? { ...open, reference: deferralReference(open.id) } : null,
      currentDeferral: current,
      blocking,
      // What else they can do when deferring is not open to them (2.3.10).
      otherOptions: preview.deferral.details.options.filter((o) => o.option !== 'defer'),
      preview,
      skip: CIRCUMSTANCE_CODES,
      plan: preview.deferral.details.plan,
      cohort: record.cohort,
      attemptsRemaining: Math.max(0, preview.assessmentAttempts - record.assessmentAttemptsUsed),
      circumstances: EXTENUATING_CIRCUMSTANCES.map((value) => ({
        value,
        text: CIRCUMSTANCE_LABELS[value],
      })),
    });
  };

  app.get('/changes/deferral', (request, reply) =>
    participantPage(deps, request, reply, (ctx) => formPage(reply, ctx)),
  );

  // The questions answered: check them (or, from "Change", show the questions again with them).
  app.post('/changes/deferral', (request, reply) =>
    participantPage(deps, request, reply, async (ctx) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (body['change'] !== undefined) return formPage(reply, ctx, { values: body });
      const checked = checkAnswers(body, londonDateOf(deps.clock.now()));
      if (!checked.ok)
        return formPage(reply.code(422), ctx, { errors: checked.errors, values: body });
      // Not allowed (a page left open since it was): say why again rather than check the answers.
      const preview = await previewDeferral(deps, ctx.actor, {
        enrolmentId: ctx.enrolment.id,
        circumstance: checked.answers.circumstance,
        description: checked.answers.description,
      });
      if (preview.deferral.outcome === 'refused' || preview.preWindow?.outcome === 'refused') {
        return formPage(reply.code(422), ctx, { values: body });
      }
      return checkPage(request, reply, ctx, body, checked.answers, checked.requestedOn);
    }),
  );

  const checkPage = async (
    _request: FastifyRequest,
    reply: FastifyReply,
    { actor, enrolment }: ParticipantContext,
    body: Record<string, unknown>,
    answers: Answers,
    requestedOn: string,
  ) => {
    const preview = await previewDeferral(deps, actor, {
      enrolmentId: enrolment.id,
      circumstance: answers.circumstance,
      description: answers.description,
    });
    return reply.view('participant/deferral-check.njk', {
      answers: {
        circumstance: CIRCUMSTANCE_LABELS[answers.circumstance],
        description: answers.description,
        requestedOn,
      },
      hidden: [
        ['circumstance', answers.circumstance],
        ['description', answers.description],
        ['requestedOn-day', String(body['requestedOn-day'] ?? '')],
        ['requestedOn-month', String(body['requestedOn-month'] ?? '')],
        ['requestedOn-year', String(body['requestedOn-year'] ?? '')],
      ],
      token: isFormToken(body['token']) ? body['token'] : newFormToken(),
      plan: preview.deferral.details.plan,
      preview,
      contact: await contactDetailsFor(deps, actor, enrolment.id),
    });
  };

  // Sent: once per token, however often the button is pressed.
  app.post('/changes/deferral/send', (request, reply) =>
    participantPage(deps, request, reply, async (ctx) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const checked = checkAnswers(body, londonDateOf(deps.clock.now()));
      if (!checked.ok)
        return formPage(reply.code(422), ctx, { errors: checked.errors, values: body });
      try {
        const sent = await submitOnce(deps, ctx.actor, String(body['token'] ?? ''), async (tx) => {
          const created = await requestDeferral(tx, ctx.actor, {
            enrolmentId: ctx.enrolment.id,
            circumstance: checked.answers.circumstance,
            description: checked.answers.description,
            requestedOn: checked.requestedOn,
          });
          return `/changes/deferral/${created.id}`;
        });
        return reply.redirect(sent.location, 303);
      } catch (error) {
        const failure = formFailureOf(error, 'circumstance');
        if (!failure) throw error;
        return formPage(reply.code(422), ctx, { errors: failure.errors, values: body });
      }
    }),
  );

  // The confirmation: the reference and what happens next, or, if the policy said no, why and what now.
  app.get<{ Params: { caseId: string } }>('/changes/deferral/:caseId', (request, reply) =>
    participantPage(deps, request, reply, async ({ actor, enrolment }) => {
      const caseId = parseId(request.params.caseId);
      if (caseId === null) return renderNotFound(reply);
      const c = await getDeferralCase(deps, actor, caseId);
      const decision = c.decision;
      const blocking = decision
        ? decision.deferral.outcome === 'refused'
          ? decision.deferral
          : decision.preWindow?.outcome === 'refused'
            ? decision.preWindow
            : null
        : null;
      return reply.view('participant/deferral-sent.njk', {
        c,
        reference: deferralReference(c.id),
        declined: c.status === 'declined',
        blocking,
        staffReason: decision?.declined?.reason ?? null,
        otherOptions: (decision?.deferral.details.options ?? []).filter(
          (o) => o.option !== 'defer',
        ),
        contact: await contactDetailsFor(deps, actor, c.enrolmentId ?? enrolment.id),
      });
    }),
  );
}
