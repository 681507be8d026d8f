/**
 * Who a participant talks to. The policy sends participants on delivery-partner cohorts to their
 * Delivery Partner, and participants on national cohorts to the lead provider's programmes team
 * (policy 2.3.4, 2.3.5, 2.3.7, 2.5.1, 2.6.3).
 */
import type { PolicyRegister } from './register.js';

export type CohortDelivery =
  | { readonly kind: 'national' }
  | { readonly kind: 'delivery_partner'; readonly deliveryPartnerName: string };

export interface Contact {
  readonly kind: 'delivery_partner' | 'lead_provider';
  readonly name: string;
}

export function contactFor(delivery: CohortDelivery, register: PolicyRegister): Contact {
  return delivery.kind === 'national'
    ? { kind: 'lead_provider', name: register.programmesTeamName }
    : { kind: 'delivery_partner', name: delivery.deliveryPartnerName };
}

export function describeContact(contact: Contact): string {
  return contact.kind === 'delivery_partner'
    ? `your Delivery Partner, ${contact.name}`
    : `the ${contact.name} (you are on a national cohort)`;
}
