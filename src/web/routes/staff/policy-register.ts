import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../../api/plugin.js';
import type { Actor } from '../../../services/actor.js';
import {
  approveDraft,
  createDraft,
  discardDraft,
  draftEditProblems,
  formValuesOf,
  getPolicyVersion,
  listPolicyVersions,
  mayEditRegister,
  mayReadRegister,
  openReviewTasks,
  registerInForce,
  updateDraft,
  valuesFromForm,
  type DraftEdit,
  type PolicyVersionView,
} from '../../../services/policy-register.js';
import {
  runWhatIf,
  whatIfCsv,
  whatIfCsvName,
  whatIfScopes,
  whatIfToday,
  type WhatIfScope,
} from '../../../services/policy-what-if.js';
import {
  EDITABLE_PARAMETERS,
  formatParameter,
  parameterValue,
} from '../../../policy/register-versions.js';
import { WHAT_IF_OUTCOME_LABELS, WHAT_IF_OUTCOMES } from '../../../policy/what-if.js';
import { ValidationError } from '../../../services/errors.js';
import { formErrors } from '../../forms.js';
import { notFound, page, requireStaffPage, submit, withNotice } from './support.js';

const text = (body: Record<string, unknown>, key: string) =>
  typeof body[key] === 'string' ? body[key].trim() : '';

const DETAIL_FIELDS = ['summary', 'owner', 'ownerEmail', 'appliesTo', 'nextReviewOn'];

/** The parameters of a version beside those of the version in force, for tables. */
function parameterRows(version: PolicyVersionView, inForce: PolicyVersionView | undefined) {
  return EDITABLE_PARAMETERS.map((e) => {
    const value = version.parameters ? parameterValue(version.parameters, e.field) : null;
    const current = inForce?.parameters ? parameterValue(inForce.parameters, e.field) : null;
    return {
      field: e.field,
      label: e.label,
      clauses: e.clauses.join(', '),
      value: value === null ? 'Not held' : formatParameter(e.field, value),
      inForce: current === null ? '' : formatParameter(e.field, current),
      changed: value !== null && current !== null && value !== current,
    };
  });
}

/**
 * The policy register (3.1.1) for the programme team and admins: the versions, the draft of the
 * next one (edit, check answers, approve by someone else), and the what-if. Delivery-partner staff
 * may read the register; anyone else is told the page does not exist.
 */
/** The what-if form's values, as the page and its CSV download both read them. */
interface WhatIfQuery {
  version?: string;
  scope?: string;
  cohortId?: string;
  deliveryPartnerId?: string;
  asOf?: string;
}

/** Which participants the what-if runs over, from the form (a bad id finds no one). */
function whatIfScopeOf(q: WhatIfQuery): WhatIfScope {
  if (q.scope === 'cohort') return { kind: 'cohort', cohortId: Number(q.cohortId) || 0 };
  if (q.scope === 'partner') {
    return { kind: 'partner', deliveryPartnerId: Number(q.deliveryPartnerId) || 0 };
  }
  return { kind: 'all' };
}

export function policyRegisterRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const reader = (request: FastifyRequest, reply: FastifyReply, edit = false): Actor | null => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return null;
    if (!(edit ? mayEditRegister(actor) : mayReadRegister(actor))) {
      void notFound(reply);
      return null;
    }
    return actor;
  };

  const renderList = async (
    reply: FastifyReply,
    actor: Actor,
    options: { values?: Record<string, string>; errors?: ReturnType<typeof formErrors> } = {},
    status = 200,
  ) => {
    const versions = await listPolicyVersions(deps, actor);
    return reply.code(status).view('admin/policy-register.njk', {
      versions,
      draft: versions.find((v) => v.status === 'draft') ?? null,
      mayEdit: mayEditRegister(actor),
      tasks: await openReviewTasks(deps, actor),
      values: options.values ?? {},
      errors: options.errors,
    });
  };

  app.get('/policy-register', async (request, reply) => {
    const actor = reader(request, reply);
    if (!actor) return reply;
    return page(reply, () => renderList(reply, actor));
  });

  app.post('/policy-register/drafts', async (request, reply) => {
    const actor = reader(request, reply, true);
    if (!actor) return reply;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const values = { version: text(body, 'version'), summary: text(body, 'summary') };
    return page(reply, async () =>
      submit(
        reply,
        async () => {
          const draft = await createDraft(deps, actor, values);
          return `/policy-register/versions/${encodeURIComponent(draft.version)}/edit`;
        },
        (failure, status) => renderList(reply, actor, { values, errors: failure.errors }, status),
      ),
    );
  });

  const renderVersion = async (
    reply: FastifyReply,
    actor: Actor,
    version: string,
    options: {
      notice?: string | undefined;
      values?: Record<string, string>;
      errors?: ReturnType<typeof formErrors>;
    } = {},
    status = 200,
  ) => {
    const versions = await listPolicyVersions(deps, actor);
    const v = versions.find((x) => x.version === version);
    if (!v) return notFound(reply);
    const inForce = versions.find((x) => x.standing === 'in_force');
    const mayApprove =
      mayEditRegister(actor) &&
      v.status === 'draft' &&
      v.createdByUserId !== actor.userId &&
      v.updatedByUserId !== actor.userId;
    return reply.code(status).view('admin/policy-version.njk', {
      v,
      inForce,
      parameters: parameterRows(v, inForce),
      mayEdit: mayEditRegister(actor) && v.status === 'draft',
      mayApprove,
      today: whatIfToday(deps),
      notice: options.notice,
      values: options.values ?? { approver: v.approver ?? '', issuedOn: whatIfToday(deps) },
      errors: options.errors,
    });
  };

  app.get<{ Params: { version: string }; Querystring: { notice?: string } }>(
    '/policy-register/versions/:version',
    async (request, reply) => {
      const actor = reader(request, reply);
      if (!actor) return reply;
      return page(reply, () =>
        renderVersion(reply, actor, request.params.version, { notice: request.query.notice }),
      );
    },
  );

  const renderEdit = async (
    reply: FastifyReply,
    v: PolicyVersionView,
    values: Record<string, string>,
    errors?: ReturnType<typeof formErrors>,
    status = 200,
  ) =>
    reply.code(status).view('admin/policy-edit.njk', {
      v,
      parameters: EDITABLE_PARAMETERS,
      values,
      errors,
    });

  app.get<{ Params: { version: string } }>(
    '/policy-register/versions/:version/edit',
    async (request, reply) => {
      const actor = reader(request, reply, true);
      if (!actor) return reply;
      return page(reply, async () => {
        const v = await getPolicyVersion(deps, actor, request.params.version);
        if (v.status !== 'draft' || !v.parameters) return notFound(reply);
        return renderEdit(reply, v, {
          summary: v.summary,
          owner: v.owner ?? '',
          ownerEmail: v.ownerEmail ?? '',
          appliesTo: v.appliesTo ?? '',
          nextReviewOn: v.nextReviewOn ?? '',
          ...formValuesOf(v.parameters),
        });
      });
    },
  );

  /** Edit → check answers → save (the confirm step posts the same fields back with confirm=yes). */
  app.post<{ Params: { version: string } }>(
    '/policy-register/versions/:version/edit',
    async (request, reply) => {
      const actor = reader(request, reply, true);
      if (!actor) return reply;
      const body = (request.body ?? {}) as Record<string, unknown>;
      const values = Object.fromEntries(
        [...DETAIL_FIELDS, ...EDITABLE_PARAMETERS.map((e) => e.field)].map((f) => [
          f,
          text(body, f),
        ]),
      );
      return page(reply, async () => {
        const v = await getPolicyVersion(deps, actor, request.params.version);
        if (v.status !== 'draft' || !v.parameters) return notFound(reply);
        const edit: DraftEdit = {
          revision: Number(text(body, 'revision')) || v.revision,
          summary: values.summary!,
          owner: values.owner!,
          ownerEmail: values.ownerEmail!,
          appliesTo: values.appliesTo!,
          nextReviewOn: values.nextReviewOn!,
          values: valuesFromForm(values),
        };
        const problems = draftEditProblems(edit);
        if (problems.length) {
          return renderEdit(
            reply,
            v,
            values,
            formErrors(problems.map((p) => ({ path: [p.path], message: p.message }))),
            422,
          );
        }
        if (text(body, 'confirm') !== 'yes') {
          const proposed = { ...v, parameters: { ...v.parameters } };
          const rows = EDITABLE_PARAMETERS.map((e) => ({
            label: e.label,
            field: e.field,
            value: formatParameter(e.field, edit.values[e.field]!),
            was: formatParameter(e.field, parameterValue(proposed.parameters, e.field)),
          }));
          return reply.view('admin/policy-check.njk', { v, values, rows, revision: v.revision });
        }
        return submit(
          reply,
          async () => {
            await updateDraft(deps, actor, v.version, edit);
            return withNotice(
              `/policy-register/versions/${encodeURIComponent(v.version)}`,
              'saved',
            );
          },
          (failure, status) => renderEdit(reply, v, values, failure.errors, status),
        );
      });
    },
  );

  app.post<{ Params: { version: string } }>(
    '/policy-register/versions/:version/approve',
    async (request, reply) => {
      const actor = reader(request, reply, true);
      if (!actor) return reply;
      const body = (request.body ?? {}) as Record<string, unknown>;
      const values = { issuedOn: text(body, 'issuedOn'), approver: text(body, 'approver') };
      const version = request.params.version;
      return page(reply, async () =>
        submit(
          reply,
          async () => {
            await approveDraft(deps, actor, version, {
              revision: Number(text(body, 'revision')),
              ...values,
            });
            return withNotice(
              `/policy-register/versions/${encodeURIComponent(version)}`,
              'approved',
            );
          },
          (failure, status) =>
            renderVersion(reply, actor, version, { values, errors: failure.errors }, status),
        ),
      );
    },
  );

  /** Discard → "are you sure?" → discarded (the draft stays, marked discarded; audited). */
  app.get<{ Params: { version: string } }>(
    '/policy-register/versions/:version/discard',
    async (request, reply) => {
      const actor = reader(request, reply, true);
      if (!actor) return reply;
      return page(reply, async () => {
        const v = await getPolicyVersion(deps, actor, request.params.version);
        if (v.status !== 'draft') return notFound(reply);
        return reply.view('admin/policy-discard.njk', { v });
      });
    },
  );

  app.post<{ Params: { version: string } }>(
    '/policy-register/versions/:version/discard',
    async (request, reply) => {
      const actor = reader(request, reply, true);
      if (!actor) return reply;
      const version = request.params.version;
      return page(reply, async () => {
        await discardDraft(deps, actor, version);
        return reply.redirect(
          withNotice(`/policy-register/versions/${encodeURIComponent(version)}`, 'discarded'),
          303,
        );
      });
    },
  );

  /** The what-if: a GET form (it reads and writes nothing), results below it. */
  app.get<{ Querystring: WhatIfQuery }>('/policy-register/what-if', async (request, reply) => {
    const actor = reader(request, reply, true);
    if (!actor) return reply;
    return page(reply, async () => {
      const q = request.query;
      const versions = (await listPolicyVersions(deps, actor)).filter(
        (v) => v.parameters !== null && v.status !== 'discarded',
      );
      const scopes = await whatIfScopes(deps, actor);
      const draft = versions.find((v) => v.status === 'draft');
      const values = {
        version: q.version ?? draft?.version ?? '',
        scope: q.scope ?? 'all',
        cohortId: q.cohortId ?? '',
        deliveryPartnerId: q.deliveryPartnerId ?? '',
        asOf: q.asOf ?? whatIfToday(deps),
      };
      let result = null;
      let errors;
      let status = 200;
      if (q.version !== undefined) {
        const scope = whatIfScopeOf(values);
        try {
          result = await runWhatIf(deps, actor, {
            version: values.version,
            scope,
            asOf: values.asOf,
          });
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          errors = formErrors(error.errors.map((e) => ({ path: [e.path], message: e.message })));
          status = 422;
        }
      }
      return reply.code(status).view('admin/policy-what-if.njk', {
        versions,
        scopes,
        values,
        result,
        errors,
        outcomes: WHAT_IF_OUTCOMES.map((o) => ({ key: o, label: WHAT_IF_OUTCOME_LABELS[o] })),
        inForceVersion: (await registerInForce(deps.db, whatIfToday(deps))).version,
      });
    });
  });

  /** The differences as CSV, for the same form values; a problem shows the form with its errors. */
  app.get<{ Querystring: WhatIfQuery }>('/policy-register/what-if.csv', async (request, reply) => {
    const actor = reader(request, reply, true);
    if (!actor) return reply;
    const q = request.query;
    const scope = whatIfScopeOf(q);
    return page(reply, async () => {
      try {
        const result = await runWhatIf(deps, actor, {
          version: q.version ?? '',
          scope,
          asOf: q.asOf ?? whatIfToday(deps),
        });
        return reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${whatIfCsvName(result)}"`)
          .header('cache-control', 'no-store')
          .send(whatIfCsv(result));
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        const qs = new URLSearchParams(
          Object.entries(q).filter((e): e is [string, string] => typeof e[1] === 'string'),
        );
        return reply.redirect(`/policy-register/what-if?${qs.toString()}`, 303);
      }
    });
  });
}
