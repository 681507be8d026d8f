import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { arrayParam, queryRows, type Db } from '../db/client.js';
import { formatLongDate, londonDateOf } from '../policy/index.js';
import { accountLinkUrl, linkDigest, LINK_LIFETIME_MS } from './account-links.js';
import type { OutgoingEmail } from './email/outbox.js';
import { renderEmail } from '../domain/email-templates.js';

type Executor = Pick<Db, 'execute' | 'insert'>;

export interface OpenAccountsInput {
  /** Participants who have just been given an enrolment; those who already have an account are skipped. */
  participantIds: readonly number[];
  /** The app's public address: invitation links start with it. */
  publicUrl: string;
  /** Who issued the invitations, e.g. 'system:import' or 'user:12'. */
  createdBy: string;
  now: Date;
}

/**
 * Gives every participant without an account a participant sign-in (no password yet, so they
 * cannot sign in until they set one), a 7-day invitation link and a 'participant_invitation' email
 * about their newest enrolment, in the caller's transaction. Set-based: one statement for the
 * accounts, one for the links, one for the emails, whatever the number of participants. Returns
 * how many accounts were opened.
 */
export async function openParticipantAccounts(
  tx: Executor,
  input: OpenAccountsInput,
): Promise<number> {
  if (input.participantIds.length === 0) return 0;
  // A participant whose email already belongs to another account (staff) is left without one;
  // the import refuses such rows before they get here, so this only guards a race.
  const ids = arrayParam(input.participantIds);
  const users = await queryRows<{
    id: number;
    participant_id: number;
    email: string;
    full_name: string;
    programme: string;
    delivery_partner: string;
    contact_email: string | null;
    contact_phone: string | null;
  }>(
    tx,
    sql`with opened as (
          insert into app_user (email, display_name, password_hash, role, participant_id)
          select p.email, p.full_name, null, 'participant', p.id
          from participant p
          where p.id = any(${ids}::int[])
            and p.id not in (select participant_id from app_user where participant_id = any(${ids}::int[]))
          on conflict do nothing
          returning id, participant_id, email, display_name),
        latest as (
          select distinct on (e.participant_id) e.participant_id, c.name as programme, dp.name as delivery_partner,
                 coalesce(dp.contact_email, case when dp.is_national then lp.contact_email end) as contact_email,
                 coalesce(dp.contact_phone, case when dp.is_national then lp.contact_phone end) as contact_phone
          from enrolment e
          join cohort c on c.id = e.cohort_id
          join delivery_partner dp on dp.id = e.delivery_partner_id
          join lead_provider lp on lp.id = dp.lead_provider_id
          where e.participant_id = any(${ids}::int[])
          order by e.participant_id, e.id desc)
        select o.id, o.participant_id, o.email, o.display_name as full_name,
               l.programme, l.delivery_partner, l.contact_email, l.contact_phone
        from opened o join latest l on l.participant_id = o.participant_id`,
  );
  if (users.length === 0) return 0;

  const expiresAt = new Date(input.now.getTime() + LINK_LIFETIME_MS.invitation);
  const secrets = randomBytes(32 * users.length);
  const tokens = users.map((_, i) => secrets.subarray(i * 32, i * 32 + 32).toString('base64url'));
  await tx.execute(sql`insert into account_link (user_id, purpose, token_hash, created_by, created_at, expires_at)
    select u.user_id, 'invitation', u.token_hash, ${input.createdBy}, ${input.now}, ${expiresAt}
    from unnest(${arrayParam(users.map((u) => u.id))}::int[], ${arrayParam(tokens.map(linkDigest))}::text[])
      as u(user_id, token_hash)`);

  const expires = formatLongDate(londonDateOf(expiresAt));
  const emails: OutgoingEmail[] = users.map((u, i) => ({
    template: 'participant_invitation',
    to: u.email,
    personalisation: {
      name: u.full_name,
      programme: u.programme,
      delivery_partner: u.delivery_partner,
      link: accountLinkUrl(input.publicUrl, 'invitation', tokens[i]!),
      expires,
      contact: contactText(u.contact_email, u.contact_phone),
    },
    subject: { type: 'app_user', id: u.id },
  }));
  await enqueueEmails(tx, emails);
  return users.length;
}

/** How to reach the delivery partner, as the invitation says it. */
export function contactText(email: string | null, phone: string | null): string {
  const ways = [email, phone].filter((w): w is string => Boolean(w && w.trim()));
  return ways.length > 0 ? ways.join(' or ') : 'your delivery partner';
}

/**
 * The outbox's enqueueEmail for a batch: the same rows and the same placeholder check, as one
 * insert from arrays (a values list of a thousand JSON documents is several times slower).
 */
async function enqueueEmails(tx: Executor, emails: readonly OutgoingEmail[]): Promise<void> {
  if (emails.length === 0) return;
  for (const e of emails) renderEmail(e.template, e.personalisation);
  const col = <T>(f: (e: OutgoingEmail) => T) => arrayParam(emails.map(f));
  await tx.execute(sql`insert into email_message (template, to_email, personalisation, subject_type, subject_id)
    select u.template, u.to_email, u.personalisation::jsonb, u.subject_type, u.subject_id
    from unnest(${col((e) => e.template)}::text[], ${col((e) => e.to)}::text[],
                ${col((e) => JSON.stringify(e.personalisation))}::text[],
                ${col((e) => e.subject.type)}::text[], ${col((e) => String(e.subject.id))}::text[])
      as u(template, to_email, personalisation, subject_type, subject_id)`);
}
