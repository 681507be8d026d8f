import { hideAccountLinks } from '../domain/email-templates.js';
/** How emails are shown on pages: the body as safe HTML with links, and times in London. */

const escapeHtml = (text: string) =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

/**
 * An email's plain text as HTML: escaped, paragraphs kept, web addresses as links. With
 * `hideAccountLinks` (a deployment that really sends email), the secret of an invitation or
 * password-reset link is hidden, so reading the mailbox never lets anyone take over an account.
 */
export function emailBodyHtml(body: string, options: { hideAccountLinks?: boolean } = {}): string {
  const text = options.hideAccountLinks ? hideAccountLinks(body) : body;
  return text
    .split(/\n{2,}/)
    .map((paragraph) => {
      const html = escapeHtml(paragraph)
        .replace(/https?:\/\/[^\s<>"']+/g, (match) => {
          // Sentence punctuation after an address is not part of it.
          const url = match.replace(/[.,;:!?)]+$/, '');
          const link = `<a class="govuk-link govuk-!-text-break-word" href="${url}">${url}</a>`;
          return link + match.slice(url.length);
        })
        .replace(/\n/g, '<br>');
      return `<p class="govuk-body">${html}</p>`;
    })
    .join('');
}

const timeFormat = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
  hour12: true,
  timeZone: 'Europe/London',
});

/** "3 December 2026, 1:41 pm", in London time. */
export function whenText(iso: string | null): string {
  return iso ? timeFormat.format(new Date(iso)) : '';
}
