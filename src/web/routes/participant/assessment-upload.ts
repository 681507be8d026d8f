import type { FastifyInstance } from 'fastify';
import multipart, { type MultipartFile } from '@fastify/multipart';
import { SUBMISSION_LIMIT_BYTES, SUBMISSION_LIMIT_TEXT } from '../../../domain/submission-files.js';
import { uploadSubmissionFile } from '../../../services/assessment-files.js';
import { formErrors } from '../../forms.js';
import type { AssessmentPage } from './assessment.js';
import { formFailureOf, participantPage, type PageDeps } from './helpers.js';

declare module 'fastify' {
  interface FastifyRequest {
    assessmentUpload?: MultipartFile | undefined;
  }
}

/** Room for the CSRF field and the multipart boundaries around the file. */
const ENVELOPE_BYTES = 64 * 1024;

/**
 * The participant uploads their assessment (a PDF or Word document up to 20 MB) inside their
 * window (2.2.1.5); uploading again before the window closes replaces the file. A refused file
 * comes back to the assessment page as an error on the file field, naming the file; whatever
 * was submitted before stays as it was.
 */
export async function assessmentUploadRoutes(
  app: FastifyInstance,
  deps: PageDeps,
  assessmentPage: AssessmentPage,
): Promise<void> {
  await app.register(async (upload) => {
    await upload.register(multipart, {
      // One byte over the limit is enough to know the file is too big.
      limits: { fileSize: SUBMISSION_LIMIT_BYTES + 1, files: 1, fields: 3, fieldSize: 1024 },
    });
    // The CSRF field comes before the file: read it so the CSRF check sees it.
    upload.addHook('preValidation', async (request) => {
      if (!request.isMultipart()) return;
      const part = await request.file();
      const csrf = part?.fields['_csrf'];
      request.body = {
        _csrf: csrf && !Array.isArray(csrf) && 'value' in csrf ? String(csrf.value) : undefined,
      };
      request.assessmentUpload = part;
    });

    upload.post('/assessment/upload', (request, reply) =>
      participantPage(deps, request, reply, async (ctx) => {
        const part = request.assessmentUpload;
        const fail = (message: string, status: number) =>
          assessmentPage(request, reply.code(status), ctx, {
            errors: formErrors([{ path: ['file'], message }]),
          });
        const name = part?.filename || 'The file';
        const tooBig = `${name} is larger than ${SUBMISSION_LIMIT_TEXT}, the most we accept`;
        if (
          Number(request.headers['content-length'] ?? 0) >
          SUBMISSION_LIMIT_BYTES + ENVELOPE_BYTES
        ) {
          part?.file.resume();
          return fail(tooBig, 413);
        }
        if (!part || part.filename === '') return fail('Choose the file of your assessment', 422);
        const bytes = await part.toBuffer().catch(() => null);
        if (bytes === null || part.file.truncated) return fail(tooBig, 413);
        try {
          await uploadSubmissionFile(deps, ctx.actor, {
            enrolmentId: ctx.enrolment.id,
            fileName: part.filename,
            bytes,
          });
          return reply.redirect('/assessment/submitted', 303);
        } catch (error) {
          const failure = formFailureOf(error, 'file');
          if (!failure) throw error;
          return assessmentPage(request, reply.code(422), ctx, { errors: failure.errors });
        }
      }),
    );
  });
}
