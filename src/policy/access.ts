/**
 * Access to asynchronous content (policy 2.1.3, 2.2.1, 2.2.1.1). Study sessions must be done in
 * sequence, but once released a module stays open for the whole programme, including while a
 * participant is deferred, so part-time participants can fit it around their week. The 2-week
 * window is the ideal pace: we tell the participant when they are behind it, and never lock them out.
 */
import type { EnrolmentStatus } from '../domain/catalogue.js';
import { decision, reason } from './decision.js';
import type { Decision, Reason, RuleMetadata } from './decision.js';
import { addDays, formatLongDate, isBefore, maxDate } from './dates.js';
import type { IsoDate } from './dates.js';
import { POLICY_REGISTER } from './register.js';
import type { PolicyRegister } from './register.js';

export interface StudyModule {
  readonly id: string;
  readonly sequence: number;
  readonly title?: string;
  /** The day the module's content becomes available. */
  readonly releasedOn: IsoDate;
  /** The day the cohort is scheduled to start the module; the ideal window starts here. */
  readonly scheduledStartOn: IsoDate;
}

export interface StudySession {
  readonly id: string;
  readonly moduleId: string;
  /** Order within the module. */
  readonly sequence: number;
  readonly title?: string;
}

export interface AccessInput {
  readonly modules: readonly StudyModule[];
  readonly sessions: readonly StudySession[];
  readonly completedSessionIds: Iterable<string>;
  readonly today: IsoDate;
  readonly enrolmentStatus: EnrolmentStatus;
  /** The last day of the participant's programme with their cohort. */
  readonly programmeEndsOn: IsoDate;
  /** After a deferral: the last day of the cohort they re-join, so content stays open until then. */
  readonly rejoinCohortEndsOn?: IsoDate;
}

export type AccessState = 'done' | 'open' | 'locked';
export type PaceAdvice = 'before_ideal_window' | 'within_ideal_window' | 'behind_ideal_window';

export interface SessionAccessDetails {
  readonly sessionId: string;
  readonly moduleId: string;
  readonly state: AccessState;
  readonly advice: PaceAdvice | null;
  readonly idealWindowEndsOn: IsoDate;
  readonly accessEndsOn: IsoDate;
}

export type SessionAccessDecision = Decision<'allowed' | 'refused', SessionAccessDetails>;

const NO_ACCESS_STATUSES: readonly EnrolmentStatus[] = ['applied', 'withdrawn', 'transferred_out'];

/** Sessions in the order they must be done: by module, then within the module. */
export function sessionsInOrder(
  modules: readonly StudyModule[],
  sessions: readonly StudySession[],
): StudySession[] {
  const moduleOrder = new Map(modules.map((m) => [m.id, m.sequence]));
  for (const s of sessions) {
    if (!moduleOrder.has(s.moduleId))
      throw new RangeError(`Session ${s.id} has unknown module ${s.moduleId}`);
  }
  return [...sessions].sort(
    (a, b) =>
      (moduleOrder.get(a.moduleId) ?? 0) - (moduleOrder.get(b.moduleId) ?? 0) ||
      a.sequence - b.sequence ||
      // Stryker disable next-line EqualityOperator: session ids are unique, so a.id <= b.id and a.id < b.id agree for any two sessions
      (a.id < b.id
        ? -1
        : // Stryker disable next-line all: V8's sort only asks whether compare(a, b) < 0, so 1 and 0 here order alike; ids are unique, so a.id === b.id never reaches this
          a.id > b.id
          ? 1
          : 0),
  );
}

/** Access to every study session, in programme order. */
export function evaluateProgrammeAccess(
  input: AccessInput,
  register: PolicyRegister = POLICY_REGISTER,
): SessionAccessDecision[] {
  const modules = new Map(input.modules.map((m) => [m.id, m]));
  const completed = new Set(input.completedSessionIds);
  const accessEndsOn =
    input.rejoinCohortEndsOn === undefined
      ? input.programmeEndsOn
      : maxDate(input.programmeEndsOn, input.rejoinCohortEndsOn);
  const ordered = sessionsInOrder(input.modules, input.sessions);

  return ordered.map((session, index) => {
    const module = modules.get(session.moduleId);
    // Stryker disable next-line StringLiteral: unreachable, sessionsInOrder has already thrown for a session of an unknown module
    if (!module) throw new RangeError(`Unknown module ${session.moduleId}`);
    // In sequence means every earlier session is done, not just the one before (records can be imported).
    const firstIncomplete = ordered.slice(0, index).find((earlier) => !completed.has(earlier.id));
    const idealWindowEndsOn = addDays(
      module.scheduledStartOn,
      register.parameters.idealModuleWindowDays - 1,
    );
    const evidence = {
      sessionId: session.id,
      moduleId: module.id,
      today: input.today,
      releasedOn: module.releasedOn,
      accessEndsOn,
      enrolmentStatus: input.enrolmentStatus,
    };
    const name = session.title ?? `this session (${session.id})`;
    const reasons: Reason[] = [];
    let state: AccessState;

    if (NO_ACCESS_STATUSES.includes(input.enrolmentStatus)) {
      state = 'locked';
      reasons.push(
        reason(
          'ACCESS.NOT_ENROLLED',
          '2.2.1.1',
          false,
          `You cannot open ${name} because you are not currently enrolled on the programme.`,
          evidence,
        ),
      );
    } else if (isBefore(accessEndsOn, input.today)) {
      state = 'locked';
      reasons.push(
        reason(
          'ACCESS.PROGRAMME_ENDED',
          '2.2.1.1',
          false,
          `Content stays available for the duration of your programme, which ended on ${formatLongDate(accessEndsOn)}.`,
          evidence,
        ),
      );
    } else if (completed.has(session.id)) {
      // Work done stays done, even when the module is not yet released in a cohort re-joined
      // after a deferral (2.3.6): never "opens on" a date for something already completed.
      state = 'done';
      reasons.push(
        reason(
          'ACCESS.DONE',
          '2.2.1.1',
          true,
          `You have completed ${name}. You can revisit it at any time until ${formatLongDate(accessEndsOn)}.`,
          evidence,
        ),
      );
    } else if (isBefore(input.today, module.releasedOn)) {
      state = 'locked';
      reasons.push(
        reason(
          'ACCESS.NOT_RELEASED',
          '2.1.3',
          false,
          `Content is released in stages; ${name} opens on ${formatLongDate(module.releasedOn)}.`,
          evidence,
        ),
      );
    } else if (firstIncomplete !== undefined) {
      state = 'locked';
      reasons.push(
        reason(
          'ACCESS.PREVIOUS_SESSION_INCOMPLETE',
          '2.2.1.1',
          false,
          `Self-study sessions are done in order: ${name} opens once every session before it is complete. Next to do: ${firstIncomplete.title ?? firstIncomplete.id}.`,
          { ...evidence, previousSessionId: firstIncomplete.id },
        ),
      );
    } else {
      state = 'open';
      reasons.push(
        reason(
          'ACCESS.OPEN',
          '2.2.1.1',
          true,
          `${capitalise(name)} is open. You can do it at a time that suits you, until ${formatLongDate(accessEndsOn)}.`,
          evidence,
        ),
      );
    }

    let advice: PaceAdvice | null = null;
    if (state !== 'done' && reasons[0]?.code !== 'ACCESS.NOT_ENROLLED') {
      advice = isBefore(input.today, module.scheduledStartOn)
        ? 'before_ideal_window'
        : isBefore(idealWindowEndsOn, input.today)
          ? 'behind_ideal_window'
          : 'within_ideal_window';
      if (advice === 'behind_ideal_window' && state === 'open') {
        reasons.push(
          reason(
            'ACCESS.BEHIND_IDEAL_WINDOW',
            '2.2.1.1',
            false,
            `Ideally this module is finished within ${register.parameters.idealModuleWindowDays} days of its start (by ${formatLongDate(idealWindowEndsOn)}). That is advice only: the session stays open for you.`,
            { ...evidence, idealWindowEndsOn },
          ),
        );
      }
    }

    if (input.enrolmentStatus === 'deferred' && state !== 'locked') {
      reasons.push(
        reason(
          'ACCESS.OPEN_DURING_DEFERRAL',
          '2.3.6',
          true,
          'While you are deferred, all released content stays open so you can revisit learning at your own pace.',
          evidence,
        ),
      );
    }

    return decision(register.version, state === 'locked' ? 'refused' : 'allowed', reasons, {
      sessionId: session.id,
      moduleId: module.id,
      state,
      advice,
      idealWindowEndsOn,
      accessEndsOn,
    });
  });
}

/** Access to one study session. */
export function evaluateStudySessionAccess(
  input: AccessInput,
  sessionId: string,
  register: PolicyRegister = POLICY_REGISTER,
): SessionAccessDecision {
  const found = evaluateProgrammeAccess(input, register).find(
    (d) => d.details.sessionId === sessionId,
  );
  if (!found) throw new RangeError(`Unknown session ${sessionId}`);
  return found;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export const ACCESS_RULES: readonly RuleMetadata[] = [
  {
    rule: 'evaluateProgrammeAccess',
    file: 'src/policy/access.ts',
    clauses: ['1.1.1', '2.1.3', '2.2.1', '2.2.1.1', '2.3.6'],
    summary:
      'A study session opens once its module is released and every earlier session is complete; released content stays open to the end of the programme and during a deferral; the 2-week ideal window is advice only.',
  },
  {
    rule: 'evaluateStudySessionAccess',
    file: 'src/policy/access.ts',
    clauses: ['2.2.1.1'],
    summary: 'The same answer for a single session.',
  },
];
