import { sql } from 'drizzle-orm';
import { queryRows } from '../../db/client.js';
import type { Actor } from '../actor.js';
import type { ServiceDeps, Tx } from '../assessment.js';
import { audit } from '../audit.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import {
  isUniqueViolation,
  leadProviderIdOf,
  requireLeadProviderId,
  requireOrganiserRead,
  requireOrganiserWrite,
} from './access.js';
import { changes } from './lead-provider.js';
import { Fields } from './validation.js';

/**
 * Delivery partners of the lead provider, and its national arm (is_national, at most one): their
 * contact details are what their participants are told to use.
 */
export interface DeliveryPartnerView {
  id: number;
  slug: string;
  name: string;
  isNational: boolean;
  contactEmail: string | null;
  contactPhone: string | null;
  openingHours: string | null;
  version: number;
  /** Local authorities it serves. */
  areaCount: number;
}

export interface DeliveryPartnerInput {
  name?: string | undefined;
  slug?: string | undefined;
  isNational?: boolean | undefined;
  contactEmail?: string | null | undefined;
  contactPhone?: string | null | undefined;
  openingHours?: string | null | undefined;
}

interface Row {
  id: number;
  slug: string;
  name: string;
  is_national: boolean;
  contact_email: string | null;
  contact_phone: string | null;
  opening_hours: string | null;
  version: number;
  area_count: number;
}

const SELECT = sql`select dp.id, dp.slug, dp.name, dp.is_national, dp.contact_email, dp.contact_phone,
    dp.opening_hours, dp.version,
    (select count(*)::int from service_area sa where sa.delivery_partner_id = dp.id) as area_count
  from delivery_partner dp`;

const view = (r: Row): DeliveryPartnerView => ({
  id: r.id,
  slug: r.slug,
  name: r.name,
  isNational: r.is_national,
  contactEmail: r.contact_email,
  contactPhone: r.contact_phone,
  openingHours: r.opening_hours,
  version: r.version,
  areaCount: r.area_count,
});

export async function listDeliveryPartners(
  { db }: ServiceDeps,
  actor: Actor,
): Promise<DeliveryPartnerView[]> {
  requireOrganiserRead(actor);
  const lp = await leadProviderIdOf(db, actor);
  if (lp === null) return [];
  const rows = await queryRows<Row>(
    db,
    sql`${SELECT} where dp.lead_provider_id = ${lp} order by dp.is_national desc, dp.name, dp.id`,
  );
  return rows.map(view);
}

/** A partner of the actor's lead provider, or 404. */
export async function loadPartner(
  tx: Pick<Tx, 'execute'>,
  actor: Actor,
  id: number,
  lock = false,
): Promise<Row & { lead_provider_id: number }> {
  const lp = await leadProviderIdOf(tx, actor);
  const [row] = await queryRows<Row & { lead_provider_id: number }>(
    tx,
    sql`${SELECT} where dp.id = ${id} and dp.lead_provider_id = ${lp ?? -1}
        ${lock ? sql`for update of dp` : sql``}`,
  );
  if (!row) throw new NotFoundError('Delivery partner');
  return { ...row, lead_provider_id: lp! };
}

export async function getDeliveryPartner(
  { db }: ServiceDeps,
  actor: Actor,
  id: number,
): Promise<DeliveryPartnerView> {
  requireOrganiserRead(actor);
  return view(await loadPartner(db, actor, id));
}

function validate(input: DeliveryPartnerInput) {
  const f = new Fields();
  const values = {
    name: f.name('name', input.name, 'delivery partner name'),
    slug: f.slug('slug', input.slug),
    isNational: input.isNational === true,
    contactEmail: f.optionalEmail('contactEmail', input.contactEmail),
    contactPhone: f.optionalPhone('contactPhone', input.contactPhone),
    openingHours: f.optionalText('openingHours', input.openingHours, 'opening hours'),
  };
  if (f.errors.length) throw new ValidationError(f.errors);
  return values;
}

/** The national arm is one per lead provider: its participants are told to contact the lead provider. */
async function checkNational(tx: Tx, leadProviderId: number, exceptId: number | null) {
  const [other] = await queryRows<{ name: string }>(
    tx,
    sql`select name from delivery_partner where lead_provider_id = ${leadProviderId} and is_national
          and id <> ${exceptId ?? -1} limit 1`,
  );
  if (other)
    throw new ValidationError([
      {
        path: 'isNational',
        message: `${other.name} is already the national arm: there can only be one`,
      },
    ]);
}

async function slugTaken(tx: Tx, slug: string, exceptId: number | null): Promise<boolean> {
  const rows = await queryRows<{ id: number }>(
    tx,
    sql`select id from delivery_partner where slug = ${slug} and id <> ${exceptId ?? -1}`,
  );
  return rows.length > 0;
}

const SLUG_TAKEN = { path: 'slug', message: 'That short name is already used by another partner' };

export async function createDeliveryPartner(
  { db, clock }: ServiceDeps,
  actor: Actor,
  input: DeliveryPartnerInput,
): Promise<DeliveryPartnerView> {
  requireOrganiserWrite(actor);
  const at = clock.now();
  return db.transaction(async (tx) => {
    const lp = await requireLeadProviderId(tx, actor);
    const v = validate(input);
    // Serialise partner changes of this lead provider, so "only one national arm" holds.
    await tx.execute(sql`select id from lead_provider where id = ${lp} for update`);
    if (v.isNational) await checkNational(tx, lp, null);
    if (await slugTaken(tx, v.slug, null)) throw new ValidationError([SLUG_TAKEN]);
    let id: number;
    try {
      const [row] = await queryRows<{ id: number }>(
        tx,
        sql`insert into delivery_partner (lead_provider_id, slug, name, is_national, contact_email, contact_phone, opening_hours)
            values (${lp}, ${v.slug}, ${v.name}, ${v.isNational}, ${v.contactEmail}, ${v.contactPhone}, ${v.openingHours})
            returning id`,
      );
      id = row!.id;
    } catch (error) {
      if (isUniqueViolation(error)) throw new ValidationError([SLUG_TAKEN]);
      throw error;
    }
    await audit(tx, {
      what: 'DELIVERY_PARTNER_CREATED',
      who: actor,
      subjectType: 'delivery_partner',
      subjectId: id,
      details: { ...v },
      at,
    });
    return view(await loadPartner(tx, actor, id));
  });
}

export async function updateDeliveryPartner(
  { db, clock }: ServiceDeps,
  actor: Actor,
  id: number,
  input: DeliveryPartnerInput & { expectedVersion: number },
): Promise<DeliveryPartnerView> {
  requireOrganiserWrite(actor);
  const at = clock.now();
  return db.transaction(async (tx) => {
    const current = await loadPartner(tx, actor, id);
    await tx.execute(
      sql`select id from lead_provider where id = ${current.lead_provider_id} for update`,
    );
    const locked = await loadPartner(tx, actor, id, true);
    if (locked.version !== input.expectedVersion) throw new ConflictError();
    const before = view(locked);
    const v = validate({
      name: input.name ?? before.name,
      slug: input.slug ?? before.slug,
      isNational: input.isNational ?? before.isNational,
      contactEmail: input.contactEmail === undefined ? before.contactEmail : input.contactEmail,
      contactPhone: input.contactPhone === undefined ? before.contactPhone : input.contactPhone,
      openingHours: input.openingHours === undefined ? before.openingHours : input.openingHours,
    });
    if (v.isNational && !before.isNational) await checkNational(tx, locked.lead_provider_id, id);
    if (v.slug !== before.slug && (await slugTaken(tx, v.slug, id)))
      throw new ValidationError([SLUG_TAKEN]);
    try {
      await tx.execute(
        sql`update delivery_partner set name = ${v.name}, slug = ${v.slug}, is_national = ${v.isNational},
              contact_email = ${v.contactEmail}, contact_phone = ${v.contactPhone},
              opening_hours = ${v.openingHours}, version = version + 1
            where id = ${id}`,
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw new ValidationError([SLUG_TAKEN]);
      throw error;
    }
    const after = view(await loadPartner(tx, actor, id));
    await audit(tx, {
      what: 'DELIVERY_PARTNER_UPDATED',
      who: actor,
      subjectType: 'delivery_partner',
      subjectId: id,
      details: { changes: changes(before, after) },
      at,
    });
    return after;
  });
}
