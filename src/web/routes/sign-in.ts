import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Db } from '../../db/client.js';
import type { Clock } from '../../clock.js';
import { authenticatePassword } from '../../services/auth.js';
import { formErrors, parseForm, safeRedirectPath } from '../forms.js';
import { homeFor, signIn, signOut } from '../plugins/auth.js';

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
});

export function signInRoutes(app: FastifyInstance, deps: { db: Db; clock: Clock }): void {
  const { db } = deps;
  app.get('/sign-in', async (request, reply) => {
    const query = request.query as { next?: string };
    return reply.view('sign-in.njk', {
      csrfToken: reply.generateCsrf(),
      next: safeRedirectPath(query.next, ''),
    });
  });

  app.post('/sign-in', async (request, reply) => {
    const form = parseForm(SignInForm, request.body);
    const values = (request.body ?? {}) as Record<string, string>;
    if (!form.ok) {
      return reply.code(422).view('sign-in.njk', {
        csrfToken: reply.generateCsrf(),
        errors: form.errors,
        values,
        next: values.next,
      });
    }
    const actor = await authenticatePassword(db, form.data.email, form.data.password);
    if (!actor) {
      request.log.info({ email: form.data.email }, 'sign-in refused');
      const errors = formErrors([
        { path: ['email'], message: 'Enter a correct email address and password' },
      ]);
      return reply.code(401).view('sign-in.njk', {
        csrfToken: reply.generateCsrf(),
        errors,
        values: { email: form.data.email },
        next: values.next,
      });
    }
    await signIn(request, actor, deps);
    return reply.redirect(safeRedirectPath(form.data.next, homeFor(actor)), 303);
  });

  app.post('/sign-out', async (request, reply) => {
    await signOut(request, deps);
    return reply.redirect('/sign-in', 303);
  });
}
