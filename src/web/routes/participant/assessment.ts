import { loadEnrolmentFacts } from '../../../db/queries/enrolment-facts.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { daysBetween, londonDateOf } from '../../../policy/index.js';
import { fileSizeText, SUBMISSION_LIMIT_TEXT } from '../../../domain/submission-files.js';
import { getEnrolmentAssessment } from '../../../services/assessment.js';
import { submissionFilesOf, submissionsBeingMarked } from '../../../services/assessment-files.js';
import { checkPreWindowDeferral } from '../../../services/assessment-deferrals.js';
import { ValidationError } from '../../../services/errors.js';
import { contactDetailsFor } from '../../../services/organisations/contacts.js';
import type { FormErrors } from '../../forms.js';
import { participantPage, takeFlash, type PageDeps, type ParticipantContext } from './helpers.js';

/** 2.5.1: whether a deferral asked for today keeps all the attempts; null when no window is set yet. */
export async function preWindowCheck(deps: PageDeps, ctx: ParticipantContext) {
  try {
    return await checkPreWindowDeferral(deps, ctx.actor, ctx.enrolment.id);
  } catch (error) {
    if (error instanceof ValidationError) return null;
    throw error;
  }
}

export type AssessmentPage = (
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: ParticipantContext,
  extra?: { errors?: FormErrors },
) => Promise<FastifyReply>;

export function assessmentRoutes(app: FastifyInstance, deps: PageDeps): AssessmentPage {
  const assessmentPage: AssessmentPage = async (
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
    const files = await submissionFilesOf(deps, ctx.actor, ctx.enrolment.id);
    const markingStarted = await submissionsBeingMarked(deps, ctx.actor, ctx.enrolment.id);
    const here = window ? assessment.submissions.find((s) => s.windowId === window.id) : undefined;
    const submittedHere = here !== undefined;
    const open = window?.state === 'open' && assessment.enrolmentStatus === 'active';
    return reply.view('participant/assessment.njk', {
      ...extra,
      contact: await contactDetailsFor(deps, ctx.actor, ctx.enrolment.id),
      flash: takeFlash(request),
      assessment,
      window,
      // The participant's own window, as it was set up (under the version in force then: 2.2.1.5).
      windowDays: window ? daysBetween(window.opensOn, window.closesOn) + 1 : null,
      preWindow: preWindow?.decision ?? null,
      deadline,
      beforeDeadline,
      // A first upload, or a replacement until the window closes or marking starts.
      // (A replacement needs no attempt left: the submission already has its attempt.)
      canUpload:
        open &&
        (here
          ? here.outcome === null && !markingStarted.has(here.id)
          : assessment.eligibility?.outcome === 'allowed'),
      submittedHere,
      current: here ? (files.get(here.id) ?? null) : null,
      files: Object.fromEntries(
        [...files.values()].map((f) => [f.submissionId, { ...f, sizeText: fileSizeText(f.bytes) }]),
      ),
      limitText: SUBMISSION_LIMIT_TEXT,
    });
  };

  app.get('/assessment', (request, reply) =>
    participantPage(deps, request, reply, (ctx) => assessmentPage(request, reply, ctx)),
  );

  app.get('/assessment/submitted', (request, reply) =>
    participantPage(deps, request, reply, async (ctx) => {
      const assessment = await getEnrolmentAssessment(deps, ctx.actor, ctx.enrolment.id);
      const files = await submissionFilesOf(deps, ctx.actor, ctx.enrolment.id);
      const current = assessment.submissions.find(
        (s) => s.windowId === assessment.window?.id && files.has(s.id),
      );
      if (!current || !assessment.window) return reply.redirect('/assessment', 303);
      return reply.view('participant/assessment-submitted.njk', {
        submission: current,
        file: files.get(current.id),
        window: assessment.window,
        sizeText: fileSizeText(files.get(current.id)!.bytes),
      });
    }),
  );
  return assessmentPage;
}
