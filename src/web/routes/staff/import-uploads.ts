import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import multipart, { type MultipartFile } from '@fastify/multipart';
import type { ApiDeps } from '../../api/plugin.js';
import { getImportJob, importErrorsCsv } from '../../../services/imports/jobs.js';
import {
  checkFileType,
  IMPORT_LIMITS,
  ImportFileError,
  stageImport,
  tooBigMessage,
  type ImportKind,
} from '../../../services/imports/upload.js';
import { requireImporter } from '../../../services/staff-dashboard.js';
import { formErrors } from '../../forms.js';
import { idParam, notFound, page, requireStaffPage } from './support.js';

declare module 'fastify' {
  interface FastifyRequest {
    importUpload?: MultipartFile | undefined;
  }
}

/** Room for the form's other fields and the multipart boundaries around the file. */
const ENVELOPE_BYTES = 64 * 1024;

type Render = (
  reply: FastifyReply,
  context: { kind?: ImportKind; errors?: ReturnType<typeof formErrors> },
  status?: number,
) => Promise<FastifyReply>;

/**
 * Participants and engagement CSV files uploaded on the imports page: the file streams into the
 * import's staging rows and the answer is a redirect to the import's page, which shows its
 * progress while the job runner works and its report at the end (with the refused rows as CSV).
 * A file refused as a whole comes back to the imports page as an error on its file field.
 */
export async function importUploadRoutes(
  app: FastifyInstance,
  deps: ApiDeps,
  render: Render,
): Promise<void> {
  app.get('/imports/jobs/:id', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    const id = idParam((request.params as { id?: string }).id);
    if (id === undefined) return notFound(reply);
    return page(reply, async () => {
      const job = await getImportJob(deps, actor, id);
      return reply
        .header('cache-control', 'no-store')
        .view('staff/import-job.njk', { job, limits: IMPORT_LIMITS });
    });
  });

  app.get('/imports/jobs/:id/errors.csv', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    const id = idParam((request.params as { id?: string }).id);
    if (id === undefined) return notFound(reply);
    return page(reply, async () => {
      const { csv } = await importErrorsCsv(deps, actor, id);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="import-${id}-rows-not-imported.csv"`)
        .send(Readable.from(csv));
    });
  });

  await app.register(async (upload) => {
    await upload.register(multipart, {
      // One byte over the limit is enough to know the file is too big.
      limits: { fileSize: IMPORT_LIMITS.bytes + 1, files: 1, fields: 5, fieldSize: 1024 },
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
      request.importUpload = part;
    });

    for (const kind of ['participants', 'engagement'] as const) {
      const field = `${kind}File`;
      upload.post(`/imports/${kind}/upload`, async (request, reply) => {
        const actor = requireStaffPage(request, reply);
        if (!actor) return reply;
        return page(reply, async () => {
          requireImporter(actor);
          const fail = (message: string, status: number) =>
            render(reply, { kind, errors: formErrors([{ path: [field], message }]) }, status);
          const part = request.importUpload;
          if (Number(request.headers['content-length'] ?? 0) > IMPORT_LIMITS.bytes + ENVELOPE_BYTES)
            return fail(tooBigMessage(part?.filename || undefined), 413);
          if (!part || part.filename === '')
            return fail(`Choose the ${kind} CSV file to upload`, 422);
          try {
            checkFileType(part.filename, part.mimetype);
            const staged = await stageImport(deps, actor, kind, part.file, part.filename);
            await deps.imports?.queued(staged.id);
            return reply.redirect(`/imports/jobs/${staged.id}`, 303);
          } catch (error) {
            if (error instanceof ImportFileError) {
              part.file.resume();
              return fail(error.message, error.status);
            }
            throw error;
          }
        });
      });
    }
  });
}
