/**
 * The clauses of the NPQ Part-Time, Deferral and Portability Policy, quoted from the document
 * (v2.2, August 2025). The numbers are the policy's own; every rule cites them so a programme
 * manager can check the code against the text.
 */

export const CLAUSE_NUMBERS = [
  '1.1.1',
  '1.1.2',
  '2.1.1',
  '2.1.2',
  '2.1.3',
  '2.2.1',
  '2.2.1.1',
  '2.2.1.2',
  '2.2.1.3',
  '2.2.1.4',
  '2.2.1.5',
  '2.3.1',
  '2.3.2',
  '2.3.3',
  '2.3.4',
  '2.3.5',
  '2.3.6',
  '2.3.7',
  '2.3.8',
  '2.3.9',
  '2.3.10',
  '2.4.1',
  '2.4.2',
  '2.5.1',
  '2.5.2',
  '2.5.3',
  '2.5.4',
  '2.6.1',
  '2.6.2',
  '2.6.3',
  '2.6.4',
  '3.1.1',
] as const;

export type ClauseNumber = (typeof CLAUSE_NUMBERS)[number];

export interface Clause {
  readonly number: ClauseNumber;
  /** The section heading the clause sits under, e.g. '2.3. Deferral'. */
  readonly section: string;
  readonly text: string;
}

export function isClauseNumber(value: string): value is ClauseNumber {
  return (CLAUSE_NUMBERS as readonly string[]).includes(value);
}

const PURPOSE = '1.1. Purpose';
const DESIGN = '2.1. Programme Design Overview';
const PART_TIME = '2.2. Part-Time Participants';
const DEFERRAL = '2.3. Deferral';
const FUNDING = '2.4. Funding and programme fee';
const ASSESSMENT = '2.5. Deferral prior to, and during, the assessment';
const PORTABILITY = '2.6. Portability (school transfers)';
const VERSION_CONTROL = 'Section 3: Version Control';

export const CLAUSES_V2_2: Readonly<Record<ClauseNumber, Clause>> = {
  '1.1.1': {
    number: '1.1.1',
    section: PURPOSE,
    text: 'Providers of National Professional Qualifications (NPQs), including Ambition Institute, must ensure their programme is suitable for participants who work on a part-time basis, is adaptable for those who move schools or settings mid-programme, and is flexible for those who need to defer their place to a later cohort.',
  },
  '1.1.2': {
    number: '1.1.2',
    section: PURPOSE,
    text: 'This policy outlines how part-time participants who defer engagement or transfer school/setting during their NPQ will be supported to continue engaging with their programme.',
  },
  '2.1.1': {
    number: '2.1.1',
    section: DESIGN,
    text: 'The DfE require NPQ participants to engage with at least 90% of the programme content to be eligible to sit the assessment and complete the programme.',
  },
  '2.1.2': {
    number: '2.1.2',
    section: DESIGN,
    text: "Ambition Institute's NPQ programmes are designed to meet the needs of participants regardless of their context, providing the agility to support a range of engagement patterns, including part-time participants, parental leave, deferrals and moving school/setting mid-programme.",
  },
  '2.1.3': {
    number: '2.1.3',
    section: DESIGN,
    text: "A significant amount of learning is asynchronous and can be done in the participant's own time, and course release is staggered to break content down into manageable chunks, therefore further supporting a range of working patterns/engagement needs. Synchronous events are often online, and – including when events are in-person – dates are communicated in advance to support individuals in their time management.",
  },
  '2.2.1': {
    number: '2.2.1',
    section: PART_TIME,
    text: 'Lead Providers are required to ensure the programme is accessible for participants who work on a part-time basis. The NPQ programmes are designed with the following flexibility:',
  },
  '2.2.1.1': {
    number: '2.2.1.1',
    section: PART_TIME,
    text: "Asynchronous Content: Independent content is designed in the form of 'modules' that participants complete at a time which suits them. Online self-study materials must be accessed in sequence, but modules can be completed at any point, though ideally within a 2-week window. Module content will be released ahead of schedule and will remain available for the duration of the programme.",
  },
  '2.2.1.2': {
    number: '2.2.1.2',
    section: PART_TIME,
    text: 'Clinics: Dates for clinics will be shared far in advance to enable all participants, including those who work on a part-time basis, to plan to attend according to their schedule. Clinics should be attended in sequence, and we will seek to accommodate changes for participants who work on a part-time basis.',
  },
  '2.2.1.3': {
    number: '2.2.1.3',
    section: PART_TIME,
    text: "Coaching (applicable to NPQEL and EHCO only): Coaching can be scheduled based on the participant's availability, in conjunction with that of their coach.",
  },
  '2.2.1.4': {
    number: '2.2.1.4',
    section: PART_TIME,
    text: 'Conferences: Dates will be communicated to participants in advance to avoid scheduling conflicts.',
  },
  '2.2.1.5': {
    number: '2.2.1.5',
    section: PART_TIME,
    text: 'Assessment: NPQ assessments take place during an 8-day window, which will be communicated in advance. The assessment can be completed at any time within the window, allowing for flexibility around part-time schedules.',
  },
  '2.3.1': {
    number: '2.3.1',
    section: DEFERRAL,
    text: 'We expect participants to complete their NPQ programme, including the assessment, with the cohort they started with. Only in extenuating circumstances do we expect participants to be unable to complete their programme. In extenuating circumstances, we want to support the individual to successfully complete their programme. This may include the offer of a deferral.',
  },
  '2.3.2': {
    number: '2.3.2',
    section: DEFERRAL,
    text: 'To be eligible for deferral, participants must have been accepted and formally commenced their NPQ programme – this includes having registered with the Department for Education, having submitted their confirmation of employment, and having engaged with at least one module or attended one event.',
  },
  '2.3.3': {
    number: '2.3.3',
    section: DEFERRAL,
    text: 'Participants may only defer once. Deferral is dependent on the availability of a suitable future cohort.',
  },
  '2.3.4': {
    number: '2.3.4',
    section: DEFERRAL,
    text: [
      'Examples of extenuating circumstances where a deferral may be discussed include (but are not limited to):',
      "- Illness and/or health-related issues which impact the individual's ability to fully engage with and complete the programme for a sustained period.",
      '- Maternity, paternity, shared parental, adoption or parental leave.',
      "- Bereavement or changes to personal circumstances which impact the individual's ability to fully engage with and complete the programme for a sustained period.",
      'If a participant would like to discuss the possibility of a deferral, they must contact their Delivery Partner or Ambition for our national cohorts. The possibility of deferral will be discussed, alongside other available options that will enable the participant to continue the programme with their current cohort.',
    ].join('\n'),
  },
  '2.3.5': {
    number: '2.3.5',
    section: DEFERRAL,
    text: 'If it is agreed that deferral is the most appropriate action, the participant should discuss and provisionally agree on their expected date of re-joining the programme with Ambition (national cohort) or Delivery Partner. Opportunities to re-join after deferral are fewer than in previous years. The move to one cohort per year means that if a participant needed to defer, the next available cohort would be in approximately 12 months. If they need to cover content which they missed before the deferral was formalised, they may need to return sooner.',
  },
  '2.3.6': {
    number: '2.3.6',
    section: DEFERRAL,
    text: 'When a participant defers, they restart the programme with a new cohort at the relevant point in the programme journey (i.e. at the point they last engaged). This ensures that participant time is prioritised as they do not have to restart the programme in full. All content is accessible to them via our online learning platform, so they can revisit learning at their own pace, whilst accessing new learning and attending events with their new cohort.',
  },
  '2.3.7': {
    number: '2.3.7',
    section: DEFERRAL,
    text: 'Prior to the agreed restart date, the Delivery Partner or Ambition (for our national cohorts) will contact the participant requesting confirmation of their intent to return to the NPQ programme. At this point, there will also be a discussion regarding any reasonable adjustments that the participant may require on their return to the programme.',
  },
  '2.3.8': {
    number: '2.3.8',
    section: DEFERRAL,
    text: 'If the participant chooses not to return to the programme, they will be classed as withdrawing from the programme. In this case, the terms outlined in the NPQ Withdrawal policy will then apply.',
  },
  '2.3.9': {
    number: '2.3.9',
    section: DEFERRAL,
    text: 'We offer participants on our NPQ programmes one deferral opportunity. Only under extenuating circumstances will a further deferral be considered.',
  },
  '2.3.10': {
    number: '2.3.10',
    section: DEFERRAL,
    text: 'We cannot guarantee that deferral will always be available, for example, where we are running the final cohort of a particular NPQ programme or where our contract to deliver NPQ programmes ceases. If deferral is not possible, we will communicate this to the participant and outline the options that are available to them. This may result in withdrawal from the programme, to which the NPQ Withdrawal policy will apply.',
  },
  '2.4.1': {
    number: '2.4.1',
    section: FUNDING,
    text: 'If the programme is a scholarship funded by the Department for Education, the participant will retain funding when they restart their NPQ programme. This is subject to change at any time by the Department for Education.',
  },
  '2.4.2': {
    number: '2.4.2',
    section: FUNDING,
    text: 'If the programme is self-funded by the individual or their school, trust or associated organisation, no refund will be given at the point of deferral, given the expectation that the participant will be re-joining the NPQ programme at a future date. Please see our NPQ Refund Policy for further information on refunds.',
  },
  '2.5.1': {
    number: '2.5.1',
    section: ASSESSMENT,
    text: "If a participant would like to discuss the possibility of a deferral before the assessment window, they should contact their Delivery Partner (or Ambition for our national cohorts) as soon as possible and no later than the pre-communicated deadline for meeting the 90% programme completion requirement. The above deferral process will then be followed. Deferral before the assessment window will not affect a participant's right to two assessment attempts.",
  },
  '2.5.2': {
    number: '2.5.2',
    section: ASSESSMENT,
    text: "In extenuating circumstances, where a participant has met the 90% engagement requirement and has entered the assessment window, they may be granted a deferral during or after an assessment window, known as an 'assessment deferral'. Ambition reserves the right to request further supporting evidence, where necessary. Where this request is approved, the participant will not lose an assessment attempt. They will be entered into the next assessment window available for their NPQ programme.",
  },
  '2.5.3': {
    number: '2.5.3',
    section: ASSESSMENT,
    text: [
      "Examples of circumstances which can be viewed as extenuating, and where Ambition could offer an 'assessment deferral' during or after the assessment window may include:",
      "- Unforeseen illness and/or health-related issues and leaves of absence, which have impacted/will impact a participant's ability to submit their assessment.",
      "- Bereavement or unforeseen changes to personal circumstances which have impacted/will impact a participant's ability to submit their assessment.",
      "- Any other significant and unforeseen change or occurrence which has impacted/will impact a participant's ability to submit their assessment.",
    ].join('\n'),
  },
  '2.5.4': {
    number: '2.5.4',
    section: ASSESSMENT,
    text: 'Participants who do not submit their assessment and do not notify their Delivery Partner or Ambition (for our national cohorts) of any extenuating circumstances will lose one of their two assessment attempts.',
  },
  '2.6.1': {
    number: '2.6.1',
    section: PORTABILITY,
    text: 'We expect our participants to complete their NPQ programme whilst being employed in the same school/organisation. However, we recognise that there may be instances where a school/setting move during the completion of an NPQ programme is unavoidable.',
  },
  '2.6.2': {
    number: '2.6.2',
    section: PORTABILITY,
    text: "Our programmes are designed in such a way that we do not expect a school/setting move to inhibit a participant's ability to engage with their NPQ programme. This means a participant will be able to continue with their NPQ programme should they move schools/settings.",
  },
  '2.6.3': {
    number: '2.6.3',
    section: PORTABILITY,
    text: 'If a participant does move school/setting during their NPQ, they must notify their Delivery Partner or Ambition Programmes Team so that we can ensure our records remain up to date.',
  },
  '2.6.4': {
    number: '2.6.4',
    section: PORTABILITY,
    text: "Should a participant move to a school/setting outside of our network i.e., to a school/setting in an area not covered by Ambition Institute as the lead provider, Ambition will work with any relevant other lead providers as appropriate to support the participant's transfer to a programme delivered by the lead provider of their choice. This may include relevant data sharing with the new lead provider.",
  },
  '3.1.1': {
    number: '3.1.1',
    section: VERSION_CONTROL,
    text: 'All Ambition policies are regularly reviewed by the Policy Owner. Feedback from employees and relevant stakeholders will be considered during the review process, and revisions will be made as necessary to reflect changes in laws, regulations, or company practices.',
  },
};
