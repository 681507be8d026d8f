import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import multipart, { type MultipartFile } from '@fastify/multipart';
import type { ApiDeps } from '../../api/plugin.js';
import type { Actor } from '../../../services/actor.js';
import { requireOrganiserRead } from '../../../services/organisations/access.js';
import {
  getSchoolImport,
  importSchools,
  requireSchoolImporter,
  SCHOOL_UPLOAD_LIMIT_BYTES,
  schoolsOverview,
} from '../../../services/schools-import.js';
import { limitBytes, UploadTooLargeError } from '../../../services/upload-limit.js';
import { formErrors } from '../../forms.js';
import { idParam, notFound, page, requireStaffPage } from './support.js';

declare module 'fastify' {
  interface FastifyRequest {
    schoolUpload?: MultipartFile | undefined;
  }
}

const LIMIT_MB = Math.round(SCHOOL_UPLOAD_LIMIT_BYTES / 1024 / 1024);
/** Room for the form's other fields and the multipart boundaries around the file. */
const ENVELOPE_BYTES = 64 * 1024;

/**
 * The schools page: how many schools there are, the last GIAS imports, and an upload that streams
 * the file into the import (never held in memory) with its size limit stated before anyone
 * chooses a file; then each import's report.
 */
export async function schoolRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const organiser = (request: FastifyRequest, reply: FastifyReply): Actor | null => {
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

  const renderSchools = async (
    reply: FastifyReply,
    actor: Actor,
    extra: { error?: string; status?: number } = {},
  ) =>
    reply.code(extra.status ?? 200).view('staff/schools.njk', {
      overview: await schoolsOverview(deps, actor),
      limitMb: LIMIT_MB,
      errors: extra.error ? formErrors([{ path: ['file'], message: extra.error }]) : undefined,
    });

  app.get('/admin/schools', async (request, reply) => {
    const actor = organiser(request, reply);
    if (!actor) return reply;
    return page(reply, () => renderSchools(reply, actor));
  });

  app.get('/admin/schools/imports/:id', async (request, reply) => {
    const actor = organiser(request, reply);
    if (!actor) return reply;
    const id = idParam((request.params as { id?: string }).id);
    if (id === undefined) return notFound(reply);
    return page(reply, async () =>
      reply.view('staff/school-import.njk', { report: await getSchoolImport(deps, actor, id) }),
    );
  });

  await app.register(async (upload) => {
    await upload.register(multipart, {
      // One byte over the limit is enough to know the file is too big.
      limits: { fileSize: SCHOOL_UPLOAD_LIMIT_BYTES + 1, files: 1, fields: 5, fieldSize: 1024 },
    });
    // The form's fields come before the file: read them (and no more) so the CSRF check sees
    // _csrf; the file itself streams into the import once the request is known to be genuine.
    upload.addHook('preValidation', async (request) => {
      if (!request.isMultipart()) return;
      const part = await request.file();
      const csrf = part?.fields['_csrf'];
      request.body = {
        _csrf: csrf && !Array.isArray(csrf) && 'value' in csrf ? String(csrf.value) : undefined,
      };
      request.schoolUpload = part;
    });

    upload.post('/admin/schools', async (request, reply) => {
      const actor = organiser(request, reply);
      if (!actor) return reply;
      return page(reply, async () => {
        requireSchoolImporter(actor);
        const part = request.schoolUpload;
        const tooLarge = () =>
          renderSchools(reply, actor, {
            error: new UploadTooLargeError(SCHOOL_UPLOAD_LIMIT_BYTES).message,
            status: 413,
          });
        if (
          Number(request.headers['content-length'] ?? 0) >
          SCHOOL_UPLOAD_LIMIT_BYTES + ENVELOPE_BYTES
        )
          return tooLarge();
        if (!part || part.filename === '')
          return renderSchools(reply, actor, {
            error: 'Choose the GIAS establishment CSV file',
            status: 422,
          });
        try {
          const summary = await importSchools(
            deps,
            actor,
            limitBytes(part.file, SCHOOL_UPLOAD_LIMIT_BYTES),
            { fileName: part.filename },
          );
          return reply.redirect(`/admin/schools/imports/${summary.id}`, 303);
        } catch (error) {
          if (error instanceof UploadTooLargeError) return tooLarge();
          throw error;
        }
      });
    });
  });
}
