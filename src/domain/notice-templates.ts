/**
 * The reminders and notices a participant (and, for two of them, their delivery partner) is sent
 * (issue 14). Each is a GOV.UK Notify template like the account emails; the wording here is the
 * copy shown at the mailbox and in the participant's in-app Messages list. Every one ends with the
 * link to the page to act on. Nudges also say how to turn them off.
 */

const TURN_OFF = 'You can turn off reminders like this one: ((settings_link))';

export const NOTICE_TEMPLATES = {
  notice_module_released: {
    subject: 'New on your NPQ: ((module))',
    body: [
      'Dear ((name)),',
      '',
      '((module)) of ((programme)) is now open. Work through its study sessions in order at a time that suits you; ideally between ((window_start)) and ((window_end)). It stays open for the rest of your programme.',
      '',
      'Start the module: ((link))',
    ].join('\n'),
    placeholders: ['name', 'module', 'programme', 'window_start', 'window_end', 'link'],
  },
  notice_behind_window: {
    subject: 'A few study sessions are waiting for you',
    body: [
      'Dear ((name)),',
      '',
      'You have ((sessions)) study sessions left in modules whose ideal two weeks have passed. Little and often works best: one session takes about 50 minutes.',
      '',
      'Continue where you left off: ((link))',
      '',
      TURN_OFF,
    ].join('\n'),
    placeholders: ['name', 'sessions', 'link', 'settings_link'],
  },
  notice_event_published: {
    subject: 'New date: ((event))',
    body: [
      'Dear ((name)),',
      '',
      'A date has been published for ((event)): ((when)), ((location)).',
      '',
      'Book or plan for it now: ((link))',
    ].join('\n'),
    placeholders: ['name', 'event', 'when', 'location', 'link'],
  },
  notice_event_upcoming: {
    subject: 'Coming up: ((event)) on ((day))',
    body: [
      'Dear ((name)),',
      '',
      '((event)) is on ((when)), ((location)). Put it in your diary now so that nothing clashes.',
      '',
      'Details: ((link))',
    ].join('\n'),
    placeholders: ['name', 'event', 'day', 'when', 'location', 'link'],
  },
  notice_booking: {
    subject: '((what)): ((event))',
    body: [
      'Dear ((name)),',
      '',
      '((what)): ((event)), ((when)), ((location)).',
      '',
      'Your bookings: ((link))',
    ].join('\n'),
    placeholders: ['name', 'what', 'event', 'when', 'location', 'link'],
  },
  notice_event_reminder: {
    subject: 'Tomorrow: ((event))',
    body: [
      'Dear ((name)),',
      '',
      'A reminder that you are booked on ((event)) tomorrow, ((when)), ((location)).',
      '',
      'Your bookings: ((link))',
      '',
      TURN_OFF,
    ].join('\n'),
    placeholders: ['name', 'event', 'when', 'location', 'link', 'settings_link'],
  },
  notice_coaching: {
    subject: '((what)): coaching with ((coach))',
    body: [
      'Dear ((name)),',
      '',
      '((what)): ((session)) with your coach ((coach)), ((when)). ((place))',
      '',
      'Reference: ((reference))',
      '',
      'Your coaching: ((link))',
    ].join('\n'),
    placeholders: ['name', 'what', 'session', 'coach', 'when', 'place', 'reference', 'link'],
  },
  notice_coaching_coach: {
    subject: '((what)): coaching with ((participant))',
    body: [
      'Dear ((name)),',
      '',
      '((what)): ((session)) with ((participant)), ((when)). ((place))',
      '',
      'Reference: ((reference))',
      '',
      'Your coaching sessions: ((link))',
    ].join('\n'),
    placeholders: ['name', 'what', 'session', 'participant', 'when', 'place', 'reference', 'link'],
  },
  notice_coaching_reminder: {
    subject: 'Tomorrow: coaching with ((coach))',
    body: [
      'Dear ((name)),',
      '',
      'A reminder that you have ((session)) with your coach ((coach)) tomorrow, ((when)). ((place))',
      '',
      'Your coaching: ((link))',
      '',
      TURN_OFF,
    ].join('\n'),
    placeholders: ['name', 'session', 'coach', 'when', 'place', 'link', 'settings_link'],
  },
  notice_deadline: {
    subject: '((weeks)) to your engagement deadline',
    body: [
      'Dear ((name)),',
      '',
      'To sit the assessment and complete ((programme)) you need to engage with at least ((threshold)) of the programme by ((deadline)) (policy 2.1.1). You have completed ((figure)) so far.',
      '',
      '((advice))',
      '',
      'See what is left to do: ((link))',
    ].join('\n'),
    placeholders: [
      'name',
      'weeks',
      'programme',
      'threshold',
      'deadline',
      'figure',
      'advice',
      'link',
    ],
  },
  notice_unreachable: {
    subject: '((threshold)) engagement can no longer be reached',
    body: [
      'Dear ((name)),',
      '',
      'You have completed ((figure)) of ((programme)). Even if you do everything still open before ((deadline)), you cannot now reach the ((threshold)) the DfE requires to sit the assessment (policy 2.1.1).',
      '',
      'What to do: contact ((delivery_partner)) (((contact))) to talk about your options, which may include deferring to a later cohort (policy 2.3).',
      '',
      'Your programme: ((link))',
    ].join('\n'),
    placeholders: [
      'name',
      'threshold',
      'figure',
      'programme',
      'deadline',
      'delivery_partner',
      'contact',
      'link',
    ],
  },
  notice_unreachable_partner: {
    subject: 'A participant can no longer reach ((threshold)): ((participant))',
    body: [
      '((participant)) on ((programme)) has completed ((figure)) and can no longer reach ((threshold)) by ((deadline)) (policy 2.1.1). They have been told to contact you.',
      '',
      'Please contact them to discuss their options, including deferral (policy 2.3).',
      '',
      'Their record: ((link))',
    ].join('\n'),
    placeholders: ['participant', 'programme', 'threshold', 'figure', 'deadline', 'link'],
  },
  notice_window_opening: {
    subject: 'Your assessment window is open',
    body: [
      'Dear ((name)),',
      '',
      'The assessment window for ((programme)) is open from ((opens)) to ((closes)) (policy 2.2.1.5). You can submit at any time within it.',
      '',
      'Your assessment: ((link))',
    ].join('\n'),
    placeholders: ['name', 'programme', 'opens', 'closes', 'link'],
  },
  notice_window_closing: {
    subject: 'Two days left to submit your assessment',
    body: [
      'Dear ((name)),',
      '',
      'The assessment window for ((programme)) closes on ((closes)) (policy 2.2.1.5) and we have not had your submission yet. If something has happened that stops you submitting, contact ((contact)) now.',
      '',
      'Submit your assessment: ((link))',
    ].join('\n'),
    placeholders: ['name', 'programme', 'closes', 'contact', 'link'],
  },
  notice_decision: {
    subject: '((request)): ((outcome))',
    body: [
      'Dear ((name)),',
      '',
      '((request)): ((outcome)).',
      '',
      'Why: ((reason))',
      '',
      'What happens next: ((next_steps))',
      '',
      'Questions? Contact ((contact)).',
      '',
      'See the details: ((link))',
    ].join('\n'),
    placeholders: ['name', 'request', 'outcome', 'reason', 'next_steps', 'contact', 'link'],
  },
  notice_intent_request: {
    subject: 'Are you returning to your NPQ on ((restart))?',
    body: [
      'Dear ((name)),',
      '',
      'Your deferral from ((programme)) ends and you are due to re-join on ((restart)) (policy 2.3.7). Please tell us before then whether you will return, and whether you need any reasonable adjustments.',
      '',
      'If you tell us you will not return, you will be withdrawn from the programme and the NPQ Withdrawal policy applies (policy 2.3.8).',
      '',
      'Answer here: ((link))',
      '',
      'Questions? Contact ((contact)).',
    ].join('\n'),
    placeholders: ['name', 'programme', 'restart', 'link', 'contact'],
  },
  notice_intent_answer_partner: {
    subject: 'Return from deferral: ((participant)) ((answer))',
    body: [
      '((participant)) (((programme))) ((answer)) on ((answered_on)). Their restart date is ((restart)).',
      '',
      'Reasonable adjustments: ((adjustments))',
      '',
      'The case: ((link))',
    ].join('\n'),
    placeholders: [
      'participant',
      'programme',
      'answer',
      'answered_on',
      'restart',
      'adjustments',
      'link',
    ],
  },
  notice_assessment_outcome: {
    subject: 'Your assessment result: ((outcome))',
    body: [
      'Dear ((name)),',
      '',
      'Your assessment for ((programme)) (reference ((reference))) has been marked: ((outcome)).',
      '',
      'What happens next: ((next_steps))',
      '',
      'Read your feedback: ((link))',
      '',
      'Questions? Contact ((contact)).',
    ].join('\n'),
    placeholders: ['name', 'programme', 'reference', 'outcome', 'next_steps', 'link', 'contact'],
  },
} as const satisfies Record<
  string,
  { subject: string; body: string; placeholders: readonly string[] }
>;

export type NoticeTemplateKey = keyof typeof NOTICE_TEMPLATES;
