import { z } from 'zod';
import {
  addArea,
  listAreas,
  listLocalAuthorities,
  removeArea,
  type AreaOwner,
} from '../../services/organisations/areas.js';
import {
  createDeliveryPartner,
  getDeliveryPartner,
  listDeliveryPartners,
  updateDeliveryPartner,
} from '../../services/organisations/delivery-partners.js';
import { getLeadProvider, saveLeadProvider } from '../../services/organisations/lead-provider.js';
import { actorOf, type ApiApp, type ApiDeps, type ApiModule } from './plugin.js';
import { ErrorBody, Id, IdParam, IdString, IsoDate, readErrors, writeErrors } from './schemas.js';

const tags = ['Organisation'];
const optionalText = (max: number, what: string) =>
  z.string().max(max).nullable().optional().describe(`${what}; null or "" clears it`);

const LeadProvider = z
  .object({
    id: z.number(),
    slug: z.string(),
    name: z.string(),
    contractEndDate: z.string().nullable().describe('Limits deferral (policy 2.3.10)'),
    contactEmail: z.string().nullable(),
    contactPhone: z.string().nullable(),
    openingHours: z.string().nullable(),
    withdrawalPolicyUrl: z
      .string()
      .nullable()
      .describe('The published NPQ Withdrawal policy (policy 2.3.8); null: not published yet'),
    refundPolicyUrl: z
      .string()
      .nullable()
      .describe('The published NPQ Refund Policy (policy 2.4.2); null: not published yet'),
    version: z.number(),
  })
  .meta({ id: 'LeadProvider' });

const DeliveryPartner = z
  .object({
    id: z.number(),
    slug: z.string(),
    name: z.string(),
    isNational: z.boolean(),
    contactEmail: z.string().nullable(),
    contactPhone: z.string().nullable(),
    openingHours: z.string().nullable(),
    version: z.number(),
    areaCount: z.number(),
  })
  .meta({ id: 'DeliveryPartner' });

const LocalAuthority = z
  .object({ id: z.number(), code: z.string(), name: z.string(), region: z.string().nullable() })
  .meta({ id: 'LocalAuthority' });

const Area = LocalAuthority.extend({
  deliveryPartnerId: z.number().nullable().describe('null: served by the lead provider itself'),
}).meta({ id: 'ServiceArea' });

const Contacts = {
  contactEmail: optionalText(254, 'Shown to participants'),
  contactPhone: optionalText(40, 'Shown to participants'),
  openingHours: optionalText(500, 'Shown to participants, e.g. "Monday to Friday, 9am to 5pm"'),
};

const AddArea = z
  .object({
    localAuthorityId: Id.optional().describe(
      'A local authority already known (GET /local-authorities)',
    ),
    code: z
      .string()
      .max(10)
      .optional()
      .describe('Or a local authority not yet known: its 3-digit code…'),
    name: z.string().max(200).optional().describe('…and its name'),
  })
  .meta({ id: 'AddServiceArea' });

const AddedArea = z.object({ area: Area, added: z.boolean() });
const LaParam = z.object({ id: IdString, localAuthorityId: IdString });
const OwnLaParam = z.object({ localAuthorityId: IdString });

/** GET/POST/DELETE areas for one owner: a delivery partner (path id) or the lead provider itself. */
function areaRoutes(
  app: ApiApp,
  deps: ApiDeps,
  base: '/lead-provider/areas' | '/delivery-partners/:id/areas',
) {
  const partner = base.startsWith('/delivery-partners');
  const ownerOf = (params: unknown): AreaOwner => ({
    deliveryPartnerId: partner ? (params as { id: number }).id : null,
  });
  const who = partner ? 'a delivery partner' : 'the lead provider itself';
  app.get(
    base,
    {
      schema: {
        tags,
        summary: `The local authorities served by ${who} (our network, policy 2.6.4)`,
        ...(partner ? { params: IdParam } : {}),
        response: { 200: z.array(Area), ...readErrors, 400: ErrorBody },
      },
    },
    async (request) => listAreas(deps, actorOf(request), ownerOf(request.params)),
  );
  app.post(
    base,
    {
      schema: {
        tags,
        summary: `Add a local authority served by ${who}; adding one already served changes nothing`,
        ...(partner ? { params: IdParam } : {}),
        body: AddArea,
        response: { 200: AddedArea, 201: AddedArea, ...writeErrors },
      },
    },
    async (request, reply) => {
      const result = await addArea(deps, actorOf(request), ownerOf(request.params), request.body);
      return reply.code(result.added ? 201 : 200).send(result);
    },
  );
  app.delete(
    `${base}/:localAuthorityId`,
    {
      schema: {
        tags,
        summary: `Stop ${who} serving a local authority`,
        params: partner ? LaParam : OwnLaParam,
        response: { 204: z.null(), ...writeErrors },
      },
    },
    async (request, reply) => {
      const params = request.params as { id?: number; localAuthorityId: number };
      await removeArea(deps, actorOf(request), ownerOf(params), params.localAuthorityId);
      return reply.code(204).send(null);
    },
  );
}

export const organisationsApi: ApiModule = (app, deps) => {
  app.get(
    '/lead-provider',
    {
      schema: {
        tags,
        summary: 'The lead provider: name, contract end date and contact details (staff)',
        response: { 200: LeadProvider, ...readErrors },
      },
    },
    async (request) => getLeadProvider(deps, actorOf(request)),
  );

  app.put(
    '/lead-provider',
    {
      schema: {
        tags,
        summary:
          'Set up the lead provider on an empty database (admin; 201), or change it (admin, programme team; expectedVersion)',
        body: z.object({
          name: z.string().max(200),
          slug: z
            .string()
            .max(60)
            .optional()
            .describe('Lowercase letters, digits and hyphens; needed to create'),
          contractEndDate: IsoDate.nullable()
            .optional()
            .describe('Limits deferral (policy 2.3.10)'),
          ...Contacts,
          withdrawalPolicyUrl: z
            .string()
            .max(500)
            .nullable()
            .optional()
            .describe(
              'https address of the NPQ Withdrawal policy (2.3.8); null, "" or absent clears it',
            ),
          refundPolicyUrl: z
            .string()
            .max(500)
            .nullable()
            .optional()
            .describe(
              'https address of the NPQ Refund Policy (2.4.2); null, "" or absent clears it',
            ),
          expectedVersion: Id.optional().describe(
            'The version you read; needed to change (409 if stale)',
          ),
        }),
        response: { 200: LeadProvider, 201: LeadProvider, ...writeErrors },
      },
    },
    async (request, reply) => {
      const { leadProvider, created } = await saveLeadProvider(
        deps,
        actorOf(request),
        request.body,
      );
      return reply.code(created ? 201 : 200).send(leadProvider);
    },
  );

  areaRoutes(app, deps, '/lead-provider/areas');

  app.get(
    '/delivery-partners',
    {
      schema: {
        tags,
        summary: 'Delivery partners, the national arm first (admin, programme team)',
        response: { 200: z.array(DeliveryPartner), ...readErrors },
      },
    },
    async (request) => listDeliveryPartners(deps, actorOf(request)),
  );

  app.post(
    '/delivery-partners',
    {
      schema: {
        tags,
        summary: 'Add a delivery partner, or the national arm (isNational, at most one)',
        body: z
          .object({
            name: z.string().max(200),
            slug: z.string().max(60).describe('Lowercase letters, digits and hyphens; unique'),
            isNational: z.boolean().optional(),
            ...Contacts,
          })
          .meta({ id: 'NewDeliveryPartner' }),
        response: { 201: DeliveryPartner, ...writeErrors },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await createDeliveryPartner(deps, actorOf(request), request.body)),
  );

  app.get(
    '/delivery-partners/:id',
    {
      schema: {
        tags,
        summary: 'One delivery partner',
        params: IdParam,
        response: { 200: DeliveryPartner, ...readErrors, 400: ErrorBody },
      },
    },
    async (request) => getDeliveryPartner(deps, actorOf(request), request.params.id),
  );

  app.patch(
    '/delivery-partners/:id',
    {
      schema: {
        tags,
        summary: 'Change a delivery partner (only the fields sent)',
        params: IdParam,
        body: z.object({
          name: z.string().max(200).optional(),
          slug: z.string().max(60).optional(),
          isNational: z.boolean().optional(),
          ...Contacts,
          expectedVersion: Id.describe('The version you read (409 if stale)'),
        }),
        response: { 200: DeliveryPartner, ...writeErrors },
      },
    },
    async (request) =>
      updateDeliveryPartner(deps, actorOf(request), request.params.id, request.body),
  );

  areaRoutes(app, deps, '/delivery-partners/:id/areas');

  app.get(
    '/local-authorities',
    {
      schema: {
        tags,
        summary:
          'Local authorities known (from the GIAS import or added by hand), with their school counts',
        response: { 200: z.array(LocalAuthority.extend({ schools: z.number() })), ...readErrors },
      },
    },
    async (request) => listLocalAuthorities(deps, actorOf(request)),
  );
};
