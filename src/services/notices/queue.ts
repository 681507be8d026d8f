/**
 * Queues notices in the outbox (email_message), once each: every notice has a key (participant or
 * enrolment, what, and the thing it is about) and is inserted with ON CONFLICT DO NOTHING on it.
 * Set-based: any number of notices is one INSERT from arrays.
 */
import { sql } from 'drizzle-orm';
import { arrayParam, queryRows, type Db } from '../../db/client.js';
import { renderEmail, type Personalisation } from '../../domain/email-templates.js';
import type { NoticeTemplateKey } from '../../domain/notice-templates.js';
import { absoluteLink, sensibleSendTime } from '../../domain/notices.js';
import { contactText } from '../participant-accounts.js';

type Executor = Pick<Db, 'execute'>;

export interface Notice {
  template: NoticeTemplateKey;
  to: string;
  /** The once-only key, e.g. 'module_released:12:3:45'. */
  key: string;
  /** The page to act on, as a path; `link` in the email is the public address and this path. */
  linkPath: string;
  personalisation: Personalisation;
  /** The participant it is about (retention and staff's view of a record find it by this). */
  participantId: number;
}

export interface QueueOptions {
  /** When the change that causes the notices happened. */
  at: Date;
  /** config.publicUrl; links are paths when it is not given (tests). */
  publicUrl?: string | undefined;
  /** Send at once (a confirmation of what the participant just did) rather than in the daytime. */
  immediately?: boolean;
}

/** Inserts the notices not already queued; returns how many were new. */
export async function queueNotices(
  tx: Executor,
  notices: readonly Notice[],
  options: QueueOptions,
): Promise<number> {
  if (notices.length === 0) return 0;
  const settingsLink = absoluteLink(options.publicUrl, '/messages/settings');
  const full = notices.map((n) => ({
    ...n,
    personalisation: {
      ...n.personalisation,
      link: absoluteLink(options.publicUrl, n.linkPath),
      settings_link: settingsLink,
    },
  }));
  // Every placeholder given, before anything is stored.
  for (const n of full) renderEmail(n.template, n.personalisation);
  const sendAt = options.immediately ? options.at : sensibleSendTime(options.at);
  const col = <T>(f: (n: (typeof full)[number]) => T) => arrayParam(full.map(f));
  const rows = await queryRows<{ id: number }>(
    tx,
    sql`insert into email_message (template, to_email, personalisation, subject_type, subject_id,
          notice_key, link_path, next_attempt_at, created_at)
        select u.template, u.to_email, u.personalisation::jsonb, 'participant', u.participant_id,
               u.notice_key, u.link_path, ${sendAt}, ${options.at}
        from unnest(${col((n) => n.template)}::text[], ${col((n) => n.to)}::text[],
                    ${col((n) => JSON.stringify(n.personalisation))}::text[],
                    ${col((n) => String(n.participantId))}::text[], ${col((n) => n.key)}::text[],
                    ${col((n) => n.linkPath)}::text[])
          as u(template, to_email, personalisation, participant_id, notice_key, link_path)
        on conflict (notice_key) where notice_key is not null do nothing
        returning id::int as id`,
  );
  return rows.length;
}

/** A participant's name and address, and how to reach their delivery partner (or the lead provider). */
export interface Recipient {
  participantId: number;
  enrolmentId: number;
  name: string;
  email: string;
  programme: string;
  deliveryPartner: string;
  /** "email or phone" of the delivery partner (the lead provider's for national cohorts). */
  contact: string;
  /** Where the partner is told (the partner's contact email); null when none is recorded. */
  partnerEmail: string | null;
}

/** One statement: the recipients for a set of enrolments. */
export async function recipientsOf(
  tx: Executor,
  enrolmentIds: readonly number[],
): Promise<Map<number, Recipient>> {
  if (enrolmentIds.length === 0) return new Map();
  const rows = await queryRows<{
    enrolment_id: number;
    participant_id: number;
    full_name: string;
    email: string;
    programme: string;
    delivery_partner: string;
    contact_email: string | null;
    contact_phone: string | null;
  }>(
    tx,
    sql`select e.id as enrolment_id, p.id as participant_id, p.full_name, p.email, c.name as programme,
               case when dp.is_national then lp.name else dp.name end as delivery_partner,
               coalesce(dp.contact_email, case when dp.is_national then lp.contact_email end) as contact_email,
               coalesce(dp.contact_phone, case when dp.is_national then lp.contact_phone end) as contact_phone
        from enrolment e
        join participant p on p.id = e.participant_id
        join cohort c on c.id = e.cohort_id
        join delivery_partner dp on dp.id = e.delivery_partner_id
        join lead_provider lp on lp.id = dp.lead_provider_id
        where e.id = any(${arrayParam([...enrolmentIds])}::int[])`,
  );
  return new Map(
    rows.map((r) => [
      r.enrolment_id,
      {
        participantId: r.participant_id,
        enrolmentId: r.enrolment_id,
        name: r.full_name,
        email: r.email,
        programme: r.programme,
        deliveryPartner: r.delivery_partner,
        contact: contactText(r.contact_email, r.contact_phone),
        partnerEmail: r.contact_email,
      },
    ]),
  );
}

export interface DecisionNotice {
  enrolmentId: number;
  /** What was asked, e.g. "Your request to defer". */
  request: string;
  /** e.g. "approved", "declined". */
  outcome: string;
  reason: string;
  nextSteps: string;
  linkPath: string;
  /** Unique per decision, e.g. 'decision:deferral:12:declined'. */
  key: string;
}

/**
 * A decision on a participant's request, queued in the transaction that makes the decision: the
 * outcome, the reason that decided it, what happens next and whom to contact.
 */
export async function queueDecisionNotice(
  tx: Executor,
  decision: DecisionNotice,
  options: QueueOptions,
): Promise<number> {
  const recipient = (await recipientsOf(tx, [decision.enrolmentId])).get(decision.enrolmentId);
  if (!recipient) return 0;
  return queueNotices(
    tx,
    [
      {
        template: 'notice_decision',
        to: recipient.email,
        key: decision.key,
        linkPath: decision.linkPath,
        participantId: recipient.participantId,
        personalisation: {
          name: recipient.name,
          request: decision.request,
          outcome: decision.outcome,
          reason: decision.reason,
          next_steps: decision.nextSteps,
          contact: `${recipient.deliveryPartner}: ${recipient.contact}`,
        },
      },
    ],
    options,
  );
}
