import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ApiDeps } from '../../api/plugin.js';
import type { Actor } from '../../../services/actor.js';
import {
  assessorCohorts,
  assessorTarget,
  coachingList,
  coachingTarget,
  cohortOptions,
  facilitatorEvents,
  facilitatorTarget,
} from '../../../services/assignment-lists.js';
import {
  aRole,
  assign,
  assignableStaff,
  requireAssignmentManager,
  unassign,
  type AssignmentKind,
} from '../../../services/assignments.js';
import { parseForm, safeRedirectPath, pageQueryParam } from '../../forms.js';
import { pagination } from './participants.js';
import { idParam, notFound, page, requireStaffPage, submit, type FormFailure } from './support.js';

const PAGE_SIZE = 50;

const WHEN = new Intl.DateTimeFormat('en-GB', {
  weekday: 'long',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
  hour12: true,
  timeZone: 'Europe/London',
});

/** An instant as people in England read it: "Friday 20 March 2026 at 3:30 pm". */
export const whenText = (iso: string): string => WHEN.format(new Date(iso));

const NOTICES: Record<string, string> = {
  'coach-assigned': 'Coach assigned',
  'assessor-assigned': 'Assessor added',
  'facilitator-assigned': 'Facilitator added',
  removed: 'Assignment removed',
};

const ListQuery = z.object({
  cohortId: z
    .string()
    .regex(/^\d{1,9}$/)
    .transform(Number)
    .optional()
    .catch(undefined),
  page: pageQueryParam,
  notice: z.string().optional().catch(undefined),
});

const ROLE_NAME: Record<AssignmentKind, string> = {
  coach: 'coach',
  assessor: 'assessor',
  facilitator: 'facilitator',
};

const AssignForm = (kind: AssignmentKind) =>
  z.object({
    userId: z
      .string({ message: `Choose ${aRole(kind)}` })
      .regex(/^\d{1,9}$/, `Choose ${aRole(kind)}`)
      .transform(Number),
  });

const SECTIONS = [
  { href: '/assignments', text: 'Coaching' },
  { href: '/assignments/assessors', text: 'Assessors' },
  { href: '/assignments/facilitators', text: 'Facilitators' },
];

/** Assignments pages for the programme team and admins: coaches, assessors and facilitators. */
export function assignmentRoutes(app: FastifyInstance, deps: ApiDeps): void {
  /** A manager, or null once the reply is sent (404 for non-staff; 403/404 from the service). */
  const manager = (request: FastifyRequest, reply: FastifyReply): Actor | null =>
    requireStaffPage(request, reply);

  const listPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    section: 'coaching' | 'assessors' | 'facilitators',
  ) => {
    const actor = manager(request, reply);
    if (!actor) return reply;
    const query = ListQuery.parse(request.query ?? {});
    const current = Math.max(1, query.page ?? 1);
    const base = SECTIONS.find((s) => s.text.toLowerCase() === section)!.href;
    return page(reply, async () => {
      requireAssignmentManager(actor);
      const params = new URLSearchParams(
        query.cohortId ? { cohortId: String(query.cohortId) } : {},
      );
      const common = {
        section,
        sections: SECTIONS.map((s) => ({ ...s, current: s.href === base })),
        notice: query.notice ? NOTICES[query.notice] : undefined,
        cohortId: query.cohortId,
        back: `${base}${params.size ? `?${params.toString()}` : ''}`,
      };
      if (section === 'assessors') {
        return reply.view('staff/assignments.njk', {
          ...common,
          cohorts: await assessorCohorts(deps, actor),
        });
      }
      const list = {
        cohortId: query.cohortId,
        limit: PAGE_SIZE,
        offset: (current - 1) * PAGE_SIZE,
      };
      const [result, cohorts] =
        section === 'coaching'
          ? [
              await coachingList(deps, actor, list),
              await cohortOptions(deps, actor, { coachingOnly: true }),
            ]
          : [await facilitatorEvents(deps, actor, list), await cohortOptions(deps, actor)];
      const pages = Math.max(1, Math.ceil(result.total / PAGE_SIZE));
      return reply.view('staff/assignments.njk', {
        ...common,
        items: result.items.map((item) =>
          'startsAt' in item ? { ...item, when: whenText(item.startsAt) } : item,
        ),
        total: result.total,
        cohortOptions: cohorts,
        from: result.total === 0 ? 0 : (current - 1) * PAGE_SIZE + 1,
        to: Math.min(result.total, current * PAGE_SIZE),
        pagination: pagination(base, params, current, pages),
      });
    });
  };

  app.get('/assignments', (request, reply) => listPage(request, reply, 'coaching'));
  app.get('/assignments/assessors', (request, reply) => listPage(request, reply, 'assessors'));
  app.get('/assignments/facilitators', (request, reply) =>
    listPage(request, reply, 'facilitators'),
  );

  /** The form to assign one coach, assessor or facilitator to one target. */
  const target = async (actor: Actor, kind: AssignmentKind, id: number) => {
    switch (kind) {
      case 'coach': {
        const t = await coachingTarget(deps, actor, id);
        return {
          heading: `Coach for ${t.fullName}`,
          caption: t.cohorts.join(', '),
          current: t.coaches,
          back: '/assignments',
          body: { kind, userId: 0, participantId: id } as const,
          notice: 'coach-assigned',
        };
      }
      case 'assessor': {
        const t = await assessorTarget(deps, actor, id);
        return {
          heading: `Add an assessor to ${t.cohortName}`,
          caption: `${t.participants} participants; ${t.awaitingOutcome} submissions awaiting an outcome`,
          current: t.assessors,
          back: '/assignments/assessors',
          body: { kind, userId: 0, cohortId: id } as const,
          notice: 'assessor-assigned',
        };
      }
      case 'facilitator': {
        const t = await facilitatorTarget(deps, actor, id);
        return {
          heading: `Add a facilitator to ${t.title}`,
          caption: `${t.cohortName}, ${t.location}`,
          startsAt: t.startsAt,
          when: whenText(t.startsAt),
          current: t.facilitators,
          back: `/assignments/facilitators?cohortId=${t.cohortId}`,
          body: { kind, userId: 0, cohortEventId: id } as const,
          notice: 'facilitator-assigned',
        };
      }
    }
  };

  const PATHS: [string, AssignmentKind][] = [
    ['/assignments/coaching/:id', 'coach'],
    ['/assignments/assessors/:id', 'assessor'],
    ['/assignments/facilitators/:id', 'facilitator'],
  ];
  for (const [path, kind] of PATHS) {
    const render = async (
      reply: FastifyReply,
      actor: Actor,
      id: number,
      values: Record<string, unknown>,
      failure: FormFailure | undefined,
      status = 200,
    ) =>
      reply.code(status).view('staff/assignment-form.njk', {
        kind,
        roleName: ROLE_NAME[kind],
        aRole: aRole(kind),
        action: path.replace(':id', String(id)),
        target: await target(actor, kind, id),
        staff: await assignableStaff(deps, actor, kind),
        values,
        errors: failure?.errors,
        decision: failure?.decision,
      });

    app.get<{ Params: { id: string } }>(path, async (request, reply) => {
      const actor = manager(request, reply);
      if (!actor) return reply;
      const id = idParam(request.params.id);
      if (id === undefined) return notFound(reply);
      return page(reply, () => render(reply, actor, id, {}, undefined));
    });

    app.post<{ Params: { id: string } }>(path, async (request, reply) => {
      const actor = manager(request, reply);
      if (!actor) return reply;
      const id = idParam(request.params.id);
      if (id === undefined) return notFound(reply);
      const body = (request.body ?? {}) as Record<string, unknown>;
      return page(reply, async () => {
        requireAssignmentManager(actor);
        const form = parseForm(AssignForm(kind), body);
        if (!form.ok) return render(reply, actor, id, body, { errors: form.errors }, 422);
        const t = await target(actor, kind, id);
        return submit(
          reply,
          async () => {
            await assign(deps, actor, { ...t.body, userId: form.data.userId });
            return `${t.back}${t.back.includes('?') ? '&' : '?'}notice=${t.notice}`;
          },
          (failure, status) => render(reply, actor, id, body, failure, status),
        );
      });
    });
  }

  app.post<{ Params: { id: string } }>('/assignments/:id/remove', async (request, reply) => {
    const actor = manager(request, reply);
    if (!actor) return reply;
    const id = idParam(request.params.id);
    if (id === undefined) return notFound(reply);
    const asked = safeRedirectPath((request.body as { back?: unknown } | undefined)?.back, '');
    const back = asked.startsWith('/assignments') ? asked : '/assignments';
    return page(reply, async () => {
      await unassign(deps, actor, id);
      return reply.redirect(`${back}${back.includes('?') ? '&' : '?'}notice=removed`, 303);
    });
  });
}
