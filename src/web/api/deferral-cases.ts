import { z } from 'zod';
import { EXTENUATING_CIRCUMSTANCES } from '../../policy/index.js';
import {
  DEFERRAL_CASE_STATUSES,
  refusalOf,
  approveDeferral,
  confirmReturn,
  declineDeferral,
  getDeferralCase,
  listDeferralCases,
  previewDeferral,
  recordDeferralDiscussion,
  recordDeferralException,
  requestDeferral,
  resumeFromDeferral,
  startDeferral,
  type DeferralCaseView,
  type DeferralEvaluation,
} from '../../services/deferral-cases.js';
import { OPTIONS_CHOICES, recordOptionsContact } from '../../services/options-contact.js';
import { DFE_WITHDRAWAL_REASONS } from '../../domain/catalogue.js';
import { agreeRejoinDate } from '../../services/rejoin-date.js';
import { PolicyRefusalError } from '../../services/errors.js';
import { actorOf, API_PREFIX, ErrorBody, type ApiModule } from './plugin.js';
import {
  Id,
  IdParam,
  IsoDate,
  Pagination,
  PolicyDecision,
  Version,
  writeErrors,
} from './schemas.js';

const OptionKind = z.enum(['defer', 'continue_with_current_cohort', 'withdraw']);
const Status = z.enum(DEFERRAL_CASE_STATUSES);

const Evaluation = z
  .object({
    decision: PolicyDecision.describe('The deferral rules (2.3.1-2.3.10), with the re-join plan'),
    funding: PolicyDecision.describe('What happens to the funding (2.4.1-2.4.2)'),
    preWindow: PolicyDecision.nullable().describe(
      'Asked in time before the assessment window (2.5.1)',
    ),
  })
  .meta({ id: 'DeferralEvaluation' });

const DeferralCase = z
  .object({
    id: z.number(),
    enrolmentId: z.number(),
    participantId: z.number(),
    status: Status,
    circumstance: z.string(),
    description: z.string(),
    dfeReason: z.string(),
    requestedOn: z.string(),
    requestedBy: z.number(),
    alternativesOffered: z
      .array(z.object({ option: OptionKind, description: z.string() }))
      .nullable(),
    participantChoice: z.string().nullable(),
    isException: z.boolean(),
    exceptionApprovedBy: z.number().nullable(),
    targetCohortId: z.number().nullable(),
    rejoinActivityId: z.number().nullable(),
    rejoinDate: z.string().nullable(),
    rejoinDateReason: z.string().nullable(),
    earlyReturnReason: z.string().nullable(),
    rejoinPlan: z.unknown(),
    intentContactDueOn: z.string().nullable(),
    reasonableAdjustments: z.string().nullable(),
    decision: PolicyDecision.nullable().describe('The deferral decision the case stands on'),
    funding: PolicyDecision.nullable(),
    preWindow: PolicyDecision.nullable(),
    intentContact: PolicyDecision.nullable(),
    returnFromDeferral: PolicyDecision.nullable(),
    declineReason: z.string().nullable(),
    decidedBy: z.number().nullable(),
    // ISO strings, not Dates: an idempotent replay sends the stored JSON through this schema.
    decidedAt: z.string().nullable(),
    version: z.number(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'DeferralCase' });

function toBody(c: DeferralCaseView) {
  const d = c.decision;
  return {
    id: c.id,
    enrolmentId: c.enrolmentId,
    participantId: c.participantId,
    status: c.status,
    circumstance: c.circumstance,
    description: c.description,
    dfeReason: c.dfeReason,
    requestedOn: c.requestedOn,
    requestedBy: c.requestedBy,
    alternativesOffered: c.alternativesOffered,
    participantChoice: c.participantChoice,
    isException: c.isException,
    exceptionApprovedBy: c.exceptionApprovedBy,
    targetCohortId: c.targetCohortId,
    rejoinActivityId: c.rejoinActivityId,
    rejoinDate: c.rejoinDate,
    rejoinDateReason: c.rejoinDateReason ?? null,
    earlyReturnReason: c.earlyReturnReason ?? null,
    rejoinPlan: c.rejoinPlan,
    intentContactDueOn: c.intentContactDueOn,
    reasonableAdjustments: c.reasonableAdjustments,
    decision: d?.deferral ?? null,
    funding: d?.funding ?? null,
    preWindow: d?.preWindow ?? null,
    intentContact: d?.intentContact ?? null,
    returnFromDeferral: d?.returnFromDeferral ?? null,
    declineReason: d?.declined?.reason ?? null,
    decidedBy: c.decidedBy,
    decidedAt: c.decidedAt?.toISOString() ?? null,
    version: c.version,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

function evaluationBody(e: DeferralEvaluation) {
  return { decision: e.deferral, funding: e.funding, preWindow: e.preWindow };
}

const CircumstanceBody = z.object({
  circumstance: z
    .string()
    .describe(`One of the extenuating circumstances: ${EXTENUATING_CIRCUMSTANCES.join(', ')}`),
  description: z.string().max(4000).optional().describe("Required for 'other'"),
});

const tags = ['Deferral cases'];

export const deferralCasesApi: ApiModule = (app, deps) => {
  app.post(
    '/enrolments/:id/deferral-preview',
    {
      schema: {
        tags,
        summary:
          'Whether this enrolment could defer, and the consequences (2.3, 2.4, 2.5.1); creates nothing',
        params: IdParam,
        body: CircumstanceBody,
        response: { 200: Evaluation, 401: ErrorBody, 404: ErrorBody, 422: ErrorBody },
      },
    },
    async (request) =>
      evaluationBody(
        await previewDeferral(deps, actorOf(request), {
          enrolmentId: request.params.id,
          ...request.body,
        }),
      ),
  );

  app.post(
    '/deferral-cases',
    {
      schema: {
        tags,
        summary:
          'Request a deferral (the participant for themselves, or staff). The policy answers at once; a refusal answers 422 POLICY_REFUSED with its reasons and is recorded as a declined case (at Location) with the options (2.3.10).',
        body: CircumstanceBody.extend({
          enrolmentId: Id,
          requestedOn: IsoDate.optional(),
        }),
        response: { 201: DeferralCase, ...writeErrors },
      },
    },
    async (request, reply) => {
      const created = await requestDeferral(deps, actorOf(request), request.body);
      // Refused by the policy: the case is recorded as declined (the partner is asked to talk
      // through the options, 2.3.10), and the caller gets the one refusal shape, 422
      // POLICY_REFUSED, with the recorded case at Location.
      if (created.status === 'declined' && created.decision) {
        void reply.header('location', `${API_PREFIX}/deferral-cases/${created.id}`);
        throw new PolicyRefusalError(refusalOf(created.decision));
      }
      return reply.code(201).send(toBody(created));
    },
  );

  app.get(
    '/deferral-cases',
    {
      schema: {
        tags,
        summary: 'Deferral cases you may see, most recently changed first',
        querystring: Pagination.extend({ status: Status.optional() }),
        response: {
          200: z.object({ items: z.array(DeferralCase), total: z.number() }),
          401: ErrorBody,
        },
      },
    },
    async (request) => {
      const page = await listDeferralCases(deps, actorOf(request), request.query);
      return { items: page.items.map(toBody), total: page.total };
    },
  );

  app.get(
    '/deferral-cases/:id',
    {
      schema: {
        tags,
        summary: 'A deferral case with its decision, reasons and re-join plan',
        params: IdParam,
        response: { 200: DeferralCase, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => toBody(await getDeferralCase(deps, actorOf(request), request.params.id)),
  );

  const step = <B extends z.ZodObject>(
    path: string,
    summary: string,
    body: B,
    run: (
      id: number,
      body: z.infer<B>,
      request: Parameters<typeof actorOf>[0],
    ) => Promise<DeferralCaseView>,
  ) =>
    app.post(
      `/deferral-cases/:id/${path}`,
      {
        schema: {
          tags,
          summary,
          params: IdParam,
          body,
          response: { 200: DeferralCase, ...writeErrors },
        },
      },
      async (request) => toBody(await run(request.params.id, request.body as z.infer<B>, request)),
    );

  step(
    'exception',
    'Programme team: approve a further deferral as an exception, with a rationale (2.3.9)',
    Version.extend({ rationale: z.string().max(4000) }),
    (id, body, request) => recordDeferralException(deps, actorOf(request), id, body),
  );
  step(
    'discuss',
    'Record the options offered and the participant’s choice (2.3.4)',
    Version.extend({
      alternativesOffered: z.array(OptionKind).min(1),
      participantChoice: OptionKind,
    }),
    (id, body, request) => recordDeferralDiscussion(deps, actorOf(request), id, body),
  );
  step(
    'approve',
    'Approve: the policy is asked again and the re-join plan stored (2.3.5-2.3.7, 2.4)',
    Version,
    (id, body, request) => approveDeferral(deps, actorOf(request), id, body),
  );
  step(
    'decline',
    'Decline, with the reasons',
    Version.extend({ reason: z.string().max(4000) }),
    (id, body, request) => declineDeferral(deps, actorOf(request), id, body),
  );
  step(
    'defer',
    'The approved deferral takes effect: the enrolment is deferred',
    Version,
    (id, body, request) => startDeferral(deps, actorOf(request), id, body),
  );
  step(
    'confirm',
    'Record the participant’s confirmation that they will return, and reasonable adjustments (2.3.7)',
    Version.extend({ reasonableAdjustments: z.string().max(4000).optional() }),
    (id, body, request) => confirmReturn(deps, actorOf(request), id, body),
  );
  step(
    'resume',
    'The participant re-joins the target cohort where they last engaged (2.3.6, 2.3.8): on or after the agreed re-join date, or sooner with earlyReturnReason to cover missed content (2.3.5). Future bookings with the old cohort are cancelled and the participant told.',
    Version.extend({ earlyReturnReason: z.string().max(4000).optional() }),
    (id, body, request) => resumeFromDeferral(deps, actorOf(request), id, body),
  );
  step(
    'rejoin-date',
    'Agree a re-join date other than the provisional one, with a reason, within the new cohort’s timeline (2.3.5)',
    Version.extend({
      rejoinOn: z.string().describe('YYYY-MM-DD'),
      rejoinDateReason: z.string().max(4000).optional(),
    }),
    (id, body, request) =>
      agreeRejoinDate(deps, actorOf(request), id, {
        rejoinOn: body.rejoinOn,
        reason: body.rejoinDateReason,
        expectedVersion: body.expectedVersion,
      }),
  );

  app.post(
    '/deferral-cases/:id/options-contact',
    {
      schema: {
        tags,
        summary:
          'Close the task for a request the policy refused: when the participant was told their options, and what they chose (2.3.10). Choosing withdraw withdraws them in the same transaction, with the DfE withdrawal reason given (2.3.8): reported to the DfE and emailed to the participant; a withdrawal the policy refuses is a 422 POLICY_REFUSED and nothing is recorded.',
        params: IdParam,
        body: z.object({
          contactedOn: z.string().describe('YYYY-MM-DD, from the request date to today'),
          choice: z.enum(OPTIONS_CHOICES),
          note: z.string().max(4000).optional().describe("Required for 'other'"),
          withdrawalReason: z
            .enum(DFE_WITHDRAWAL_REASONS)
            .optional()
            .describe("Required for 'withdraw' (and only then): the DfE withdrawal reason"),
        }),
        response: {
          200: z
            .object({
              id: z.number(),
              deferralCaseId: z.number(),
              enrolmentId: z.number(),
              dueOn: z.string(),
              status: z.enum(['open', 'done']),
              outcome: z
                .object({
                  contactedOn: z.string(),
                  choice: z.enum(OPTIONS_CHOICES),
                  note: z.string().nullable(),
                  by: z.string(),
                  withdrawalReason: z.enum(DFE_WITHDRAWAL_REASONS).optional(),
                  withdrawalId: z.number().optional(),
                })
                .nullable(),
            })
            .meta({ id: 'OptionsContactTask' }),
          ...writeErrors,
        },
      },
    },
    async (request) =>
      recordOptionsContact(deps, actorOf(request), request.params.id, request.body),
  );
};
