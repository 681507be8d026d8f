import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ApiDeps } from '../../api/plugin.js';
import type { Actor } from '../../../services/actor.js';
import { importEngagementCsv } from '../../../services/engagement/ingest.js';
import { ENGAGEMENT_CSV_COLUMNS } from '../../../services/engagement/ingest-rows.js';
import { ValidationError } from '../../../services/errors.js';
import { PARTICIPANT_CSV_COLUMNS } from '../../../services/participant-import.js';
import { importParticipantsCsvText, requireImporter } from '../../../services/staff-dashboard.js';
import { listImportJobs } from '../../../services/imports/jobs.js';
import { IMPORT_LIMITS, IMPORT_LIMITS_TEXT } from '../../../services/imports/upload.js';
import { formErrors } from '../../forms.js';
import { importUploadRoutes } from './import-uploads.js';
import { page, requireStaffPage } from './support.js';

/** Pasted or file-read CSV text; a generous cap keeps one request from holding the server. */
const MAX_CSV_CHARS = 2_000_000;
/** The form's body is URL-encoded (commas and line ends grow threefold), so its limit is larger. */
const FORM_BODY_LIMIT = 8 * 1024 * 1024;

type Kind = 'participants' | 'engagement';

function csvOf(body: unknown, field: string): string {
  const v = (body as Record<string, unknown> | undefined)?.[field];
  return typeof v === 'string' ? v : '';
}

/**
 * The report is rendered in answer to the POST rather than after a redirect: it can hold
 * thousands of row errors, and both imports are idempotent, so sending the form again changes
 * nothing that is already there.
 */
export async function importRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const render = async (
    reply: FastifyReply,
    context: {
      kind?: Kind;
      result?: unknown;
      errors?: ReturnType<typeof formErrors>;
      values?: Record<string, string>;
    },
    status = 200,
  ) =>
    reply.code(status).view('staff/imports.njk', {
      participantColumns: PARTICIPANT_CSV_COLUMNS,
      engagementColumns: Object.values(ENGAGEMENT_CSV_COLUMNS),
      limits: {
        text: IMPORT_LIMITS_TEXT,
        rows: IMPORT_LIMITS.rows,
        mb: IMPORT_LIMITS.bytes / 1024 / 1024,
      },
      jobs: reply.request.actor ? await listImportJobs(deps, reply.request.actor) : [],
      ...context,
    });

  app.get('/imports', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    return page(reply, async () => {
      requireImporter(actor);
      return render(reply, {});
    });
  });

  const post = (kind: Kind, run: (actor: Actor, csv: string) => Promise<unknown>) =>
    app.post(`/imports/${kind}`, { bodyLimit: FORM_BODY_LIMIT }, async (request, reply) => {
      const actor = requireStaffPage(request, reply);
      if (!actor) return reply;
      const field = `${kind}Csv`;
      const csv = csvOf(request.body, field);
      return page(reply, async () => {
        requireImporter(actor);
        const fail = (message: string) =>
          render(
            reply,
            { kind, errors: formErrors([{ path: [field], message }]), values: { [field]: csv } },
            422,
          );
        if (csv.trim() === '') return fail('Paste the CSV or choose a CSV file');
        if (csv.length > MAX_CSV_CHARS)
          return fail('The CSV is too big: split it into files under 2 MB');
        try {
          const result = await run(actor, csv);
          return render(reply, { kind, result });
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          return fail(error.errors.map((e) => e.message).join('. '));
        }
      });
    });

  post('participants', (actor, csv) => {
    if (!deps.publicUrl) throw new Error('The staff pages need publicUrl to send invitations');
    return importParticipantsCsvText(deps, actor, csv, deps.publicUrl);
  });
  post('engagement', (actor, csv) => importEngagementCsv(deps, actor, csv));

  await importUploadRoutes(app, deps, render);
}
