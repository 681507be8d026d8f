/**
 * The participant's in-app Messages: the same messages the outbox sends them (newest first), and
 * their choice about nudges. Reads change nothing; the choice is audited.
 */
import { sql } from 'drizzle-orm';
import { queryRows } from '../../db/client.js';
import {
  hideAccountLinks,
  renderEmail,
  type EmailTemplateKey,
  type Personalisation,
} from '../../domain/email-templates.js';
import { NOTICE_KINDS } from '../../domain/notices.js';
import type { Actor } from '../actor.js';
import { audit } from '../audit.js';
import { ForbiddenError, NotFoundError } from '../errors.js';
import type { ServiceDeps } from '../participants.js';

export const MESSAGES_PER_PAGE = 20;

export interface MessageView {
  id: number;
  subject: string;
  body: string;
  /** The page to act on (a path in this app), if the message has one. */
  linkPath: string | null;
  createdAt: string;
  /** A nudge the participant can turn off. */
  nudge: boolean;
}

interface Row {
  id: number;
  template: string;
  personalisation: Personalisation;
  link_path: string | null;
  created_at: string | Date;
}

const NUDGE_TEMPLATES = new Set<string>(
  Object.values(NOTICE_KINDS)
    .filter((k) => k.nudge)
    .map((k) => k.template),
);

function participantOf(actor: Actor): number {
  if (actor.role !== 'participant' || actor.participantId === null) throw new ForbiddenError();
  return actor.participantId;
}

function view(row: Row): MessageView {
  let subject = row.template;
  let body = '';
  try {
    const rendered = renderEmail(row.template as EmailTemplateKey, row.personalisation);
    subject = rendered.subject;
    // Single-use account links never show in the app (they are for the email only).
    body = hideAccountLinks(rendered.body);
  } catch {
    // A message from a template since retired: its subject line only.
  }
  return {
    id: row.id,
    subject,
    body,
    linkPath: row.link_path,
    createdAt: new Date(row.created_at).toISOString(),
    nudge: NUDGE_TEMPLATES.has(row.template),
  };
}

const MINE = (participantId: number) =>
  sql`lower(m.to_email) = (select lower(email) from participant where id = ${participantId})`;

/** The participant's messages, newest first, one page at a time. */
export async function listMessages(
  { db }: ServiceDeps,
  actor: Actor,
  options: { page: number },
): Promise<{ items: MessageView[]; total: number; page: number; pages: number }> {
  const participantId = participantOf(actor);
  const page = Math.max(1, Math.floor(options.page));
  const [count] = await queryRows<{ n: number }>(
    db,
    sql`select count(*)::int as n from email_message m where ${MINE(participantId)}`,
  );
  const rows = await queryRows<Row>(
    db,
    sql`select m.id::int as id, m.template, m.personalisation, m.link_path, m.created_at
        from email_message m where ${MINE(participantId)}
        order by m.created_at desc, m.id desc
        limit ${MESSAGES_PER_PAGE} offset ${(page - 1) * MESSAGES_PER_PAGE}`,
  );
  const total = count?.n ?? 0;
  return {
    items: rows.map(view),
    total,
    page,
    pages: Math.max(1, Math.ceil(total / MESSAGES_PER_PAGE)),
  };
}

/** One of the participant's messages; anyone else's is not found. */
export async function getMessage(
  { db }: ServiceDeps,
  actor: Actor,
  id: number,
): Promise<MessageView> {
  const participantId = participantOf(actor);
  const [row] = await queryRows<Row>(
    db,
    sql`select m.id::int as id, m.template, m.personalisation, m.link_path, m.created_at
        from email_message m where m.id = ${id} and ${MINE(participantId)}`,
  );
  if (!row) throw new NotFoundError('Message not found');
  return view(row);
}

export interface NoticeSettings {
  /** Nudges on (the default): behind the ideal window, the day-before reminder. */
  nudges: boolean;
}

export async function getNoticeSettings(
  { db }: ServiceDeps,
  actor: Actor,
): Promise<NoticeSettings> {
  const participantId = participantOf(actor);
  const [row] = await queryRows<{ nudges: boolean }>(
    db,
    sql`select nudges from notice_preference where participant_id = ${participantId}`,
  );
  return { nudges: row?.nudges ?? true };
}

/** Turns nudges on or off; the notices the policy requires are always sent. */
export async function setNoticeSettings(
  { db, clock }: ServiceDeps,
  actor: Actor,
  settings: NoticeSettings,
): Promise<NoticeSettings> {
  const participantId = participantOf(actor);
  const at = clock.now();
  return db.transaction(async (tx) => {
    const [before] = await queryRows<{ nudges: boolean }>(
      tx,
      sql`select nudges from notice_preference where participant_id = ${participantId} for update`,
    );
    const was = before?.nudges ?? true;
    if (was === settings.nudges) return settings;
    await tx.execute(
      sql`insert into notice_preference (participant_id, nudges, updated_at)
          values (${participantId}, ${settings.nudges}, ${at})
          on conflict (participant_id) do update set nudges = excluded.nudges, updated_at = excluded.updated_at`,
    );
    await audit(tx, {
      what: settings.nudges ? 'NUDGES_TURNED_ON' : 'NUDGES_TURNED_OFF',
      who: actor,
      subjectType: 'participant',
      subjectId: participantId,
      details: { nudges: settings.nudges },
      at,
    });
    return settings;
  });
}
