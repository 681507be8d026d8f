import { z } from 'zod';
import { importTransferPackage } from '../../services/transfers/import.js';
import { MAX_PACKAGE_BYTES } from '../../services/transfers/verify.js';
import { signTransferPackage } from '../../services/transfers/package.js';
import { actorOf, type ApiModule } from './plugin.js';
import { Id, IdParam, writeErrors } from './schemas.js';

const tags = ['Transfers'];

const SignedPackage = z
  .object({
    jws: z.string().describe('The compact JWS (header.payload.signature): send it as a file'),
    filename: z.string(),
    kid: z.string().describe("The signing key's id, published at /.well-known/jwks.json"),
    digest: z.string().describe('SHA-256 of the JWS, hex'),
  })
  .meta({ id: 'TransferPackage' });

const ImportResult = z
  .object({
    reference: z.string(),
    participantId: z.number(),
    enrolmentId: z.number(),
    priorLearningRecords: z.number(),
    replayed: z
      .boolean()
      .describe('True when this package had been imported before: nothing added'),
  })
  .meta({ id: 'TransferImport' });

/**
 * Transfers between lead providers (policy 2.6.4), machine to machine: the signed data-sharing
 * package of a transfer, and the import of a package another lead provider signed.
 */
export const transfersApi: ApiModule = (app, deps) => {
  app.post(
    '/transfers/:id/package',
    {
      schema: {
        tags,
        summary:
          'Sign the data-sharing package of a transfer (consent given and lead provider chosen)',
        params: IdParam,
        response: { 200: SignedPackage, ...writeErrors },
      },
    },
    async (request) => {
      const { jws, filename, kid, digest } = await signTransferPackage(
        deps,
        actorOf(request),
        request.params.id,
      );
      return { jws, filename, kid, digest };
    },
  );

  app.post(
    '/transfers/import',
    {
      schema: {
        tags,
        summary:
          'Import a signed package from another lead provider: 201 created, 200 when already imported, 422 refused with the reason',
        body: z.object({
          package: z.string().max(MAX_PACKAGE_BYTES).describe('The compact JWS, as sent'),
          cohortId: Id,
          deliveryPartnerId: Id,
        }),
        response: { 200: ImportResult, 201: ImportResult, ...writeErrors },
      },
    },
    async (request, reply) => {
      const result = await importTransferPackage(deps, actorOf(request), request.body.package, {
        cohortId: request.body.cohortId,
        deliveryPartnerId: request.body.deliveryPartnerId,
      });
      return reply.code(result.replayed ? 200 : 201).send(result);
    },
  );
};
