import type { FastifyInstance } from 'fastify';
import { pageQueryParam } from '../../forms.js';
import { z } from 'zod';
import type { ApiDeps } from '../../api/plugin.js';
import {
  EMAIL_STATUSES,
  listEmailMessages,
  type EmailMessageView,
} from '../../../services/email/mailbox.js';
import { pagination } from './participants.js';
import { page, requireStaffPage } from './support.js';
import { emailBodyHtml, whenText } from '../../email-view.js';

export const MAILBOX_PAGE_SIZE = 20;

const Query = z.object({
  to: z.string().trim().max(254).optional().catch(undefined),
  status: z.enum(EMAIL_STATUSES).optional().catch(undefined),
  page: pageQueryParam,
});

function view(m: EmailMessageView, hideAccountLinks: boolean) {
  return {
    ...m,
    bodyHtml: m.body === null ? null : emailBodyHtml(m.body, { hideAccountLinks }),
    createdText: whenText(m.createdAt),
    sentText: whenText(m.sentAt),
    nextAttemptText: whenText(m.nextAttemptAt),
  };
}

/**
 * The mailbox (admins and the programme team): every email in the outbox, newest first, with its
 * delivery status and our copy of what it says. Without a Notify key this is where emails are read.
 */
export function mailboxRoutes(
  app: FastifyInstance,
  deps: ApiDeps & { notifyConfigured: boolean },
): void {
  app.get('/admin/mailbox', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    const query = Query.parse(request.query ?? {});
    const current = Math.max(1, query.page ?? 1);
    return page(reply, async () => {
      const { items, total } = await listEmailMessages(deps, actor, {
        to: query.to,
        status: query.status,
        limit: MAILBOX_PAGE_SIZE,
        offset: (current - 1) * MAILBOX_PAGE_SIZE,
      });
      const pages = Math.max(1, Math.ceil(total / MAILBOX_PAGE_SIZE));
      const params = new URLSearchParams({
        ...(query.to ? { to: query.to } : {}),
        ...(query.status ? { status: query.status } : {}),
      });
      return reply.view('admin/mailbox.njk', {
        items: items.map((m) => view(m, deps.notifyConfigured)),
        total,
        to: query.to ?? '',
        status: query.status ?? '',
        current,
        pages,
        from: total === 0 ? 0 : (current - 1) * MAILBOX_PAGE_SIZE + 1,
        upTo: Math.min(total, current * MAILBOX_PAGE_SIZE),
        pagination: pagination('/admin/mailbox', params, current, pages),
        notifyConfigured: deps.notifyConfigured,
      });
    });
  });
}
