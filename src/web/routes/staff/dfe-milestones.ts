import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ApiDeps } from '../../api/plugin.js';
import type { Actor } from '../../../services/actor.js';
import {
  listMilestoneSchedules,
  mayEditMilestones,
  setMilestoneSchedule,
} from '../../../services/dfe/declarations/milestones.js';
import { SCHEDULE_IDENTIFIERS } from '../../../domain/dfe-declarations.js';
import type { FormErrors } from '../../forms.js';
import { notFound, page, requireStaffPage, submit, withNotice } from './support.js';

const FIELDS = ['cohortYear', 'schedule', 'startedOn', 'retained1On', 'retained2On', 'completedOn'];
const text = (body: Record<string, unknown>, key: string) =>
  typeof body[key] === 'string' ? body[key].trim() : '';

/**
 * Administration → DfE milestone dates: the dates each cohort year's schedule opens its
 * started, retained and completed milestones, which decide when declarations fall due. The
 * programme team and admins read and enter them; anyone else gets "not found".
 */
export function dfeMilestoneRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const editor = (request: Parameters<typeof requireStaffPage>[0], reply: FastifyReply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return null;
    if (!mayEditMilestones(actor)) {
      void notFound(reply);
      return null;
    }
    return actor;
  };

  const render = async (
    reply: FastifyReply,
    actor: Actor,
    options: {
      values?: Record<string, string>;
      errors?: FormErrors;
      notice?: string;
      schedules?: Awaited<ReturnType<typeof listMilestoneSchedules>>;
    },
    status = 200,
  ) =>
    reply.code(status).view('admin/dfe-milestones.njk', {
      schedules: options.schedules ?? (await listMilestoneSchedules(deps, actor)),
      scheduleIdentifiers: SCHEDULE_IDENTIFIERS,
      values: options.values ?? {},
      errors: options.errors,
      notice: options.notice,
    });

  app.get<{ Querystring: { notice?: string; year?: string; schedule?: string } }>(
    '/admin/dfe-milestones',
    async (request, reply) => {
      const actor = editor(request, reply);
      if (!actor) return reply;
      return page(reply, async () => {
        // "Change" links fill the form with that schedule's dates.
        const { year, schedule } = request.query;
        const schedules = await listMilestoneSchedules(deps, actor);
        const listed = schedules.find(
          (s) => String(s.cohortYear) === year && s.schedule === schedule,
        );
        const values: Record<string, string> = listed
          ? {
              cohortYear: String(listed.cohortYear),
              schedule: listed.schedule,
              startedOn: listed.startedOn,
              retained1On: listed.retained1On,
              retained2On: listed.retained2On ?? '',
              completedOn: listed.completedOn,
            }
          : {};
        return render(reply, actor, {
          values,
          schedules,
          ...(request.query.notice === 'saved'
            ? { notice: 'Milestone dates saved: declarations use them from the next run' }
            : {}),
        });
      });
    },
  );

  app.post('/admin/dfe-milestones', async (request, reply) => {
    const actor = editor(request, reply);
    if (!actor) return reply;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const values = Object.fromEntries(FIELDS.map((f) => [f, text(body, f)]));
    return page(reply, async () =>
      submit(
        reply,
        async () => {
          await setMilestoneSchedule(
            deps,
            actor,
            /^\d{4}$/.test(values.cohortYear!) ? Number(values.cohortYear) : NaN,
            values.schedule!,
            {
              startedOn: values.startedOn!,
              retained1On: values.retained1On!,
              retained2On: values.retained2On || null,
              completedOn: values.completedOn!,
            },
          );
          return withNotice('/admin/dfe-milestones', 'saved');
        },
        (failure, status) => render(reply, actor, { values, errors: failure.errors }, status),
      ),
    );
  });
}
