import type { FastifyInstance, FastifyReply } from 'fastify';
import multipart, { type MultipartFile } from '@fastify/multipart';
import { z } from 'zod';
import type { ApiDeps } from '../../api/plugin.js';
import type { Actor } from '../../../services/actor.js';
import { ServiceError, ValidationError } from '../../../services/errors.js';
import { isFormToken, newFormToken, submitOnce } from '../../../services/form-submissions.js';
import {
  getTransferImport,
  importOptions,
  importTransferPackage,
  previewTransferImport,
  requireTransferImporter,
} from '../../../services/transfers/import.js';
import {
  createSigningKey,
  listSigningKeys,
  listTrustedKeys,
  publishedKeySet,
  requireKeyManager,
  revokeTrustedKey,
  trustSenderKeys,
} from '../../../services/transfers/keys.js';
import { signTransferPackage } from '../../../services/transfers/package.js';
import { MAX_PACKAGE_BYTES } from '../../../services/transfers/verify.js';
import { TRANSFER_CONSENT_TEXT } from '../../../domain/transfer-package.js';
import { formErrors, type FormErrors } from '../../forms.js';
import { idParam, notFound, page, requireStaffPage, withNotice, noticeText } from './support.js';

declare module 'fastify' {
  interface FastifyRequest {
    transferUpload?: MultipartFile | undefined;
  }
}

const KEY_ROLES: readonly Actor['role'][] = ['admin', 'programme_team'];
const IdField = z.coerce.number().int().positive().max(2_147_483_647);

/**
 * Transfers between lead providers (policy 2.6.4) on the web: the published key set, the keys page
 * (our signing keys, the senders we trust), the signed package's download from a transfer case,
 * and the import of another lead provider's package (upload → check answers → confirmation).
 */
export async function transferRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  // Public: anyone may fetch our public keys to verify what we sign.
  app.get('/.well-known/jwks.json', async (_request, reply) =>
    reply
      .type('application/jwk-set+json')
      .header('cache-control', 'public, max-age=300')
      .send(await publishedKeySet(deps.db)),
  );

  /* Keys ---------------------------------------------------------------------------------- */

  const keysPage = async (
    reply: FastifyReply,
    query: unknown,
    failure?: { errors: FormErrors; values: Record<string, unknown> },
    status = 200,
  ) => {
    const [signing, trusted] = await Promise.all([
      listSigningKeys(deps.db),
      listTrustedKeys(deps.db),
    ]);
    return reply.code(status).view('admin/transfer-keys.njk', {
      signing,
      trusted,
      jwksUrl: `${deps.publicUrl ?? ''}/.well-known/jwks.json`,
      errors: failure?.errors,
      values: failure?.values ?? {},
      notice: noticeText(query),
    });
  };

  const keyManager = (request: Parameters<typeof requireStaffPage>[0], reply: FastifyReply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return null;
    if (!KEY_ROLES.includes(actor.role)) {
      void notFound(reply);
      return null;
    }
    return actor;
  };

  app.get('/admin/transfer-keys', async (request, reply) => {
    if (!keyManager(request, reply)) return reply;
    return keysPage(reply, request.query);
  });

  app.post('/admin/transfer-keys/signing', async (request, reply) => {
    const actor = keyManager(request, reply);
    if (!actor) return reply;
    requireKeyManager(actor);
    await createSigningKey(deps.db, actor, { at: deps.clock.now() });
    return reply.redirect(withNotice('/admin/transfer-keys', 'key-created'), 303);
  });

  app.post('/admin/transfer-keys/trusted', async (request, reply) => {
    const actor = keyManager(request, reply);
    if (!actor) return reply;
    const body = (request.body ?? {}) as Record<string, unknown>;
    try {
      await trustSenderKeys(deps.db, actor, {
        senderName: String(body['senderName'] ?? ''),
        keysText: String(body['jwk'] ?? ''),
        at: deps.clock.now(),
      });
    } catch (error) {
      if (error instanceof ValidationError)
        return keysPage(reply, {}, { errors: fieldErrors(error), values: body }, 422);
      if (error instanceof ServiceError && error.status === 409)
        return keysPage(
          reply,
          {},
          { errors: formErrors([{ path: ['jwk'], message: error.message }]), values: body },
          409,
        );
      throw error;
    }
    return reply.redirect(withNotice('/admin/transfer-keys', 'sender-trusted'), 303);
  });

  app.post<{ Params: { id: string } }>(
    '/admin/transfer-keys/trusted/:id/revoke',
    async (request, reply) => {
      const actor = keyManager(request, reply);
      if (!actor) return reply;
      const id = idParam(request.params.id);
      if (id === undefined) return notFound(reply);
      return page(reply, async () => {
        await revokeTrustedKey(deps.db, actor, id, deps.clock.now());
        return reply.redirect(withNotice('/admin/transfer-keys', 'sender-revoked'), 303);
      });
    },
  );

  /* The package's download ------------------------------------------------------------------ */

  app.post<{ Params: { id: string; transferId: string } }>(
    '/cases/school-moves/:id/transfers/:transferId/package',
    async (request, reply) => {
      const actor = requireStaffPage(request, reply);
      if (!actor) return reply;
      const transferId = idParam(request.params.transferId);
      const moveId = idParam(request.params.id);
      if (transferId === undefined || moveId === undefined) return notFound(reply);
      return page(reply, async () => {
        try {
          const signed = await signTransferPackage(deps, actor, transferId);
          return reply
            .type('application/jose')
            .header('cache-control', 'no-store')
            .header('content-disposition', `attachment; filename="${signed.filename}"`)
            .send(signed.jws);
        } catch (error) {
          if (error instanceof ServiceError && [409, 422].includes(error.status))
            return reply.redirect(
              withNotice(`/cases/school-moves/${moveId}`, 'package-refused'),
              303,
            );
          throw error;
        }
      });
    },
  );

  /* Import ---------------------------------------------------------------------------------- */

  const importForm = async (
    reply: FastifyReply,
    actor: Actor,
    errors?: FormErrors,
    values: Record<string, unknown> = {},
    status = 200,
  ) => {
    const options = await importOptions(deps.db, actor, null);
    return reply.code(status).view('staff/transfer-import.njk', {
      ...options,
      errors,
      values,
      maxKb: Math.floor(MAX_PACKAGE_BYTES / 1024),
      covers: Object.values(TRANSFER_CONSENT_TEXT),
    });
  };

  const importer = (request: Parameters<typeof requireStaffPage>[0], reply: FastifyReply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return null;
    if (!KEY_ROLES.includes(actor.role)) {
      void notFound(reply);
      return null;
    }
    return actor;
  };

  app.get('/transfers/import', async (request, reply) => {
    const actor = importer(request, reply);
    if (!actor) return reply;
    return importForm(reply, actor);
  });

  await app.register(async (upload) => {
    await upload.register(multipart, {
      limits: { fileSize: MAX_PACKAGE_BYTES + 1, files: 1, fields: 5, fieldSize: 1024 },
    });
    // The fields come before the file in the form: read them so the CSRF check sees _csrf.
    upload.addHook('preValidation', async (request) => {
      if (!request.isMultipart()) return;
      const part = await request.file();
      const fields: Record<string, string> = {};
      for (const [name, field] of Object.entries(part?.fields ?? {})) {
        if (field && !Array.isArray(field) && 'value' in field) fields[name] = String(field.value);
      }
      request.body = fields;
      request.transferUpload = part;
    });

    upload.post('/transfers/import', async (request, reply) => {
      const actor = importer(request, reply);
      if (!actor) return reply;
      const body = (request.body ?? {}) as Record<string, string>;
      const part = request.transferUpload;
      const fail = (path: string, message: string, status = 422) => {
        part?.file.resume();
        return importForm(reply, actor, formErrors([{ path: [path], message }]), body, status);
      };
      const placement = z
        .object({
          cohortId: IdField.catch(0),
          deliveryPartnerId: IdField.catch(0),
        })
        .parse(body);
      if (!part || part.filename === '')
        return fail('package', 'Choose the transfer package file (.jws) to upload');
      const text = (await part.toBuffer()).toString('utf8');
      if (part.file.truncated)
        return fail(
          'package',
          `The file is larger than ${Math.floor(MAX_PACKAGE_BYTES / 1024)} KB: it is not a transfer package`,
          413,
        );
      try {
        const preview = await previewTransferImport(deps, actor, text, placement);
        return reply.view('staff/transfer-import-check.njk', {
          preview,
          pkg: preview.package.payload,
          jws: text.trim(),
          cohortId: placement.cohortId,
          deliveryPartnerId: placement.deliveryPartnerId,
          token: newFormToken(),
        });
      } catch (error) {
        if (error instanceof ValidationError)
          return importForm(reply, actor, fieldErrors(error), body, 422);
        throw error;
      }
    });
  });

  app.post('/transfers/import/confirm', async (request, reply) => {
    const actor = importer(request, reply);
    if (!actor) return reply;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const placement = {
      cohortId: IdField.catch(0).parse(body['cohortId']),
      deliveryPartnerId: IdField.catch(0).parse(body['deliveryPartnerId']),
    };
    try {
      requireTransferImporter(actor);
      const token = isFormToken(body['token']) ? body['token'] : '';
      const sent = await submitOnce(deps, actor, token, async (txDeps) => {
        const result = await importTransferPackage(
          { ...deps, db: txDeps.db },
          actor,
          String(body['package'] ?? ''),
          placement,
        );
        return `/transfers/imports/${result.reference.replace('TRI-', '')}`;
      });
      return reply.redirect(sent.location, 303);
    } catch (error) {
      if (error instanceof ValidationError)
        return importForm(reply, actor, fieldErrors(error), {}, 422);
      throw error;
    }
  });

  app.get<{ Params: { id: string } }>('/transfers/imports/:id', async (request, reply) => {
    const actor = importer(request, reply);
    if (!actor) return reply;
    const id = idParam(request.params.id);
    if (id === undefined) return notFound(reply);
    return page(reply, async () => {
      const done = await getTransferImport(deps.db, actor, id);
      return reply.view('staff/transfer-import-done.njk', { done });
    });
  });
}

function fieldErrors(error: ValidationError): FormErrors {
  return formErrors(error.errors.map((e) => ({ path: [e.path], message: e.message })));
}
