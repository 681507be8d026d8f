import { z } from 'zod';
import {
  approveDraft,
  discardDraft,
  createDraft,
  getPolicyVersion,
  listPolicyVersions,
  updateDraft,
  type PolicyVersionView,
} from '../../services/policy-register.js';
import {
  runWhatIf,
  whatIfCsv,
  whatIfCsvName,
  type WhatIfScope,
} from '../../services/policy-what-if.js';
import { EDITABLE_PARAMETERS, parameterValue } from '../../policy/register-versions.js';
import { WHAT_IF_OUTCOMES } from '../../policy/what-if.js';
import { actorOf, ErrorBody, type ApiModule } from './plugin.js';
import { Id, IsoDate } from './schemas.js';

const VersionParam = z.object({ version: z.string().min(1).max(20) });

/** The parameters a version may change, as whole numbers (the threshold in basis points). */
const Parameters = z
  .object(Object.fromEntries(EDITABLE_PARAMETERS.map((e) => [e.field, z.number().int()])))
  .meta({ id: 'PolicyParameterValues' });

const VersionBody = z
  .object({
    version: z.string(),
    status: z.enum(['draft', 'approved', 'discarded']),
    standing: z.enum(['draft', 'in_force', 'superseded', 'scheduled', 'history', 'discarded']),
    owner: z.string().nullable(),
    approver: z.string().nullable(),
    issuedOn: z.string().nullable(),
    summary: z.string(),
    appliesTo: z.string().nullable(),
    nextReviewOn: z.string().nullable(),
    basedOnVersion: z.string().nullable(),
    approvedAt: z.string().nullable(),
    revision: z.number().int(),
    parameters: Parameters.nullable().describe('Null for a version kept for its history only'),
  })
  .meta({ id: 'PolicyVersion' });

const toBody = (v: PolicyVersionView) => ({
  version: v.version,
  status: v.status,
  standing: v.standing,
  owner: v.owner,
  approver: v.approver,
  issuedOn: v.issuedOn,
  summary: v.summary,
  appliesTo: v.appliesTo,
  nextReviewOn: v.nextReviewOn,
  basedOnVersion: v.basedOnVersion,
  approvedAt: v.approvedAt,
  revision: v.revision,
  parameters: v.parameters
    ? Object.fromEntries(
        EDITABLE_PARAMETERS.map((e) => [e.field, parameterValue(v.parameters!, e.field)]),
      )
    : null,
});

const Difference = z.object({
  outcome: z.enum(WHAT_IF_OUTCOMES),
  from: z.union([z.boolean(), z.number()]),
  to: z.union([z.boolean(), z.number()]),
  clause: z.string(),
  parameter: z.string(),
  explanation: z.string(),
});

const WhatIfBody = z
  .object({
    version: z.string(),
    comparedWith: z.string(),
    asOf: z.string(),
    scopeLabel: z.string(),
    changedParameters: z.array(
      z.object({ field: z.string(), label: z.string(), from: z.string(), to: z.string() }),
    ),
    enrolmentsConsidered: z.number().int(),
    participantsChanged: z.number().int(),
    counts: z.record(z.string(), z.object({ gained: z.number(), lost: z.number() })),
    participants: z.array(
      z.object({
        enrolmentId: z.number(),
        participantId: z.number(),
        fullName: z.string(),
        deliveryPartner: z.string(),
        cohortId: z.number(),
        differences: z.array(Difference),
      }),
    ),
    listTruncated: z.boolean(),
    elapsedMs: z.number(),
  })
  .meta({ id: 'PolicyWhatIf' });

/** The what-if's query: as of a date, over a cohort, a partner or everyone (neither given). */
const WhatIfQuery = z.object({
  asOf: IsoDate,
  cohortId: z.coerce.number().pipe(Id).optional(),
  deliveryPartnerId: z.coerce.number().pipe(Id).optional(),
});

function whatIfScopeOf(q: z.infer<typeof WhatIfQuery>): WhatIfScope {
  if (q.cohortId !== undefined) return { kind: 'cohort', cohortId: q.cohortId };
  if (q.deliveryPartnerId !== undefined) {
    return { kind: 'partner', deliveryPartnerId: q.deliveryPartnerId };
  }
  return { kind: 'all' };
}

const tags = ['Policy register'];
const refusals = { 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

export const policyRegisterApi: ApiModule = (app, deps) => {
  app.get(
    '/policy-versions',
    {
      schema: {
        tags,
        summary: 'Every version of the policy: history, in force, scheduled and the draft (staff)',
        response: { 200: z.array(VersionBody), ...refusals },
      },
    },
    async (request) => (await listPolicyVersions(deps, actorOf(request))).map(toBody),
  );

  app.get(
    '/policy-versions/:version',
    {
      schema: {
        tags,
        summary: 'One version of the policy',
        params: VersionParam,
        response: { 200: VersionBody, ...refusals },
      },
    },
    async (request) =>
      toBody(await getPolicyVersion(deps, actorOf(request), request.params.version)),
  );

  app.post(
    '/policy-versions',
    {
      schema: {
        tags,
        summary: 'Start a draft from the version in force (programme team, admin)',
        body: z.object({ version: z.string().max(20), summary: z.string().max(500) }),
        response: { 201: VersionBody, ...refusals, 409: ErrorBody, 422: ErrorBody },
      },
    },
    async (request, reply) =>
      reply.code(201).send(toBody(await createDraft(deps, actorOf(request), request.body))),
  );

  app.put(
    '/policy-versions/:version',
    {
      schema: {
        tags,
        summary: 'Edit the draft: its details and parameters (programme team, admin)',
        params: VersionParam,
        body: z.object({
          revision: z.number().int().describe('The revision you read (409 if stale)'),
          summary: z.string().max(500),
          owner: z.string().max(200),
          ownerEmail: z.string().max(320).optional(),
          appliesTo: z.string().max(500),
          nextReviewOn: z.string().describe('YYYY-MM-DD'),
          parameters: z
            .record(z.string(), z.number())
            .describe('Whole numbers by field; the threshold in basis points (9000 = 90%)'),
        }),
        response: { 200: VersionBody, ...refusals, 409: ErrorBody, 422: ErrorBody },
      },
    },
    async (request) =>
      toBody(
        await updateDraft(deps, actorOf(request), request.params.version, {
          ...request.body,
          ownerEmail: request.body.ownerEmail ?? '',
          values: request.body.parameters,
        }),
      ),
  );

  app.post(
    '/policy-versions/:version/approve',
    {
      schema: {
        tags,
        summary:
          'Approve the draft, in force from its issue date (programme team, admin; not the person who drafted or last edited it)',
        params: VersionParam,
        body: z.object({
          revision: z.number().int(),
          issuedOn: z.string().describe('YYYY-MM-DD, today or later'),
          approver: z.string().max(200).describe('As the version table shows it'),
        }),
        response: { 200: VersionBody, ...refusals, 409: ErrorBody, 422: ErrorBody },
      },
    },
    async (request) =>
      toBody(await approveDraft(deps, actorOf(request), request.params.version, request.body)),
  );

  app.post(
    '/policy-versions/:version/discard',
    {
      schema: {
        tags,
        summary:
          'Discard the draft: it stays in the register, marked discarded, and its number cannot be used again (programme team, admin)',
        params: VersionParam,
        response: { 200: VersionBody, ...refusals },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      await discardDraft(deps, actor, request.params.version);
      return toBody(await getPolicyVersion(deps, actor, request.params.version));
    },
  );

  app.get(
    '/policy-versions/:version/what-if',
    {
      schema: {
        tags,
        summary:
          'Who would change outcome under this version, against the version in force on the date (writes nothing)',
        params: VersionParam,
        querystring: WhatIfQuery,
        response: { 200: WhatIfBody, ...refusals, 422: ErrorBody },
      },
    },
    async (request) => {
      const q = request.query;
      const scope = whatIfScopeOf(q);
      return runWhatIf(deps, actorOf(request), {
        version: request.params.version,
        scope,
        asOf: q.asOf,
      });
    },
  );

  app.get(
    '/policy-versions/:version/what-if.csv',
    {
      schema: {
        tags,
        summary:
          'The what-if list of differences as CSV: one row per participant and outcome that changes (writes nothing)',
        params: VersionParam,
        querystring: WhatIfQuery,
        produces: ['text/csv'],
        response: { 200: z.string(), ...refusals, 422: ErrorBody },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const scope = whatIfScopeOf(q);
      const result = await runWhatIf(deps, actorOf(request), {
        version: request.params.version,
        scope,
        asOf: q.asOf,
      });
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${whatIfCsvName(result)}"`)
        .send(whatIfCsv(result));
    },
  );
};
