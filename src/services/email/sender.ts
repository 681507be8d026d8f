import type { NotifyClient } from 'notifications-node-client';
import type { EmailTemplateKey, Personalisation } from '../../domain/email-templates.js';

/** One email to hand to the provider. `reference` is ours (npq-ops-email-<id>): it finds it again. */
export interface EmailToSend {
  readonly template: EmailTemplateKey;
  readonly to: string;
  readonly personalisation: Personalisation;
  readonly reference: string;
}

/** Where emails go out: GOV.UK Notify in production, a recording fake in tests. */
export interface EmailSender {
  send(email: EmailToSend): Promise<{ notifyId: string }>;
  /** The notification sent with this reference, if the provider has one (crash recovery). */
  findByReference(reference: string): Promise<{ notifyId: string; sentAt: Date | null } | null>;
}

/**
 * Why a send did not work, without the address, the personalisation or the API key (the client's
 * own errors carry the whole request). `outcome`:
 * - 'permanent': Notify refused the request (400 bad address or template, 403 is retried: a wrong key is fixed in settings): never retried;
 * - 'retry': Notify did not take it (429 rate limit, 5xx): try again later;
 * - 'unknown': no answer (timeout, connection lost): it may have been sent, so it is looked up by
 *   its reference before anything is sent again.
 */
export class EmailSendError extends Error {
  constructor(
    message: string,
    readonly outcome: 'permanent' | 'retry' | 'unknown',
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = 'EmailSendError';
  }
}

/** The reference Notify keeps with each message; unique per outbox row. */
export function notifyReference(messageId: number): string {
  return `npq-ops-email-${messageId}`;
}

export interface NotifySettings {
  readonly apiKey: string;
  readonly templateIds: Readonly<Record<string, string>>;
}

/** How long to wait for Notify before treating the outcome as unknown. */
const NOTIFY_TIMEOUT_MS = 30_000;

/** Sends through GOV.UK Notify with its official client. */
export function createNotifySender(
  settings: NotifySettings,
  options: { client?: Pick<NotifyClient, 'sendEmail' | 'getNotifications'> } = {},
): EmailSender {
  type Client = Pick<NotifyClient, 'sendEmail' | 'getNotifications'>;
  // Notify's client (and its HTTP library) loads on the first email, not at every start-up.
  let loaded: Promise<Client> | undefined = options.client
    ? Promise.resolve(options.client)
    : undefined;
  const notify = (): Promise<Client> =>
    (loaded ??= import('notifications-node-client').then(
      ({ NotifyClient: Notify }) => new Notify(settings.apiKey),
    ));
  return {
    async send(email) {
      const templateId = settings.templateIds[email.template];
      if (!templateId)
        throw new EmailSendError(`No Notify template id for ${email.template}`, 'permanent');
      try {
        const response = await withTimeout(
          (await notify()).sendEmail(templateId, email.to, {
            personalisation: email.personalisation,
            reference: email.reference,
          }),
        );
        return { notifyId: response.data.id };
      } catch (error) {
        throw asSendError(error, email.to);
      }
    },
    async findByReference(reference) {
      try {
        const response = await withTimeout(
          (await notify()).getNotifications('email', undefined, reference),
        );
        const found = response.data.notifications.find((n) => n.reference === reference);
        if (!found) return null;
        return { notifyId: found.id, sentAt: found.created_at ? new Date(found.created_at) : null };
      } catch (error) {
        throw asSendError(error, '');
      }
    },
  };
}

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new EmailSendError('No answer from Notify in 30 seconds', 'unknown')),
      NOTIFY_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface NotifyErrorShape {
  response?: {
    status?: number;
    data?: { errors?: { error?: string; message?: string }[] };
  };
  code?: string;
}

/** Notify's answer, as a short message that never repeats the address. */
export function asSendError(error: unknown, to: string): EmailSendError {
  if (error instanceof EmailSendError) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as NotifyErrorShape;
  const status = e.response?.status;
  if (status === undefined) {
    return new EmailSendError(`No answer from Notify (${e.code ?? 'network error'})`, 'unknown');
  }
  const detail = (e.response?.data?.errors ?? [])
    .map((x) => [x.error, x.message].filter(Boolean).join(': '))
    .join('; ');
  const scrubbed = (to ? detail.split(to).join('<recipient>') : detail).slice(0, 500);
  const message = `Notify ${status}${scrubbed ? `: ${scrubbed}` : ''}`;
  // 429 (rate limit), 5xx and 403 (a wrong or revoked API key: a setting to fix, not a bad
  // message) are retried with backoff; other 4xx (400: bad address or template) never will succeed.
  const outcome = status === 429 || status === 403 || status >= 500 ? 'retry' : 'permanent';
  return new EmailSendError(message, outcome, status);
}
