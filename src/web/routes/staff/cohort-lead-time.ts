import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ApiDeps } from '../../api/plugin.js';
import type { Actor } from '../../../services/actor.js';
import {
  changeReleaseLeadDays,
  getCohortSettings,
  previewReleaseLeadDays,
  releaseLeadDaysProblem,
  type CohortSettings,
} from '../../../services/cohort-settings.js';
import { PolicyRefusalError, ValidationError } from '../../../services/errors.js';
import type { Decision } from '../../../policy/index.js';
import { formErrors, type FormErrors } from '../../forms.js';
import { idParam, notFound, page, requireStaffPage, withNotice } from './support.js';

/**
 * Changing a cohort's release lead time after set-up (2.2.1.1): a form, a check page with what the
 * release rule says of the cohort's scheduled releases, then the change (audited). A lead time the
 * schedule does not keep comes back to the form with the policy's reason as the field error.
 */

const path = (cohortId: number) => `/cohorts/${cohortId}/release-lead-time`;

/** "10" → 10; anything but whole days is left as a string for the service to refuse. */
function readLeadDays(body: unknown): { raw: string; value: unknown } {
  const v = (body as { releaseLeadDays?: unknown } | undefined)?.releaseLeadDays;
  const raw = typeof v === 'string' ? v.trim().slice(0, 10) : '';
  return { raw, value: /^\d{1,2}$/.test(raw) ? Number(raw) : raw };
}

/** Days ahead each module is released, as the check page's table shows them. */
function daysAhead(cohort: CohortSettings) {
  return cohort.modules.map((m) => ({
    ...m,
    daysAhead: Math.round(
      (Date.parse(`${m.idealWindowStart}T00:00:00Z`) - Date.parse(`${m.releaseDate}T00:00:00Z`)) /
        86_400_000,
    ),
  }));
}

function refusalErrors(decision: Decision): FormErrors {
  const unmet = decision.reasons.filter((r) => !r.met);
  return formErrors(unmet.map((r) => ({ path: ['releaseLeadDays'], message: r.message })));
}

export function cohortLeadTimeRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const renderForm = async (
    reply: FastifyReply,
    actor: Actor,
    cohortId: number,
    value: string | null,
    errors?: FormErrors,
    status = 200,
  ) => {
    const cohort = await getCohortSettings(deps, actor, cohortId);
    return reply.code(status).view('staff/cohort-lead-time.njk', {
      cohort,
      modules: daysAhead(cohort),
      value: value ?? String(cohort.releaseLeadDays),
      errors,
    });
  };

  app.get<{ Params: { id: string } }>('/cohorts/:id/release-lead-time', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    const cohortId = idParam(request.params.id);
    if (cohortId === undefined) return notFound(reply);
    return page(reply, () => renderForm(reply, actor, cohortId, null));
  });

  for (const step of ['check', 'confirm'] as const) {
    app.post<{ Params: { id: string } }>(
      step === 'check'
        ? '/cohorts/:id/release-lead-time'
        : '/cohorts/:id/release-lead-time/confirm',
      async (request, reply) => {
        const actor = requireStaffPage(request, reply);
        if (!actor) return reply;
        const cohortId = idParam(request.params.id);
        if (cohortId === undefined) return notFound(reply);
        const { raw, value } = readLeadDays(request.body);
        return page(reply, async () => {
          const problem = releaseLeadDaysProblem(value);
          if (problem) {
            const errors = formErrors([{ path: ['releaseLeadDays'], message: problem }]);
            return renderForm(reply, actor, cohortId, raw, errors, 422);
          }
          try {
            if (step === 'confirm') {
              await changeReleaseLeadDays(deps, actor, cohortId, { releaseLeadDays: value });
              return reply.redirect(withNotice(`/cohorts/${cohortId}`, 'lead-time-changed'), 303);
            }
            const preview = await previewReleaseLeadDays(deps, actor, cohortId, value);
            if (preview.decision.outcome !== 'met') {
              return renderForm(reply, actor, cohortId, raw, refusalErrors(preview.decision), 422);
            }
            return reply.view('staff/cohort-lead-time-check.njk', {
              cohort: preview.cohort,
              modules: daysAhead(preview.cohort),
              releaseLeadDays: preview.releaseLeadDays,
              decision: preview.decision,
              changeHref: path(cohortId),
            });
          } catch (error) {
            if (error instanceof PolicyRefusalError) {
              return renderForm(reply, actor, cohortId, raw, refusalErrors(error.decision), 422);
            }
            if (error instanceof ValidationError) {
              const errors = formErrors(
                error.errors.map((e) => ({ path: [e.path], message: e.message })),
              );
              return renderForm(reply, actor, cohortId, raw, errors, 422);
            }
            throw error;
          }
        });
      },
    );
  }
}
