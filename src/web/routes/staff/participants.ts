import { openAlertsForParticipant } from '../../../services/engagement-alerts.js';
import { pageQueryParam } from '../../forms.js';
import { participantCoaching } from '../../../services/coaching-sessions.js';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  DECLARATION_ACTORS,
  participantDeclarations,
} from '../../../services/dfe/declarations/report.js';
import type { ApiDeps } from '../../api/plugin.js';
import { participantAuditLog, subjectAuditLog } from '../../../services/audit-log.js';
import {
  auditTitle,
  participantRecord,
  searchParticipants,
} from '../../../services/staff-dashboard.js';
import { getParticipant } from '../../../services/participants.js';
import { listEmailsAbout } from '../../../services/email/mailbox.js';
import { whenText } from '../../email-view.js';
import { startOfProgramme } from '../../../services/participant-record/start.js';
import { changeNotice } from './participant-record.js';
import { ERASERS } from '../../../services/privacy/erasure.js';
import { idParam, noticeText, notFound, page, requireStaffPage } from './support.js';

export const PAGE_SIZE = 25;

const ListQuery = z.object({
  q: z.string().trim().max(100).optional().catch(undefined),
  page: pageQueryParam,
});

/** GOV.UK pagination items for a list of `total` rows. */
export function pagination(base: string, params: URLSearchParams, current: number, pages: number) {
  const href = (n: number) => {
    const p = new URLSearchParams(params);
    p.set('page', String(n));
    return `${base}?${p.toString()}`;
  };
  if (pages <= 1) return null;
  const items = [];
  for (let n = 1; n <= pages; n += 1) {
    if (n === 1 || n === pages || Math.abs(n - current) <= 1) {
      items.push({ number: n, href: href(n), current: n === current });
    } else if (items.at(-1)?.ellipsis !== true) {
      items.push({ ellipsis: true });
    }
  }
  return {
    items,
    ...(current > 1 ? { previous: { href: href(current - 1) } } : {}),
    ...(current < pages ? { next: { href: href(current + 1) } } : {}),
  };
}

/** Audit events with a readable title; details are shown as they were stored. */
function auditRows(events: Awaited<ReturnType<typeof participantAuditLog>>) {
  return events.map((e) => ({
    ...e,
    title: auditTitle(e.what),
    detailsText: JSON.stringify(e.details, null, 1),
  }));
}

export function participantRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get('/participants', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    const query = ListQuery.parse(request.query ?? {});
    const current = Math.max(1, query.page ?? 1);
    return page(reply, async () => {
      const { items, total } = await searchParticipants(deps, actor, {
        q: query.q,
        limit: PAGE_SIZE,
        offset: (current - 1) * PAGE_SIZE,
      });
      const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
      const params = new URLSearchParams(query.q ? { q: query.q } : {});
      return reply.view('staff/participants.njk', {
        items,
        total,
        q: query.q ?? '',
        current,
        pages,
        from: total === 0 ? 0 : (current - 1) * PAGE_SIZE + 1,
        to: Math.min(total, current * PAGE_SIZE),
        pagination: pagination('/participants', params, current, pages),
      });
    });
  });

  app.get<{ Params: { id: string } }>('/participants/:id', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    const participantId = idParam(request.params.id);
    if (participantId === undefined) return notFound(reply);
    return page(reply, async () => {
      const record = await participantRecord(deps, actor, participantId);
      const emails = await listEmailsAbout(deps, actor, { type: 'participant', id: participantId });
      return reply.view('staff/participant.njk', {
        ...record,
        emails: emails.map((e) => ({ ...e, createdText: whenText(e.createdAt) })),
        start: await startOfProgramme(deps, actor, participantId),
        coaching: (await participantCoaching(deps, actor, participantId)).map((c) => ({
          ...c,
          when: whenText(c.startsAt),
        })),
        dfeDeclarations: await participantDeclarations(deps, actor, participantId),
        alerts: await openAlertsForParticipant(deps.db, actor, participantId),
        dfeSyncOn: deps.dfeSyncOn ?? false,
        mayVoidDeclarations: DECLARATION_ACTORS.includes(actor.role),
        notice: noticeText(request.query) ?? changeNotice(request.query),
        canErase: ERASERS.includes(actor.role),
      });
    });
  });

  app.get<{ Params: { id: string } }>('/participants/:id/audit', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    const participantId = idParam(request.params.id);
    if (participantId === undefined) return notFound(reply);
    return page(reply, async () => {
      const events = await participantAuditLog(deps, actor, participantId);
      const participant = await getParticipant(deps, actor, participantId);
      return reply.view('staff/audit.njk', {
        title: `Audit log: ${participant.fullName}`,
        backHref: `/participants/${participantId}`,
        backText: participant.fullName,
        events: auditRows(events),
      });
    });
  });

  /** One case's trail: deferral_case, assessment_deferral_case, school_move, transfer_case… */
  app.get<{ Params: { type: string; id: string } }>('/audit/:type/:id', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    const id = idParam(request.params.id);
    const type = request.params.type.replace(/-/g, '_');
    if (id === undefined) return notFound(reply);
    return page(reply, async () => {
      const events = await subjectAuditLog(deps, actor, type, id);
      const label = type.replace(/_/g, ' ');
      return reply.view('staff/audit.njk', {
        title: `Audit log: ${label} ${id}`,
        backHref: caseHref(type, id),
        backText: `Back to the ${label}`,
        events: auditRows(events),
      });
    });
  });
}

function caseHref(type: string, id: number): string {
  switch (type) {
    case 'deferral_case':
      return `/cases/deferrals/${id}`;
    case 'assessment_deferral_case':
      return `/cases/assessment-deferrals/${id}`;
    case 'school_move':
      return `/cases/school-moves/${id}`;
    default:
      return '/cases';
  }
}
