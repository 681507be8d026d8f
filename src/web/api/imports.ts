import { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import { z } from 'zod';
import { ServiceError, ValidationError } from '../../services/errors.js';
import { ERRORS_SHOWN, getImportJob, importErrorsCsv } from '../../services/imports/jobs.js';
import {
  checkFileType,
  IMPORT_LIMITS,
  IMPORT_LIMITS_TEXT,
  ImportFileError,
  REQUIRED_COLUMNS,
  stageImport,
  tooBigMessage,
} from '../../services/imports/upload.js';
import { requireImporter } from '../../services/staff-dashboard.js';
import { actorOf, type ApiApp, type ApiModule, type ApiDeps } from './plugin.js';
import { ErrorBody, IdParam, readErrors, writeErrors } from './schemas.js';

const tags = ['Imports'];

const ImportJob = z
  .object({
    id: z.number(),
    kind: z.enum(['participants', 'engagement']),
    fileName: z.string(),
    status: z
      .enum(['receiving', 'queued', 'running', 'completed', 'failed'])
      .describe('queued → running → completed (or failed); poll until completed or failed'),
    rowsReceived: z.number(),
    rowsProcessed: z.number(),
    percent: z.number(),
    added: z.number().describe('Participants added, or engagement records added'),
    enrolled: z.number().describe('Enrolments added (participants imports)'),
    unchanged: z.number().describe('Rows already there (a re-run adds nothing twice)'),
    invited: z.number().describe('Invitations to set a password emailed (participants imports)'),
    rejected: z.number().describe('Rows not imported'),
    errorCount: z.number(),
    errors: z
      .array(z.object({ line: z.number(), field: z.string(), message: z.string() }))
      .describe(`The first ${ERRORS_SHOWN} problems; all of them at /imports/{id}/errors.csv`),
    failure: z.string().nullable(),
    startedBy: z.string(),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'ImportJob' });

const Upload = z
  .object({ file: z.string().meta({ format: 'binary' }).optional() })
  .nullable()
  .optional()
  .describe('multipart/form-data with the CSV file in the field "file"');

class NotMultipart extends ServiceError {
  constructor() {
    super(
      'Send the CSV file as multipart/form-data in a field named "file"',
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  }
}

/**
 * Participants and engagement CSV files uploaded for the job runner: 202 with the import at once,
 * then its progress and report. Up to 100,000 rows and 50 MB a file; the older JSON and CSV
 * engagement routes (/engagement/batch, /engagement/import) stay for small loads.
 */
export const importsApi: ApiModule = async (app, deps) => {
  await app.register(async (scope) => uploadRoutes(scope, deps));

  app.get(
    '/imports/:id',
    {
      schema: {
        tags,
        summary:
          'An uploaded import: its status, progress, counts and the first refused rows (line, column, problem)',
        params: IdParam,
        response: { 200: ImportJob, 400: ErrorBody, ...readErrors },
      },
    },
    async (request, reply) => {
      const job = await getImportJob(deps, actorOf(request), request.params.id);
      return reply.header('cache-control', 'no-store').send(job);
    },
  );

  app.get(
    '/imports/:id/errors.csv',
    {
      schema: {
        tags,
        summary: 'Every row an import refused, as CSV: line, column, problem',
        params: IdParam,
        produces: ['text/csv'],
        response: { 200: z.string(), 400: ErrorBody, ...readErrors },
      },
    },
    async (request, reply) => {
      const { csv } = await importErrorsCsv(deps, actorOf(request), request.params.id);
      return reply
        .type('text/csv; charset=utf-8')
        .header(
          'content-disposition',
          `attachment; filename="import-${request.params.id}-rows-not-imported.csv"`,
        )
        .send(Readable.from(csv) as unknown as string);
    },
  );
};

async function uploadRoutes(app: ApiApp, deps: ApiDeps) {
  await app.register(multipart, {
    limits: { fileSize: IMPORT_LIMITS.bytes + 1, files: 1, fields: 5, fieldSize: 1024 },
  });
  for (const kind of ['participants', 'engagement'] as const) {
    app.post(
      `/imports/${kind}`,
      {
        schema: {
          tags,
          summary: `Upload a ${kind} CSV file (multipart/form-data, field "file"; up to ${IMPORT_LIMITS_TEXT}). Answers 202 with the import, processed by the job runner: poll GET /imports/{id}. Required columns: ${REQUIRED_COLUMNS[kind].join(', ')}. Staff who import (partner staff for their partner, the programme team, admins).`,
          consumes: ['multipart/form-data'],
          body: Upload,
          response: { 202: ImportJob, 413: ErrorBody, 415: ErrorBody, ...writeErrors },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request);
        requireImporter(actor);
        if (!request.isMultipart()) throw new NotMultipart();
        if (Number(request.headers['content-length'] ?? 0) > IMPORT_LIMITS.bytes + 64 * 1024)
          throw new ImportFileError(tooBigMessage(), 413);
        const part = await request.file();
        if (!part || part.filename === '')
          throw fileError(`Send the ${kind} CSV file in a field named "file"`, 422);
        try {
          checkFileType(part.filename, part.mimetype);
          const staged = await stageImport(deps, actor, kind, part.file, part.filename);
          await deps.imports?.queued(staged.id);
          const job = await getImportJob(deps, actor, staged.id);
          return reply.code(202).header('location', `/api/v1/imports/${staged.id}`).send(job);
        } catch (error) {
          if (error instanceof ImportFileError) {
            part.file.resume();
            throw fileError(error.message, error.status);
          }
          throw error;
        }
      },
    );
  }
}

/** A refused file: 413 or 415 as they are, any other refusal a field error on `file` (422). */
function fileError(message: string, status: number): ServiceError {
  return status === 422
    ? new ValidationError([{ path: 'file', message }])
    : new ImportFileError(message, status as 413 | 415);
}
