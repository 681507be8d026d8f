import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Db } from '../../db/client.js';
import type { Clock } from '../../clock.js';
import { authenticatePassword } from '../../services/auth.js';
import { formErrors, parseForm, safeRedirectPath } from '../forms.js';
import { decodeKeptForm } from '../kept-form.js';
import { homeFor, signIn, signOut } from '../plugins/auth.js';
import {
  perAddress,
  registerThrottle,
  THROTTLE,
  tooManySignIns,
  type SignInSlowDown,
} from '../throttle.js';
import { accountPageRoutes } from './account.js';

const SignInForm = z.object({
  email: z
    .string()
    .trim()
    .min(1, 'Enter your email address')
    .pipe(
      z.email({ message: 'Enter an email address in the correct format, like name@example.com' }),
    ),
  password: z.string().min(1, 'Enter your password'),
  next: z.string().optional(),
  /** A form sent after the session ended, to send again once signed in (src/web/kept-form.ts). */
  kept: z.string().optional(),
});

/**
 * Signing in and out, and the pages people use before they can sign in (setting a password from a
 * link, "Forgotten your password?"), in one scope that throttles them per address and per account.
 */
export async function signInRoutes(
  app: FastifyInstance,
  deps: { db: Db; clock: Clock; publicUrl: string },
): Promise<void> {
  await app.register(async (scope) => {
    const slowDown = await registerThrottle(scope, deps);
    signInPages(scope, deps, slowDown);
    accountPageRoutes(scope, deps);
  });
}

function signInPages(
  app: FastifyInstance,
  deps: { db: Db; clock: Clock },
  slowDown: SignInSlowDown,
): void {
  const { db } = deps;
  app.get('/sign-in', async (request, reply) => {
    const query = request.query as { next?: string };
    return reply.view('sign-in.njk', {
      csrfToken: reply.generateCsrf(),
      next: safeRedirectPath(query.next, ''),
    });
  });

  app.post(
    '/sign-in',
    { config: { rateLimit: perAddress(THROTTLE.signIn) } },
    async (request, reply) => {
      const form = parseForm(SignInForm, request.body);
      const values = (request.body ?? {}) as Record<string, string>;
      if (!form.ok) {
        return reply.code(422).view('sign-in.njk', {
          csrfToken: reply.generateCsrf(),
          errors: form.errors,
          values,
          next: values.next,
          kept: decodeKeptForm(values.kept) ? values.kept : undefined,
        });
      }
      const refuse = (status: number, message: string) =>
        reply.code(status).view('sign-in.njk', {
          csrfToken: reply.generateCsrf(),
          errors: formErrors([{ path: ['email'], message }]),
          values: { email: form.data.email },
          next: values.next,
          kept: decodeKeptForm(form.data.kept) ? form.data.kept : undefined,
        });
      // An attempt that must wait is refused before the password is even looked at.
      const claim = await slowDown.claim(request, form.data.email);
      if (!claim.allowed) {
        request.log.info('sign-in refused: must wait after failed attempts for one email');
        void reply.header('retry-after', String(claim.waitSeconds));
        return refuse(429, tooManySignIns(claim.waitSeconds));
      }
      const actor = await authenticatePassword(db, form.data.email, form.data.password);
      if (!actor) {
        request.log.info('sign-in refused');
        return refuse(401, 'Enter a correct email address and password');
      }
      await slowDown.succeeded(form.data.email);
      await signIn(request, actor, deps);
      // Signed out mid-form: offer to send what was typed, with the new session's CSRF token.
      const kept = decodeKeptForm(form.data.kept);
      // Typed by someone else (another account's session ended on this device): never sent as
      // this person. It is forgotten, and they are told.
      if (kept && kept.owner !== null && kept.owner !== actor.userId) {
        request.actor = actor;
        request.log.info('kept form discarded: signed in as a different user');
        return reply.view('resume-form.njk', {
          discarded: true,
          signedInAs: actor.displayName,
          home: homeFor(actor),
        });
      }
      if (kept) {
        request.actor = actor; // the page is answered as the person now signed in
        return reply.view('resume-form.njk', {
          kept,
          csrfToken: reply.generateCsrf(),
          signedInAs: actor.displayName,
          ownerUnknown: kept.owner === null,
          home: homeFor(actor),
        });
      }
      return reply.redirect(safeRedirectPath(form.data.next, homeFor(actor)), 303);
    },
  );

  app.post('/sign-out', async (request, reply) => {
    await signOut(request, deps);
    return reply.redirect('/sign-in', 303);
  });
}
