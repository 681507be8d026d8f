import type { FastifyInstance } from 'fastify';
import { DEFAULT_RETENTION_YEARS_AFTER_END } from '../../../policy/retention.js';
import { mySubjectAccessRecord, type DataRow } from '../../../services/privacy/subject-access.js';
import { requireSignedIn } from '../../plugins/auth.js';
import { renderForbidden, renderServiceError, type PageDeps } from './helpers.js';

interface DecisionView {
  about: string;
  on: unknown;
  decision: unknown;
}

/** Decisions made about the participant, from every kind of case, oldest first. */
function decisionsOf(record: Awaited<ReturnType<typeof mySubjectAccessRecord>>): DecisionView[] {
  const from = (rows: DataRow[], about: string, on: string) =>
    rows
      .filter((r) => r['decision'] && typeof r['decision'] === 'object')
      .map((r) => ({ about, on: r[on], decision: r['decision'] }));
  return [
    ...from(record.deferralCases, 'Deferral request', 'decidedAt'),
    ...from(record.assessmentDeferralCases, 'Assessment deferral request', 'decidedAt'),
    ...from(record.schoolMoves, 'School move', 'movedOn'),
    ...from(record.assessmentResults, 'Assessment window', 'processedAt'),
  ].sort((a, b) => String(a.on ?? '').localeCompare(String(b.on ?? '')));
}

/** /my-data: a participant reads everything held about them, and downloads it as JSON. */
export function myDataRoutes(app: FastifyInstance, deps: PageDeps): void {
  app.get('/my-data', async (request, reply) => {
    const actor = requireSignedIn(request, reply);
    if (!actor) return reply;
    if (actor.role !== 'participant') return renderForbidden(reply);
    try {
      const record = await mySubjectAccessRecord(deps, actor, {
        retentionYearsAfterEnd: deps.retentionYearsAfterEnd ?? DEFAULT_RETENTION_YEARS_AFTER_END,
      });
      reply.header('cache-control', 'no-store');
      return reply.view('participant/my-data.njk', {
        record,
        decisions: decisionsOf(record),
      });
    } catch (error) {
      return renderServiceError(reply, error);
    }
  });
}
