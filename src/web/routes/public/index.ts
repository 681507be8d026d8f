import type { FastifyInstance } from 'fastify';
import type { Db } from '../../../db/client.js';
import type { Clock } from '../../../clock.js';
import { COACHING_COURSES, COURSES } from '../../../domain/catalogue.js';
import { formatThreshold, londonDateOf } from '../../../policy/index.js';
import { registerInForce } from '../../../services/policy-register.js';
import { contactPage, publishedPolicy } from '../../../services/public-pages.js';

/**
 * Pages anyone may read, signed in or not, linked from every page's footer: the policy in force,
 * help, contact, how engagement is counted, the accessibility statement, the privacy notice and the
 * cookies page. They hold nothing about the reader but, on Contact, a signed-in participant's own
 * delivery partner (and every page is sent `no-store` like the rest).
 */
export function publicPageRoutes(
  app: FastifyInstance,
  deps: { db: Db; clock: Clock; retentionYearsAfterEnd: number },
): void {
  const { db } = deps;
  // The version in force today, from the policy register: an approved version publishes itself on
  // its issue date, with its version table.
  const inForce = () => registerInForce(db, londonDateOf(deps.clock.now()));
  const thresholdNow = async () =>
    formatThreshold((await inForce()).parameters.engagementThresholdBp);

  app.get('/policy', async (_request, reply) =>
    reply.view('public/policy.njk', {
      policy: await publishedPolicy({ db }, await inForce()),
    }),
  );

  app.get('/help', async (request, reply) =>
    reply.view('public/help.njk', {
      threshold: await thresholdNow(),
      signedIn: request.actor !== null,
    }),
  );

  app.get('/contact', async (request, reply) =>
    reply.view('public/contact.njk', { contacts: await contactPage({ db }, request.actor) }),
  );

  app.get('/how-engagement-is-counted', async (_request, reply) =>
    reply.view('public/engagement.njk', {
      threshold: await thresholdNow(),
      idealWindowDays: (await inForce()).parameters.idealModuleWindowDays,
      coachingCourses: COACHING_COURSES.map(
        (id) => COURSES.find((c) => c.identifier === id)?.code ?? id,
      ),
    }),
  );

  app.get('/accessibility', async (_request, reply) => reply.view('public/accessibility.njk'));

  app.get('/privacy', async (request, reply) =>
    reply.view('public/privacy.njk', {
      threshold: await thresholdNow(),
      retentionYears: deps.retentionYearsAfterEnd,
      isParticipant: request.actor?.role === 'participant',
    }),
  );

  app.get('/cookies', async (_request, reply) => reply.view('public/cookies.njk'));
}
