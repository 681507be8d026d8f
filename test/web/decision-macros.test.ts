import { describe, expect, it } from 'vitest';
import { OUTCOMES, type Outcome } from '../../src/policy/index.js';
import { createViewEnvironment } from '../../src/web/render.js';
import { aboutParticipant } from '../../src/domain/third-person.js';

const env = createViewEnvironment();

function banner(flash: object): string {
  return env.renderString(
    '{% from "participant/macros.njk" import flashBanner %}{{ flashBanner(flash) }}',
    { flash },
  );
}

const reasons = [
  { code: 'DEFERRAL.A', clause: '2.3.2', met: true, message: 'First check passed.', evidence: {} },
  { code: 'DEFERRAL.B', clause: '2.3.2', met: true, message: 'Second check passed.', evidence: {} },
  {
    code: 'DEFERRAL.C',
    clause: '2.3.3',
    met: false,
    message: 'The blocking reason.',
    evidence: {},
  },
];

describe('a refusal never appears in a green success banner', () => {
  it.each(OUTCOMES.map((o) => [o]))('a flash carrying a %s decision', (outcome: Outcome) => {
    const html = banner({ heading: 'Done', decision: { outcome, reasons } });
    const green = html.includes('govuk-notification-banner--success');
    expect(green).toBe(outcome === 'allowed' || outcome === 'met');
  });

  it('an explicit tone wins, and a plain message is a success', () => {
    expect(banner({ heading: 'Sent' })).toContain('govuk-notification-banner--success');
    expect(banner({ heading: 'Not possible', tone: 'important' })).not.toContain(
      'govuk-notification-banner--success',
    );
  });
});

describe('participant decisions', () => {
  const render = (outcome: Outcome, options = {}) =>
    env.renderString(
      '{% from "participant/macros.njk" import policyDecision %}{{ policyDecision(d, o) }}',
      { d: { outcome, reasons }, o: options },
    );

  it('put the reason that decides a refusal first and fold away the checks that passed', () => {
    const html = render('refused');
    expect(html.indexOf('The blocking reason.')).toBeLessThan(html.indexOf('First check passed.'));
    expect(html).toMatch(/What else we checked[\s\S]*First check passed\.[\s\S]*Second check/);
    expect(html).toContain(
      '<a class="govuk-link app-clause-link" href="/policy#clause-2-3-3">(Policy 2.3.3)</a>',
    );
    expect(html).not.toContain('govuk-!-font-weight-bold');
  });

  it('leave out the lead reason when the page already shows it', () => {
    const html = render('refused', { lead: true });
    expect(html).not.toContain('The blocking reason.');
    expect(html).toContain('First check passed.');
  });

  it('show every reason of an allowed decision, advice first', () => {
    const html = render('allowed');
    expect(html).not.toContain('What else we checked');
    expect(html.indexOf('The blocking reason.')).toBeLessThan(html.indexOf('First check passed.'));
  });
});

describe('staff pages speak about the participant', () => {
  it.each([
    ['Your place is already deferred.', 'Their place is already deferred.'],
    [
      'You have used all 2 of your assessment attempts.',
      'They have used all 2 of their assessment attempts.',
    ],
    [
      'By 1 May 2027, your Delivery Partner will contact you to confirm you intend to return.',
      'By 1 May 2027, their Delivery Partner will contact them to confirm they intend to return.',
    ],
    ['Thank you for telling us.', 'Thank them for telling us.'],
    [
      'Everything you have done stays available to you.',
      'Everything they have done stays available to them.',
    ],
    ['We will talk you through it yourself.', 'We will talk them through it themselves.'],
    ['Youth work and layout are left alone.', 'Youth work and layout are left alone.'],
  ])('%s', (message, expected) => {
    expect(aboutParticipant(message)).toBe(expected);
  });
});
