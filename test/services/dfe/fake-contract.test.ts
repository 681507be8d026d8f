import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { loadDfeContract } from '../../../scripts/dfe-contract.js';
import { createDfeClient, type DfeClient } from '../../../src/services/dfe/client.js';
import {
  seedApplications,
  schedulesFor,
  seedStatements,
  startFakeDfe,
  type FakeDfe,
} from '../../../src/services/dfe/fake/index.js';

// Every answer of the fake DfE, for every operation it serves, validated against the response
// schema the contract gives that operation and status (ajv over the contract's own components),
// through flows that change its state: applications accepted and rejected, participants
// deferred, resumed, withdrawn and moved, declarations made, refused as duplicates and voided.
const CONTRACT = fileURLToPath(
  new URL('../../../contracts/dfe-npq-lead-provider-api-v3.yaml', import.meta.url),
);
type Doc = {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>
  >;
  components: { schemas: Record<string, unknown> };
};
let doc: Doc;
let ajv: Ajv;
let fake: FakeDfe;
let dfe: DfeClient;
const checked: string[] = [];
let now = new Date('2026-11-20T09:00:00Z');

/** Rewrites OpenAPI 3.0 `nullable: true` to JSON Schema, which ajv reads. */
function jsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(jsonSchema);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'example' || k === 'examples' || k === 'nullable') continue;
    out[k] =
      k === '$ref'
        ? (v as string).replace('#/components/schemas/', 'dfe#/definitions/')
        : jsonSchema(v);
  }
  const n = node as { nullable?: boolean; type?: string; enum?: unknown[] };
  if (n.nullable && typeof n.type === 'string') out.type = [n.type, 'null'];
  if (n.nullable && Array.isArray(n.enum)) out.enum = [...n.enum, null];
  return out;
}

function validatorFor(path: string, method: string, status: number): ValidateFunction {
  const response = doc.paths[path]?.[method]?.responses[String(status)];
  const schema = response?.content?.['application/json']?.schema;
  if (!schema) throw new Error(`The contract has no ${status} answer for ${method} ${path}`);
  return ajv.compile(jsonSchema(schema) as object);
}

/** Calls the fake, then checks the answer against the contract for that path, method and status. */
async function conforms(
  path: string,
  method: 'get' | 'post' | 'put',
  call: Promise<{ response: Response; data?: unknown; error?: unknown }>,
  expectedStatus: number,
) {
  const { response, data, error } = await call;
  expect(response.status, `${method} ${path}`).toBe(expectedStatus);
  const validate = validatorFor(path, method, response.status);
  const body = response.ok ? data : error;
  const ok = validate(body);
  expect(ok ? [] : validate.errors, `${method} ${path} ${response.status}`).toEqual([]);
  checked.push(`${method.toUpperCase()} ${path} ${response.status}`);
  return body as { data: { id: string; attributes: Record<string, unknown> } } & { data: unknown };
}

// Each test starts at the same instant: one that moves the clock on does not move the next.
beforeEach(() => {
  now = new Date('2026-11-20T09:00:00Z');
});

beforeAll(async () => {
  doc = loadDfeContract(CONTRACT) as unknown as Doc;
  ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ $id: 'dfe', definitions: jsonSchema(doc.components.schemas) as object });
  fake = await startFakeDfe({
    now: () => new Date(now),
    requireDeclarationForDeferOrWithdraw: true,
  });
  seedApplications(fake.state, {
    count: 10,
    schoolUrns: ['100001', '123456'],
    offers: [
      { courseIdentifier: 'npq-headship', cohortYear: 2025 },
      { courseIdentifier: 'npq-early-headship-coaching-offer', cohortYear: 2025 },
    ],
    before: new Date('2026-01-01T00:00:00Z'),
  });
  for (const a of fake.state.applications.values()) a.attributes.eligible_for_funding = true;
  seedStatements(fake.state, [2025]);
  dfe = createDfeClient({ url: fake.url, token: 'fake' });
});
afterAll(async () => {
  await fake?.stop();
  // The file as a whole checked the contract on many answers, whatever order its tests ran in.
  expect(checked.length).toBeGreaterThanOrEqual(25);
});

/**
 * An application of its own for a test, accepted through the API without a funded place (so its
 * declarations stay "submitted"), so the tests run in any order.
 */
async function acceptedApplication() {
  const app = [...fake.state.applications.values()].find((a) => a.attributes.status === 'pending')!;
  const res = await dfe.POST('/api/v3/npq-applications/{id}/accept', {
    params: { path: { id: app.id } },
    body: { data: { type: 'npq-application-accept', attributes: { funded_place: false } } },
  });
  expect(res.response.status).toBe(200);
  return fake.state.applications.get(app.id)!;
}

describe('the fake DfE answers as the contract says', () => {
  it('for applications: list, one, accept, reject, change funded place and refusals', async () => {
    const list = await conforms(
      '/api/v3/npq-applications',
      'get',
      dfe.GET('/api/v3/npq-applications', {
        params: { query: { page: { page: 1, per_page: 4 } } },
      }),
      200,
    );
    // Two pending applications of this test's own (others may have accepted some already).
    const ids = [...fake.state.applications.values()]
      .filter((a) => a.attributes.status === 'pending')
      .map((a) => a.id);
    expect((list.data as unknown as unknown[]).length).toBe(4);
    const path = { params: { path: { id: ids[0]! } } };
    await conforms(
      '/api/v3/npq-applications/{id}',
      'get',
      dfe.GET('/api/v3/npq-applications/{id}', path),
      200,
    );
    const accepted = await conforms(
      '/api/v3/npq-applications/{id}/accept',
      'post',
      dfe.POST('/api/v3/npq-applications/{id}/accept', {
        ...path,
        body: { data: { type: 'npq-application-accept', attributes: { funded_place: true } } },
      }),
      200,
    );
    expect(accepted.data.attributes.status).toBe('accepted');
    await conforms(
      '/api/v3/npq-applications/{id}/accept',
      'post',
      dfe.POST('/api/v3/npq-applications/{id}/accept', {
        ...path,
        body: { data: { type: 'npq-application-accept', attributes: { funded_place: true } } },
      }),
      422,
    );
    await conforms(
      '/api/v3/npq-applications/{id}/change-funded-place',
      'put',
      dfe.PUT('/api/v3/npq-applications/{id}/change-funded-place', {
        ...path,
        body: {
          data: {
            type: 'npq-application-change-funded-place',
            attributes: { funded_place: false },
          },
        },
      }),
      200,
    );
    const rejected = await conforms(
      '/api/v3/npq-applications/{id}/reject',
      'post',
      dfe.POST('/api/v3/npq-applications/{id}/reject', { params: { path: { id: ids[1]! } } }),
      200,
    );
    expect(rejected.data.attributes.status).toBe('rejected');
    await conforms(
      '/api/v3/npq-applications/{id}',
      'get',
      dfe.GET('/api/v3/npq-applications/{id}', {
        params: { path: { id: '00000000-0000-4000-8000-000000000000' } },
      }),
      404,
    );
  });

  it('for participants: training status through defer, resume, withdraw and change of schedule', async () => {
    const app = await acceptedApplication();
    const pid = app.attributes.participant_id!;
    const course = app.attributes.course_identifier!;
    const path = { params: { path: { id: pid } } };
    await conforms('/api/v3/participants/npq', 'get', dfe.GET('/api/v3/participants/npq', {}), 200);
    // The DfE refuses to defer a participant with no declaration.
    await conforms(
      '/api/v3/participants/npq/{id}/defer',
      'put',
      dfe.PUT('/api/v3/participants/npq/{id}/defer', {
        ...path,
        body: {
          data: {
            type: 'participant-defer',
            attributes: { reason: 'bereavement', course_identifier: course },
          },
        },
      }),
      422,
    );
    const started = await conforms(
      '/api/v3/participant-declarations',
      'post',
      dfe.POST('/api/v3/participant-declarations', {
        body: {
          data: {
            type: 'participant-declaration',
            attributes: {
              participant_id: pid,
              declaration_type: 'started',
              declaration_date: '2025-10-01T10:00:00Z',
              course_identifier: course,
            },
          },
        },
      }),
      200,
    );
    // Their funded place was taken away above, so the DfE will not pay: submitted, not eligible.
    expect(started.data.attributes.state).toBe('submitted');
    const deferred = await conforms(
      '/api/v3/participants/npq/{id}/defer',
      'put',
      dfe.PUT('/api/v3/participants/npq/{id}/defer', {
        ...path,
        body: {
          data: {
            type: 'participant-defer',
            attributes: { reason: 'bereavement', course_identifier: course },
          },
        },
      }),
      200,
    );
    expect(
      (deferred.data.attributes.npq_enrolments as { training_status: string }[])[0]!
        .training_status,
    ).toBe('deferred');
    await conforms(
      '/api/v3/participants/npq/{id}/defer',
      'put',
      dfe.PUT('/api/v3/participants/npq/{id}/defer', {
        ...path,
        body: {
          data: {
            type: 'participant-defer',
            attributes: { reason: 'bereavement', course_identifier: course },
          },
        },
      }),
      422,
    );
    const resumed = await conforms(
      '/api/v3/participants/npq/{id}/resume',
      'put',
      dfe.PUT('/api/v3/participants/npq/{id}/resume', {
        ...path,
        body: { data: { type: 'participant-resume', attributes: { course_identifier: course } } },
      }),
      200,
    );
    expect(
      (resumed.data.attributes.npq_enrolments as { training_status: string }[])[0]!.training_status,
    ).toBe('active');
    await conforms(
      '/api/v3/participants/npq/{id}/change-schedule',
      'put',
      dfe.PUT('/api/v3/participants/npq/{id}/change-schedule', {
        ...path,
        body: {
          data: {
            type: 'participant-change-schedule',
            attributes: {
              course_identifier: course,
              schedule_identifier: schedulesFor(course)[1]!,
            },
          },
        },
      }),
      200,
    );
    const withdrawn = await conforms(
      '/api/v3/participants/npq/{id}/withdraw',
      'put',
      dfe.PUT('/api/v3/participants/npq/{id}/withdraw', {
        ...path,
        body: {
          data: {
            type: 'participant-withdraw',
            attributes: { reason: 'change-in-career', course_identifier: course },
          },
        },
      }),
      200,
    );
    expect(
      (withdrawn.data.attributes.npq_enrolments as { training_status: string }[])[0]!
        .training_status,
    ).toBe('withdrawn');
    await conforms(
      '/api/v3/participants/npq/{id}/change-schedule',
      'put',
      dfe.PUT('/api/v3/participants/npq/{id}/change-schedule', {
        ...path,
        body: {
          data: {
            type: 'participant-change-schedule',
            attributes: {
              course_identifier: course,
              schedule_identifier: schedulesFor(course)[0]!,
            },
          },
        },
      }),
      422,
    );
    await conforms(
      '/api/v3/participants/npq/{id}',
      'get',
      dfe.GET('/api/v3/participants/npq/{id}', path),
      200,
    );
  });

  it('for declarations: duplicates refused, after withdrawal refused, voided; and statements', async () => {
    const app = await acceptedApplication();
    const pid = app.attributes.participant_id!;
    const course = app.attributes.course_identifier!;
    const declare = (type: 'started' | 'retained-1', date: string) =>
      dfe.POST('/api/v3/participant-declarations', {
        body: {
          data: {
            type: 'participant-declaration',
            attributes: {
              participant_id: pid,
              declaration_type: type,
              declaration_date: date,
              course_identifier: course,
            },
          },
        },
      });
    // This test's own participant: a live started declaration, then withdrawn (as of today).
    await conforms(
      '/api/v3/participant-declarations',
      'post',
      declare('started', '2025-10-01T10:00:00Z'),
      200,
    );
    await conforms(
      '/api/v3/participants/npq/{id}/withdraw',
      'put',
      dfe.PUT('/api/v3/participants/npq/{id}/withdraw', {
        params: { path: { id: pid } },
        body: {
          data: {
            type: 'participant-withdraw',
            attributes: { reason: 'change-in-career', course_identifier: course },
          },
        },
      }),
      200,
    );
    // A duplicate of the live started declaration is refused, as the DfE refuses it.
    const duplicate = await conforms(
      '/api/v3/participant-declarations',
      'post',
      declare('started', '2025-10-02T10:00:00Z'),
      422,
    );
    expect(JSON.stringify(duplicate)).toContain('already been submitted');
    // After the withdrawal date: refused, with the date of the withdrawal.
    now = new Date('2026-11-21T09:00:00Z');
    const late = await conforms(
      '/api/v3/participant-declarations',
      'post',
      declare('retained-1', '2026-11-21T08:00:00Z'),
      422,
    );
    expect(JSON.stringify(late)).toContain('withdrew from this course');
    const list = await conforms(
      '/api/v3/participant-declarations',
      'get',
      dfe.GET('/api/v3/participant-declarations', {
        params: { query: { filter: { participant_id: pid } } },
      }),
      200,
    );
    const id = (list.data as unknown as { id: string }[])[0]!.id;
    await conforms(
      '/api/v3/participant-declarations/{id}',
      'get',
      dfe.GET('/api/v3/participant-declarations/{id}', { params: { path: { id } } }),
      200,
    );
    const voided = await conforms(
      '/api/v3/participant-declarations/{id}/void',
      'put',
      dfe.PUT('/api/v3/participant-declarations/{id}/void', { params: { path: { id } } }),
      200,
    );
    expect(voided.data.attributes.state).toBe('voided');
    // Once voided, the same declaration may be made again.
    await conforms(
      '/api/v3/participant-declarations',
      'post',
      declare('started', '2025-10-03T10:00:00Z'),
      200,
    );
    const statements = await conforms(
      '/api/v3/statements',
      'get',
      dfe.GET('/api/v3/statements', { params: { query: { filter: { cohort: '2025' } } } }),
      200,
    );
    const statementId = (statements.data as unknown as { id: string }[])[0]!.id;
    await conforms(
      '/api/v3/statements/{id}',
      'get',
      dfe.GET('/api/v3/statements/{id}', { params: { path: { id: statementId } } }),
      200,
    );
  });

  it('refuses a request without the bearer token with the contract’s 401', async () => {
    const anonymous = createDfeClient(
      { url: fake.url, token: 'x' },
      {
        fetch: (request: Request) => {
          const stripped = new Request(request);
          stripped.headers.delete('Authorization');
          return fetch(stripped);
        },
      },
    );
    await conforms(
      '/api/v3/npq-applications',
      'get',
      anonymous.GET('/api/v3/npq-applications', {}),
      401,
    );
  });
});
