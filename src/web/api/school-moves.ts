import { z } from 'zod';
import {
  chooseReceivingProvider,
  confirmTransfer,
  exportTransfer,
  getTransfer,
  listSchoolMoves,
  recordConsent,
  recordSchoolMove,
} from '../../services/school-moves.js';
import { actorOf, type ApiModule } from './plugin.js';
import {
  Id,
  IdParam,
  IdString,
  IsoDate,
  PolicyDecision,
  readErrors,
  Version,
  writeErrors,
} from './schemas.js';

const SchoolRef = z.object({ urn: z.string(), name: z.string() });

const Transfer = z
  .object({
    id: z.number(),
    schoolMoveId: z.number(),
    enrolmentId: z.number(),
    status: z.enum(['opened', 'provider_chosen', 'exported', 'transferred_out', 'cancelled']),
    receivingLeadProvider: z.string().nullable(),
    dataSharingConsent: z.boolean().nullable(),
    consentRecordedAt: z.string().nullable(),
    exported: z.boolean(),
    confirmedAt: z.string().nullable(),
    version: z.number(),
  })
  .meta({ id: 'TransferCase' });

const SchoolMove = z
  .object({
    id: z.number(),
    participantId: z.number(),
    enrolmentId: z.number(),
    fromSchool: SchoolRef.nullable(),
    toSchool: SchoolRef,
    movedOn: z.string(),
    insideNetwork: z.boolean(),
    decision: PolicyDecision.nullable(),
    transfer: Transfer.nullable(),
  })
  .meta({ id: 'SchoolMove' });

const ExportPackage = z
  .object({
    generatedAt: z.string(),
    purpose: z.string(),
    from: z.string(),
    to: z.string().nullable(),
    participant: z.record(z.string(), z.unknown()),
    enrolment: z.record(z.string(), z.unknown()),
    engagement: z.record(z.string(), z.unknown()),
    decisions: z.array(
      z.object({ kind: z.string(), ref: z.number(), status: z.string(), decision: z.unknown() }),
    ),
  })
  .meta({ id: 'TransferExportPackage' });

/** School moves and transfers (policy 2.6). */
export const schoolMovesApi: ApiModule = (app, deps) => {
  app.post(
    '/school-moves',
    {
      schema: {
        tags: ['School moves'],
        summary:
          'Tell us about a move of school (2.6.3): inside the network the enrolment continues; outside it a transfer opens (2.6.4)',
        body: z.object({
          enrolmentId: Id,
          newSchoolUrn: z.string().regex(/^[0-9]{6,7}$/, 'A URN is 6 or 7 digits'),
          movedOn: IsoDate,
        }),
        response: { 201: SchoolMove, ...writeErrors },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await recordSchoolMove(deps, actorOf(request), request.body)),
  );

  app.get(
    '/school-moves',
    {
      schema: {
        tags: ['School moves'],
        summary: "A participant's school moves, with any transfer",
        querystring: z.object({ participantId: IdString }),
        response: { 200: z.array(SchoolMove), ...readErrors },
      },
    },
    async (request) => listSchoolMoves(deps, actorOf(request), request.query.participantId),
  );

  app.get(
    '/transfers/:id',
    {
      schema: {
        tags: ['School moves'],
        summary: 'A transfer to another lead provider (2.6.4)',
        params: IdParam,
        response: { 200: Transfer.extend({ schoolMove: SchoolMove }), ...readErrors },
      },
    },
    async (request) => getTransfer(deps, actorOf(request), request.params.id),
  );

  app.post(
    '/transfers/:id/receiving-provider',
    {
      schema: {
        tags: ['School moves'],
        summary: "The lead provider of the participant's choice",
        params: IdParam,
        body: Version.extend({ name: z.string().trim().min(1).max(200) }),
        response: { 200: Transfer, ...writeErrors },
      },
    },
    async (request) =>
      chooseReceivingProvider(deps, actorOf(request), request.params.id, request.body),
  );

  app.post(
    '/transfers/:id/consent',
    {
      schema: {
        tags: ['School moves'],
        summary: 'Record the participant’s consent to share their record with the new provider',
        params: IdParam,
        body: Version.extend({ consent: z.boolean() }),
        response: { 200: Transfer, ...writeErrors },
      },
    },
    async (request) => recordConsent(deps, actorOf(request), request.params.id, request.body),
  );

  app.post(
    '/transfers/:id/export',
    {
      schema: {
        tags: ['School moves'],
        summary: 'Produce the data package for the receiving lead provider (with consent only)',
        params: IdParam,
        body: Version,
        response: { 200: z.object({ transfer: Transfer, package: ExportPackage }), ...writeErrors },
      },
    },
    async (request) => exportTransfer(deps, actorOf(request), request.params.id, request.body),
  );

  app.post(
    '/transfers/:id/confirm',
    {
      schema: {
        tags: ['School moves'],
        summary: 'Confirm the transfer: the enrolment is transferred out',
        params: IdParam,
        body: Version,
        response: { 200: Transfer.extend({ enrolmentStatus: z.string() }), ...writeErrors },
      },
    },
    async (request) => confirmTransfer(deps, actorOf(request), request.params.id, request.body),
  );
};
