import { hideAccountLinks } from '../../domain/email-templates.js';
import { z } from 'zod';
import { EMAIL_STATUSES, listEmailMessages } from '../../services/email/mailbox.js';
import { actorOf, ErrorBody, type ApiModule } from './plugin.js';
import { Pagination } from './schemas.js';

const EmailMessage = z
  .object({
    id: z.number(),
    template: z.string(),
    to: z.string(),
    subject: z.string(),
    body: z
      .string()
      .nullable()
      .describe("npq-ops's copy of the email as sent; null if it cannot be rendered"),
    status: z.enum(EMAIL_STATUSES),
    attempts: z.number(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
    sentAt: z.string().nullable(),
    nextAttemptAt: z.string(),
    notifyId: z.string().nullable(),
    about: z.object({ type: z.string(), id: z.string() }),
  })
  .meta({ id: 'EmailMessage' });

/** The email outbox and each message's delivery status (admins and the programme team). */
export const emailMessagesApi: ApiModule = (app, deps) => {
  app.get(
    '/email-messages',
    {
      schema: {
        tags: ['Email'],
        summary: 'Emails in the outbox, newest first, with their delivery status',
        querystring: Pagination.extend({
          to: z.email().max(254).optional().describe("The recipient's email address"),
          status: z.enum(EMAIL_STATUSES).optional(),
        }),
        response: {
          200: z.object({ items: z.array(EmailMessage), total: z.number() }),
          401: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (request) => {
      const list = await listEmailMessages(deps, actorOf(request), request.query);
      if (!deps.notifyConfigured) return list;
      return {
        ...list,
        items: list.items.map((m) => ({ ...m, body: m.body && hideAccountLinks(m.body) })),
      };
    },
  );
};
