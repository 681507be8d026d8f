/**
 * The emails npq-ops sends. Each is a GOV.UK Notify template: in production its id comes from
 * configuration (NOTIFY_TEMPLATE_IDS) and Notify holds the wording; the subject and body here are
 * the same wording, used to show messages at the mailbox page when no Notify key is set, and to
 * check that every placeholder is given. Placeholders use Notify's ((name)) syntax.
 */
import { NOTICE_TEMPLATES } from './notice-templates.js';

export interface EmailTemplate {
  readonly subject: string;
  readonly body: string;
  /** Placeholders the body and subject need. */
  readonly placeholders: readonly string[];
}

export const EMAIL_TEMPLATES = {
  staff_invitation: {
    subject: 'You have been invited to npq-ops',
    body: [
      'Dear ((name)),',
      '',
      '((invited_by)) has given you an npq-ops account as ((role_description)).',
      '',
      'Set your password to start using it:',
      '((link))',
      '',
      'The link works once and expires on ((expires)). If it has expired, ask ((invited_by)) to invite you again.',
    ].join('\n'),
    placeholders: ['name', 'invited_by', 'role_description', 'link', 'expires'],
  },
  participant_invitation: {
    subject: 'Your NPQ programme: set your password',
    body: [
      'Dear ((name)),',
      '',
      'Your place on ((programme)) with ((delivery_partner)) is confirmed.',
      '',
      'Set your password to see your programme, book clinics and follow your progress:',
      '((link))',
      '',
      'The link works once and expires on ((expires)). If it has expired, use "Forgotten your password?" on the sign-in page to get a new one.',
      '',
      'Questions? Contact ((delivery_partner)): ((contact)).',
    ].join('\n'),
    placeholders: ['name', 'programme', 'delivery_partner', 'link', 'expires', 'contact'],
  },
  password_reset: {
    subject: 'Reset your npq-ops password',
    body: [
      'Dear ((name)),',
      '',
      'Someone asked to reset the password of your npq-ops account. To choose a new password, use this link:',
      '((link))',
      '',
      'The link works once and expires at ((expires)). If you did not ask for this, you can ignore this email: your password has not changed.',
    ].join('\n'),
    placeholders: ['name', 'link', 'expires'],
  },
  password_changed: {
    subject: 'Your npq-ops password has been changed',
    body: [
      'Dear ((name)),',
      '',
      'The password of your npq-ops account was changed on ((when)).',
      '',
      'If this was not you, contact your programme team straight away.',
    ].join('\n'),
    placeholders: ['name', 'when'],
  },
  event_changed: {
    subject: 'Your NPQ event has changed: ((event))',
    body: [
      'Dear ((name)),',
      '',
      'The programme team has changed an event you are booked on: ((event)).',
      '',
      'It was: ((was))',
      'It is now: ((now))',
      '',
      'Your place is kept. If you can no longer come, change or cancel your booking in npq-ops under Clinics and events.',
    ].join('\n'),
    placeholders: ['name', 'event', 'was', 'now'],
  },
  policy_review_due: {
    subject: 'Policy review due: ((policy)) version ((version))',
    body: [
      'Dear ((owner)),',
      '',
      'Version ((version)) of the ((policy)) is due for its review on ((due)) (policy 3.1.1: all policies are regularly reviewed by the Policy Owner).',
      '',
      'Start a draft of the next version, try it on your participants with the what-if, and send it for approval:',
      '((link))',
    ].join('\n'),
    placeholders: ['owner', 'policy', 'version', 'due', 'link'],
  },
  ...NOTICE_TEMPLATES,
} as const satisfies Record<string, EmailTemplate>;

export type EmailTemplateKey = keyof typeof EMAIL_TEMPLATES;
export const EMAIL_TEMPLATE_KEYS = Object.keys(EMAIL_TEMPLATES) as EmailTemplateKey[];

export type Personalisation = Record<string, string>;

/** Fills ((placeholders)); throws when one is missing, so a message is never sent half-written. */
export function renderEmail(
  key: EmailTemplateKey,
  personalisation: Personalisation,
): { subject: string; body: string } {
  const template: EmailTemplate = EMAIL_TEMPLATES[key];
  const missing = template.placeholders.filter((p) => personalisation[p] === undefined);
  if (missing.length) throw new Error(`Email ${key} needs ${missing.join(', ')}`);
  const fill = (text: string) =>
    text.replace(/\(\(([a-z_]+)\)\)/g, (_, name: string) => personalisation[name] ?? '');
  return { subject: fill(template.subject), body: fill(template.body) };
}

/**
 * Hides the secret of invitation and password-reset links, for showing a sent email to someone
 * other than its recipient: reading the mailbox must never let anyone take over an account.
 */
export function hideAccountLinks(text: string): string {
  return text.replace(
    /https?:\/\/\S+\/account\/(?:set|reset)-password\/[A-Za-z0-9_-]+/g,
    '(a single-use link, sent only to the recipient)',
  );
}
