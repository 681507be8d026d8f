import { sql } from 'drizzle-orm';
import { queryRows } from '../../db/client.js';
import type { Actor } from '../actor.js';
import type { ServiceDeps, Tx } from '../assessment.js';
import { audit } from '../audit.js';
import { NotFoundError, ValidationError } from '../errors.js';
import {
  requireLeadProviderId,
  requireOrganiserRead,
  requireOrganiserWrite,
  requireStaffRead,
} from './access.js';
import { loadPartner } from './delivery-partners.js';
import { Fields } from './validation.js';

/**
 * The local authorities each delivery partner, and the lead provider itself, serve. Together they
 * are "our network" (2.6.4): a school in any of them is inside it.
 */
export interface LocalAuthorityView {
  id: number;
  code: string;
  name: string;
  region: string | null;
}

export interface AreaView extends LocalAuthorityView {
  /** Null: served by the lead provider itself. */
  deliveryPartnerId: number | null;
}

/** Whose areas: a delivery partner's, or (null) the lead provider's own. */
export type AreaOwner = { deliveryPartnerId: number | null };

export const LA_CODE = /^[0-9]{3}$/;

export async function listLocalAuthorities(
  { db }: ServiceDeps,
  actor: Actor,
): Promise<(LocalAuthorityView & { schools: number })[]> {
  requireStaffRead(actor);
  return queryRows(
    db,
    sql`select la.id, la.code, la.name, r.name as region,
               (select count(*)::int from school s where s.local_authority_id = la.id) as schools
        from local_authority la left join region r on r.id = la.region_id
        order by la.name, la.code`,
  );
}

async function ownerScope(tx: Pick<Tx, 'execute'>, actor: Actor, owner: AreaOwner) {
  if (owner.deliveryPartnerId === null) {
    return { leadProviderId: await requireLeadProviderId(tx, actor), deliveryPartnerId: null };
  }
  const partner = await loadPartner(tx, actor, owner.deliveryPartnerId);
  return { leadProviderId: partner.lead_provider_id, deliveryPartnerId: partner.id };
}

const ownerCondition = (deliveryPartnerId: number | null) =>
  deliveryPartnerId === null
    ? sql`sa.delivery_partner_id is null`
    : sql`sa.delivery_partner_id = ${deliveryPartnerId}`;

export async function listAreas(
  { db }: ServiceDeps,
  actor: Actor,
  owner: AreaOwner,
): Promise<AreaView[]> {
  requireOrganiserRead(actor);
  const scope = await ownerScope(db, actor, owner);
  return queryRows<AreaView>(
    db,
    sql`select la.id, la.code, la.name, r.name as region, sa.delivery_partner_id as "deliveryPartnerId"
        from service_area sa join local_authority la on la.id = sa.local_authority_id
        left join region r on r.id = la.region_id
        where sa.lead_provider_id = ${scope.leadProviderId} and ${ownerCondition(scope.deliveryPartnerId)}
        order by la.name`,
  );
}

export interface AddAreaInput {
  /** A local authority already known (from the GIAS import or added before)… */
  localAuthorityId?: number | undefined;
  /** …or one not yet known, by its code and name. */
  code?: string | undefined;
  name?: string | undefined;
}

/** Adds an area; adding one already served changes nothing (and says so). */
export async function addArea(
  { db, clock }: ServiceDeps,
  actor: Actor,
  owner: AreaOwner,
  input: AddAreaInput,
): Promise<{ area: AreaView; added: boolean }> {
  requireOrganiserWrite(actor);
  const at = clock.now();
  return db.transaction(async (tx) => {
    const scope = await ownerScope(tx, actor, owner);
    const la = await resolveLocalAuthority(tx, input);
    const inserted = await queryRows<{ id: number }>(
      tx,
      sql`insert into service_area (lead_provider_id, delivery_partner_id, local_authority_id)
          values (${scope.leadProviderId}, ${scope.deliveryPartnerId}, ${la.id})
          on conflict do nothing returning id`,
    );
    const added = inserted.length > 0;
    if (added) {
      await audit(tx, {
        what: 'SERVICE_AREA_ADDED',
        who: actor,
        ...subjectOf(scope),
        details: { localAuthorityCode: la.code, localAuthorityName: la.name },
        at,
      });
    }
    return { area: { ...la, deliveryPartnerId: scope.deliveryPartnerId }, added };
  });
}

export async function removeArea(
  { db, clock }: ServiceDeps,
  actor: Actor,
  owner: AreaOwner,
  localAuthorityId: number,
): Promise<void> {
  requireOrganiserWrite(actor);
  const at = clock.now();
  await db.transaction(async (tx) => {
    const scope = await ownerScope(tx, actor, owner);
    const removed = await queryRows<{ code: string; name: string }>(
      tx,
      sql`delete from service_area sa using local_authority la
          where la.id = sa.local_authority_id and sa.lead_provider_id = ${scope.leadProviderId}
            and ${ownerCondition(scope.deliveryPartnerId)} and sa.local_authority_id = ${localAuthorityId}
          returning la.code, la.name`,
    );
    if (removed.length === 0) throw new NotFoundError('Service area');
    await audit(tx, {
      what: 'SERVICE_AREA_REMOVED',
      who: actor,
      ...subjectOf(scope),
      details: { localAuthorityCode: removed[0]!.code, localAuthorityName: removed[0]!.name },
      at,
    });
  });
}

function subjectOf(scope: { leadProviderId: number; deliveryPartnerId: number | null }) {
  return scope.deliveryPartnerId === null
    ? { subjectType: 'lead_provider', subjectId: scope.leadProviderId }
    : { subjectType: 'delivery_partner', subjectId: scope.deliveryPartnerId };
}

async function resolveLocalAuthority(tx: Tx, input: AddAreaInput): Promise<LocalAuthorityView> {
  if (input.localAuthorityId !== undefined) {
    const [la] = await queryRows<LocalAuthorityView>(
      tx,
      sql`select la.id, la.code, la.name, r.name as region from local_authority la
          left join region r on r.id = la.region_id where la.id = ${input.localAuthorityId}`,
    );
    if (!la)
      throw new ValidationError([
        { path: 'localAuthorityId', message: 'Choose a local authority from the list' },
      ]);
    return la;
  }
  const f = new Fields();
  const code = (input.code ?? '').trim();
  if (!LA_CODE.test(code))
    f.error('code', 'Enter the local authority code: 3 digits, like 201 for the City of London');
  const name = f.name('name', input.name, 'local authority name');
  if (f.errors.length) throw new ValidationError(f.errors);
  // A code already known keeps its name (GIAS is the source of truth once imported).
  await tx.execute(
    sql`insert into local_authority (code, name) values (${code}, ${name}) on conflict (code) do nothing`,
  );
  const [la] = await queryRows<LocalAuthorityView>(
    tx,
    sql`select la.id, la.code, la.name, r.name as region from local_authority la
        left join region r on r.id = la.region_id where la.code = ${code}`,
  );
  return la!;
}
