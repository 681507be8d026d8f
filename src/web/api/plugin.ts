import type { ObjectStore } from '../../services/storage/index.js';
import type { ImportQueue } from '../../services/imports/runner.js';
import type { EngagementAnswerQueue } from '../../services/engagement/answers.js';
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  FastifyBaseLogger,
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  RawServerDefault,
} from 'fastify';
import fastifySwagger from '@fastify/swagger';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { and, eq, lte } from 'drizzle-orm';
import { z } from 'zod';
import { ErrorBody } from './schemas.js';
import { registerServerDate, requestScopedClock } from './server-date.js';
import { replyIfUnavailable } from '../unavailable.js';
import type { Db } from '../../db/client.js';
import { idempotencyKey } from '../../db/schema.js';
import { systemClock, type Clock } from '../../clock.js';
import type { Actor } from '../../services/actor.js';
import {
  ConflictError,
  PolicyRefusalError,
  ServiceError,
  UnauthenticatedError,
  ValidationError,
} from '../../services/errors.js';

/** A Fastify instance whose routes are typed from their Zod schemas. */
export type ApiApp = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;
export interface ApiDeps {
  db: Db;
  clock: Clock;
  /** The address people reach the app at, for links in emails (config.publicUrl). */
  publicUrl?: string;
  /** Emails really go out (a Notify key is set): account links are then never shown to staff. */
  notifyConfigured?: boolean;
  /** config.retentionYearsAfterEnd: shown to participants with their data. */
  retentionYearsAfterEnd?: number;
  /** Runs uploaded imports (src/services/imports/runner.ts). */
  imports?: ImportQueue;
  /** config.dfeApi: the DfE lead provider API; null or absent means DfE sync is off. */
  dfeApi?: { readonly url: string; readonly token: string } | null;
  /** DfE sync is configured (config.dfeApi): pages that mention the DfE say whether it is on. */
  dfeSyncOn?: boolean;
  /** Enrolments whose engagement was worked out live, for the answer warmer (issue 13). */
  engagementAnswers?: EngagementAnswerQueue;
  /** Where uploaded files live (config.objectStore); PostgreSQL when absent. */
  objectStore?: ObjectStore;
  /**
   * Outside production, X-With-Server-Date sets a request's "now" (src/web/api/server-date.ts);
   * when false or absent (production) the header is refused with 400.
   */
  serverDateHeader?: boolean;
  /**
   * The app's clock, never moved by X-With-Server-Date: for what must run on real time whatever
   * the request says (account links and their expiry). Set by registerApi.
   */
  realClock?: Clock;
}
export type ApiModule = (app: ApiApp, deps: ApiDeps) => void | Promise<void>;

export const API_PREFIX = '/api/v1';

export { ErrorBody } from './schemas.js';

export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new UnauthenticatedError();
  return request.actor;
}

/**
 * The JSON API: Zod schemas validate requests and responses and generate the OpenAPI document
 * at /api/v1/openapi.json. Authentication is the session cookie (browsers; unsafe methods need
 * the CSRF header) or a bearer token. POSTs may carry an Idempotency-Key: a replay gets the
 * first response, and the same key with a different body is refused.
 */
export async function registerApi(
  app: FastifyInstance,
  deps: ApiDeps,
  modules: readonly ApiModule[],
): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'npq-ops API',
        version: '1.0.0',
        description:
          'Participants, enrolments, engagement, bookings and the cases of the NPQ Part-Time, Deferral and Portability Policy. Every decision carries the policy reasons with clause numbers.',
      },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'Token from `npq-ops token create`',
          },
          session: { type: 'apiKey', in: 'cookie', name: 'npq_session' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
    // The schemas named with .meta({ id }) land in components.schemas, where the $refs point.
    transformObject: jsonSchemaTransformObject,
    hideUntagged: true,
  });

  await app.register(
    async (api) => {
      api.setValidatorCompiler(validatorCompiler);
      api.setSerializerCompiler(serializerCompiler);
      api.setErrorHandler(apiErrorHandler);
      api.setNotFoundHandler((request, reply) =>
        reply
          .code(404)
          .send({ error: `No route ${request.method} ${request.url}`, code: 'NOT_FOUND' }),
      );

      api.get('/openapi.json', async () => app.swagger());

      // Browser clients using the session cookie read the CSRF token for unsafe requests here.
      api.get(
        '/session',
        {
          schema: {
            tags: ['Session'],
            summary: 'Who is signed in, and the CSRF token to send as x-csrf-token',
            response: {
              200: z.object({
                user: z.object({
                  id: z.number(),
                  email: z.string(),
                  displayName: z.string(),
                  role: z.string(),
                }),
                csrfToken: z.string().nullable(),
              }),
              401: ErrorBody,
            },
          },
        },
        async (request, reply) => {
          const actor = actorOf(request);
          return {
            user: {
              id: actor.userId,
              email: actor.email,
              displayName: actor.displayName,
              role: actor.role,
            },
            csrfToken: request.authMethod === 'session' ? reply.generateCsrf() : null,
          };
        },
      );

      // Before body validation, so a signed-out caller learns nothing about the route's schema.
      api.addHook('onRequest', async (request) => {
        if (request.routeOptions.url === `${API_PREFIX}/openapi.json`) return;
        actorOf(request);
      });
      registerServerDate(api, { honoured: deps.serverDateHeader === true });
      registerIdempotency(api, deps);

      // Routes read "now" from a clock that honours this request's X-With-Server-Date.
      const apiDeps: ApiDeps = {
        ...deps,
        clock: requestScopedClock(deps.clock),
        realClock: deps.realClock ?? deps.clock,
      };
      for (const module of modules) await module(api.withTypeProvider<ZodTypeProvider>(), apiDeps);
    },
    { prefix: API_PREFIX },
  );
}

function apiErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const errors = error.validation.map((v) => ({
      path: [error.validationContext, ...v.instancePath.split('/').filter(Boolean)].join('.'),
      message: v.message ?? 'Invalid value',
    }));
    return reply.code(400).send({ error: 'The request is not valid', code: 'BAD_REQUEST', errors });
  }
  if (error instanceof PolicyRefusalError) {
    // The reasons not met, as field errors too: every 422 lists errors [{ path, message }].
    const unmet = error.decision.reasons.filter((r) => !r.met);
    return reply.code(error.status).send({
      error: error.message,
      code: error.code,
      errors: (unmet.length > 0 ? unmet : [{ clause: '', message: error.message }]).map((r) => ({
        path: r.clause ? `policy.${r.clause}` : 'policy',
        message: r.message,
      })),
      reasons: error.decision.reasons,
      policyVersion: error.decision.policyVersion,
    });
  }
  if (error instanceof ValidationError) {
    return reply
      .code(error.status)
      .send({ error: 'The request is not valid', code: error.code, errors: error.errors });
  }
  if (error instanceof ServiceError) {
    return reply.code(error.status).send({ error: error.message, code: error.code });
  }
  if (typeof error.statusCode === 'number' && error.statusCode < 500) {
    // Fastify's own refusals (malformed or empty JSON, a body too large, a bad content type) in
    // the same shape as ours.
    return reply.code(error.statusCode).send({
      error: error.message,
      code: error.code ?? 'BAD_REQUEST',
      errors: [
        {
          path: error.code?.startsWith('FST_CSRF') ? 'headers.x-csrf-token' : 'body',
          message: error.message,
        },
      ],
    });
  }
  if (replyIfUnavailable(error, request, reply, 'json')) return reply;
  request.log.error({ err: error }, 'API request failed');
  return reply
    .code(500)
    .send({ error: 'Internal Server Error', code: 'INTERNAL', reference: request.id });
}

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: { key: string; hash: string; userId: number; reservedAt: Date };
  }
}

/** A key reserved by a request still running: replays wait for its answer rather than run twice. */
const IN_PROGRESS = 0;

/**
 * A reservation older than this was left by a request that never finished (the process crashed or
 * was killed): a retry takes it over. Longer than any request may take (bodies and batches are
 * bounded, and the server's request timeout is shorter).
 */
export const IDEMPOTENCY_RESERVATION_MS = 60_000;

/** What a key is bound to: the method, the URL and the body. */
export function idempotencyRequestHash(method: string, url: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${url}\n${JSON.stringify(body ?? null)}`)
    .digest('hex');
}

type Reservation = { reserved: true } | { reserved: false; stored: IdempotencyRow | undefined };
type IdempotencyRow = typeof idempotencyKey.$inferSelect;

/**
 * Reserves the key for this request, atomically: a new key is inserted; an abandoned reservation of
 * the same request is taken over by one conditional update (of two retries racing, the second
 * finds the reservation fresh again and waits). Otherwise the stored row says what to answer.
 */
async function reserve(
  db: Db,
  row: { userId: number; key: string; requestHash: string },
  now: Date,
): Promise<Reservation> {
  const mine = and(eq(idempotencyKey.userId, row.userId), eq(idempotencyKey.key, row.key));
  const inserted = await db
    .insert(idempotencyKey)
    .values({ ...row, responseStatus: IN_PROGRESS, responseBody: {}, createdAt: now })
    .onConflictDoNothing()
    .returning({ key: idempotencyKey.key });
  if (inserted.length > 0) return { reserved: true };
  const takenOver = await db
    .update(idempotencyKey)
    .set({ createdAt: now })
    .where(
      and(
        mine,
        eq(idempotencyKey.requestHash, row.requestHash),
        eq(idempotencyKey.responseStatus, IN_PROGRESS),
        lte(idempotencyKey.createdAt, new Date(now.getTime() - IDEMPOTENCY_RESERVATION_MS)),
      ),
    )
    .returning({ key: idempotencyKey.key });
  if (takenOver.length > 0) return { reserved: true };
  const [stored] = await db.select().from(idempotencyKey).where(mine);
  return { reserved: false, stored };
}

function registerIdempotency(api: FastifyInstance, deps: ApiDeps) {
  api.addHook('preHandler', async (request, reply) => {
    const key = request.headers['idempotency-key'];
    if (request.method !== 'POST' || typeof key !== 'string' || !request.actor) return;
    if (key.length < 1 || key.length > 200) {
      throw new ValidationError([
        { path: 'headers.idempotency-key', message: 'Idempotency-Key must be 1 to 200 characters' },
      ]);
    }
    const hash = idempotencyRequestHash(request.method, request.url, request.body);
    const userId = request.actor.userId;
    // Reserve the key before doing the work, so two concurrent requests with one key cannot both
    // run. A key released a moment ago by a failed first attempt is free again: try once more.
    // Real time, as for sessions: how long ago a request began, whatever the app's policy clock says.
    const reservedAt = systemClock.now();
    let reservation = await reserve(deps.db, { userId, key, requestHash: hash }, reservedAt);
    if (!reservation.reserved && !reservation.stored)
      reservation = await reserve(deps.db, { userId, key, requestHash: hash }, reservedAt);
    if (reservation.reserved) {
      request.idempotency = { key, hash, userId, reservedAt };
      return;
    }
    const stored = reservation.stored;
    if (!stored) throw new ConflictError('This Idempotency-Key is busy. Try again shortly.');
    if (stored.requestHash !== hash) {
      throw new ValidationError([
        {
          path: 'headers.idempotency-key',
          message: 'This Idempotency-Key was already used for a different request',
        },
      ]);
    }
    if (stored.responseStatus === IN_PROGRESS) {
      throw new ConflictError(
        'A request with this Idempotency-Key is still being processed. Try again shortly.',
      );
    }
    // The stored body is the response as first sent: replay it as is, not through the route's schema again.
    return reply
      .code(stored.responseStatus)
      .header('idempotent-replay', 'true')
      .type('application/json; charset=utf-8')
      .serializer((body: unknown) => body as string)
      .send(JSON.stringify(stored.responseBody));
  });

  api.addHook('onSend', async (request, reply, payload) => {
    const idem = request.idempotency;
    if (!idem) return payload;
    // Only while the reservation is still this request's: had it outlived its expiry and been
    // taken over by a retry, the retry's answer is the one to keep.
    const mine = and(
      eq(idempotencyKey.userId, idem.userId),
      eq(idempotencyKey.key, idem.key),
      eq(idempotencyKey.responseStatus, IN_PROGRESS),
      eq(idempotencyKey.createdAt, idem.reservedAt),
    );
    // A refusal that was recorded (a declined deferral request, at Location) is kept like a
    // success: a retry with the same key replays it instead of recording it and emailing again.
    const recordedRefusal = reply.statusCode === 422 && reply.hasHeader('location');
    if ((reply.statusCode < 300 || recordedRefusal) && typeof payload === 'string') {
      await deps.db
        .update(idempotencyKey)
        .set({ responseStatus: reply.statusCode, responseBody: JSON.parse(payload) as unknown })
        .where(mine);
    } else {
      // A refused or failed request changed nothing: release the key so a corrected retry can run.
      await deps.db.delete(idempotencyKey).where(mine);
    }
    return payload;
  });
}
