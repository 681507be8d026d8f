import type { FastifyInstance } from 'fastify';
import {
  calendarFeedIcs,
  getCalendarFeed,
  issueCalendarFeed,
  revokeCalendarFeed,
} from '../../../services/calendar-feed.js';
import { participantPage, renderNotFound, setFlash, takeFlash, type PageDeps } from './helpers.js';

export function calendarRoutes(app: FastifyInstance, deps: PageDeps): void {
  app.get('/calendar', (request, reply) =>
    participantPage(deps, request, reply, async ({ actor }) => {
      const feed = await getCalendarFeed(deps, actor);
      const flash = takeFlash(request);
      const token = flash?.calendarToken;
      const url = token ? `${request.protocol}://${request.host}/calendar/${token}.ics` : null;
      return reply.view('participant/calendar.njk', {
        flash: flash ? { ...flash, calendarToken: undefined } : undefined,
        feed,
        url,
        webcal: url ? url.replace(/^https?:/, 'webcal:') : null,
      });
    }),
  );

  app.post('/calendar/feed', (request, reply) =>
    participantPage(deps, request, reply, async ({ actor }) => {
      const { token, regenerated } = await issueCalendarFeed(deps, actor);
      setFlash(request, {
        heading: regenerated
          ? 'Your calendar has a new private link. The old link no longer works.'
          : 'Your private calendar link is ready',
        calendarToken: token,
      });
      return reply.redirect('/calendar', 303);
    }),
  );

  app.post('/calendar/feed/revoke', (request, reply) =>
    participantPage(deps, request, reply, async ({ actor }) => {
      await revokeCalendarFeed(deps, actor);
      setFlash(request, {
        heading: 'Your calendar link is turned off',
        text: 'Calendar apps using it will stop getting updates. You can make a new link at any time.',
      });
      return reply.redirect('/calendar', 303);
    }),
  );

  // Calendar apps fetch this without signing in: the secret in the URL is the only credential.
  app.get<{ Params: { file: string } }>('/calendar/:file', async (request, reply) => {
    const match = /^(.+)\.ics$/.exec(request.params.file);
    const ics = match ? await calendarFeedIcs(deps, match[1]!) : null;
    if (ics === null) return renderNotFound(reply);
    return reply
      .header('cache-control', 'private, no-store')
      .header('referrer-policy', 'no-referrer')
      .type('text/calendar; charset=utf-8')
      .send(ics);
  });
}
