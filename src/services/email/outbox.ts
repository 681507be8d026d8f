import type { Db } from '../../db/client.js';
import { emailMessage } from '../../db/schema.js';
import {
  renderEmail,
  type EmailTemplateKey,
  type Personalisation,
} from '../../domain/email-templates.js';

export interface OutgoingEmail {
  template: EmailTemplateKey;
  to: string;
  personalisation: Personalisation;
  /** What the email is about, e.g. { type: 'app_user', id: 12 }: staff see messages by record. */
  subject: { type: string; id: string | number };
}

/**
 * Queues emails in the caller's transaction: they are delivered (by the job runner, through GOV.UK
 * Notify) only if the change that causes them commits, and never lost if the process dies after.
 * Rendering here checks every placeholder is given before anything is stored.
 */
export async function enqueueEmail(
  tx: Pick<Db, 'insert'>,
  ...emails: OutgoingEmail[]
): Promise<number[]> {
  if (emails.length === 0) return [];
  for (const e of emails) renderEmail(e.template, e.personalisation);
  const rows = await tx
    .insert(emailMessage)
    .values(
      emails.map((e) => ({
        template: e.template,
        toEmail: e.to,
        personalisation: e.personalisation,
        subjectType: e.subject.type,
        subjectId: String(e.subject.id),
      })),
    )
    .returning({ id: emailMessage.id });
  return rows.map((r) => r.id);
}
