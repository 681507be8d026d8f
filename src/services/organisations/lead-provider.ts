import { sql } from 'drizzle-orm';
import { queryRows } from '../../db/client.js';
import type { Actor } from '../actor.js';
import type { ServiceDeps, Tx } from '../assessment.js';
import { audit } from '../audit.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import {
  isUniqueViolation,
  leadProviderIdOf,
  requireOrganiserWrite,
  requireStaffRead,
} from './access.js';
import { Fields } from './validation.js';

/**
 * The lead provider: on an empty database an admin creates it; admins and the programme team
 * keep its details right. Its contract end date limits deferral (2.3.10) and its contact details
 * are what participants on national cohorts are told to use (2.3.4, 2.5.1, 2.6.3).
 */
export interface LeadProviderView {
  id: number;
  slug: string;
  name: string;
  contractEndDate: string | null;
  contactEmail: string | null;
  contactPhone: string | null;
  openingHours: string | null;
  /** The published NPQ Withdrawal policy (named in 2.3.8), or null when not published yet. */
  withdrawalPolicyUrl: string | null;
  /** The published NPQ Refund Policy (named in 2.4.2), or null when not published yet. */
  refundPolicyUrl: string | null;
  version: number;
}

export interface LeadProviderInput {
  name?: string | undefined;
  slug?: string | undefined;
  contractEndDate?: string | null | undefined;
  contactEmail?: string | null | undefined;
  contactPhone?: string | null | undefined;
  openingHours?: string | null | undefined;
  withdrawalPolicyUrl?: string | null | undefined;
  refundPolicyUrl?: string | null | undefined;
  /** Required to change an existing lead provider (409 if someone changed it first). */
  expectedVersion?: number | undefined;
}

interface Row {
  id: number;
  slug: string;
  name: string;
  contract_end_date: string | null;
  contact_email: string | null;
  contact_phone: string | null;
  opening_hours: string | null;
  withdrawal_policy_url: string | null;
  refund_policy_url: string | null;
  version: number;
}

const COLUMNS = sql`id, slug, name, contract_end_date::text, contact_email, contact_phone, opening_hours, withdrawal_policy_url, refund_policy_url, version`;

const view = (r: Row): LeadProviderView => ({
  id: r.id,
  slug: r.slug,
  name: r.name,
  contractEndDate: r.contract_end_date,
  contactEmail: r.contact_email,
  contactPhone: r.contact_phone,
  openingHours: r.opening_hours,
  withdrawalPolicyUrl: r.withdrawal_policy_url,
  refundPolicyUrl: r.refund_policy_url,
  version: r.version,
});

async function load(tx: Pick<Tx, 'execute'>, id: number, lock = false): Promise<Row | undefined> {
  const [row] = await queryRows<Row>(
    tx,
    sql`select ${COLUMNS} from lead_provider where id = ${id} ${lock ? sql`for update` : sql``}`,
  );
  return row;
}

/** Staff read it; null when none is set up yet (an empty database). */
export async function findLeadProvider(
  { db }: ServiceDeps,
  actor: Actor,
): Promise<LeadProviderView | null> {
  requireStaffRead(actor);
  const id = await leadProviderIdOf(db, actor);
  const row = id === null ? undefined : await load(db, id);
  return row ? view(row) : null;
}

export async function getLeadProvider(deps: ServiceDeps, actor: Actor): Promise<LeadProviderView> {
  const found = await findLeadProvider(deps, actor);
  if (!found) throw new NotFoundError('Lead provider');
  return found;
}

function validate(input: LeadProviderInput, creating: boolean) {
  const f = new Fields();
  const values = {
    name: f.name('name', input.name, 'lead provider name'),
    slug: creating || input.slug !== undefined ? f.slug('slug', input.slug) : undefined,
    contractEndDate: f.optionalDate('contractEndDate', input.contractEndDate, 'contract end date'),
    contactEmail: f.optionalEmail('contactEmail', input.contactEmail),
    contactPhone: f.optionalPhone('contactPhone', input.contactPhone),
    openingHours: f.optionalText('openingHours', input.openingHours, 'opening hours'),
    withdrawalPolicyUrl: f.optionalUrl(
      'withdrawalPolicyUrl',
      input.withdrawalPolicyUrl,
      'web address of the withdrawal policy',
    ),
    refundPolicyUrl: f.optionalUrl(
      'refundPolicyUrl',
      input.refundPolicyUrl,
      'web address of the refund policy',
    ),
  };
  if (f.errors.length) throw new ValidationError(f.errors);
  return values;
}

/**
 * Creates the lead provider when there is none (admins only), otherwise changes it (admins and the
 * programme team, with the version they read).
 */
export async function saveLeadProvider(
  { db, clock }: ServiceDeps,
  actor: Actor,
  input: LeadProviderInput,
): Promise<{ leadProvider: LeadProviderView; created: boolean }> {
  requireOrganiserWrite(actor);
  const at = clock.now();
  return db.transaction(async (tx) => {
    // One lead provider is set up at a time: serialise the check for "is there one yet?".
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('npq-ops:lead_provider'))`);
    const id = await leadProviderIdOf(tx, actor);
    if (id === null) {
      if (actor.role !== 'admin')
        throw new ForbiddenError('Only an admin can set up the lead provider');
      const [any] = await queryRows<{ id: number }>(tx, sql`select id from lead_provider limit 1`);
      if (any) throw new ConflictError('A lead provider is already set up.');
      const v = validate(input, true);
      let row: Row | undefined;
      try {
        [row] = await queryRows<Row>(
          tx,
          sql`insert into lead_provider (slug, name, contract_end_date, contact_email, contact_phone, opening_hours,
                withdrawal_policy_url, refund_policy_url)
              values (${v.slug!}, ${v.name}, ${v.contractEndDate}::date, ${v.contactEmail}, ${v.contactPhone}, ${v.openingHours},
                ${v.withdrawalPolicyUrl}, ${v.refundPolicyUrl})
              returning ${COLUMNS}`,
        );
      } catch (error) {
        if (isUniqueViolation(error))
          throw new ValidationError([{ path: 'slug', message: 'That short name is already used' }]);
        throw error;
      }
      await audit(tx, {
        what: 'LEAD_PROVIDER_CREATED',
        who: actor,
        subjectType: 'lead_provider',
        subjectId: row!.id,
        details: { ...v },
        at,
      });
      return { leadProvider: view(row!), created: true };
    }
    const current = await load(tx, id, true);
    if (!current) throw new NotFoundError('Lead provider');
    if (input.expectedVersion === undefined)
      throw new ValidationError([
        { path: 'expectedVersion', message: 'Give the version you read (expectedVersion)' },
      ]);
    if (current.version !== input.expectedVersion) throw new ConflictError();
    const v = validate({ ...input, slug: input.slug ?? current.slug }, false);
    const before = view(current);
    let row: Row | undefined;
    try {
      [row] = await queryRows<Row>(
        tx,
        sql`update lead_provider set name = ${v.name}, slug = ${v.slug ?? current.slug},
              contract_end_date = ${v.contractEndDate}::date, contact_email = ${v.contactEmail},
              contact_phone = ${v.contactPhone}, opening_hours = ${v.openingHours},
              withdrawal_policy_url = ${v.withdrawalPolicyUrl}, refund_policy_url = ${v.refundPolicyUrl},
              version = version + 1
            where id = ${id} returning ${COLUMNS}`,
      );
    } catch (error) {
      if (isUniqueViolation(error))
        throw new ValidationError([{ path: 'slug', message: 'That short name is already used' }]);
      throw error;
    }
    const after = view(row!);
    await audit(tx, {
      what: 'LEAD_PROVIDER_UPDATED',
      who: actor,
      subjectType: 'lead_provider',
      subjectId: id,
      details: { changes: changes(before, after) },
      at,
    });
    return { leadProvider: after, created: false };
  });
}

/** Field: [before, after] for each field that changed (version aside). */
export function changes<T extends object>(before: T, after: T): Record<string, [unknown, unknown]> {
  const out: Record<string, [unknown, unknown]> = {};
  for (const key of Object.keys(after) as (keyof T & string)[]) {
    if (key === 'version') continue;
    if (before[key] !== after[key]) out[key] = [before[key], after[key]];
  }
  return out;
}
