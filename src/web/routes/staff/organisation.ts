import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ApiDeps } from '../../api/plugin.js';
import type { Actor } from '../../../services/actor.js';
import {
  addArea,
  listAreas,
  listLocalAuthorities,
  removeArea,
  type AreaOwner,
} from '../../../services/organisations/areas.js';
import {
  createDeliveryPartner,
  getDeliveryPartner,
  listDeliveryPartners,
  updateDeliveryPartner,
  type DeliveryPartnerView,
} from '../../../services/organisations/delivery-partners.js';
import { requireOrganiserRead } from '../../../services/organisations/access.js';
import {
  findLeadProvider,
  saveLeadProvider,
} from '../../../services/organisations/lead-provider.js';
import { idParam, notFound, page, requireStaffPage, submit, type FormFailure } from './support.js';

type Body = Record<string, unknown>;
const field = (body: Body, key: string): string => {
  const v = body[key];
  return typeof v === 'string' ? v : '';
};
const version = (body: Body) => Number(field(body, 'expectedVersion')) || 0;

/** Confirmation messages after a redirect, by key. */
const NOTICES: Record<string, string> = {
  'lead-provider-saved': 'Lead provider details saved',
  'partner-created': 'Delivery partner added',
  'partner-saved': 'Delivery partner details saved',
  'area-added': 'Area added',
  'area-already': 'That area was already served: nothing changed',
  'area-removed': 'Area removed',
};
const noticeOf = (query: unknown) => {
  const key = (query as { notice?: unknown } | undefined)?.notice;
  return typeof key === 'string' ? NOTICES[key] : undefined;
};

/**
 * Organisation set-up for admins and the programme team: the lead provider (with its own areas),
 * its delivery partners and the local authorities each serves.
 */
export function organisationRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const organiser = (request: Parameters<typeof requireStaffPage>[0], reply: FastifyReply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return null;
    try {
      requireOrganiserRead(actor);
    } catch {
      void notFound(reply);
      return null;
    }
    return actor;
  };

  const areaContext = async (actor: Actor, owner: AreaOwner) => {
    const [areas, localAuthorities] = await Promise.all([
      listAreas(deps, actor, owner),
      listLocalAuthorities(deps, actor),
    ]);
    const served = new Set(areas.map((a) => a.id));
    return { areas, localAuthorities: localAuthorities.filter((l) => !served.has(l.id)) };
  };

  // --- The lead provider ---------------------------------------------------------------------

  const renderOrganisation = async (
    reply: FastifyReply,
    actor: Actor,
    extra: { failure?: FormFailure; values?: Body; notice?: string | undefined } = {},
    status = 200,
  ) => {
    const leadProvider = await findLeadProvider(deps, actor);
    const areas = leadProvider ? await areaContext(actor, { deliveryPartnerId: null }) : null;
    return reply.code(status).view('staff/organisation.njk', {
      leadProvider,
      values: extra.values ?? leadProvider ?? {},
      errors: extra.failure?.errors,
      notice: extra.notice,
      canCreate: actor.role === 'admin',
      areaOwner: { action: '/admin/organisation/areas', name: leadProvider?.name },
      ...areas,
    });
  };

  app.get('/admin/organisation', async (request, reply) => {
    const actor = organiser(request, reply);
    if (!actor) return reply;
    return page(reply, () => renderOrganisation(reply, actor, { notice: noticeOf(request.query) }));
  });

  app.post('/admin/organisation', async (request, reply) => {
    const actor = organiser(request, reply);
    if (!actor) return reply;
    const body = (request.body ?? {}) as Body;
    return submit(
      reply,
      async () => {
        await saveLeadProvider(deps, actor, {
          name: field(body, 'name'),
          ...(field(body, 'slug') ? { slug: field(body, 'slug') } : {}),
          contractEndDate: field(body, 'contractEndDate'),
          contactEmail: field(body, 'contactEmail'),
          contactPhone: field(body, 'contactPhone'),
          openingHours: field(body, 'openingHours'),
          withdrawalPolicyUrl: field(body, 'withdrawalPolicyUrl'),
          refundPolicyUrl: field(body, 'refundPolicyUrl'),
          ...(field(body, 'expectedVersion') ? { expectedVersion: version(body) } : {}),
        });
        return '/admin/organisation?notice=lead-provider-saved';
      },
      (failure, status) => renderOrganisation(reply, actor, { failure, values: body }, status),
    );
  });

  // --- Areas (the lead provider's own, and each partner's) -------------------------------------

  const areaRoutes = (base: string, ownerOf: (params: unknown) => AreaOwner | null) => {
    app.post(`${base}/areas`, async (request, reply) => {
      const actor = organiser(request, reply);
      if (!actor) return reply;
      const owner = ownerOf(request.params);
      if (!owner) return notFound(reply);
      const body = (request.body ?? {}) as Body;
      const back = base.replace(':id', String(owner.deliveryPartnerId ?? ''));
      return submit(
        reply,
        async () => {
          const chosen = idParam(field(body, 'localAuthorityId'));
          const { added } = await addArea(
            deps,
            actor,
            owner,
            chosen !== undefined
              ? { localAuthorityId: chosen }
              : { code: field(body, 'code'), name: field(body, 'laName') },
          );
          return `${back}?notice=${added ? 'area-added' : 'area-already'}#areas`;
        },
        (failure, status) => {
          // The form's name field is laName; the service calls it name.
          const errors = failure.errors;
          const byField = {
            ...errors.byField,
            ...(errors.byField.name ? { laName: errors.byField.name } : {}),
          };
          const list = errors.list.map((e) => (e.href === '#name' ? { ...e, href: '#laName' } : e));
          const fixed = { ...failure, errors: { list, byField } };
          return owner.deliveryPartnerId === null
            ? renderOrganisation(reply, actor, { failure: fixed }, status)
            : renderPartner(
                reply,
                actor,
                owner.deliveryPartnerId,
                { failure: fixed, areaValues: body },
                status,
              );
        },
      );
    });

    app.post(`${base}/areas/:localAuthorityId/remove`, async (request, reply) => {
      const actor = organiser(request, reply);
      if (!actor) return reply;
      const owner = ownerOf(request.params);
      const la = idParam((request.params as { localAuthorityId?: string }).localAuthorityId);
      if (!owner || la === undefined) return notFound(reply);
      const back = base.replace(':id', String(owner.deliveryPartnerId ?? ''));
      return submit(
        reply,
        async () => {
          await removeArea(deps, actor, owner, la);
          return `${back}?notice=area-removed#areas`;
        },
        () => notFound(reply),
      );
    });
  };

  areaRoutes('/admin/organisation', () => ({ deliveryPartnerId: null }));
  areaRoutes('/admin/delivery-partners/:id', (params) => {
    const id = idParam((params as { id?: string }).id);
    return id === undefined ? null : { deliveryPartnerId: id };
  });

  // --- Delivery partners -----------------------------------------------------------------------

  app.get('/admin/delivery-partners', async (request, reply) => {
    const actor = organiser(request, reply);
    if (!actor) return reply;
    return page(reply, async () =>
      reply.view('staff/delivery-partners.njk', {
        partners: await listDeliveryPartners(deps, actor),
        leadProvider: await findLeadProvider(deps, actor),
        notice: noticeOf(request.query),
      }),
    );
  });

  const renderNew = (reply: FastifyReply, values: Body, failure?: FormFailure, status = 200) =>
    reply.code(status).view('staff/delivery-partner.njk', {
      partner: null,
      values,
      errors: failure?.errors,
    });

  app.get('/admin/delivery-partners/new', async (request, reply) => {
    const actor = organiser(request, reply);
    if (!actor) return reply;
    return renderNew(reply, {});
  });

  const partnerInput = (body: Body) => ({
    name: field(body, 'name'),
    slug: field(body, 'slug'),
    isNational: field(body, 'isNational') === 'yes',
    contactEmail: field(body, 'contactEmail'),
    contactPhone: field(body, 'contactPhone'),
    openingHours: field(body, 'openingHours'),
  });

  app.post('/admin/delivery-partners', async (request, reply) => {
    const actor = organiser(request, reply);
    if (!actor) return reply;
    const body = (request.body ?? {}) as Body;
    return submit(
      reply,
      async () => {
        const created = await createDeliveryPartner(deps, actor, partnerInput(body));
        return `/admin/delivery-partners/${created.id}?notice=partner-created`;
      },
      (failure, status) => renderNew(reply, body, failure, status),
    );
  });

  const renderPartner = async (
    reply: FastifyReply,
    actor: Actor,
    id: number,
    extra: {
      failure?: FormFailure;
      values?: Body;
      areaValues?: Body;
      notice?: string | undefined;
    } = {},
    status = 200,
  ) => {
    const partner: DeliveryPartnerView = await getDeliveryPartner(deps, actor, id);
    return reply.code(status).view('staff/delivery-partner.njk', {
      partner,
      values: extra.values ?? { ...partner, isNational: partner.isNational ? 'yes' : '' },
      areaValues: extra.areaValues ?? {},
      errors: extra.failure?.errors,
      conflict: extra.failure?.conflict,
      notice: extra.notice,
      areaOwner: { action: `/admin/delivery-partners/${id}/areas`, name: partner.name },
      ...(await areaContext(actor, { deliveryPartnerId: id })),
    });
  };

  app.get('/admin/delivery-partners/:id', async (request, reply) => {
    const actor = organiser(request, reply);
    if (!actor) return reply;
    const id = idParam((request.params as { id?: string }).id);
    if (id === undefined) return notFound(reply);
    return page(reply, () => renderPartner(reply, actor, id, { notice: noticeOf(request.query) }));
  });

  app.post('/admin/delivery-partners/:id', async (request, reply) => {
    const actor = organiser(request, reply);
    if (!actor) return reply;
    const id = idParam((request.params as { id?: string }).id);
    if (id === undefined) return notFound(reply);
    const body = (request.body ?? {}) as Body;
    return submit(
      reply,
      async () => {
        await updateDeliveryPartner(deps, actor, id, {
          ...partnerInput(body),
          expectedVersion: version(body),
        });
        return `/admin/delivery-partners/${id}?notice=partner-saved`;
      },
      (failure, status) => renderPartner(reply, actor, id, { failure, values: body }, status),
    );
  });
}
