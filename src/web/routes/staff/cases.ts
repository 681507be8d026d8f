import { overdueRegisters } from '../../../services/registers.js';
import { whenText } from '../../email-view.js';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { ApiDeps } from '../../api/plugin.js';
import type { Actor } from '../../../services/actor.js';
import {
  approveAssessmentDeferral,
  declineAssessmentDeferral,
  getAssessmentDeferralCase,
  provideEvidence,
  requestEvidence,
} from '../../../services/assessment-deferrals.js';
import {
  approveDeferral,
  confirmReturn,
  declineDeferral,
  getDeferralCase,
  previewDeferral,
  recordDeferralDiscussion,
  recordDeferralException,
  EXCEPTION_ROLES,
  resumeFromDeferral,
  startDeferral,
  type DeferralCaseView,
} from '../../../services/deferral-cases.js';
import {
  chooseReceivingProvider,
  confirmTransfer,
  exportTransfer,
  getTransfer,
  listSchoolMoves,
  recordConsent,
} from '../../../services/school-moves.js';
import {
  caseQueue,
  caseQueueCounts,
  enrolmentHeader,
  rejoinTimeline,
  schoolMoveOwner,
  windowDates,
  type RejoinPlanLike,
} from '../../../services/staff-dashboard.js';
import { EXTENUATING_CIRCUMSTANCES } from '../../../policy/index.js';
import {
  OPTIONS_CHOICE_LABELS,
  WITHDRAWAL_REASONS,
  optionsContactTask,
  recordOptionsContact,
} from '../../../services/options-contact.js';
import { withdrawalReasonLabel } from '../../../domain/catalogue.js';
import { ValidationError } from '../../../services/errors.js';
import { agreeRejoinDate } from '../../../services/rejoin-date.js';
import { londonDateOf } from '../../../policy/index.js';
import { dateFromParts } from '../participant/changes.js';
import { parseForm } from '../../forms.js';
import {
  idParam,
  noticeText,
  notFound,
  page,
  requireStaffPage,
  submit,
  withNotice,
  type FormFailure,
} from './support.js';

const WRITER_ROLES: readonly Actor['role'][] = [
  'programme_team',
  'admin',
  'delivery_partner_staff',
];

const version = z
  .string({ message: 'Reload the page and try again' })
  .regex(/^\d{1,9}$/, 'Reload the page and try again')
  .transform(Number);
const VersionForm = z.object({ expectedVersion: version });
const text = (message: string, max = 2000) =>
  z.string({ message }).trim().min(1, message).max(max, `Keep it to ${max} characters or fewer`);
const OPTION = z.enum(['defer', 'continue_with_current_cohort', 'withdraw']);
const asArray = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

const ExceptionForm = z.object({
  expectedVersion: version,
  rationale: text('Record why a further deferral is justified'),
});
const DiscussionForm = z.object({
  expectedVersion: version,
  alternativesOffered: z.preprocess(
    asArray,
    z.array(OPTION).min(1, 'Choose the options you discussed'),
  ),
  participantChoice: OPTION.optional().refine((v) => v !== undefined, {
    message: 'Choose what the participant chose',
  }),
});
const DeclineForm = z.object({
  expectedVersion: version,
  reason: text('Give the reasons, so the participant understands the decision'),
});
const ReturnForm = z.object({
  expectedVersion: version,
  reasonableAdjustments: z.string().trim().max(2000).optional(),
});
const EvidenceRequestForm = z.object({
  expectedVersion: version,
  request: text('Say what evidence you need'),
});
const EvidenceForm = z.object({
  expectedVersion: version,
  note: text('Describe the evidence received'),
});
const AssessmentDeclineForm = z.object({
  expectedVersion: version,
  reasons: text('Give the reasons, so the participant understands the decision'),
});
const ProviderForm = z.object({
  expectedVersion: version,
  name: text('Enter the receiving lead provider', 200),
});
const OptionsContactForm = z.looseObject({
  choice: z.string().optional(),
  withdrawalReason: z.string().trim().optional(),
  note: z.string().trim().max(2000, 'Keep it to 2000 characters or fewer').optional(),
});
const ResumeForm = z.object({
  expectedVersion: version,
  earlyReturnReason: z.string().trim().max(2000).optional(),
});
const RejoinDateForm = z.looseObject({
  expectedVersion: version,
  rejoinDateReason: z.string().trim().max(2000, 'Keep it to 2000 characters or fewer').optional(),
});
const ConsentForm = z.object({
  expectedVersion: version,
  consent: z.enum(['yes', 'no'], { message: 'Choose whether the participant agreed' }),
});

type Body = Record<string, unknown>;

function formFailure(errors: FormFailure['errors']): FormFailure {
  return { errors };
}

/** The plan a deferral case stands on: the one agreed at approval, else the one the policy proposed. */
function planOf(c: DeferralCaseView): RejoinPlanLike | null {
  const stored = c.rejoinPlan as RejoinPlanLike | null;
  return stored ?? c.decision?.deferral.details.plan ?? null;
}

export function caseRoutes(app: FastifyInstance, deps: ApiDeps): void {
  /* Queues ---------------------------------------------------------------------------------- */

  app.get('/cases', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    return page(reply, async () => {
      const [counts, deferrals, assessment, transfers, moves, contacts, registers] =
        await Promise.all([
          caseQueueCounts(deps, actor),
          caseQueue(deps, actor, 'deferrals'),
          caseQueue(deps, actor, 'assessment-deferrals'),
          caseQueue(deps, actor, 'school-moves'),
          caseQueue(deps, actor, 'school-moves', { openOnly: false }),
          caseQueue(deps, actor, 'intent-contacts'),
          overdueRegisters(deps, actor),
        ]);
      return reply.view('staff/cases.njk', {
        counts,
        deferrals,
        assessment,
        transfers,
        moves: moves.slice(0, 25),
        contacts,
        registers: registers.map((r) => ({ ...r, when: whenText(r.startsAt) })),
      });
    });
  });

  /* Deferral cases ------------------------------------------------------------------------- */

  const renderDeferral = async (
    reply: FastifyReply,
    actor: Actor,
    caseId: number,
    query: unknown,
    failure?: FormFailure & { form?: string; values?: Body },
    status = 200,
  ) => {
    const c = await getDeferralCase(deps, actor, caseId);
    const [header, optionsTask] = await Promise.all([
      enrolmentHeader(deps, actor, c.enrolmentId),
      optionsContactTask(deps, actor, caseId),
    ]);
    const plan = planOf(c);
    const timeline = plan ? await rejoinTimeline(deps, actor, header.participantId, plan) : null;
    const mayWrite = WRITER_ROLES.includes(actor.role);
    const needsException =
      c.decision?.deferral.outcome === 'needs_exception' && !c.decision.exception;
    return reply.code(status).view('staff/deferral-case.njk', {
      c,
      header,
      timeline,
      mayWrite,
      needsException,
      mayApproveException: EXCEPTION_ROLES.includes(actor.role),
      optionsTask,
      today: londonDateOf(deps.clock.now()),
      optionsChoices: Object.entries(OPTIONS_CHOICE_LABELS).map(([value, text]) => ({
        value,
        text,
      })),
      options: c.decision?.deferral.details.options ?? [],
      withdrawalReasons: [
        { value: '', text: 'Choose a reason' },
        ...WITHDRAWAL_REASONS.map((value) => ({ value, text: withdrawalReasonLabel(value) })),
      ],
      optionsWithdrawalReason: optionsTask?.outcome?.withdrawalReason
        ? withdrawalReasonLabel(optionsTask.outcome.withdrawalReason)
        : null,
      failure,
      errors: failure?.errors,
      notice: noticeText(query),
    });
  };

  /** A case page: signed-in staff, a valid id, the case rendered (404 for a case they may not see). */
  function casePage(casePath: string, render: Render) {
    app.get<{ Params: { id: string } }>(`${casePath}/:id`, async (request, reply) => {
      const actor = requireStaffPage(request, reply);
      if (!actor) return reply;
      const id = idParam(request.params.id);
      if (id === undefined) return notFound(reply);
      return page(reply, () => render(reply, actor, id, request.query));
    });
  }

  casePage('/cases/deferrals', renderDeferral);

  type Render = (
    reply: FastifyReply,
    actor: Actor,
    id: number,
    query: unknown,
    failure?: FormFailure & { form?: string; values?: Body },
    status?: number,
  ) => Promise<FastifyReply>;

  /**
   * A case action form: validate the fields, run the service, then redirect back to the case with
   * a notice; a field error, a refusal or a stale version re-renders the case page with the reasons.
   * `target` names the route parameter of the record acted on (the case itself, or a move's transfer).
   */
  const caseAction = <S extends z.ZodType>(
    casePath: string,
    render: Render,
    action: string,
    schema: S,
    run: (actor: Actor, targetId: number, data: z.output<S>) => Promise<unknown>,
    notice: string | ((data: z.output<S>) => string),
    target = 'id',
  ) =>
    app.post<{ Params: Record<string, string> }>(
      `${casePath}/:id/${action}`,
      async (request, reply) => {
        const actor = requireStaffPage(request, reply);
        if (!actor) return reply;
        const id = idParam(request.params.id ?? '');
        const targetId = idParam(request.params[target] ?? '');
        if (id === undefined || targetId === undefined) return notFound(reply);
        const body = (request.body ?? {}) as Body;
        return page(reply, async () => {
          const form = parseForm(schema, body);
          const rerender = (f: FormFailure, status: number) =>
            render(
              reply,
              actor,
              id,
              {},
              { ...f, form: action.split('/').pop(), values: body },
              status,
            );
          if (!form.ok) return rerender(formFailure(form.errors), 422);
          return submit(
            reply,
            async () => {
              await run(actor, targetId, form.data);
              return withNotice(
                `${casePath}/${id}`,
                typeof notice === 'string' ? notice : notice(form.data),
              );
            },
            rerender,
          );
        });
      },
    );

  const deferralAction = <S extends z.ZodType>(
    path: string,
    schema: S,
    run: (actor: Actor, id: number, data: z.output<S>) => Promise<unknown>,
    notice: string | ((data: z.output<S>) => string),
  ) => caseAction('/cases/deferrals', renderDeferral, path, schema, run, notice);

  deferralAction(
    'exception',
    ExceptionForm,
    (actor, id, d) => recordDeferralException(deps, actor, id, d),
    'exception-recorded',
  );
  deferralAction(
    'discussion',
    DiscussionForm,
    (actor, id, d) =>
      recordDeferralDiscussion(deps, actor, id, {
        expectedVersion: d.expectedVersion,
        alternativesOffered: d.alternativesOffered,
        participantChoice: d.participantChoice!,
      }),
    'discussed',
  );
  deferralAction(
    'approve',
    VersionForm,
    (actor, id, d) => approveDeferral(deps, actor, id, d),
    'approved',
  );
  deferralAction(
    'decline',
    DeclineForm,
    (actor, id, d) => declineDeferral(deps, actor, id, d),
    'declined',
  );
  deferralAction(
    'start',
    VersionForm,
    (actor, id, d) => startDeferral(deps, actor, id, d),
    'started',
  );
  deferralAction(
    'confirm-return',
    ReturnForm,
    (actor, id, d) => confirmReturn(deps, actor, id, d),
    'return-confirmed',
  );
  deferralAction(
    'resume',
    ResumeForm,
    (actor, id, d) => resumeFromDeferral(deps, actor, id, d),
    'resumed',
  );
  deferralAction(
    'rejoin-date',
    RejoinDateForm,
    (actor, id, d) => {
      const date = dateFromParts(d, 'rejoinOn');
      if (!date.ok) throw new ValidationError([{ path: 'rejoinOn', message: date.message }]);
      return agreeRejoinDate(deps, actor, id, {
        rejoinOn: date.date,
        reason: d.rejoinDateReason,
        expectedVersion: d.expectedVersion,
      });
    },
    'rejoin-date-agreed',
  );

  deferralAction(
    'options-contact',
    OptionsContactForm,
    (actor, id, d) => {
      const date = dateFromParts(d, 'contactedOn');
      if (!date.ok) throw new ValidationError([{ path: 'contactedOn', message: date.message }]);
      return recordOptionsContact(deps, actor, id, {
        contactedOn: date.date,
        choice: d.choice ?? '',
        note: d.note,
        // The reason is revealed under "withdraw"; one left selected under another choice is moot.
        withdrawalReason: d.choice === 'withdraw' ? d.withdrawalReason : undefined,
      });
    },
    (d) => (d.choice === 'withdraw' ? 'options-withdrawn' : 'options-recorded'),
  );

  /* Re-join planner ------------------------------------------------------------------------ */

  app.get<{ Params: { id: string } }>('/cases/deferrals/:id/plan', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    const id = idParam(request.params.id);
    if (id === undefined) return notFound(reply);
    return page(reply, async () => {
      const c = await getDeferralCase(deps, actor, id);
      const header = await enrolmentHeader(deps, actor, c.enrolmentId);
      const plan = planOf(c);
      return reply.view('staff/rejoin-plan.njk', {
        header,
        backHref: `/cases/deferrals/${id}`,
        backText: `Deferral case ${id}`,
        decision: c.decision?.deferral ?? null,
        funding: c.decision?.funding ?? null,
        preWindow: c.decision?.preWindow ?? null,
        agreed: c.rejoinPlan !== null,
        timeline: plan ? await rejoinTimeline(deps, actor, header.participantId, plan) : null,
      });
    });
  });

  const PlanQuery = z.object({
    enrolment: z
      .string()
      .regex(/^\d{1,9}$/)
      .transform(Number)
      .optional()
      .catch(undefined),
    circumstance: z.enum(EXTENUATING_CIRCUMSTANCES).optional().catch(undefined),
  });

  /** Before any request: what the policy would say today, and the plan it would make. */
  app.get<{ Params: { id: string } }>('/participants/:id/rejoin-plan', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    const participantId = idParam(request.params.id);
    const q = PlanQuery.parse(request.query ?? {});
    if (participantId === undefined || q.enrolment === undefined) return notFound(reply);
    const enrolmentId = q.enrolment;
    const circumstance = q.circumstance ?? 'illness_or_health';
    return page(reply, async () => {
      const header = await enrolmentHeader(deps, actor, enrolmentId);
      if (header.participantId !== participantId) return notFound(reply);
      const evaluation = await previewDeferral(deps, actor, {
        enrolmentId,
        circumstance,
        description:
          circumstance === 'other' ? 'Planning a re-join before a request is made' : undefined,
      });
      const plan = evaluation.deferral.details.plan;
      return reply.view('staff/rejoin-plan.njk', {
        header,
        backHref: `/participants/${participantId}`,
        backText: header.fullName,
        preview: true,
        circumstance,
        circumstances: EXTENUATING_CIRCUMSTANCES,
        decision: evaluation.deferral,
        funding: evaluation.funding,
        preWindow: evaluation.preWindow,
        timeline: plan ? await rejoinTimeline(deps, actor, participantId, plan) : null,
      });
    });
  });

  /* Assessment deferrals ------------------------------------------------------------------- */

  const renderAssessment = async (
    reply: FastifyReply,
    actor: Actor,
    caseId: number,
    query: unknown,
    failure?: FormFailure & { form?: string; values?: Body },
    status = 200,
  ) => {
    const c = await getAssessmentDeferralCase(deps, actor, caseId);
    const header = await enrolmentHeader(deps, actor, c.enrolmentId);
    const windows = await windowDates(
      deps,
      [c.windowId, c.nextWindowId].filter((x): x is number => x !== null),
    );
    return reply.code(status).view('staff/assessment-deferral-case.njk', {
      c,
      header,
      window: windows.get(c.windowId),
      nextWindow: c.nextWindowId === null ? null : windows.get(c.nextWindowId),
      mayWrite: WRITER_ROLES.includes(actor.role),
      failure,
      errors: failure?.errors,
      notice: noticeText(query),
    });
  };

  casePage('/cases/assessment-deferrals', renderAssessment);

  const assessmentAction = <S extends z.ZodType>(
    path: string,
    schema: S,
    run: (actor: Actor, id: number, data: z.output<S>) => Promise<unknown>,
    notice: string | ((data: z.output<S>) => string),
  ) => caseAction('/cases/assessment-deferrals', renderAssessment, path, schema, run, notice);

  assessmentAction(
    'request-evidence',
    EvidenceRequestForm,
    (actor, id, d) => requestEvidence(deps, actor, id, d),
    'evidence-requested',
  );
  assessmentAction(
    'evidence',
    EvidenceForm,
    (actor, id, d) => provideEvidence(deps, actor, id, d),
    'evidence-recorded',
  );
  assessmentAction(
    'approve',
    VersionForm,
    (actor, id, d) => approveAssessmentDeferral(deps, actor, id, d),
    'approved',
  );
  assessmentAction(
    'decline',
    AssessmentDeclineForm,
    (actor, id, d) => declineAssessmentDeferral(deps, actor, id, d),
    'declined',
  );

  /* School moves and transfers ------------------------------------------------------------- */

  const renderMove = async (
    reply: FastifyReply,
    actor: Actor,
    moveId: number,
    query: unknown,
    failure?: FormFailure & { form?: string; values?: Body },
    status = 200,
  ) => {
    const owner = await schoolMoveOwner(deps, actor, moveId);
    const moves = await listSchoolMoves(deps, actor, owner.participantId);
    const move = moves.find((m) => m.id === moveId);
    if (!move) return notFound(reply);
    const header = await enrolmentHeader(deps, actor, owner.enrolmentId);
    const transfer = move.transfer ? await getTransfer(deps, actor, move.transfer.id) : null;
    return reply.code(status).view('staff/school-move-case.njk', {
      move,
      transfer,
      header,
      mayWrite: WRITER_ROLES.includes(actor.role),
      failure,
      errors: failure?.errors,
      notice: noticeText(query),
    });
  };

  casePage('/cases/school-moves', renderMove);

  const transferAction = <S extends z.ZodType>(
    path: string,
    schema: S,
    run: (actor: Actor, transferId: number, data: z.output<S>) => Promise<unknown>,
    notice: string,
  ) =>
    caseAction(
      '/cases/school-moves',
      renderMove,
      `transfers/:transferId/${path}`,
      schema,
      run,
      notice,
      'transferId',
    );

  transferAction(
    'provider',
    ProviderForm,
    (actor, t, d) => chooseReceivingProvider(deps, actor, t, d),
    'provider-chosen',
  );
  transferAction(
    'consent',
    ConsentForm,
    (actor, t, d) =>
      recordConsent(deps, actor, t, {
        consent: d.consent === 'yes',
        expectedVersion: d.expectedVersion,
      }),
    'consent-recorded',
  );
  transferAction(
    'export',
    VersionForm,
    (actor, t, d) => exportTransfer(deps, actor, t, d),
    'exported',
  );
  transferAction(
    'confirm',
    VersionForm,
    (actor, t, d) => confirmTransfer(deps, actor, t, d),
    'transferred',
  );
}
