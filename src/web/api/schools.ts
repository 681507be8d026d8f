import { Readable } from 'node:stream';
import { z } from 'zod';
import {
  getSchoolImport,
  importSchools,
  requireSchoolImporter,
  searchSchools,
  SCHOOL_UPLOAD_LIMIT_BYTES,
} from '../../services/schools-import.js';
import { limitBytes, refuseDeclaredOverLimit } from '../../services/upload-limit.js';
import { ServiceError } from '../../services/errors.js';
import { actorOf, type ApiModule } from './plugin.js';
import { IdParam, readErrors, writeErrors, ErrorBody } from './schemas.js';

const tags = ['Schools'];

const RowError = z.object({ line: z.number(), field: z.string(), message: z.string() });

const SchoolImport = z
  .object({
    id: z.number(),
    fileName: z.string(),
    status: z.enum(['running', 'completed', 'failed']),
    rowsRead: z.number(),
    created: z.number(),
    updated: z.number(),
    unchanged: z.number(),
    rejected: z.number().describe('Rows not imported (listed in errors, up to 5,000 problems)'),
    errors: z.array(RowError),
    startedBy: z.string(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'SchoolImport' });

const School = z
  .object({
    urn: z.string(),
    name: z.string(),
    town: z.string().nullable(),
    postcode: z.string().nullable(),
    status: z.string().describe('GIAS establishment status: Open, Closed, …'),
    localAuthority: z.string().nullable(),
  })
  .meta({ id: 'School' });

class UnsupportedMediaType extends ServiceError {
  constructor() {
    super(
      'Send the GIAS CSV as the request body with Content-Type: text/csv',
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  }
}

export const schoolsApi: ApiModule = (app, deps) => {
  // The CSV streams through to the import: nothing holds the whole file.
  app.addContentTypeParser('text/csv', (_request, payload, done) => done(null, payload));

  app.post(
    '/school-imports',
    {
      schema: {
        tags,
        summary: `Import the GIAS establishment CSV (text/csv body, Windows-1252 or UTF-8, up to ${SCHOOL_UPLOAD_LIMIT_BYTES / 1024 / 1024} MB); bad rows are listed with line and field (admin, programme team)`,
        consumes: ['text/csv'],
        querystring: z.object({ fileName: z.string().max(255).optional() }),
        body: z.unknown().describe('The CSV file, as published by Get Information About Schools'),
        response: { 201: SchoolImport, 413: ErrorBody, 415: ErrorBody, ...writeErrors },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      requireSchoolImporter(actor);
      if (!(request.body instanceof Readable)) throw new UnsupportedMediaType();
      refuseDeclaredOverLimit(request.headers['content-length'], SCHOOL_UPLOAD_LIMIT_BYTES);
      const summary = await importSchools(
        deps,
        actor,
        limitBytes(request.body, SCHOOL_UPLOAD_LIMIT_BYTES),
        { fileName: request.query.fileName ?? 'upload.csv' },
      );
      if (summary.status === 'failed' && summary.rowsRead === 0)
        return reply.code(422).send({
          error: summary.errors[0]?.message ?? 'The file could not be imported',
          code: 'VALIDATION',
          errors: summary.errors.map((e) => ({ path: e.field, message: e.message })),
        });
      return reply.code(201).send(summary);
    },
  );

  app.get(
    '/school-imports/:id',
    {
      schema: {
        tags,
        summary: 'A schools import: its progress, counts and bad rows',
        params: IdParam,
        response: { 200: SchoolImport, 400: ErrorBody, ...readErrors },
      },
    },
    async (request) => getSchoolImport(deps, actorOf(request), request.params.id),
  );

  app.get(
    '/schools',
    {
      schema: {
        tags,
        summary: 'Find schools by name, town or URN (open schools first)',
        querystring: z.object({
          q: z.string().max(100),
          limit: z.coerce.number().int().min(1).max(100).default(20),
        }),
        response: { 200: z.array(School), ...readErrors },
      },
    },
    async (request) =>
      searchSchools(deps, actorOf(request), request.query.q, { limit: request.query.limit }),
  );
};
