/**
 * One outbox row → one typed request to the DfE API v3 (participant changes, declarations and
 * application decisions), and the reconciliation that finds out whether a request whose answer was
 * lost (timeout, crash) took effect there.
 */
import type { DfeClient, DfeComponents } from '../client.js';
import type { DfeOutboxAction } from './enqueue.js';

type Attributes = Record<string, unknown>;
type Participant = DfeComponents['schemas']['Participant'];
type Declaration = DfeComponents['schemas']['ParticipantDeclaration'];

export interface OutboxItem {
  id: number;
  action: DfeOutboxAction;
  attributes: Attributes;
  /** Null only for an application decision about someone not yet a participant. */
  dfe_participant_id: string | null;
  /** For an application decision: the DfE id of the application. */
  dfe_application_id: string | null;
  /** For 'void': the DfE id of the declaration to void. */
  dfe_declaration_id: string | null;
}

/** What came back: a status and a parsed body (or none, when the answer never arrived). */
export interface DfeAnswer {
  status: number;
  body: unknown;
}

const TYPES = {
  defer: 'participant-defer',
  resume: 'participant-resume',
  withdraw: 'participant-withdraw',
  change_schedule: 'participant-change-schedule',
} as const;

/** Sends the request; throws only when no answer arrived (network failure or timeout). */
export async function sendRequest(client: DfeClient, item: OutboxItem): Promise<DfeAnswer> {
  const a = item.attributes as never;
  const id = { params: { path: { id: item.dfe_participant_id ?? '' } } };
  const application = { params: { path: { id: item.dfe_application_id ?? '' } } };
  let result: { response: Response; data?: unknown; error?: unknown };
  switch (item.action) {
    case 'accept':
      result = await client.POST('/api/v3/npq-applications/{id}/accept', {
        ...application,
        body: { data: { type: 'npq-application-accept', attributes: a } },
      });
      break;
    case 'reject':
      result = await client.POST('/api/v3/npq-applications/{id}/reject', application);
      break;
    case 'change_funded_place':
      result = await client.PUT('/api/v3/npq-applications/{id}/change-funded-place', {
        ...application,
        body: { data: { type: 'npq-application-change-funded-place', attributes: a } },
      });
      break;
    case 'defer':
      result = await client.PUT('/api/v3/participants/npq/{id}/defer', {
        ...id,
        body: { data: { type: TYPES.defer, attributes: a } },
      });
      break;
    case 'resume':
      result = await client.PUT('/api/v3/participants/npq/{id}/resume', {
        ...id,
        body: { data: { type: TYPES.resume, attributes: a } },
      });
      break;
    case 'withdraw':
      result = await client.PUT('/api/v3/participants/npq/{id}/withdraw', {
        ...id,
        body: { data: { type: TYPES.withdraw, attributes: a } },
      });
      break;
    case 'change_schedule':
      result = await client.PUT('/api/v3/participants/npq/{id}/change-schedule', {
        ...id,
        body: { data: { type: TYPES.change_schedule, attributes: a } },
      });
      break;
    case 'declare':
      result = await client.POST('/api/v3/participant-declarations', {
        body: {
          data: {
            type: 'participant-declaration',
            attributes: {
              ...(item.attributes as object),
              participant_id: item.dfe_participant_id ?? '',
            } as never,
          },
        },
      });
      break;
    case 'void':
      if (!item.dfe_declaration_id) return { status: 422, body: noDeclarationId };
      result = await client.PUT('/api/v3/participant-declarations/{id}/void', {
        params: { path: { id: item.dfe_declaration_id } },
      });
      break;
  }
  return { status: result.response.status, body: result.data ?? result.error ?? null };
}

const noDeclarationId = {
  errors: [
    { title: 'declaration', detail: 'The declaration to void was never accepted by the DfE' },
  ],
};

/** The DfE's own words from an error body: "title: detail" for each error. */
export function dfeErrorText(body: unknown): string {
  const errors = (body as { errors?: { title?: string; detail?: string }[] } | null)?.errors;
  if (Array.isArray(errors) && errors.length > 0) {
    return errors
      .map((e) => [e.title, e.detail].filter(Boolean).join(': '))
      .filter(Boolean)
      .join('; ');
  }
  const b = body as { error?: unknown; title?: unknown; detail?: unknown } | null;
  if (typeof b?.error === 'string') return b.error;
  // A problem document (RFC 7807), as gateways and validators answer.
  const problem = [b?.title, b?.detail].filter((x) => typeof x === 'string' && x).join(': ');
  return problem || 'The DfE refused the request without a message';
}

/** The live DfE declaration matching a 'declare' request, if the DfE already has one. */
export async function findExistingDeclaration(
  client: DfeClient,
  item: OutboxItem,
): Promise<Declaration | null> {
  const { data, response } = await client.GET('/api/v3/participant-declarations', {
    params: { query: { filter: { participant_id: item.dfe_participant_id ?? '' } } },
  });
  if (!response.ok || !data) throw new Error(`DfE declarations lookup answered ${response.status}`);
  const want = item.attributes as { declaration_type: string; course_identifier: string };
  return (
    data.data.find(
      (d) =>
        d.attributes.declaration_type === want.declaration_type &&
        d.attributes.course_identifier === want.course_identifier &&
        !['voided', 'ineligible', 'awaiting_clawback', 'clawed_back'].includes(d.attributes.state),
    ) ?? null
  );
}

/**
 * Whether the DfE already shows the effect of a request whose answer was lost. Throws when the DfE
 * cannot say (the caller asks again later).
 */
export async function alreadyApplied(
  client: DfeClient,
  item: OutboxItem,
): Promise<{ applied: boolean; body: unknown }> {
  if (item.action === 'declare') {
    const found = await findExistingDeclaration(client, item);
    return { applied: found !== null, body: found ? { data: found } : null };
  }
  if (
    item.action === 'accept' ||
    item.action === 'reject' ||
    item.action === 'change_funded_place'
  ) {
    const { data, response } = await client.GET('/api/v3/npq-applications/{id}', {
      params: { path: { id: item.dfe_application_id ?? '' } },
    });
    if (!response.ok || !data)
      throw new Error(`DfE application lookup answered ${response.status}`);
    const attributes = (data as { data?: { attributes?: Record<string, unknown> } }).data
      ?.attributes;
    const applied =
      item.action === 'change_funded_place'
        ? attributes?.funded_place === (item.attributes as { funded_place?: unknown }).funded_place
        : attributes?.status === (item.action === 'accept' ? 'accepted' : 'rejected');
    return { applied, body: data };
  }
  if (item.action === 'void') {
    if (!item.dfe_declaration_id) return { applied: false, body: null };
    const { data, response } = await client.GET('/api/v3/participant-declarations/{id}', {
      params: { path: { id: item.dfe_declaration_id } },
    });
    if (!response.ok || !data)
      throw new Error(`DfE declaration lookup answered ${response.status}`);
    return { applied: data.data.attributes.state === 'voided', body: data };
  }
  const { data, response } = await client.GET('/api/v3/participants/npq/{id}', {
    params: { path: { id: item.dfe_participant_id ?? '' } },
  });
  if (!response.ok || !data) throw new Error(`DfE participant lookup answered ${response.status}`);
  const want = item.attributes as {
    course_identifier: string;
    schedule_identifier?: string;
    cohort?: string;
  };
  const enrolment = (data.data as Participant).attributes.npq_enrolments?.find(
    (e) => e.course_identifier === want.course_identifier,
  );
  if (!enrolment) return { applied: false, body: data };
  const target = { defer: 'deferred', withdraw: 'withdrawn', resume: 'active' } as const;
  const applied =
    item.action === 'change_schedule'
      ? enrolment.schedule_identifier === want.schedule_identifier &&
        (want.cohort === undefined || enrolment.cohort === want.cohort)
      : enrolment.training_status === target[item.action];
  return { applied, body: data };
}
