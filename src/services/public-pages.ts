/**
 * What the public pages show: the policy in force (from the register) with the lead provider's
 * links to the policies it names, and who to contact. The policy and the lead provider's published
 * contact details are for anyone; a signed-in participant also sees their delivery partners'.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../db/client.js';
import {
  clauseNumbers,
  contactFor,
  describeContact,
  EDITABLE_PARAMETERS,
  formatParameter,
  parameterValue,
  POLICY_REGISTER,
  type PolicyRegister,
} from '../policy/index.js';
import type { Clause } from '../policy/clauses.js';
import type { Actor } from './actor.js';

/** A clause's text as the page shows it: paragraphs, and "- " lines as one bulleted list. */
export type TextBlock = { kind: 'paragraph'; text: string } | { kind: 'list'; items: string[] };

export interface PolicyClauseView extends Clause {
  blocks: TextBlock[];
}

export interface PolicySection {
  heading: string;
  clauses: PolicyClauseView[];
}

export function textBlocks(text: string): TextBlock[] {
  const blocks: TextBlock[] = [];
  for (const line of text.split('\n')) {
    const item = /^- (.*)$/.exec(line)?.[1];
    const last = blocks.at(-1);
    if (item === undefined) blocks.push({ kind: 'paragraph', text: line });
    else if (last?.kind === 'list') last.items.push(item);
    else blocks.push({ kind: 'list', items: [item] });
  }
  return blocks;
}

export interface PublishedLink {
  name: string;
  /** null: the lead provider has not published it yet. */
  url: string | null;
}

export interface PublishedPolicy {
  register: PolicyRegister;
  /** The numbers this version sets (the parameters a new version may change). */
  numbers: { label: string; value: string; clauses: readonly string[] }[];
  sections: PolicySection[];
  /** The policies the text names, by the clause that names them. */
  links: Record<'2.3.8' | '2.4.2', PublishedLink>;
}

interface ProviderRow {
  name: string;
  contact_email: string | null;
  contact_phone: string | null;
  opening_hours: string | null;
  withdrawal_policy_url: string | null;
  refund_policy_url: string | null;
}

async function leadProviderRow(db: Db): Promise<ProviderRow | undefined> {
  const [row] = await queryRows<ProviderRow>(
    db,
    sql`select name, contact_email, contact_phone, opening_hours, withdrawal_policy_url, refund_policy_url
        from lead_provider order by id limit 1`,
  );
  return row;
}

/** The policy in force, clause by clause in document order, grouped under its section headings. */
export async function publishedPolicy(
  { db }: { db: Db },
  register: PolicyRegister = POLICY_REGISTER,
): Promise<PublishedPolicy> {
  const row = await leadProviderRow(db);
  const sections: PolicySection[] = [];
  for (const number of clauseNumbers(register)) {
    const clause = {
      ...register.clauses[number],
      blocks: textBlocks(register.clauses[number].text),
    };
    const last = sections.at(-1);
    if (last && last.heading === clause.section) last.clauses.push(clause);
    else sections.push({ heading: clause.section, clauses: [clause] });
  }
  return {
    register,
    numbers: EDITABLE_PARAMETERS.map((e) => ({
      label: e.label,
      value: formatParameter(e.field, parameterValue(register.parameters, e.field)),
      clauses: e.clauses,
    })),
    sections,
    links: {
      '2.3.8': { name: register.withdrawalPolicyName, url: row?.withdrawal_policy_url ?? null },
      '2.4.2': { name: register.refundPolicyName, url: row?.refund_policy_url ?? null },
    },
  };
}

export interface ContactCard {
  /** "Ambition Institute" or "North Star Teaching School Hub". */
  name: string;
  /** What this contact is for, in the participant's words. */
  about: string;
  email: string | null;
  phone: string | null;
  openingHours: string | null;
}

export interface ContactPage {
  providerName: string | null;
  leadProvider: ContactCard | null;
  /** A signed-in participant's own contacts (one per delivery partner they are enrolled with). */
  yours: ContactCard[];
}

/**
 * The lead provider's published contact details for everyone; for a signed-in participant, also
 * the delivery partner of each of their enrolments (the lead provider's programmes team for a
 * national cohort), as the policy sends them there (2.3.4, 2.5.1, 2.6.3).
 */
export async function contactPage({ db }: { db: Db }, actor: Actor | null): Promise<ContactPage> {
  const row = await leadProviderRow(db);
  const leadProvider: ContactCard | null = row
    ? {
        name: row.name,
        about: 'The lead provider: questions about NPQ programmes, funding and this service.',
        email: row.contact_email,
        phone: row.contact_phone,
        openingHours: row.opening_hours,
      }
    : null;
  const yours: ContactCard[] = [];
  if (actor?.role === 'participant' && actor.participantId !== null) {
    const partners = await queryRows<{
      is_national: boolean;
      name: string;
      email: string | null;
      phone: string | null;
      opening_hours: string | null;
    }>(
      db,
      sql`select distinct dp.is_national, dp.name,
                 case when dp.is_national then lp.contact_email else dp.contact_email end as email,
                 case when dp.is_national then lp.contact_phone else dp.contact_phone end as phone,
                 case when dp.is_national then lp.opening_hours else dp.opening_hours end as opening_hours
          from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id
          join lead_provider lp on lp.id = dp.lead_provider_id
          where e.participant_id = ${actor.participantId}
          order by dp.name`,
    );
    for (const p of partners) {
      const contact = contactFor(
        p.is_national
          ? { kind: 'national' }
          : { kind: 'delivery_partner', deliveryPartnerName: p.name },
        POLICY_REGISTER,
      );
      yours.push({
        name: contact.name,
        about: `${describeContact(contact).replace(/^./, (c) => c.toUpperCase())}: your programme, sessions, deferral, school moves and assessment.`,
        email: p.email,
        phone: p.phone,
        openingHours: p.opening_hours,
      });
    }
  }
  return { providerName: row?.name ?? null, leadProvider, yours };
}
