/**
 * Asking for an assessment deferral (policy 2.5.2-2.5.4): the policy is asked before the form is
 * shown, so a participant who cannot ask now is told why and what to do instead. Those who can
 * answer, check their answers and send once; the confirmation carries the reference.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { loadEnrolmentFacts } from '../../../db/queries/enrolment-facts.js';
import { ASSESSMENT_CIRCUMSTANCES, londonDateOf } from '../../../policy/index.js';
import { getEnrolmentAssessment } from '../../../services/assessment.js';
import {
  getAssessmentDeferralCase,
  previewAssessmentDeferral,
  requestAssessmentDeferral,
} from '../../../services/assessment-deferrals.js';
import { isFormToken, newFormToken, submitOnce } from '../../../services/form-submissions.js';
import { contactDetailsFor } from '../../../services/organisations/contacts.js';
import { parseForm, type FormErrors } from '../../forms.js';
import { preWindowCheck } from './assessment.js';
import {
  formFailureOf,
  parseId,
  participantPage,
  renderNotFound,
  type PageDeps,
  type ParticipantContext,
} from './helpers.js';
import { ASSESSMENT_CIRCUMSTANCE_LABELS, assessmentDeferralReference } from './references.js';

const AssessmentDeferralForm = z.object({
  circumstance: z.enum(ASSESSMENT_CIRCUMSTANCES, { message: 'Select what has happened' }),
  description: z
    .string()
    .trim()
    .min(1, 'Tell us what has happened and how it affects your assessment')
    .max(2000, 'Description must be 2,000 characters or fewer'),
});

export function assessmentDeferralRoutes(app: FastifyInstance, deps: PageDeps): void {
  const formPage = async (
    reply: FastifyReply,
    ctx: ParticipantContext,
    extra: { errors?: FormErrors; values?: Record<string, unknown> } = {},
  ) => {
    const [assessment, preview, facts, contact] = await Promise.all([
      getEnrolmentAssessment(deps, ctx.actor, ctx.enrolment.id),
      previewAssessmentDeferral(deps, ctx.actor, ctx.enrolment.id),
      loadEnrolmentFacts(deps.db, ctx.enrolment.id),
      contactDetailsFor(deps, ctx.actor, ctx.enrolment.id),
    ]);
    // Before the deadline eligibility is not decided yet: engagement can still grow (2.1.1).
    const deadline = facts?.cohort.engagementDeadline ?? null;
    const beforeDeadline = deadline !== null && londonDateOf(deps.clock.now()) <= deadline;
    const preWindow = await preWindowCheck(deps, ctx);
    const values = extra.values ?? {};
    const blocking = preview?.decision.outcome === 'refused' ? preview.decision : null;
    return reply.view('participant/assessment-deferral.njk', {
      ...extra,
      values,
      token: isFormToken(values['token']) ? values['token'] : newFormToken(),
      contact,
      noWindow: preview === null,
      openCase: preview?.openCaseId
        ? { id: preview.openCaseId, reference: assessmentDeferralReference(preview.openCaseId) }
        : null,
      blocking,
      window: assessment.window,
      nextWindow: assessment.nextWindow,
      attemptsRemaining: assessment.attemptsRemaining,
      // The version in force today (2.1.1): its threshold in the words.
      threshold: assessment.register.parameters.engagementThresholdBp,
      preWindow: preWindow?.decision ?? null,
      deadline,
      beforeDeadline,
      circumstances: ASSESSMENT_CIRCUMSTANCES.map((value) => ({
        value,
        text: ASSESSMENT_CIRCUMSTANCE_LABELS[value],
      })),
    });
  };

  app.get('/assessment/deferral', (request, reply) =>
    participantPage(deps, request, reply, (ctx) => formPage(reply, ctx)),
  );

  app.post('/assessment/deferral', (request, reply) =>
    participantPage(deps, request, reply, async (ctx) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (body['change'] !== undefined) return formPage(reply, ctx, { values: body });
      const form = parseForm(AssessmentDeferralForm, body);
      if (!form.ok) return formPage(reply.code(422), ctx, { errors: form.errors, values: body });
      // Not allowed (a page left open since it was): say why again rather than check the answers.
      const preview = await previewAssessmentDeferral(deps, ctx.actor, ctx.enrolment.id);
      if (!preview || preview.decision.outcome === 'refused' || preview.openCaseId !== null) {
        return formPage(reply.code(422), ctx, { values: body });
      }
      const assessment = await getEnrolmentAssessment(deps, ctx.actor, ctx.enrolment.id);
      return reply.view('participant/assessment-deferral-check.njk', {
        answers: {
          circumstance: ASSESSMENT_CIRCUMSTANCE_LABELS[form.data.circumstance],
          description: form.data.description,
        },
        hidden: [
          ['circumstance', form.data.circumstance],
          ['description', form.data.description],
        ],
        token: isFormToken(body['token']) ? body['token'] : newFormToken(),
        window: assessment.window,
        nextWindow: assessment.nextWindow,
      });
    }),
  );

  app.post('/assessment/deferral/send', (request, reply) =>
    participantPage(deps, request, reply, async (ctx) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const form = parseForm(AssessmentDeferralForm, body);
      if (!form.ok) return formPage(reply.code(422), ctx, { errors: form.errors, values: body });
      try {
        const sent = await submitOnce(deps, ctx.actor, String(body['token'] ?? ''), async (tx) => {
          const created = await requestAssessmentDeferral(tx, ctx.actor, {
            enrolmentId: ctx.enrolment.id,
            circumstance: form.data.circumstance,
            description: form.data.description,
          });
          return `/assessment/deferral/${created.id}`;
        });
        return reply.redirect(sent.location, 303);
      } catch (error) {
        const failure = formFailureOf(error, 'circumstance');
        if (!failure) throw error;
        return formPage(reply.code(422), ctx, { errors: failure.errors, values: body });
      }
    }),
  );

  app.get<{ Params: { caseId: string } }>('/assessment/deferral/:caseId', (request, reply) =>
    participantPage(deps, request, reply, async ({ actor, enrolment }) => {
      const caseId = parseId(request.params.caseId);
      if (caseId === null) return renderNotFound(reply);
      const c = await getAssessmentDeferralCase(deps, actor, caseId);
      return reply.view('participant/assessment-deferral-sent.njk', {
        c,
        reference: assessmentDeferralReference(c.id),
        circumstance:
          ASSESSMENT_CIRCUMSTANCE_LABELS[
            c.circumstance as keyof typeof ASSESSMENT_CIRCUMSTANCE_LABELS
          ] ?? c.circumstance,
        contact: await contactDetailsFor(deps, actor, enrolment.id),
      });
    }),
  );
}
