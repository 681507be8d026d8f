import type { FastifyInstance, FastifyReply } from 'fastify';
import { pageQueryParam } from '../../forms.js';
import { z } from 'zod';
import type { ApiDeps } from '../../api/plugin.js';
import type { Actor } from '../../../services/actor.js';
import { assessorWork, coachWork } from '../../../services/assigned-work.js';
import { markingQueue } from '../../../services/assessment-queues.js';
import { recordAttendance } from '../../../services/engagement/attendance.js';
import { whenText } from './assignments.js';
import { pagination } from './participants.js';
import { idParam, notFound, page, requireStaffPage, submit, type FormFailure } from './support.js';

const PAGE_SIZE = 50;

const AssessmentsQuery = z.object({
  show: z.enum(['awaiting', 'all']).catch('awaiting'),
  page: pageQueryParam,
});

/** What a coach and an assessor work on: their participants and sessions, their submissions. */
export function assignedWorkRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const renderCoaching = async (
    reply: FastifyReply,
    actor: Actor,
    notice: string | undefined,
    failure?: FormFailure,
    status = 200,
  ) => {
    const work = await coachWork(deps, actor);
    const sessions = work.sessions.map((s) => ({ ...s, when: whenText(s.startsAt) }));
    return reply.code(status).view('staff/coaching.njk', {
      participants: work.participants,
      // Upcoming soonest first; past most recent first.
      upcoming: sessions.filter((s) => s.upcoming).reverse(),
      past: sessions.filter((s) => !s.upcoming),
      notice,
      errors: failure?.errors,
      decision: failure?.decision,
    });
  };

  app.get('/coaching', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    const q = (request.query as { notice?: string } | undefined)?.notice;
    const notice =
      q === 'attended'
        ? 'Coaching session recorded as attended'
        : q === 'recorded'
          ? 'Coaching session recorded'
          : undefined;
    return page(reply, () => renderCoaching(reply, actor, notice));
  });

  /** A coach records that one of their participants came to a coaching session (2.2.1.3). */
  app.post<{ Params: { id: string } }>(
    '/coaching/sessions/:id/attended',
    async (request, reply) => {
      const actor = requireStaffPage(request, reply);
      if (!actor) return reply;
      const sessionId = idParam(request.params.id);
      const enrolmentId = idParam(
        (request.body as { enrolmentId?: unknown } | undefined)?.enrolmentId,
      );
      if (sessionId === undefined || enrolmentId === undefined) return notFound(reply);
      return page(reply, async () => {
        if (actor.role !== 'coach') return notFound(reply);
        return submit(
          reply,
          async () => {
            await recordAttendance(deps, actor, { enrolmentId, coachingSessionId: sessionId });
            return '/coaching?notice=attended';
          },
          (failure, status) => renderCoaching(reply, actor, undefined, failure, status),
        );
      });
    },
  );

  app.get('/assessments', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    const query = AssessmentsQuery.parse(request.query ?? {});
    const current = Math.max(1, query.page ?? 1);
    return page(reply, async () => {
      const work = await assessorWork(deps, actor, {
        awaitingOnly: query.show === 'awaiting',
        limit: PAGE_SIZE,
        offset: (current - 1) * PAGE_SIZE,
      });
      const pages = Math.max(1, Math.ceil(work.total / PAGE_SIZE));
      return reply.view('staff/assessments.njk', {
        ...work,
        queue: await markingQueue(deps, actor),
        show: query.show,
        from: work.total === 0 ? 0 : (current - 1) * PAGE_SIZE + 1,
        to: Math.min(work.total, current * PAGE_SIZE),
        pagination: pagination(
          '/assessments',
          new URLSearchParams({ show: query.show }),
          current,
          pages,
        ),
      });
    });
  });
}
