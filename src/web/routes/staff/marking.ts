import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ApiDeps } from '../../api/plugin.js';
import type { Actor } from '../../../services/actor.js';
import { openSubmissionFile } from '../../../services/assessment-files.js';
import {
  decideModeration,
  markSubmission,
  sampleForModeration,
  validateMark,
} from '../../../services/assessment-marking.js';
import { moderationOverview, submissionForMarking } from '../../../services/assessment-queues.js';
import { fileSizeText } from '../../../domain/submission-files.js';
import { isFormToken, newFormToken, submitOnce } from '../../../services/form-submissions.js';
import { ValidationError } from '../../../services/errors.js';
import { formErrors } from '../../forms.js';
import { idParam, notFound, page, requireStaffPage, submit, type FormFailure } from './support.js';

const NOTICES: Record<string, string> = {
  marked: 'Your mark is recorded',
  final: 'Outcome recorded: the participant has been emailed their result',
  second:
    'Your mark is recorded. This submission is sampled for moderation: a second assessor marks it next',
  disagreement:
    'Your mark is recorded. It differs from the first mark, so the programme team decides the outcome',
  decided: 'Final outcome recorded: the participant has been emailed their result',
  sampled: 'Submissions sampled for second marking',
};
const notice = (query: unknown) => {
  const key = (query as { notice?: unknown } | undefined)?.notice;
  return typeof key === 'string' ? NOTICES[key] : undefined;
};

type Body = Record<string, unknown>;
const bodyOf = (body: unknown): Body => (body && typeof body === 'object' ? (body as Body) : {});
const str = (v: unknown) => (typeof v === 'string' ? v : '');

/**
 * Marking on the web: an assessor's queue (oldest first), a submission with its file (download
 * only, never inline), the outcome and feedback with check answers; and the programme team's
 * moderation: sample submissions for second marking, decide where the two marks differ.
 */
export function markingRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const renderSubmission = async (
    reply: FastifyReply,
    actor: Actor,
    id: number,
    extra: { notice?: string | undefined; failure?: FormFailure; values?: Body } = {},
    status = 200,
  ) => {
    const s = await submissionForMarking(deps, actor, id);
    return reply.code(status).view('staff/marking-submission.njk', {
      s,
      sizeText: s.file ? fileSizeText(s.file.bytes) : null,
      notice: extra.notice,
      errors: extra.failure?.errors,
      values: extra.values ?? {},
      token: newFormToken(),
      backHref: actor.role === 'assessor' ? '/assessments' : '/assessments/moderation',
    });
  };

  app.get('/assessments/submissions/:id', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    const id = idParam((request.params as { id?: string }).id);
    if (id === undefined) return notFound(reply);
    return page(reply, () => renderSubmission(reply, actor, id, { notice: notice(request.query) }));
  });

  app.get('/assessments/submissions/:id/file', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    const id = idParam((request.params as { id?: string }).id);
    if (id === undefined) return notFound(reply);
    return page(reply, async () => {
      const file = await openSubmissionFile(deps, actor, id);
      // Served as data to be saved, never rendered by the browser.
      return reply
        .type('application/octet-stream')
        .header('content-disposition', `attachment; filename="${file.downloadName}"`)
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'private, no-store')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .send(file.object.body);
    });
  });

  /** The mark's check-answers page. */
  app.post('/assessments/submissions/:id/check', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    const id = idParam((request.params as { id?: string }).id);
    if (id === undefined) return notFound(reply);
    const body = bodyOf(request.body);
    return page(reply, async () => {
      const s = await submissionForMarking(deps, actor, id);
      if (!s.canMark && !s.canDecide) return renderSubmission(reply, actor, id, {}, 409);
      try {
        const mark = validateMark(body);
        return reply.view('staff/marking-check.njk', {
          s,
          mark,
          token: isFormToken(body['token']) ? body['token'] : newFormToken(),
          action: s.canDecide ? 'decide' : 'mark',
        });
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        const failure = {
          errors: formErrors(error.errors.map((e) => ({ path: [e.path], message: e.message }))),
        };
        return renderSubmission(reply, actor, id, { failure, values: body }, 422);
      }
    });
  });

  for (const action of ['mark', 'decide'] as const) {
    app.post(`/assessments/submissions/:id/${action}`, async (request, reply) => {
      const actor = requireStaffPage(request, reply);
      if (!actor) return reply;
      const id = idParam((request.params as { id?: string }).id);
      if (id === undefined) return notFound(reply);
      const body = bodyOf(request.body);
      const input = {
        outcome: body['outcome'],
        feedback: body['feedback'],
        ...(/^\d+$/.test(str(body['expectedVersion']))
          ? { expectedVersion: Number(body['expectedVersion']) }
          : {}),
      };
      return page(reply, () =>
        submit(
          reply,
          async () =>
            (
              await submitOnce(deps, actor, str(body['token']), async (d) => {
                if (action === 'decide') {
                  await decideModeration(d, actor, id, input);
                  return `/assessments/submissions/${id}?notice=decided`;
                }
                const result = await markSubmission(d, actor, id, input);
                const key =
                  result.stage === 'final'
                    ? 'final'
                    : result.stage === 'awaiting_second_mark'
                      ? 'second'
                      : 'disagreement';
                return `/assessments/submissions/${id}?notice=${key}`;
              })
            ).location,
          (failure, status) =>
            renderSubmission(reply, actor, id, { failure, values: body }, status),
        ),
      );
    });
  }

  const renderModeration = async (
    reply: FastifyReply,
    actor: Actor,
    extra: { notice?: string | undefined; failure?: FormFailure; values?: Body } = {},
    status = 200,
  ) =>
    reply.code(status).view('staff/marking-moderation.njk', {
      ...(await moderationOverview(deps, actor)),
      notice: extra.notice,
      errors: extra.failure?.errors,
      values: extra.values ?? {},
    });

  app.get('/assessments/moderation', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    return page(reply, () => renderModeration(reply, actor, { notice: notice(request.query) }));
  });

  app.post('/assessments/moderation/sample', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    const body = bodyOf(request.body);
    const raw = body['submissionIds'];
    const ids = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw])
      .map((v) => idParam(v))
      .filter((v): v is number => v !== undefined);
    const pct = str(body['percentage']).trim();
    const cohort = idParam(body['cohortId']);
    return page(reply, async () => {
      if (actor.role !== 'programme_team' && actor.role !== 'admin') return notFound(reply);
      return submit(
        reply,
        async () => {
          await sampleForModeration(deps, actor, {
            ...(body['by'] === 'percentage'
              ? {
                  percentage: /^\d{1,3}$/.test(pct) ? Number(pct) : Number.NaN,
                  ...(cohort ? { cohortId: cohort } : {}),
                }
              : { submissionIds: ids }),
          });
          return '/assessments/moderation?notice=sampled';
        },
        (failure, status) => renderModeration(reply, actor, { failure, values: body }, status),
      );
    });
  });
}
