import { objectStoreFor } from './services/storage/choose.js';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
} from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Db } from './db/client.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { createLogger, withSafeSerializers } from './logger.js';
import { createViewEnvironment, GOVUK_FRONTEND_DIST, PUBLIC_DIR } from './web/render.js';
import { healthRoutes } from './web/routes/health.js';
import { homeRoutes } from './web/routes/home.js';
import { signInRoutes } from './web/routes/sign-in.js';
import { registerAuth } from './web/plugins/auth.js';
import { registerSecurityHeaders } from './web/plugins/security-headers.js';
import { registerEdgeChecks } from './web/plugins/edge.js';
import { registerApi } from './web/api/plugin.js';
import { API_MODULES } from './web/api/index.js';
import { xapiRoutes } from './web/xapi.js';
import { navigationFor } from './web/navigation.js';
import { participantRoutes } from './web/routes/participant/index.js';
import { staffRoutes } from './web/routes/staff/index.js';
import { mailboxRoutes } from './web/routes/staff/mailbox.js';
import { dfeOutRoutes } from './web/routes/staff/dfe-out.js';
import { dfeMilestoneRoutes } from './web/routes/staff/dfe-milestones.js';
import { accountAdminRoutes } from './web/routes/staff/accounts.js';
import { dfeApplicationRoutes } from './web/routes/staff/dfe-applications.js';
import { replyIfUnavailable } from './web/unavailable.js';
import { timeoutOptions, type ServerTimeouts } from './web/limits.js';
import { registerShell } from './web/shell.js';
import { publicPageRoutes } from './web/routes/public/index.js';
import { clientErrorHandler } from './web/client-errors.js';
import { startImportLoop, type ImportQueue } from './services/imports/runner.js';
import {
  compactHtml,
  fillHeldPage,
  HELD_PAGE_HOLES,
  prepareHeldPage,
  type PreparedPage,
} from './web/held-pages.js';
import {
  createEngagementAnswerWarmer,
  type EngagementAnswerQueue,
  type EngagementAnswerWarmer,
} from './services/engagement/answers.js';
import { serializeEngagementAnswer } from './web/api/engagement.js';
import type { RepeatingRunLogger } from './services/repeating-run.js';

export interface AppDependencies {
  db: Db;
  clock: Clock;
  config: Config;
  logger?: FastifyBaseLogger;
  /** Connection timeouts (tests use short ones); the defaults are in src/web/limits.ts. */
  timeouts?: Partial<ServerTimeouts>;
  /** Runs uploaded imports: pg-boss on a PostgreSQL server (serve); by default a loop in this process. */
  importQueue?: ImportQueue;
  /** The clock sign-in sessions start and expire on: the wall clock unless a test gives its own. */
  sessionClock?: Clock;
  /**
   * Stores the engagement API's answers of enrolments it worked out live (issue 13): `serve` gives
   * one that runs every second in this process; without one, answers are stored by nothing and
   * every read works them out live.
   */
  engagementAnswers?: EngagementAnswerQueue;
}

declare module 'fastify' {
  interface FastifyInstance {
    importQueue: ImportQueue;
    /** The clock sign-in sessions run on (src/web/plugins/auth.ts). */
    sessionClock: Clock;
  }
  interface FastifyReply {
    view(template: string, context?: Record<string, unknown>): FastifyReply;
    /**
     * A page as `view` renders it, as a string to hold (src/web/held-pages.ts), with holes where
     * this request's CSRF token and CSP nonce go and without its template's indentation
     * (compactHtml); send it (now or later) with sendHeldPage.
     */
    renderHeldPage(template: string, context?: Record<string, unknown>): PreparedPage;
    /** Sends a page renderHeldPage made, with this request's CSRF token and nonce in its holes. */
    sendHeldPage(page: PreparedPage): FastifyReply;
  }
}

/**
 * The engagement API's answer warmer as `serve` runs it (issue 13): every second, it stores the
 * answers of the enrolments the API worked out live since (services/engagement/answers.ts),
 * serialized as the API sends them. Give it to createApp; stop it before closing the database.
 */
export function startEngagementAnswerWarmer(options: {
  db: Db;
  clock: Clock;
  logger: RepeatingRunLogger;
}): EngagementAnswerWarmer {
  return createEngagementAnswerWarmer({
    ...options,
    serialize: serializeEngagementAnswer,
    intervalMs: 1_000,
  });
}

/**
 * The composition root: everything the app touches comes in here, so a test can hand in a PGlite
 * database and a fixed clock. Order matters and is kept visible: health, assets, views, routes,
 * then the not-found and error handlers.
 */
export async function createApp(deps: AppDependencies): Promise<FastifyInstance> {
  const { db, config } = deps;
  const app = Fastify({
    loggerInstance: withSafeSerializers(deps.logger ?? (createLogger(config) as FastifyBaseLogger)),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w-]{1,64}$/.test(given) ? given : randomUUID();
    },
    trustProxy: config.env === 'production',
    // Silent and slow connections are closed (headers, whole request, idle socket, keep-alive).
    ...timeoutOptions(deps.timeouts),
    // What Node's HTTP parser refuses (431, 414, 400, 408) answers in the API's error shape.
    clientErrorHandler,
  });
  await registerSecurityHeaders(app, { production: config.env === 'production' });

  // Set before any route is added: Fastify gives each route the error handler in force when the
  // route is registered, so a handler set at the end would never see the routes' own errors.
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    // The database went away (restart, failover): 503 with Retry-After, never a 500.
    const as = wantsJson(request.headers.accept, request.url) ? 'json' : 'page';
    if (replyIfUnavailable(error, request, reply, as)) return reply;
    const status =
      typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    reply.code(status);
    // Messages and stacks are for developers: production shows only a reference to quote.
    const detail = config.env === 'production' || status < 500 ? undefined : error.stack;
    if (wantsJson(request.headers.accept, request.url)) {
      return reply.send({
        error: status >= 500 ? 'Internal Server Error' : error.message,
        code: status >= 500 ? 'INTERNAL' : (error.code ?? 'BAD_REQUEST'),
        reference: request.id,
      });
    }
    // A body over a route's limit: say so on a page, never a raw message.
    if (status < 500 && status !== 413) return reply.send({ error: error.message });
    // A route that reads the shell itself may not have yet (src/web/shell.ts).
    await request.loadShell();
    if (status === 413) return reply.view('too-large.njk');
    return reply.view('error.njk', { reference: request.id, detail });
  });

  healthRoutes(app, db);

  const govuk = path.join(GOVUK_FRONTEND_DIST, 'govuk');
  // GOV.UK Frontend's stylesheet without the GDS Transport typeface, and the service's name from
  // the database (src/web/shell.ts). Its fonts, crest and crown icons are not served at all.
  registerShell(app, db);
  await app.register(fastifyStatic, {
    root: [PUBLIC_DIR],
    prefix: '/stylesheets/',
    decorateReply: false,
    allowedPath: (p) => p === '/app.css',
  });
  await app.register(fastifyStatic, {
    root: [govuk, PUBLIC_DIR],
    prefix: '/javascripts/',
    decorateReply: false,
    allowedPath: (p) => p === '/govuk-frontend.min.js' || p === '/init.js',
  });

  const views = createViewEnvironment();
  // Every page shows who is signed in and offers a CSRF-protected sign-out.
  const pageLocals = (reply: FastifyReply, holes: boolean) => {
    const actor = reply.request.actor;
    return {
      navigation: navigationFor(actor, reply.request.url.split('?')[0] ?? '/').map((n) => ({
        ...n,
        current: n.active,
      })),
      ...(actor ? { actor, csrfToken: holes ? HELD_PAGE_HOLES.csrf : reply.generateCsrf() } : {}),
      // GOV.UK Frontend's template and our own inline scripts carry the CSP nonce.
      cspNonce: holes ? HELD_PAGE_HOLES.nonce : reply.cspNonce?.script,
      shell: reply.request.shell ?? { providerName: null },
      // Pages that mention the DfE say plainly when nothing is sent to it.
      dfeSyncOn: config.dfeApi !== null,
    };
  };
  app.decorateReply(
    'view',
    function (this, template: string, context: Record<string, unknown> = {}) {
      return this.type('text/html; charset=utf-8').send(
        views.render(template, { ...pageLocals(this, false), ...context }),
      );
    },
  );
  app.decorateReply(
    'renderHeldPage',
    function (this, template: string, context: Record<string, unknown> = {}) {
      return prepareHeldPage(
        compactHtml(views.render(template, { ...pageLocals(this, true), ...context })),
      );
    },
  );
  app.decorateReply('sendHeldPage', function (this, page: PreparedPage) {
    return this.type('text/html; charset=utf-8').send(
      fillHeldPage(page, {
        csrf: () => this.generateCsrf(),
        nonce: () => this.cspNonce?.script ?? '',
      }),
    );
  });

  const imports =
    deps.importQueue ??
    startImportLoop({ db, clock: deps.clock, publicUrl: config.publicUrl, logger: app.log });
  app.decorate('importQueue', imports);
  app.addHook('onClose', async () => imports.stop());

  await registerAuth(app, deps);
  registerEdgeChecks(app);
  await registerApi(
    app,
    {
      db,
      clock: deps.clock,
      publicUrl: config.publicUrl,
      notifyConfigured: config.notify !== null,
      retentionYearsAfterEnd: config.retentionYearsAfterEnd,
      imports,
      ...(deps.engagementAnswers ? { engagementAnswers: deps.engagementAnswers } : {}),
      dfeApi: config.dfeApi,
      // X-With-Server-Date: for tests, training and demos; refused in production.
      serverDateHeader: config.env !== 'production',
    },
    API_MODULES,
  );
  xapiRoutes(app, { db, clock: deps.clock });
  await signInRoutes(app, { db, clock: deps.clock, publicUrl: config.publicUrl });
  homeRoutes(app, { db, clock: deps.clock });
  // Uploaded files: PostgreSQL by default, or S3-compatible storage (config.objectStore).
  const objectStore = objectStoreFor(config.objectStore, db);
  await participantRoutes(app, {
    db,
    clock: deps.clock,
    ...(deps.engagementAnswers ? { engagementAnswers: deps.engagementAnswers } : {}),
    objectStore,
    publicUrl: config.publicUrl,
    retentionYearsAfterEnd: config.retentionYearsAfterEnd,
  });
  await staffRoutes(app, {
    db,
    clock: deps.clock,
    objectStore,
    publicUrl: config.publicUrl,
    imports,
    dfeSyncOn: config.dfeApi !== null,
  });
  mailboxRoutes(app, { db, clock: deps.clock, notifyConfigured: config.notify !== null });
  dfeOutRoutes(app, { db, clock: deps.clock, dfeSyncOn: config.dfeApi !== null });
  dfeMilestoneRoutes(app, { db, clock: deps.clock });
  publicPageRoutes(app, {
    db,
    clock: deps.clock,
    retentionYearsAfterEnd: config.retentionYearsAfterEnd,
  });
  accountAdminRoutes(app, { db, clock: deps.clock, publicUrl: config.publicUrl });
  dfeApplicationRoutes(app, {
    db,
    clock: deps.clock,
    publicUrl: config.publicUrl,
    dfeApi: config.dfeApi,
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404);
    if (wantsJson(request.headers.accept, request.url))
      return reply.send({ error: 'Not Found', code: 'NOT_FOUND' });
    return reply.view('not-found.njk');
  });

  return app;
}

function wantsJson(accept: string | undefined, url: string): boolean {
  return (
    url.startsWith('/api/') ||
    (accept !== undefined && accept.includes('application/json') && !accept.includes('text/html'))
  );
}
