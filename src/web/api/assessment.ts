import { recordOutcome } from '../../services/assessment-marking.js';
import { z } from 'zod';
import { ASSESSMENT_CIRCUMSTANCES } from '../../policy/index.js';
import {
  getEnrolmentAssessment,
  listCohortWindows,
  submitAssessment,
} from '../../services/assessment.js';
import {
  approveAssessmentDeferral,
  checkPreWindowDeferral,
  declineAssessmentDeferral,
  getAssessmentDeferralCase,
  provideEvidence,
  requestAssessmentDeferral,
  requestEvidence,
} from '../../services/assessment-deferrals.js';
import { actorOf, type ApiModule } from './plugin.js';
import { Id, IdParam, PolicyDecision, readErrors, Version, writeErrors } from './schemas.js';

const AssessmentWindow = z
  .object({
    id: z.number(),
    cohortId: z.number(),
    sequenceNumber: z.number(),
    opensOn: z.string(),
    closesOn: z.string(),
    state: z.enum(['upcoming', 'open', 'closed']),
  })
  .meta({ id: 'AssessmentWindow' });

const Submission = z
  .object({
    id: z.number(),
    enrolmentId: z.number(),
    windowId: z.number(),
    attemptNumber: z.number(),
    submittedAt: z.string(),
    outcome: z.enum(['passed', 'failed']).nullable(),
    assessedAt: z.string().nullable(),
  })
  .meta({ id: 'AssessmentSubmission' });

const EnrolmentAssessment = z
  .object({
    enrolmentId: z.number(),
    enrolmentStatus: z.string(),
    attemptsUsed: z.number(),
    attemptsRemaining: z.number(),
    entered: z.boolean(),
    window: AssessmentWindow.nullable(),
    nextWindow: AssessmentWindow.nullable(),
    eligibility: PolicyDecision.nullable(),
    engagementAtDeadline: PolicyDecision,
    submissions: z.array(Submission),
    deferralCases: z.array(
      z.object({ id: z.number(), windowId: z.number(), status: z.string(), version: z.number() }),
    ),
  })
  .meta({ id: 'EnrolmentAssessment' });

const DeferralCase = z
  .object({
    id: z.number(),
    enrolmentId: z.number(),
    windowId: z.number(),
    status: z.enum([
      'requested',
      'evidence_requested',
      'evidence_received',
      'approved',
      'declined',
    ]),
    circumstance: z.string(),
    description: z.string(),
    requestedAt: z.string(),
    evidenceRequest: z.string().nullable(),
    evidenceNote: z.string().nullable(),
    nextWindowId: z.number().nullable(),
    decision: PolicyDecision.nullable(),
    staffReasons: z.string().nullable(),
    decidedAt: z.string().nullable(),
    version: z.number(),
  })
  .meta({ id: 'AssessmentDeferralCase' });

const CaseDecisionResult = z.object({
  case: DeferralCase,
  attempt: PolicyDecision.nullable(),
  nextWindow: AssessmentWindow.nullable(),
  attemptsRemaining: z.number(),
});

const Text = z.string().trim().min(1).max(4000);

/** Assessment windows, submissions and assessment deferrals (policy 2.2.1.5, 2.5). */
export const assessmentApi: ApiModule = (app, deps) => {
  app.get(
    '/cohorts/:id/assessment-windows',
    {
      schema: {
        tags: ['Assessment'],
        summary:
          "A cohort's assessment windows, each as long as the version in force when the cohort was set up says (8 days in v2.2; policy 2.2.1.5)",
        params: IdParam,
        response: { 200: z.array(AssessmentWindow), ...readErrors },
      },
    },
    async (request) => listCohortWindows(deps, actorOf(request), request.params.id),
  );

  app.get(
    '/enrolments/:id/assessment',
    {
      schema: {
        tags: ['Assessment'],
        summary:
          'The window an enrolment is entered into, attempts left and eligibility to sit (2.1.1, 2.5.1)',
        params: IdParam,
        response: { 200: EnrolmentAssessment, ...readErrors },
      },
    },
    async (request) => getEnrolmentAssessment(deps, actorOf(request), request.params.id),
  );

  app.post(
    '/enrolments/:id/assessment/pre-window-deferral-check',
    {
      schema: {
        tags: ['Assessment'],
        summary:
          'Would a deferral asked for today, before the window, keep all the attempts of the version in force (two in v2.2)? (2.5.1; opens nothing)',
        params: IdParam,
        response: {
          200: z.object({
            enrolmentId: z.number(),
            window: AssessmentWindow,
            decision: PolicyDecision,
            deferralProcess: z.object({ how: z.string(), endpoint: z.string() }).nullable(),
          }),
          ...writeErrors,
        },
      },
    },
    async (request) => checkPreWindowDeferral(deps, actorOf(request), request.params.id),
  );

  app.post(
    '/assessment-submissions',
    {
      schema: {
        tags: ['Assessment'],
        summary: 'Submit the assessment inside the window, if eligible (2.2.1.5, 2.1.1)',
        body: z.object({ enrolmentId: Id }),
        response: {
          201: z.object({ submission: Submission, decision: PolicyDecision }),
          ...writeErrors,
        },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await submitAssessment(deps, actorOf(request), request.body)),
  );

  app.post(
    '/assessment-submissions/:id/outcome',
    {
      schema: {
        tags: ['Assessment'],
        summary:
          "An assessor's outcome, with optional feedback for the participant: passed completes; failed moves to the next attempt (2.5). A submission sampled for moderation is final only after the second mark (stage says where it is).",
        params: IdParam,
        body: z.object({
          outcome: z.enum(['passed', 'failed']),
          feedback: z.string().max(5000).optional(),
        }),
        response: {
          200: z.object({
            stage: z.enum(['awaiting_mark', 'awaiting_second_mark', 'disagreement', 'final']),
            submission: Submission,
            enrolmentStatus: z.string(),
            attemptsRemaining: z.number(),
            nextWindow: AssessmentWindow.nullable(),
          }),
          ...writeErrors,
        },
      },
    },
    async (request) => recordOutcome(deps, actorOf(request), request.params.id, request.body),
  );

  app.post(
    '/assessment-deferral-cases',
    {
      schema: {
        tags: ['Assessment deferrals'],
        summary: 'Ask for an assessment deferral during or after the window (2.5.2, 2.5.3)',
        body: z.object({
          enrolmentId: Id,
          circumstance: z.enum(ASSESSMENT_CIRCUMSTANCES),
          description: Text,
        }),
        response: { 201: DeferralCase, ...writeErrors },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await requestAssessmentDeferral(deps, actorOf(request), request.body)),
  );

  app.get(
    '/assessment-deferral-cases/:id',
    {
      schema: {
        tags: ['Assessment deferrals'],
        summary: 'An assessment-deferral case with its decision',
        params: IdParam,
        response: { 200: DeferralCase, ...readErrors },
      },
    },
    async (request) => getAssessmentDeferralCase(deps, actorOf(request), request.params.id),
  );

  app.post(
    '/assessment-deferral-cases/:id/request-evidence',
    {
      schema: {
        tags: ['Assessment deferrals'],
        summary: 'Staff ask for supporting evidence (2.5.2)',
        params: IdParam,
        body: Version.extend({ request: Text }),
        response: { 200: DeferralCase, ...writeErrors },
      },
    },
    async (request) => requestEvidence(deps, actorOf(request), request.params.id, request.body),
  );

  app.post(
    '/assessment-deferral-cases/:id/evidence',
    {
      schema: {
        tags: ['Assessment deferrals'],
        summary: 'The evidence asked for has been received',
        params: IdParam,
        body: Version.extend({ note: Text }),
        response: { 200: DeferralCase, ...writeErrors },
      },
    },
    async (request) => provideEvidence(deps, actorOf(request), request.params.id, request.body),
  );

  app.post(
    '/assessment-deferral-cases/:id/approve',
    {
      schema: {
        tags: ['Assessment deferrals'],
        summary: 'Approve: the attempt is kept and the next window entered (2.5.2)',
        params: IdParam,
        body: Version,
        response: { 200: CaseDecisionResult, ...writeErrors },
      },
    },
    async (request) =>
      approveAssessmentDeferral(deps, actorOf(request), request.params.id, request.body),
  );

  app.post(
    '/assessment-deferral-cases/:id/decline',
    {
      schema: {
        tags: ['Assessment deferrals'],
        summary:
          'Decline, with reasons; after a window closed without a submission the attempt is lost (2.5.4)',
        params: IdParam,
        body: Version.extend({ reasons: Text }),
        response: { 200: CaseDecisionResult, ...writeErrors },
      },
    },
    async (request) =>
      declineAssessmentDeferral(deps, actorOf(request), request.params.id, request.body),
  );
};
