import { loadEnrolmentFacts } from '../../../db/queries/enrolment-facts.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { londonDateOf } from '../../../policy/index.js';
import { getEnrolmentAssessment, submitAssessment } from '../../../services/assessment.js';
import { checkPreWindowDeferral } from '../../../services/assessment-deferrals.js';
import { ValidationError } from '../../../services/errors.js';
import { contactDetailsFor } from '../../../services/organisations/contacts.js';
import type { FormErrors } from '../../forms.js';
import {
  flashDecision,
  formFailureOf,
  participantPage,
  setFlash,
  takeFlash,
  type PageDeps,
  type ParticipantContext,
} from './helpers.js';

/** 2.5.1: whether a deferral asked for today keeps both attempts; null when no window is set yet. */
export async function preWindowCheck(deps: PageDeps, ctx: ParticipantContext) {
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
}
