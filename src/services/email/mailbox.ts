/**
 * Reading the email outbox: the mailbox (admins and the programme team, and the CLI operator),
 * and the status of the emails sent about one record (staff who can see the record).
 */
import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client.js';
import type { Clock } from '../../clock.js';
import {
  EMAIL_TEMPLATES,
  renderEmail,
  type EmailTemplateKey,
  type Personalisation,
} from '../../domain/email-templates.js';
import { SYSTEM, type Actor } from '../actor.js';
import { requireParticipant } from '../authorisation.js';
import { NotFoundError } from '../errors.js';

export interface MailboxDeps {
  db: Db;
  clock: Clock;
}

export const EMAIL_STATUSES = ['pending', 'sending', 'sent', 'failed'] as const;
export type EmailStatus = (typeof EMAIL_STATUSES)[number];

/** Who may read the whole mailbox (it holds invitation and reset links). */
export const MAILBOX_ROLES: readonly Actor['role'][] = ['admin', 'programme_team'];

export function canReadMailbox(actor: Actor | typeof SYSTEM): boolean {
  return actor === SYSTEM || MAILBOX_ROLES.includes(actor.role);
}

export interface EmailStatusView {
  id: number;
  template: string;
  to: string;
  /** The subject line as the recipient sees it. */
  subject: string;
  status: EmailStatus;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}

export interface EmailMessageView extends EmailStatusView {
  /** The email as sent (our copy of the Notify template, filled in); null if it cannot be rendered. */
  body: string | null;
  nextAttemptAt: string;
  notifyId: string | null;
  about: { type: string; id: string };
}

export interface MailboxFilter {
  to?: string | undefined;
  status?: EmailStatus | undefined;
  limit?: number;
  offset?: number;
}

interface Row {
  id: number;
  template: string;
  to_email: string;
  personalisation: Personalisation;
  subject_type: string;
  subject_id: string;
  status: EmailStatus;
  attempts: number;
  next_attempt_at: string | Date;
  last_error: string | null;
  notify_id: string | null;
  created_at: string | Date;
  sent_at: string | Date | null;
}

const iso = (d: string | Date) => new Date(d).toISOString();

function rendered(row: Row): { subject: string; body: string | null } {
  try {
    return renderEmail(row.template as EmailTemplateKey, row.personalisation);
  } catch {
    const known = (EMAIL_TEMPLATES as Record<string, { subject: string } | undefined>)[
      row.template
    ];
    return { subject: known?.subject ?? row.template, body: null };
  }
}

function statusView(row: Row): EmailStatusView {
  return {
    id: row.id,
    template: row.template,
    to: row.to_email,
    subject: rendered(row).subject,
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
    createdAt: iso(row.created_at),
    sentAt: row.sent_at ? iso(row.sent_at) : null,
  };
}

function messageView(row: Row): EmailMessageView {
  return {
    ...statusView(row),
    body: rendered(row).body,
    nextAttemptAt: iso(row.next_attempt_at),
    notifyId: row.notify_id,
    about: { type: row.subject_type, id: row.subject_id },
  };
}

const COLUMNS = sql`id::int as id, template, to_email, personalisation, subject_type, subject_id, status,
  attempts, next_attempt_at, last_error, notify_id, created_at, sent_at`;

/** The newest messages first; a read, so it changes nothing. Admins, the programme team, the CLI. */
export async function listEmailMessages(
  deps: MailboxDeps,
  actor: Actor | typeof SYSTEM,
  filter: MailboxFilter = {},
): Promise<{ items: EmailMessageView[]; total: number }> {
  if (!canReadMailbox(actor)) throw new NotFoundError('Mailbox');
  const conditions: SQL[] = [sql`true`];
  const to = filter.to?.trim();
  if (to) conditions.push(sql`lower(to_email) = lower(${to})`);
  if (filter.status) conditions.push(sql`status = ${filter.status}`);
  const where = sql.join(conditions, sql` and `);
  const limit = Math.min(Math.max(filter.limit ?? 50, 1), 500);
  const offset = Math.max(filter.offset ?? 0, 0);
  const rows = await queryRows<Row & { total: number }>(
    deps.db,
    sql`select ${COLUMNS}, count(*) over ()::int as total from email_message where ${where}
        order by created_at desc, id desc limit ${limit} offset ${offset}`,
  );
  let total = rows[0]?.total ?? 0;
  if (rows.length === 0 && offset > 0) {
    const [counted] = await queryRows<{ n: number }>(
      deps.db,
      sql`select count(*)::int as n from email_message where ${where}`,
    );
    total = counted?.n ?? 0;
  }
  return { items: rows.map(messageView), total };
}

export type EmailRecord = { type: 'participant'; id: number };

/**
 * The emails sent about a record, newest first, with their status but not their body (it may hold
 * a live invitation link). For a participant: the emails to their address, and any queued about
 * them or their account. Whoever may see the record may see these.
 */
export async function listEmailsAbout(
  deps: MailboxDeps,
  actor: Actor,
  record: EmailRecord,
): Promise<EmailStatusView[]> {
  await requireParticipant(deps.db, actor, record.id);
  const rows = await queryRows<Row>(
    deps.db,
    sql`select ${COLUMNS} from email_message
        where lower(to_email) = (select lower(email) from participant where id = ${record.id})
           or (subject_type = 'participant' and subject_id = ${String(record.id)})
           or (subject_type = 'app_user' and subject_id in
                (select id::text from app_user where participant_id = ${record.id}))
        order by created_at desc, id desc limit 100`,
  );
  return rows.map(statusView);
}
