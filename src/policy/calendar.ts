/**
 * The programme calendar (policy 2.1.3, 2.2.1.1, 2.2.1.2, 2.2.1.4, 2.2.1.5). Part-time participants
 * can only plan around events whose dates they know, so every clinic, community session, conference
 * and assessment window must be published a minimum number of days ahead, and module content must be
 * released no later than the cohort is scheduled to start it.
 */
import { decision, reason } from './decision.js';
import type { Decision, Reason, RuleMetadata } from './decision.js';
import { addDays, daysBetween, formatLongDate, isOnOrBefore } from './dates.js';
import type { IsoDate } from './dates.js';
import type { ClauseNumber } from './clauses.js';
import { POLICY_REGISTER } from './register.js';
import type { NoticeEventKind, PolicyRegister } from './register.js';
import type { StudyModule } from './access.js';

export interface EventNoticeInput {
  readonly kind: NoticeEventKind;
  readonly eventOn: IsoDate;
  /** The day the date was communicated to participants; absent if it has not been. */
  readonly publishedOn?: IsoDate;
  /** In-person events need the same notice as online ones (2.1.3). */
  readonly inPerson?: boolean;
}

export interface EventNoticeDetails {
  readonly requiredDays: number;
  readonly noticeDays: number | null;
  /** The last day the date could have been published with enough notice. */
  readonly publishBy: IsoDate;
}

const NOTICE_CLAUSE: Readonly<Record<NoticeEventKind, ClauseNumber>> = {
  clinic: '2.2.1.2',
  community_session: '2.1.3',
  conference: '2.2.1.4',
  assessment_window: '2.2.1.5',
};

const EVENT_NAME: Readonly<Record<NoticeEventKind, string>> = {
  clinic: 'clinic',
  community_session: 'community session',
  conference: 'conference',
  assessment_window: 'assessment window',
};

/** Whether an event's date was (or can still be) communicated far enough ahead. */
export function evaluateEventNotice(
  input: EventNoticeInput,
  register: PolicyRegister = POLICY_REGISTER,
): Decision<'met' | 'not_met', EventNoticeDetails> {
  const requiredDays = register.parameters.eventNoticeDays[input.kind];
  const publishBy = addDays(input.eventOn, -requiredDays);
  const clause = NOTICE_CLAUSE[input.kind];
  const name = EVENT_NAME[input.kind];
  const noticeDays =
    input.publishedOn === undefined ? null : daysBetween(input.publishedOn, input.eventOn);
  const met = noticeDays !== null && noticeDays >= requiredDays;
  const evidence = {
    kind: input.kind,
    eventOn: input.eventOn,
    publishedOn: input.publishedOn ?? null,
    requiredDays,
    noticeDays,
    inPerson: input.inPerson ?? false,
  };
  const reasons: Reason[] = [
    met
      ? reason(
          'CALENDAR.NOTICE_GIVEN',
          clause,
          true,
          `The date of this ${name} (${formatLongDate(input.eventOn)}) was shared ${noticeDays} days ahead, so you can plan around it.`,
          evidence,
        )
      : reason(
          'CALENDAR.NOTICE_TOO_SHORT',
          clause,
          false,
          noticeDays === null
            ? `The date of this ${name} (${formatLongDate(input.eventOn)}) has not been shared yet; it must be shared by ${formatLongDate(publishBy)}.`
            : `The date of this ${name} (${formatLongDate(input.eventOn)}) was shared only ${noticeDays} days ahead; at least ${requiredDays} days are needed.`,
          evidence,
        ),
    reason(
      'CALENDAR.DATES_IN_ADVANCE',
      '2.1.3',
      met,
      input.inPerson
        ? 'In-person events have their dates communicated in advance, just like online ones.'
        : 'Event dates are communicated in advance to help you manage your time.',
      evidence,
    ),
  ];
  return decision(register.version, met ? 'met' : 'not_met', reasons, {
    requiredDays,
    noticeDays,
    publishBy,
  });
}

export interface ModuleReleaseDetails {
  readonly lateModuleIds: readonly string[];
}

/**
 * 2.2.1.1: content is released ahead of schedule, that is at least the cohort's lead time (in days)
 * before the module's ideal window starts; 2.1.3: release is staggered module by module.
 */
export function evaluateModuleReleaseSchedule(
  modules: readonly StudyModule[],
  register: PolicyRegister = POLICY_REGISTER,
  options: { leadDays?: number } = {},
): Decision<'met' | 'not_met', ModuleReleaseDetails> {
  const leadDays = options.leadDays ?? 0;
  const ordered = [...modules].sort((a, b) => a.sequence - b.sequence);
  const late = ordered.filter(
    (m) => !isOnOrBefore(m.releasedOn, addDays(m.scheduledStartOn, -leadDays)),
  );
  const outOfOrder = ordered.filter(
    // Stryker disable next-line ConditionalExpression,EqualityOperator: for i = 0 the fallback compares the first module with itself (never out of order), so `i > 0`, `i >= 0` and `true` agree
    (m, i) => i > 0 && !isOnOrBefore(ordered[i - 1]?.releasedOn ?? m.releasedOn, m.releasedOn),
  );
  const reasons: Reason[] = [
    late.length === 0
      ? reason(
          'CALENDAR.RELEASED_AHEAD',
          '2.2.1.1',
          true,
          leadDays === 0
            ? 'Every module is released on or before the start of its ideal window.'
            : `Every module is released at least ${leadDays} days before its ideal window starts.`,
          { moduleCount: ordered.length, leadDays },
        )
      : reason(
          'CALENDAR.RELEASED_LATE',
          '2.2.1.1',
          false,
          `Module content must be released ahead of schedule, at least ${leadDays} days before its ideal window starts; ${late.length} module(s) are released later than that: ${late
            .map(
              (m) =>
                `${m.title ?? `module ${m.sequence}`} is released on ${formatLongDate(m.releasedOn)} for a window starting ${formatLongDate(m.scheduledStartOn)}`,
            )
            .join('; ')}.`,
          { lateModuleIds: late.map((m) => m.id), leadDays },
        ),
    outOfOrder.length === 0
      ? reason(
          'CALENDAR.STAGGERED_RELEASE',
          '2.1.3',
          true,
          'Modules are released in programme order, in manageable chunks.',
          { moduleCount: ordered.length },
        )
      : reason(
          'CALENDAR.RELEASE_OUT_OF_ORDER',
          '2.1.3',
          false,
          'Modules must be released in programme order, one chunk at a time.',
          { outOfOrderModuleIds: outOfOrder.map((m) => m.id) },
        ),
  ];
  const met = late.length === 0 && outOfOrder.length === 0;
  return decision(register.version, met ? 'met' : 'not_met', reasons, {
    lateModuleIds: late.map((m) => m.id),
  });
}

export const CALENDAR_RULES: readonly RuleMetadata[] = [
  {
    rule: 'evaluateEventNotice',
    file: 'src/policy/calendar.ts',
    clauses: ['2.1.3', '2.2.1.2', '2.2.1.4', '2.2.1.5'],
    summary:
      'An event date (clinic, community session, conference, assessment window) must be published at least the register minimum of days ahead.',
  },
  {
    rule: 'evaluateModuleReleaseSchedule',
    file: 'src/policy/calendar.ts',
    clauses: ['2.1.3', '2.2.1.1'],
    summary:
      "Modules are released in order and at least the cohort's lead time (default 7 days) before their ideal window starts.",
  },
];
