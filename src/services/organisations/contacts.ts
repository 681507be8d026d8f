import { sql } from 'drizzle-orm';
import { queryRows } from '../../db/client.js';
import { contactFor, describeContact, POLICY_REGISTER, type Contact } from '../../policy/index.js';
import type { Actor } from '../actor.js';
import type { ServiceDeps } from '../assessment.js';
import { requireEnrolment } from '../authorisation.js';
import { NotFoundError } from '../errors.js';

/**
 * Who a participant contacts (2.3.4, 2.5.1, 2.6.3) and how: their delivery partner's email, phone
 * and opening hours, or for a national cohort the lead provider's.
 */
export interface ContactDetails extends Contact {
  /** "your Delivery Partner, North Star Teaching School Hub". */
  description: string;
  email: string | null;
  phone: string | null;
  openingHours: string | null;
}

export async function contactDetailsFor(
  { db }: ServiceDeps,
  actor: Actor,
  enrolmentId: number,
): Promise<ContactDetails> {
  await requireEnrolment(db, actor, enrolmentId);
  const [row] = await queryRows<ContactRow>(db, sql`${CONTACT_SELECT} where e.id = ${enrolmentId}`);
  if (!row) throw new NotFoundError('Enrolment not found');
  return toContactDetails(row);
}

export interface ContactRow {
  enrolment_id: number;
  is_national: boolean;
  partner_name: string;
  email: string | null;
  phone: string | null;
  opening_hours: string | null;
}

/** Each enrolment's contact (callers add `where e.id = …`). */
export const CONTACT_SELECT = sql`select e.id as enrolment_id, dp.is_national, dp.name as partner_name,
               case when dp.is_national then lp.contact_email else dp.contact_email end as email,
               case when dp.is_national then lp.contact_phone else dp.contact_phone end as phone,
               case when dp.is_national then lp.opening_hours else dp.opening_hours end as opening_hours
        from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id
        join lead_provider lp on lp.id = dp.lead_provider_id`;

export function toContactDetails(row: ContactRow): ContactDetails {
  const contact = contactFor(
    row.is_national
      ? { kind: 'national' }
      : { kind: 'delivery_partner', deliveryPartnerName: row.partner_name },
    POLICY_REGISTER,
  );
  return {
    ...contact,
    description: describeContact(contact),
    email: row.email,
    phone: row.phone,
    openingHours: row.opening_hours,
  };
}
