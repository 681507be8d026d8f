import type { FastifyBaseLogger, FastifyInstance, LightMyRequestResponse } from 'fastify';
import { sql } from 'drizzle-orm';
import { createApp } from '../../src/app.js';
import { fixedClock, type Clock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { queryRows } from '../../src/db/client.js';
import { DEFAULT_DEMO_NOW, DEMO_PASSWORD, seedDemo } from '../../src/db/seed/demo.js';
import { loadActor, type Actor } from '../../src/services/actor.js';
import type { ImportQueue } from '../../src/services/imports/runner.js';
import type { EngagementAnswerQueue } from '../../src/services/engagement/answers.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

/**
 * A test database holding the catalogue and a small demo (with the demo sign-ins), an app on it
 * with the clock fixed at the demo's "today" (sign-in sessions on a fixed clock of their own at the
 * same instant), and ways to act as any demo user. A test that runs the daily job passes
 * `wallClock: w.sessionClock` so its purge of expired sessions reads the sessions' clock.
 */
export interface DemoWorld {
  t: TestDatabase;
  app: FastifyInstance;
  clock: Clock;
  /** The clock sign-in sessions start and expire on: fixed at the same "today" as `clock`. */
  sessionClock: Clock;
  actor(email: string): Promise<Actor>;
  /** Signs in through the real form; returns cookies and the CSRF token for unsafe requests. */
  signIn(email: string): Promise<Session>;
  /** Signs in and returns just the request function (CSRF header added to unsafe methods). */
  requester(email: string): Promise<Session['request']>;
  destroy(): Promise<void>;
}

export interface Session {
  cookies: Record<string, string>;
  csrf: string;
  /** Sends a request as this user (adds the CSRF header to unsafe methods). */
  request(options: {
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
    url: string;
    payload?: unknown;
    headers?: Record<string, string>;
  }): Promise<LightMyRequestResponse>;
}

export async function createDemoWorld(
  options: {
    participants?: number;
    now?: Date;
    logger?: FastifyBaseLogger;
    /** More settings for the app, e.g. DFE_API_URL and DFE_API_TOKEN. */
    env?: Record<string, string>;
    /** On PGlite, a PGlite instance of its own: for a second world in the same test. */
    ownPglite?: boolean;
    /** The app's import runner, built on the world's database and clock (default: the app's own). */
    importQueue?: (deps: { db: TestDatabase['db']; clock: Clock }) => ImportQueue;
    /** Told the text of every statement the app sends (to count a request's statements). */
    onQuery?: (statement: string) => void;
    /** The engagement API's answer warmer, on the world's database and clock (default: none). */
    engagementAnswers?: (deps: { db: TestDatabase['db']; clock: Clock }) => EngagementAnswerQueue;
  } = {},
): Promise<DemoWorld> {
  const t = await createTestDatabase({
    ownPglite: options.ownPglite ?? false,
    ...(options.onQuery ? { onQuery: options.onQuery } : {}),
  });
  const now = options.now ?? DEFAULT_DEMO_NOW;
  // seedDemo seeds the catalogue first, in the same transaction.
  await seedDemo(t.db, { participants: options.participants ?? 40, withUsers: true, now });
  const clock = fixedClock(now);
  const sessionClock = fixedClock(now);
  const app = await createApp({
    db: t.db,
    clock,
    // Sessions on a fixed clock at the same "today": nothing in a test depends on the real time,
    // and a test that moves the app's business clock to another day stays signed in.
    sessionClock,
    config: loadConfig({ NODE_ENV: 'test', ...options.env }),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.importQueue ? { importQueue: options.importQueue({ db: t.db, clock }) } : {}),
    ...(options.engagementAnswers
      ? { engagementAnswers: options.engagementAnswers({ db: t.db, clock }) }
      : {}),
  });

  const cookiesOf = (res: LightMyRequestResponse) =>
    Object.fromEntries(res.cookies.map((c) => [c.name, c.value]));

  const world: DemoWorld = {
    t,
    app,
    clock,
    sessionClock,
    async actor(email) {
      const [row] = await queryRows<{ id: number }>(
        t.db,
        sql`select id from app_user where lower(email) = lower(${email})`,
      );
      const actor = row ? await loadActor(t.db, row.id) : null;
      if (!actor) throw new Error(`No demo user ${email}`);
      return actor;
    },
    async signIn(email) {
      const form = await app.inject({ method: 'GET', url: '/sign-in' });
      const formCsrf = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
      const res = await app.inject({
        method: 'POST',
        url: '/sign-in',
        cookies: cookiesOf(form),
        payload: { _csrf: formCsrf, email, password: DEMO_PASSWORD },
      });
      if (res.statusCode !== 303) throw new Error(`Sign-in as ${email} failed: ${res.statusCode}`);
      let cookies = cookiesOf(res);
      // The API hands a session its CSRF token (and may set the secret's cookie).
      const who = await app.inject({ method: 'GET', url: '/api/v1/session', cookies });
      cookies = { ...cookies, ...cookiesOf(who) };
      const csrf = (who.json() as { csrfToken: string }).csrfToken;
      const session: Session = {
        cookies,
        csrf,
        async request({ method, url, payload, headers }) {
          const res = await app.inject({
            method,
            url,
            cookies: session.cookies,
            ...(payload !== undefined ? { payload: payload as object } : {}),
            headers: { ...(method === 'GET' ? {} : { 'x-csrf-token': csrf }), ...headers },
          });
          session.cookies = { ...session.cookies, ...cookiesOf(res) };
          return res;
        },
      };
      return session;
    },
    async requester(email) {
      const session = await world.signIn(email);
      return (options) => session.request(options);
    },
    async destroy() {
      await app.close();
      await t.destroy();
    },
  };
  return world;
}

/** A page's visible text, tags removed and entities decoded, for assertions on what a user reads. */
export function pageText(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}
