/**
 * The fake DfE lead provider API v3 over HTTP (Fastify), for tests and local development only:
 * `startFakeDfe()` gives its address, its state and a stop function. Paths, query parameters
 * (`filter[...]`, `page[page]`, `page[per_page]`), bodies and error shapes follow the contract.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  FakeDfeRefusal,
  FakeDfeState,
  type DeclarationType,
  type FakeApplication,
  type FakeDfeOptions,
  type ScheduleIdentifier,
} from './state.js';

export interface FakeDfe {
  /** Base address for the DfE client and DFE_API_URL (no /api/v3). */
  readonly url: string;
  readonly state: FakeDfeState;
  stop(): Promise<void>;
}

export interface StartFakeDfeOptions extends FakeDfeOptions {
  /** Default 0: any free port. */
  port?: number;
  host?: string;
  /** The bearer token it accepts (default: any non-empty token). */
  token?: string;
  /** A state to serve (default: a new, empty one). */
  state?: FakeDfeState;
}

const PER_PAGE_DEFAULT = 100;
const PER_PAGE_MAX = 3000;

type Query = Record<string, string | undefined>;

function pageOf<T>(items: readonly T[], query: Query): T[] {
  const page = Math.max(1, Number.parseInt(query['page[page]'] ?? '1', 10) || 1);
  const requested = Number.parseInt(query['page[per_page]'] ?? '', 10);
  const perPage =
    Number.isFinite(requested) && requested > 0
      ? Math.min(requested, PER_PAGE_MAX)
      : PER_PAGE_DEFAULT;
  return items.slice((page - 1) * perPage, page * perPage);
}

function updatedSince(query: Query): number | undefined {
  const raw = query['filter[updated_since]'];
  if (raw === undefined) return undefined;
  const at = Date.parse(raw);
  if (Number.isNaN(at))
    throw new FakeDfeRefusal(
      422,
      'updated_since',
      'The filter #/updated_since must be a valid ISO 8601 date',
    );
  return at;
}

function inCohorts(query: Query, cohort: string | null | undefined): boolean {
  const raw = query['filter[cohort]'];
  return raw === undefined || raw.split(',').includes(cohort ?? '');
}

function sortBy<T extends { id: string; attributes: { created_at?: string; updated_at?: string } }>(
  items: T[],
  sort: string | undefined,
): T[] {
  const key = sort?.replace(/^-/, '') === 'updated_at' ? 'updated_at' : 'created_at';
  const sign = sort?.startsWith('-') ? -1 : 1;
  return items.sort(
    (a, b) =>
      sign *
      ((a.attributes[key] ?? '').localeCompare(b.attributes[key] ?? '') ||
        a.id.localeCompare(b.id)),
  );
}

function badRequest(reply: FastifyReply): FastifyReply {
  return reply.code(400).send({
    errors: [
      {
        title: 'Bad request',
        detail: 'correct json data structure required. See API docs for reference',
      },
    ],
  });
}

interface Body {
  data?: { type?: unknown; attributes?: Record<string, unknown> };
}

function attributesOf(request: FastifyRequest): Record<string, unknown> | undefined {
  const body = request.body as Body | undefined;
  if (!body || typeof body !== 'object' || !body.data || typeof body.data !== 'object')
    return undefined;
  if (typeof body.data.type !== 'string') return undefined;
  const attributes = body.data.attributes;
  return attributes && typeof attributes === 'object' ? attributes : undefined;
}

function requireString(attributes: Record<string, unknown>, name: string): string {
  const value = attributes[name];
  if (typeof value !== 'string' || value === '')
    throw new FakeDfeRefusal(
      422,
      name,
      `The property '#/${name}' must be present and a valid value`,
    );
  return value;
}

/** Builds the fake's Fastify app over a state (exported for tests that inject requests). */
export function buildFakeDfeApp(state: FakeDfeState, token?: string): FastifyInstance {
  const app = Fastify({ logger: false, forceCloseConnections: true });

  app.addHook('onResponse', async (request, reply) => {
    state.requests.push({
      method: request.method,
      path: request.url.split('?')[0] ?? request.url,
      status: reply.statusCode,
    });
  });

  app.addHook('onRequest', async (request, reply) => {
    const auth = request.headers.authorization ?? '';
    const given = /^Bearer (.+)$/.exec(auth)?.[1];
    if (!given || (token !== undefined && given !== token))
      return reply.code(401).send({ error: 'HTTP Token: Access denied' });
    const index = state.faults.findIndex(
      (f) => !f.pathIncludes || request.url.includes(f.pathIncludes),
    );
    if (index < 0) return undefined;
    const [fault] = state.faults.splice(index, 1);
    if (fault!.kind === 'timeout') {
      await new Promise((resolve) => setTimeout(resolve, fault!.delayMs ?? 30_000));
      return reply.code(504).send({ error: 'Gateway Timeout' });
    }
    return reply.code(fault!.status ?? 503).send({ error: 'Service Unavailable' });
  });

  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof FakeDfeRefusal) {
      if (error.status === 404) return reply.code(404).send({ error: 'Resource not found' });
      return reply.code(422).send({ errors: [{ title: error.title, detail: error.detail }] });
    }
    if ((error as { statusCode?: number }).statusCode === 400) return badRequest(reply);
    return reply.code(500).send({ error: 'Internal server error' });
  });

  const show = (application: FakeApplication): unknown => {
    const breaker = state.broken.get(application.id);
    return breaker ? breaker(structuredClone(application)) : application;
  };

  /* Applications */
  app.get('/api/v3/npq-applications', async (request) => {
    const query = request.query as Query;
    const since = updatedSince(query);
    const participants = query['filter[participant_id]']?.split(',');
    const items = sortBy(
      [...state.applications.values()].filter(
        (a) =>
          (since === undefined || Date.parse(a.attributes.updated_at ?? '') >= since) &&
          inCohorts(query, a.attributes.cohort) &&
          (!participants || participants.includes(a.attributes.participant_id ?? '')),
      ),
      query.sort,
    );
    return { data: pageOf(items, query).map(show) };
  });
  app.get<{ Params: { id: string } }>('/api/v3/npq-applications/:id', async (request) => ({
    data: show(state.application(request.params.id)),
  }));
  app.post<{ Params: { id: string } }>(
    '/api/v3/npq-applications/:id/accept',
    async (request, reply) => {
      const body = request.body as Body | undefined;
      let attributes: Record<string, unknown> = {};
      if (body !== undefined && body !== null) {
        const given = attributesOf(request);
        if (!given && body.data?.attributes !== undefined) return badRequest(reply);
        attributes = given ?? {};
      }
      const funded = attributes.funded_place;
      if (funded !== undefined && typeof funded !== 'boolean')
        throw new FakeDfeRefusal(
          422,
          'funded_place',
          "The entered '#/funded_place' must be true or false",
        );
      return {
        data: show(
          state.acceptApplication(request.params.id, {
            ...(typeof funded === 'boolean' ? { funded_place: funded } : {}),
            ...(typeof attributes.schedule_identifier === 'string'
              ? { schedule_identifier: attributes.schedule_identifier as ScheduleIdentifier }
              : {}),
          }),
        ),
      };
    },
  );
  app.post<{ Params: { id: string } }>('/api/v3/npq-applications/:id/reject', async (request) => ({
    data: show(state.rejectApplication(request.params.id)),
  }));
  app.put<{ Params: { id: string } }>(
    '/api/v3/npq-applications/:id/change-funded-place',
    async (request, reply) => {
      const attributes = attributesOf(request);
      if (!attributes) return badRequest(reply);
      if (typeof attributes.funded_place !== 'boolean')
        throw new FakeDfeRefusal(
          422,
          'funded_place',
          "The entered '#/funded_place' is missing from your request. Check details and try again.",
        );
      return { data: show(state.changeFundedPlace(request.params.id, attributes.funded_place)) };
    },
  );

  /* Participants */
  app.get('/api/v3/participants/npq', async (request) => {
    const query = request.query as Query;
    const since = updatedSince(query);
    const status = query['filter[training_status]'];
    const items = sortBy(
      [...state.participants.values()].filter(
        (p) =>
          (since === undefined || Date.parse(p.attributes.updated_at ?? '') >= since) &&
          (!status ||
            (p.attributes.npq_enrolments ?? []).some((e) => e.training_status === status)),
      ),
      query.sort,
    );
    return { data: pageOf(items, query) };
  });
  app.get<{ Params: { id: string } }>('/api/v3/participants/npq/:id', async (request) => ({
    data: state.participant(request.params.id),
  }));
  const change = (
    action: string,
    run: (id: string, attributes: Record<string, unknown>) => unknown,
  ) =>
    app.put<{ Params: { id: string } }>(
      `/api/v3/participants/npq/:id/${action}`,
      async (request, reply) => {
        const attributes = attributesOf(request);
        if (!attributes) return badRequest(reply);
        return { data: run(request.params.id, attributes) };
      },
    );
  change('defer', (id, a) =>
    state.defer(id, requireString(a, 'course_identifier'), requireString(a, 'reason') as never),
  );
  change('withdraw', (id, a) =>
    state.withdraw(id, requireString(a, 'course_identifier'), requireString(a, 'reason') as never),
  );
  change('resume', (id, a) => state.resume(id, requireString(a, 'course_identifier')));
  change('change-schedule', (id, a) =>
    state.changeSchedule(
      id,
      requireString(a, 'course_identifier'),
      requireString(a, 'schedule_identifier') as ScheduleIdentifier,
      typeof a.cohort === 'string' ? a.cohort : null,
    ),
  );

  /* Declarations */
  app.get('/api/v3/participant-declarations', async (request) => {
    const query = request.query as Query;
    const since = updatedSince(query);
    const participant = query['filter[participant_id]'];
    const items = sortBy(
      [...state.declarations.values()].filter(
        (d) =>
          (since === undefined || Date.parse(d.attributes.updated_at) >= since) &&
          (!participant || d.attributes.participant_id === participant),
      ),
      undefined,
    );
    return { data: pageOf(items, query) };
  });
  app.post('/api/v3/participant-declarations', async (request, reply) => {
    const a = attributesOf(request);
    if (!a) return badRequest(reply);
    const type = requireString(a, 'declaration_type');
    if (!['started', 'retained-1', 'retained-2', 'completed'].includes(type))
      throw new FakeDfeRefusal(
        422,
        'declaration_type',
        "The entered '#/declaration_type' is not recognised for the given participant. Check details and try again.",
      );
    return {
      data: state.declare({
        participant_id: requireString(a, 'participant_id'),
        declaration_type: type as DeclarationType,
        declaration_date: requireString(a, 'declaration_date'),
        course_identifier: requireString(a, 'course_identifier'),
        ...(typeof a.has_passed === 'boolean' ? { has_passed: a.has_passed } : {}),
        ...(typeof a.delivery_partner_id === 'string'
          ? { delivery_partner_id: a.delivery_partner_id }
          : {}),
      }),
    };
  });
  app.get<{ Params: { id: string } }>('/api/v3/participant-declarations/:id', async (request) => ({
    data: state.declaration(request.params.id),
  }));
  app.put<{ Params: { id: string } }>(
    '/api/v3/participant-declarations/:id/void',
    async (request) => ({
      data: state.voidDeclaration(request.params.id),
    }),
  );

  /* Statements */
  app.get('/api/v3/statements', async (request) => {
    const query = request.query as Query;
    const since = updatedSince(query);
    const items = sortBy(
      [...state.statements.values()].filter(
        (s) =>
          (since === undefined || Date.parse(s.attributes.updated_at ?? '') >= since) &&
          inCohorts(query, s.attributes.cohort),
      ),
      undefined,
    );
    return { data: pageOf(items, query) };
  });
  app.get<{ Params: { id: string } }>('/api/v3/statements/:id', async (request) => {
    const found = state.statements.get(request.params.id);
    if (!found) throw new FakeDfeRefusal(404, 'Resource not found', 'Resource not found');
    return { data: found };
  });

  return app;
}

/** Starts the fake DfE API on a port of its own (127.0.0.1 and any free port by default). */
export async function startFakeDfe(options: StartFakeDfeOptions = {}): Promise<FakeDfe> {
  const state = options.state ?? new FakeDfeState(options);
  const app = buildFakeDfeApp(state, options.token);
  const host = options.host ?? '127.0.0.1';
  await app.listen({ port: options.port ?? 0, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${host}:${port}`,
    state,
    stop: () => app.close(),
  };
}
