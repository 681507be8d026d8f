import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import secureSession from '@fastify/secure-session';
import csrfProtection from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import type { Db } from '../../db/client.js';
import { systemClock, type Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import type { Actor } from '../../services/actor.js';
import {
  authenticateToken,
  endSession,
  loadSessionActor,
  sessionOwner,
  startSession,
  tokenUseStaleBefore,
} from '../../services/auth.js';
import { UnauthenticatedError } from '../../services/errors.js';
import { forgetToken, recentToken, type TokenRecheck } from '../../services/recent-tokens.js';
import {
  forgetSession,
  recentSession,
  rememberSession,
  type SessionRecheck,
} from '../../services/recent-sessions.js';
import { encodeKeptForm, keepForm } from '../kept-form.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Looks the session up (services/auth.ts loadSessionActor), as every signed-in request does. */
    lookUpSession(request: FastifyRequest, sid: string): Promise<void>;
  }
  interface FastifyRequest {
    actor: Actor | null;
    authMethod: 'session' | 'token' | null;
    /** For a form sent after its session ended: whose session it was (null if unknown). */
    endedSessionUserId: number | null;
    /**
     * On a route with `config.recheckToken`: the bearer token's actor as this server last found
     * it, not looked up again; the route must check it in its own statement (services/recent-tokens.ts).
     */
    tokenRecheck: TokenRecheck | null;
    /**
     * On a route with `config.recheckSession`: the session's actor as this server last found it,
     * not looked up again; the route must check it in its own statement (services/recent-sessions.ts).
     */
    sessionRecheck: SessionRecheck | null;
  }
  interface FastifyContextConfig {
    /** The route checks a recently seen bearer token in its own statement (see tokenRecheck). */
    recheckToken?: boolean;
    /** The route checks a recently seen session in its own statement (see sessionRecheck). */
    recheckSession?: boolean;
  }
}

declare module '@fastify/secure-session' {
  interface SessionData {
    /** The server-side session (user_session.id): signing out ends it for every copy of the cookie. */
    sid: string;
    _csrf: string;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Forms people send before signing in, and the machine interfaces: never "signed out". */
const SIGNED_OUT_FORMS = ['/sign-in', '/forgotten-password', '/account/', '/api/', '/xapi'];
const PUBLIC_PREFIXES = ['/assets/', '/stylesheets/', '/javascripts/', '/healthz'];
/**
 * Session lifetimes run on the session clock: the wall clock by default, like the cookie's own
 * expiry, not on the app's business clock (which the daily job may set to any day). A test whose app
 * runs on a fixed clock hands the same clock in as `sessionClock`, so sessions and the app agree on
 * what time it is and no test depends on the real time.
 */
const SESSION_HOURS = 12;

/**
 * Sessions live in an encrypted, http-only, secure cookie; machine clients send a bearer token.
 * Every unsafe request made with the session cookie must carry the CSRF token (form field
 * `_csrf` or header `x-csrf-token`); bearer-token requests cannot be forged by a browser.
 */
export async function registerAuth(
  app: FastifyInstance,
  deps: { db: Db; clock: Clock; config: Config; sessionClock?: Clock },
) {
  const sessionClock = deps.sessionClock ?? systemClock;
  app.decorate('sessionClock', sessionClock);
  await app.register(formbody);
  await app.register(secureSession, {
    key: createHash('sha256').update(deps.config.sessionSecret).digest(),
    cookieName: 'npq_session',
    expiry: SESSION_HOURS * 3600,
    cookie: {
      path: '/',
      httpOnly: true,
      secure: true,
      sameSite: 'lax',
      maxAge: SESSION_HOURS * 3600,
    },
  });
  await app.register(csrfProtection, {
    sessionPlugin: '@fastify/secure-session',
    getToken: (req) => {
      const body = req.body as Record<string, unknown> | undefined;
      const fromBody = body && typeof body._csrf === 'string' ? body._csrf : undefined;
      const header = req.headers['x-csrf-token'];
      return fromBody ?? (typeof header === 'string' ? header : undefined);
    },
  });

  app.decorateRequest('actor', null);
  app.decorateRequest('authMethod', null);
  app.decorateRequest('endedSessionUserId', null);
  app.decorateRequest('tokenRecheck', null);
  app.decorateRequest('sessionRecheck', null);

  app.addHook('onRequest', async (request) => {
    // Stylesheets, scripts, fonts and the health check never need to know who is asking.
    if (PUBLIC_PREFIXES.some((prefix) => request.url.startsWith(prefix))) return;
    const authorization = request.headers.authorization;
    if (authorization?.startsWith('Bearer ')) {
      const token = authorization.slice(7).trim();
      const now = deps.clock.now();
      const recheck = request.routeOptions.config.recheckToken
        ? recentToken(deps.db, token, now, tokenUseStaleBefore(now))
        : null;
      request.tokenRecheck = recheck;
      request.actor = recheck ? recheck.actor : await authenticateToken(deps.db, token, now);
      request.authMethod = request.actor ? 'token' : null;
      return;
    }
    const sid = request.session.get('sid');
    if (typeof sid === 'string') {
      const recheck = request.routeOptions.config.recheckSession
        ? recentSession(deps.db, sid, sessionClock.now())
        : null;
      if (recheck) {
        request.sessionRecheck = recheck;
        request.actor = recheck.actor;
        request.authMethod = 'session';
        return;
      }
      await lookUpSession(request, sid);
    }
  });

  /** The session's actor, looked up; an ended or expired one is forgotten. */
  const lookUpSession = async (request: FastifyRequest, sid: string) => {
    request.actor = await loadSessionActor(deps.db, sid, sessionClock.now());
    request.authMethod = request.actor ? 'session' : null;
    if (request.actor) {
      // For routes that check the session again in their own statement (services/recent-sessions.ts).
      rememberSession(deps.db, sid, request.actor);
      return;
    }
    forgetSession(deps.db, sid);
    // Ended or expired: forget it, but keep the cookie usable so the "signed out" and sign-in
    // pages answered now can set a fresh CSRF secret (a deleted session could hold none).
    // A form sent now is kept for its author only: remember whose session it was.
    if (!SAFE_METHODS.has(request.method))
      request.endedSessionUserId = await sessionOwner(deps.db, sid);
    request.session.regenerate();
  };
  app.decorate('lookUpSession', lookUpSession);

  // A form sent after its session ended (expired, signed out in another tab, or the cookie gone):
  // its CSRF token cannot match any more, so instead of a refusal say what happened, offer to sign
  // in again and keep what was typed (src/web/kept-form.ts). Nothing is done with the form itself.
  // A file upload is answered before its body is read (it cannot be kept); a typed form once its
  // fields are parsed.
  const signedOutForm = (request: FastifyRequest): 'typed' | 'upload' | null => {
    if (SAFE_METHODS.has(request.method) || request.actor) return null;
    const path = request.url.split('?')[0] ?? '/';
    if (SIGNED_OUT_FORMS.some((prefix) => path.startsWith(prefix))) return null;
    const type = String(request.headers['content-type'] ?? '');
    if (type.startsWith('application/x-www-form-urlencoded')) return 'typed';
    return type.startsWith('multipart/form-data') ? 'upload' : null;
  };
  const signedOutPage = (request: FastifyRequest, reply: FastifyReply, typed: boolean) => {
    const path = request.url.split('?')[0] ?? '/';
    const kept = typed ? keepForm(path, request.body, request.endedSessionUserId) : null;
    request.log.info({ kept: kept !== null }, 'form sent after the session ended');
    return reply.code(401).view('signed-out.njk', {
      csrfToken: reply.generateCsrf(),
      kept: kept ? encodeKeptForm(kept) : undefined,
      upload: !typed,
      // Without a kept form, back to the same address only if it is a page (a typed form's
      // address may answer POST only): uploads come from their own page.
      next: typed ? undefined : path,
    });
  };
  app.addHook('preParsing', async (request, reply) => {
    if (request.method === 'POST' && !request.actor && request.url.split('?')[0] === '/sign-out')
      return reply.redirect('/sign-in', 303);
    if (signedOutForm(request) === 'upload') return signedOutPage(request, reply, false);
  });
  app.addHook('preHandler', async (request, reply) => {
    if (signedOutForm(request) === 'typed') return signedOutPage(request, reply, true);
  });

  app.addHook('preHandler', (request, reply, done) => {
    if (SAFE_METHODS.has(request.method) || request.authMethod === 'token') return done();
    app.csrfProtection(request, reply, done);
  });
}

/**
 * A route's own statement found the token of `request.tokenRecheck` changed (revoked, expired, its
 * account deactivated or its user changed): forget it and authenticate the usual way. The actor
 * now behind the token; throws UnauthenticatedError (401) if none.
 */
export async function tokenRecheckFailed(request: FastifyRequest, db: Db): Promise<Actor> {
  const check = request.tokenRecheck;
  const token = request.headers.authorization?.slice(7).trim() ?? '';
  forgetToken(db, token);
  request.tokenRecheck = null;
  request.actor = check ? await authenticateToken(db, token, check.now) : null;
  if (!request.actor) {
    request.authMethod = null;
    throw new UnauthenticatedError();
  }
  return request.actor;
}

/**
 * A route's own statement found the session of `request.sessionRecheck` no longer holding (ended,
 * expired, its account deactivated or its user changed): forget it and look it up the usual way.
 * The actor now behind the session, or null (the session is then forgotten, as the lookup does).
 */
export async function sessionRecheckFailed(request: FastifyRequest): Promise<Actor | null> {
  const check = request.sessionRecheck;
  request.sessionRecheck = null;
  request.actor = null;
  request.authMethod = null;
  // The lookup remembers the actor it finds (a changed name, say) or forgets the session.
  if (check) await request.server.lookUpSession(request, check.sessionId);
  return request.actor;
}

export async function signIn(
  request: FastifyRequest,
  actor: Actor,
  deps: { db: Db; clock: Clock },
): Promise<void> {
  // A fresh session on sign-in, so a session planted before it cannot be reused.
  request.session.regenerate();
  request.session.set(
    'sid',
    await startSession(deps.db, actor.userId, request.server.sessionClock.now(), SESSION_HOURS),
  );
}

export async function signOut(
  request: FastifyRequest,
  deps: { db: Db; clock: Clock },
): Promise<void> {
  const sid = request.session.get('sid');
  if (typeof sid === 'string') {
    forgetSession(deps.db, sid);
    await endSession(deps.db, sid, request.server.sessionClock.now());
  }
  request.session.delete();
}

/** Where each role lands after signing in. */
export function homeFor(actor: Actor): string {
  return actor.role === 'participant' ? '/my-programme' : '/';
}

export function requireSignedIn(request: FastifyRequest, reply: FastifyReply): Actor | null {
  if (request.actor) return request.actor;
  void reply.redirect(`/sign-in?next=${encodeURIComponent(request.url)}`);
  return null;
}
