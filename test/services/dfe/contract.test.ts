import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDfeClient, type DfeClient } from '../../../src/services/dfe/client.js';
import { startPrism, type PrismServer } from '../../support/prism.js';

// The DfE client against Stoplight Prism serving the shared contract with request validation on:
// what npq-ops sends must satisfy the DfE's schema, and Prism must notice when it does not.
let prism: PrismServer;
let client: DfeClient;
const participantId = '7a8fef46-3c43-42c0-b3d5-1ba5904ba562';

beforeAll(async () => {
  prism = await startPrism();
  client = createDfeClient({ url: prism.url, token: 'test-token' });
}, 90_000);

afterAll(async () => {
  await prism?.stop();
});

describe('DfE API v3 contract (Prism)', () => {
  it('accepts a well-formed deferral and answers with the participant', async () => {
    const { data, error, response } = await client.PUT('/api/v3/participants/npq/{id}/defer', {
      params: { path: { id: participantId } },
      body: {
        data: {
          type: 'participant-defer',
          attributes: { reason: 'bereavement', course_identifier: 'npq-headship' },
        },
      },
    });
    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    expect(data?.data?.type).toBe('npq-participant');
  });

  it('refuses a request that breaks the contract, naming the field', async () => {
    const { response } = await client.PUT('/api/v3/participants/npq/{id}/defer', {
      params: { path: { id: participantId } },
      // Deliberately wrong: attributes are missing.
      body: { data: { type: 'participant-defer' } } as never,
    });
    expect(response.status).toBe(422);
    expect(response.headers.get('sl-violations')).toMatch(/attributes/);
  });

  it('refuses a request without the bearer token', async () => {
    const anonymous = createDfeClient(
      { url: prism.url, token: 'x' },
      {
        fetch: (request: Request) => {
          const stripped = new Request(request);
          stripped.headers.delete('Authorization');
          return fetch(stripped);
        },
      },
    );
    const { response } = await anonymous.GET('/api/v3/npq-applications', {});
    expect(response.status).toBe(401);
  });

  it('lists applications with the updated-since filter and pagination', async () => {
    const { data, response } = await client.GET('/api/v3/npq-applications', {
      params: {
        query: {
          filter: { updated_since: '2026-11-01T00:00:00Z' },
          page: { page: 1, per_page: 100 },
        },
      },
    });
    expect(response.status).toBe(200);
    expect(Array.isArray(data?.data)).toBe(true);
  });
});
