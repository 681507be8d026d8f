import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Db } from '../../db/client.js';
import type { Clock } from '../../clock.js';
import { PASSWORD_HINT } from '../../domain/password-rules.js';
import type { AccountLinkPurpose } from '../../services/account-links.js';
import {
  AccountLinkError,
  describeAccountLink,
  requestPasswordReset,
  setPasswordFromLink,
} from '../../services/accounts/passwords.js';
import { ValidationError } from '../../services/errors.js';
import { formErrors, parseForm } from '../forms.js';
import { perAddress, THROTTLE } from '../throttle.js';

const PasswordForm = z
  .object({
    password: z.string({ message: 'Enter a new password' }).min(1, 'Enter a new password'),
    confirmPassword: z
      .string({ message: 'Enter the password again' })
      .min(1, 'Enter the password again'),
  })
  .refine((f) => f.password === f.confirmPassword, {
    path: ['confirmPassword'],
    message: 'The passwords do not match: enter the same password twice',
  });

const ForgottenForm = z.object({
  email: z
    .string({ message: 'Enter your email address' })
    .trim()
    .min(1, 'Enter your email address')
    .max(320, 'Enter an email address in the correct format, like name@example.com')
    .pipe(
      z.email({ message: 'Enter an email address in the correct format, like name@example.com' }),
    ),
});

/** A link's secret: what issueAccountLink makes (base64url), nothing else reaches the database. */
const TOKEN = /^[A-Za-z0-9_-]{20,100}$/;

const PAGES = { invitation: 'set-password', password_reset: 'reset-password' } as const;

/**
 * Pages for people who cannot sign in yet: choosing a password from an invitation or reset link,
 * and asking for a reset link. The link's secret is in the address, so these pages are never
 * cached and never send a Referer.
 */
export function accountPageRoutes(
  app: FastifyInstance,
  deps: { db: Db; clock: Clock; publicUrl: string },
): void {
  const { db, clock } = deps;
  const secret = (reply: FastifyReply) =>
    reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');

  const linkProblem = (
    reply: FastifyReply,
    state: 'used' | 'expired' | 'unknown',
    purpose: AccountLinkPurpose,
  ) =>
    reply
      .code(state === 'unknown' ? 404 : 410)
      .view('account/link-problem.njk', { state, purpose });

  for (const [purpose, page] of Object.entries(PAGES) as [AccountLinkPurpose, string][]) {
    const form = (reply: FastifyReply, token: string, email: string | null, extra = {}) =>
      reply.view('account/set-password.njk', {
        csrfToken: reply.generateCsrf(),
        purpose,
        action: `/account/${page}/${token}`,
        email,
        hint: PASSWORD_HINT,
        ...extra,
      });

    app.get<{ Params: { token: string } }>(`/account/${page}/:token`, async (request, reply) => {
      secret(reply);
      const { token } = request.params;
      if (!TOKEN.test(token)) return linkProblem(reply, 'unknown', purpose);
      const link = await describeAccountLink(db, token, clock.now());
      if (link.state !== 'valid') return linkProblem(reply, link.state, link.purpose ?? purpose);
      return form(reply, token, link.email);
    });

    app.post<{ Params: { token: string } }>(
      `/account/${page}/:token`,
      { config: { rateLimit: perAddress(THROTTLE.setPassword) } },
      async (request, reply) => {
        secret(reply);
        const { token } = request.params;
        if (!TOKEN.test(token)) return linkProblem(reply, 'unknown', purpose);
        const parsed = parseForm(PasswordForm, request.body);
        const rerender = async (errors: ReturnType<typeof formErrors>) => {
          const link = await describeAccountLink(db, token, clock.now());
          if (link.state !== 'valid')
            return linkProblem(reply, link.state, link.purpose ?? purpose);
          return form(reply.code(422), token, link.email, { errors });
        };
        if (!parsed.ok) return rerender(parsed.errors);
        try {
          const done = await setPasswordFromLink(db, token, parsed.data.password, clock.now());
          return reply.redirect(`/account/password-set?for=${done.purpose}`, 303);
        } catch (error) {
          if (error instanceof AccountLinkError)
            return linkProblem(reply, error.state, error.purpose ?? purpose);
          if (error instanceof ValidationError)
            return rerender(
              formErrors(error.errors.map((e) => ({ path: [e.path], message: e.message }))),
            );
          throw error;
        }
      },
    );
  }

  app.get('/account/password-set', async (request, reply) => {
    const purpose = (request.query as { for?: string }).for;
    return reply.view('account/password-set.njk', { purpose });
  });

  app.get('/forgotten-password', async (_request, reply) =>
    reply.view('account/forgotten-password.njk', { csrfToken: reply.generateCsrf() }),
  );

  app.post(
    '/forgotten-password',
    { config: { rateLimit: perAddress(THROTTLE.forgottenPassword) } },
    async (request, reply) => {
      const parsed = parseForm(ForgottenForm, request.body);
      if (!parsed.ok)
        return reply.code(422).view('account/forgotten-password.njk', {
          csrfToken: reply.generateCsrf(),
          errors: parsed.errors,
          values: request.body ?? {},
        });
      // The same page whether or not there is an account for the email.
      await requestPasswordReset(db, parsed.data.email, clock.now(), deps.publicUrl);
      return reply.view('account/forgotten-password-sent.njk', { email: parsed.data.email });
    },
  );
}
