import {
  EmailSendError,
  type EmailSender,
  type EmailToSend,
} from '../../src/services/email/sender.js';

/**
 * Records what would be sent. `failNext(status, times)` makes the next sends fail as Notify would
 * answer (400/403 permanent, 429/5xx retry, null: no answer); `notifyHas` is what the provider
 * already holds, for crash recovery by reference; `delayMs` keeps a send in flight.
 */
export class FakeEmailSender implements EmailSender {
  readonly sent: EmailToSend[] = [];
  readonly lookups: string[] = [];
  readonly notifyHas = new Map<string, string>();
  delayMs = 0;
  private failures: (number | null)[] = [];
  private counter = 0;

  failNext(status: number | null, times = 1): void {
    for (let i = 0; i < times; i += 1) this.failures.push(status);
  }

  async send(email: EmailToSend): Promise<{ notifyId: string }> {
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failures.length > 0) {
      const status = this.failures.shift()!;
      if (status === null) throw new EmailSendError('No answer from Notify (ETIMEDOUT)', 'unknown');
      throw new EmailSendError(
        `Notify ${status}: BadRequestError`,
        status === 429 || status >= 500 ? 'retry' : 'permanent',
        status,
      );
    }
    this.sent.push(email);
    this.counter += 1;
    const notifyId = `fake-${this.counter}`;
    this.notifyHas.set(email.reference, notifyId);
    return { notifyId };
  }

  async findByReference(reference: string) {
    this.lookups.push(reference);
    const notifyId = this.notifyHas.get(reference);
    return notifyId ? { notifyId, sentAt: null } : null;
  }
}
