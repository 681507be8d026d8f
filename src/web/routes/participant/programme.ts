import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  formatBasisPoints,
  formatThreshold,
  isCoachingCourse,
  londonDateOf,
} from '../../../policy/index.js';
import { completeStudySession } from '../../../services/engagement/completion.js';
import {
  getEnrolmentEngagement,
  type EnrolmentEngagement,
  type SessionAccessView,
} from '../../../services/engagement/read.js';
import { loadParticipantSnapshot } from '../../../services/participant-snapshot.js';
import { createHeldPages, heldUntil, stillHeld } from '../../held-pages.js';
import { currentModuleId, nextThings } from './programme-summary.js';
import type { FormErrors } from '../../forms.js';
import {
  formFailureOf,
  govukDateTimeRange,
  parseId,
  participantPage,
  renderMarkdown,
  renderNotFound,
  setFlash,
  takeFlash,
  type PageDeps,
  type ParticipantContext,
} from './helpers.js';
import { sessionContent } from './queries.js';

const STATE_TAGS = {
  done: { text: 'Completed', classes: 'govuk-tag--green' },
  open: { text: 'Open', classes: 'govuk-tag--blue' },
  locked: { text: 'Locked', classes: 'govuk-tag--grey' },
} as const;

function sessionItem(s: SessionAccessView) {
  return {
    activityId: s.activityId,
    moduleId: s.moduleId,
    title: s.title,
    state: s.state,
    tag: STATE_TAGS[s.state],
    href: `/sessions/${s.activityId}`,
    behind: s.advice === 'behind_ideal_window' && s.state === 'open',
    decision: s.decision,
  };
}

export function programmeRoutes(app: FastifyInstance, deps: PageDeps): void {
  // My programme held ready to send while nothing it shows has changed (src/web/held-pages.ts).
  const heldPages = createHeldPages();
  // Held requests are one statement: the session (remembered, checked again in the route's own
  // statement: services/recent-sessions.ts) and the enrolment with its answer version; the shell is
  // read only when the page is rendered (the held page carries it, and a change to the lead
  // provider forgets every answer).
  const config = { recheckSession: true, shellByRoute: true };
  app.get('/my-programme', { config }, (request, reply) => {
    const now = deps.clock.now();
    const today = londonDateOf(now);
    // The enrolment comes with the version of its answer stored for today, in the same statement.
    return participantPage(
      deps,
      request,
      reply,
      async ({ actor, enrolment: found }) => {
        const { answerVersion, ...enrolment } = found;
        const flash = takeFlash(request);
        // Everything the request brings that the page shows; a flash message is shown once, live.
        // The shell (the lead provider's name) is not part of it: its change forgets every stored
        // answer (migration 0030), so no held page outlives it.
        const key = flash ? null : JSON.stringify([actor, enrolment]);
        const held = key === null ? undefined : heldPages.get(key);
        if (stillHeld(held, today, now) && answerVersion === held.version) {
          return reply.sendHeldPage(held.page);
        }
        // Everything the page shows about the enrolment, in one statement (issue 13). The alerts are
        // the ones the daily job raised and has not cleared (2.1.1): shown with the day raised.
        const snapshot = await loadParticipantSnapshot(deps, actor, enrolment.id);
        // Read after the snapshot, as the register is: never older than the answer version.
        await request.loadShell();
        const { engagement, modules, bookings, alerts, rejoin } = snapshot;
        const sessions = engagement.sessions.map(sessionItem);
        const continueWith = sessions.find((s) => s.state === 'open');
        const details = engagement.decision.details;
        const threshold = formatThreshold(engagement.register.parameters.engagementThresholdBp);
        // A deferred participant's deadline and pace come from the cohort they re-join, not this one.
        const deferred = enrolment.status === 'deferred';
        const unreachable = deferred
          ? undefined
          : engagement.decision.reasons.find((r) => r.code === 'ENGAGEMENT.NOT_REACHABLE');
        // The pace (2.1.1, 2.2.1.1): what was due by today session by session across each module's
        // ideal window and on each event's day; the set-based staff query gives the same figures.
        const pace = details.projection;
        const behindPace = !deferred && pace.reachable && pace.atRisk;
        const behindModules = modules.filter((m) =>
          sessions.some((s) => s.behind && s.moduleId === m.id),
        );
        const moduleViews = modules.map((m) => {
          const own = sessions.filter((s) => s.moduleId === m.id);
          return {
            ...m,
            sessions: own,
            released: m.releaseDate <= today,
            // Released ahead of its ideal window (2.2.1.1): available now, ideally done within the window.
            ahead: m.releaseDate <= today && today < m.idealWindowStart,
            done: own.filter((s) => s.state === 'done').length,
          };
        });
        const context = {
          currentDeferral: snapshot.currentDeferral,
          contact: snapshot.contact,
          flash,
          cohort: snapshot.cohort,
          enrolment,
          deferred,
          rejoin: deferred ? rejoin : null,
          threshold,
          engagement: engagement.decision,
          percentage: details.percentage,
          bestPossible: formatBasisPoints(details.projection.bestPossibleBasisPoints),
          projected: formatBasisPoints(pace.projectedBasisPoints),
          expected: formatBasisPoints(pace.expectedBasisPoints),
          aheadOfExpected: details.basisPoints >= pace.expectedBasisPoints,
          meetsThreshold: details.meetsThreshold,
          // A stored alert says it once, with its date; the live warning of the same kind is not repeated.
          alerts: alerts.map((a) => ({ kind: a.kind, raisedOn: a.raisedOn })),
          unreachable: alerts.some((a) => a.kind === 'engagement_unreachable')
            ? undefined
            : unreachable,
          behindPace: behindPace && !alerts.some((a) => a.kind === 'engagement_behind'),
          behindModules,
          continueWith,
          modules: moduleViews,
          currentModuleId: currentModuleId(sessions, moduleViews),
          nextThings: nextThings({ sessions, modules, bookings, now }),
          // NPQEL and EHCO (2.2.1.3): the coaching booked from now on, soonest first.
          coaching: isCoachingCourse(snapshot.cohort.course)
            ? bookings.coaching
                .filter((c) => c.status === 'scheduled' && new Date(c.startsAt) > now)
                .map((c) => ({
                  title: `${c.title} with ${c.coachName}`,
                  when: govukDateTimeRange(c.startsAt, c.endsAt),
                }))
            : null,
          // The bar's width: the figure, rounded down like the figure itself, at most 100.
          barPercent: Math.min(100, Math.floor(details.basisPoints / 100)),
          thresholdPercent: engagement.register.parameters.engagementThresholdBp / 100,
          byKind: engagement.byKind,
        };
        const template = 'participant/my-programme.njk';
        // Nothing stored for today yet: the warmer stores it, and the next request holds the page.
        if (snapshot.answerVersion === null) deps.engagementAnswers?.enqueue(enrolment.id);
        // Rendered as a held page is, held or not, so the two are always the same.
        const page = reply.renderHeldPage(template, context);
        if (key === null || snapshot.answerVersion === null) return reply.sendHeldPage(page);
        heldPages.set(key, {
          version: snapshot.answerVersion,
          day: today,
          until: heldUntil(
            now,
            [...bookings.events, ...bookings.coaching].flatMap((b) => [b.startsAt, b.endsAt]),
          ),
          page,
        });
        return reply.sendHeldPage(page);
      },
      { answersOn: today },
    );
  });

  app.get<{ Params: { activityId: string } }>('/sessions/:activityId', (request, reply) =>
    participantPage(deps, request, reply, async (ctx) => {
      const activityId = parseId(request.params.activityId);
      if (activityId === null) return renderNotFound(reply);
      const engagement = await getEnrolmentEngagement(deps, ctx.actor, ctx.enrolment.id);
      return renderSession(deps, reply, ctx, engagement, activityId, {
        flash: takeFlash(request),
      });
    }),
  );

  app.post<{ Params: { activityId: string } }>('/sessions/:activityId/complete', (request, reply) =>
    participantPage(deps, request, reply, async (ctx) => {
      const activityId = parseId(request.params.activityId);
      if (activityId === null) return renderNotFound(reply);
      try {
        const result = await completeStudySession(deps, ctx.actor, {
          enrolmentId: ctx.enrolment.id,
          activityId,
        });
        const engagement = await getEnrolmentEngagement(deps, ctx.actor, ctx.enrolment.id);
        const index = engagement.sessions.findIndex((s) => s.activityId === activityId);
        const done = engagement.sessions[index];
        const next = engagement.sessions[index + 1];
        setFlash(request, {
          heading: result.changed
            ? `You have completed ${done?.title ?? 'this session'}`
            : `You had already completed ${done?.title ?? 'this session'}`,
          ...(next && next.state === 'open'
            ? {
                html: `Next: <a class="govuk-link" href="/sessions/${next.activityId}">${escapeHtml(next.title)}</a>`,
              }
            : { html: '<a class="govuk-link" href="/my-programme">Back to my programme</a>' }),
        });
        return reply.redirect(`/sessions/${activityId}`, 303);
      } catch (error) {
        const failure = formFailureOf(error, 'complete');
        if (!failure) throw error;
        const engagement = await getEnrolmentEngagement(deps, ctx.actor, ctx.enrolment.id);
        return renderSession(deps, reply.code(422), ctx, engagement, activityId, {
          errors: failure.errors,
        });
      }
    }),
  );
}

async function renderSession(
  deps: PageDeps,
  reply: FastifyReply,
  _ctx: ParticipantContext,
  engagement: EnrolmentEngagement,
  activityId: number,
  extra: { flash?: unknown; errors?: FormErrors },
): Promise<FastifyReply> {
  const index = engagement.sessions.findIndex((s) => s.activityId === activityId);
  const session = engagement.sessions[index];
  // A session of someone else's programme is, for this participant, a page that does not exist.
  if (!session) return renderNotFound(reply);
  const content = await sessionContent(deps.db, activityId);
  if (!content) return renderNotFound(reply);
  const previous = engagement.sessions[index - 1];
  const next = engagement.sessions[index + 1];
  return reply.view('participant/session.njk', {
    ...extra,
    session: sessionItem(session),
    content,
    // Locked content is not shown: sessions are done in order (2.2.1.1), and unreleased ones are not out yet.
    contentHtml: session.state === 'locked' ? '' : renderMarkdown(content.contentMd),
    previous: previous ? { href: `/sessions/${previous.activityId}`, title: previous.title } : null,
    next: next ? { href: `/sessions/${next.activityId}`, title: next.title } : null,
    position: index + 1,
    total: engagement.sessions.length,
  });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
