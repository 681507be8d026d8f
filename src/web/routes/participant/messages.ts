import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NOTICE_KINDS } from '../../../domain/notices.js';
import { formatLongDate } from '../../../policy/index.js';
import {
  answerReturnQuestion,
  getReturnQuestion,
  type ReturnQuestion,
} from '../../../services/intent-to-return.js';
import {
  getMessage,
  getNoticeSettings,
  listMessages,
  setNoticeSettings,
} from '../../../services/notices/messages.js';
import { contactDetailsFor } from '../../../services/organisations/contacts.js';
import { formErrors, type FormErrors } from '../../forms.js';
import {
  formFailureOf,
  participantPage,
  parseId,
  setFlash,
  takeFlash,
  type PageDeps,
  type ParticipantContext,
} from './helpers.js';

const DATE_TIME = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
  hour12: true,
});

const sentOn = (iso: string) => DATE_TIME.format(new Date(iso)).replace(' at ', ', ');

const NUDGES = Object.values(NOTICE_KINDS).filter((k) => k.nudge);
const REQUIRED = Object.values(NOTICE_KINDS).filter((k) => !k.nudge);

/** The participant's Messages, their notice settings and the 2.3.7 "are you returning?" page. */
export function messageRoutes(app: FastifyInstance, deps: PageDeps): void {
  app.get<{ Querystring: { page?: string } }>('/messages', (request, reply) =>
    participantPage(deps, request, reply, async ({ actor }) => {
      const page = parseId(request.query.page) ?? 1;
      const list = await listMessages(deps, actor, { page });
      return reply.view('participant/messages.njk', {
        flash: takeFlash(request),
        messages: list.items.map((m) => ({ ...m, sentOn: sentOn(m.createdAt) })),
        total: list.total,
        page: list.page,
        pages: list.pages,
      });
    }),
  );

  const settingsPage = (reply: FastifyReply, values: { nudges: boolean }, errors?: FormErrors) =>
    reply.view('participant/message-settings.njk', {
      values,
      errors,
      nudgeKinds: NUDGES,
      requiredKinds: REQUIRED,
    });

  app.get('/messages/settings', (request, reply) =>
    participantPage(deps, request, reply, async ({ actor }) =>
      settingsPage(reply, await getNoticeSettings(deps, actor)),
    ),
  );

  app.post('/messages/settings', (request, reply) =>
    participantPage(deps, request, reply, async ({ actor }) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (body.nudges !== 'on' && body.nudges !== 'off') {
        return settingsPage(
          reply.code(422),
          await getNoticeSettings(deps, actor),
          formErrors([{ path: ['nudges'], message: 'Select whether you want reminders' }]),
        );
      }
      const nudges = body.nudges === 'on';
      await setNoticeSettings(deps, actor, { nudges });
      setFlash(request, {
        heading: nudges ? 'Reminders turned on' : 'Reminders turned off',
        text: 'We will still send you the messages the policy requires.',
      });
      return reply.redirect('/messages', 303);
    }),
  );

  app.get<{ Params: { id: string } }>('/messages/:id', (request, reply) =>
    participantPage(deps, request, reply, async ({ actor }) => {
      const id = parseId(request.params.id);
      if (id === null) return reply.code(404).view('not-found.njk');
      const message = await getMessage(deps, actor, id);
      return reply.view('participant/message.njk', {
        message: { ...message, sentOn: sentOn(message.createdAt) },
      });
    }),
  );

  const returnPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    { actor, enrolment }: ParticipantContext,
    extra: { errors?: FormErrors; values?: Record<string, unknown> } = {},
  ) => {
    const question = await getReturnQuestion(deps, actor);
    return reply.view('participant/return.njk', {
      flash: takeFlash(request),
      contact: await contactDetailsFor(deps, actor, enrolment.id),
      question: question && questionView(question),
      values: extra.values ?? {},
      errors: extra.errors,
    });
  };

  app.get('/changes/return', (request, reply) =>
    participantPage(deps, request, reply, (ctx) => returnPage(request, reply, ctx)),
  );

  app.post('/changes/return', (request, reply) =>
    participantPage(deps, request, reply, async (ctx) => {
      const body = (request.body ?? {}) as Record<string, string | undefined>;
      const version = Number(body.version);
      if (body.answer !== 'yes' && body.answer !== 'no') {
        return returnPage(request, reply.code(422), ctx, {
          values: body,
          errors: formErrors([
            { path: ['answer'], message: 'Select whether you will return to your programme' },
          ]),
        });
      }
      const adjustments = (body.reasonableAdjustments ?? '').trim();
      if (adjustments.length > 2000) {
        return returnPage(request, reply.code(422), ctx, {
          values: body,
          errors: formErrors([
            {
              path: ['reasonableAdjustments'],
              message: 'Reasonable adjustments must be 2,000 characters or fewer',
            },
          ]),
        });
      }
      // Not returning withdraws the participant (2.3.8): a check page first, never in one click.
      if (body.answer === 'no' && body.confirmed !== 'yes') {
        const question = await getReturnQuestion(deps, ctx.actor);
        if (!question?.answerable) return reply.redirect('/changes/return', 303);
        return reply.view('participant/return-check.njk', {
          question: questionView(question),
          contact: await contactDetailsFor(deps, ctx.actor, ctx.enrolment.id),
          version: question.version,
        });
      }
      try {
        await answerReturnQuestion(
          deps,
          ctx.actor,
          body.answer === 'yes'
            ? { returning: true, reasonableAdjustments: adjustments, expectedVersion: version }
            : { returning: false, expectedVersion: version },
        );
      } catch (error) {
        const failure = formFailureOf(error, 'answer');
        if (!failure) throw error;
        return returnPage(request, reply.code(409), ctx, {
          values: body,
          errors: failure.errors,
        });
      }
      setFlash(
        request,
        body.answer === 'yes'
          ? {
              heading: 'Thank you: you have told us you are returning',
              text: 'We have let your delivery partner know. We have sent you a copy of your answer.',
            }
          : {
              heading: 'Your answer is recorded: you are not returning',
              text: 'You are withdrawn from the programme. We have let your delivery partner know.',
            },
      );
      return reply.redirect('/changes/return', 303);
    }),
  );
}

function questionView(q: ReturnQuestion) {
  return {
    ...q,
    reference: `DEF-${q.caseId}`,
    restart: formatLongDate(q.rejoinDate),
    contactBy: q.intentContactDueOn ? formatLongDate(q.intentContactDueOn) : null,
  };
}
