import { loadEnrolmentFacts } from '../../../db/queries/enrolment-facts.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ASSESSMENT_CIRCUMSTANCES, londonDateOf } from '../../../policy/index.js';
import { getEnrolmentAssessment, submitAssessment } from '../../../services/assessment.js';
import {
  checkPreWindowDeferral,
  requestAssessmentDeferral,
} from '../../../services/assessment-deferrals.js';
import { ValidationError } from '../../../services/errors.js';
import { contactDetailsFor } from '../../../services/organisations/contacts.js';
import { parseForm, type FormErrors } from '../../forms.js';
import {
  flashDecision,
  formFailureOf,
  participantPage,
  setFlash,
  takeFlash,
  type PageDeps,
  type ParticipantContext,
} from './helpers.js';

const CIRCUMSTANCE_LABELS: Record<(typeof ASSESSMENT_CIRCUMSTANCES)[number], string> = {
  unforeseen_illness_or_health: 'Unforeseen illness or a health-related issue',
  leave_of_absence: 'A leave of absence',
  bereavement: 'Bereavement',
  unforeseen_personal_change: 'An unforeseen change to personal circumstances',
  other_significant_unforeseen: 'Another significant, unforeseen event',
};

const AssessmentDeferralForm = z.object({
  circumstance: z.enum(ASSESSMENT_CIRCUMSTANCES, { message: 'Select what has happened' }),
  description: z
    .string()
    .trim()
    .min(1, 'Tell us what has happened and how it affects your assessment')
    .max(2000, 'Description must be 2,000 characters or fewer'),
});

/** 2.5.1: whether a deferral asked for today keeps both attempts; null when no window is set yet. */
async function preWindowCheck(deps: PageDeps, ctx: ParticipantContext) {
  try {
    return await checkPreWindowDeferral(deps, ctx.actor, ctx.enrolment.id);
  } catch (error) {
    if (error instanceof ValidationError) return null;
    throw error;
  }
}

export function assessmentRoutes(app: FastifyInstance, deps: PageDeps): void {
  const assessmentPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    ctx: ParticipantContext,
    extra: { errors?: FormErrors } = {},
  ) => {
    const assessment = await getEnrolmentAssessment(deps, ctx.actor, ctx.enrolment.id);
    // Before the deadline eligibility is not decided yet: engagement can still grow (2.1.1).
    const facts = await loadEnrolmentFacts(deps.db, ctx.enrolment.id);
    const deadline = facts?.cohort.engagementDeadline ?? null;
    const beforeDeadline = deadline !== null && londonDateOf(deps.clock.now()) <= deadline;
    const preWindow = await preWindowCheck(deps, ctx);
    const window = assessment.window;
    const submittedHere = window
      ? assessment.submissions.some((s) => s.windowId === window.id)
      : false;
    return reply.view('participant/assessment.njk', {
      ...extra,
      contact: await contactDetailsFor(deps, ctx.actor, ctx.enrolment.id),
      flash: takeFlash(request),
      assessment,
      window,
      preWindow: preWindow?.decision ?? null,
      deadline,
      beforeDeadline,
      canSubmit:
        window?.state === 'open' &&
        assessment.eligibility?.outcome === 'allowed' &&
        assessment.enrolmentStatus === 'active' &&
        !submittedHere,
      submittedHere,
    });
  };

  app.get('/assessment', (request, reply) =>
    participantPage(deps, request, reply, (ctx) => assessmentPage(request, reply, ctx)),
  );

  app.post('/assessment/submit', (request, reply) =>
    participantPage(deps, request, reply, async (ctx) => {
      try {
        const result = await submitAssessment(deps, ctx.actor, { enrolmentId: ctx.enrolment.id });
        setFlash(request, {
          heading: `Your assessment is submitted (attempt ${result.submission.attemptNumber})`,
          decision: flashDecision(result.decision),
        });
        return reply.redirect('/assessment', 303);
      } catch (error) {
        const failure = formFailureOf(error, 'submit');
        if (!failure) throw error;
        return assessmentPage(request, reply.code(422), ctx, { errors: failure.errors });
      }
    }),
  );

  const deferralPage = async (
    reply: FastifyReply,
    ctx: ParticipantContext,
    extra: { errors?: FormErrors; values?: Record<string, unknown> } = {},
  ) => {
    const assessment = await getEnrolmentAssessment(deps, ctx.actor, ctx.enrolment.id);
    // Before the deadline eligibility is not decided yet: engagement can still grow (2.1.1).
    const facts = await loadEnrolmentFacts(deps.db, ctx.enrolment.id);
    const deadline = facts?.cohort.engagementDeadline ?? null;
    const beforeDeadline = deadline !== null && londonDateOf(deps.clock.now()) <= deadline;
    const preWindow = await preWindowCheck(deps, ctx);
    return reply.view('participant/assessment-deferral.njk', {
      values: {},
      ...extra,
      contact: await contactDetailsFor(deps, ctx.actor, ctx.enrolment.id),
      window: assessment.window,
      nextWindow: assessment.nextWindow,
      attemptsRemaining: assessment.attemptsRemaining,
      preWindow: preWindow?.decision ?? null,
      deadline,
      beforeDeadline,
      circumstances: ASSESSMENT_CIRCUMSTANCES.map((value) => ({
        value,
        text: CIRCUMSTANCE_LABELS[value],
      })),
    });
  };

  app.get('/assessment/deferral', (request, reply) =>
    participantPage(deps, request, reply, (ctx) => deferralPage(reply, ctx)),
  );

  app.post('/assessment/deferral', (request, reply) =>
    participantPage(deps, request, reply, async (ctx) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const form = parseForm(AssessmentDeferralForm, body);
      if (!form.ok)
        return deferralPage(reply.code(422), ctx, { errors: form.errors, values: body });
      try {
        const created = await requestAssessmentDeferral(deps, ctx.actor, {
          enrolmentId: ctx.enrolment.id,
          circumstance: form.data.circumstance,
          description: form.data.description,
        });
        setFlash(request, {
          heading: 'Your assessment deferral request has been sent',
          text: 'While we consider it, you will not lose an assessment attempt. We may ask you for supporting evidence.',
          ...(created.decision ? { decision: flashDecision(created.decision) } : {}),
        });
        return reply.redirect('/assessment', 303);
      } catch (error) {
        const failure = formFailureOf(error, 'circumstance');
        if (!failure) throw error;
        return deferralPage(reply.code(422), ctx, { errors: failure.errors, values: body });
      }
    }),
  );
}
