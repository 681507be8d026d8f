import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { apiToken } from '../../src/db/schema.js';
import { listApiTokens, revokeApiToken } from '../../src/services/api-tokens.js';
import {
  authenticateToken,
  createApiToken,
  DEFAULT_TOKEN_DAYS,
  TOKEN_LAST_USED_RESOLUTION_MS,
} from '../../src/services/auth.js';
import { NotFoundError, ValidationError } from '../../src/services/errors.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

let t: TestDatabase;
const T0 = new Date('2026-05-01T09:00:00Z');
const plus = (ms: number) => new Date(T0.getTime() + ms);
const DAY = 86_400_000;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.destroy();
});

async function lastUsed(id: number): Promise<Date | null> {
  const [row] = await t.db
    .select({ at: apiToken.lastUsedAt })
    .from(apiToken)
    .where(eq(apiToken.id, id));
  return row!.at;
}

describe('API token expiry', () => {
  it('lasts 90 days unless told otherwise, and is refused from its expiry on', async () => {
    const standard = await createApiToken(t.db, { email: 'bot@example.test', role: 'admin' }, T0);
    expect(standard.expiresAt).toEqual(plus(DEFAULT_TOKEN_DAYS * DAY));
    const short = await createApiToken(
      t.db,
      { email: 'bot@example.test', role: 'admin', name: 'short', expiresInDays: 2 },
      T0,
    );
    expect(await authenticateToken(t.db, short.token, plus(2 * DAY - 1))).not.toBeNull();
    expect(await authenticateToken(t.db, short.token, plus(2 * DAY))).toBeNull();
    expect(await authenticateToken(t.db, standard.token, plus(2 * DAY))).not.toBeNull();
    expect(await authenticateToken(t.db, standard.token, plus(90 * DAY))).toBeNull();
  });

  it('refuses an expiry of no days or of more than two years', async () => {
    for (const expiresInDays of [0, 731, 1.5]) {
      await expect(
        createApiToken(t.db, { email: 'bot@example.test', role: 'admin', expiresInDays }, T0),
      ).rejects.toBeInstanceOf(ValidationError);
    }
  });

  it('records its last use at most once an hour, so busy clients do not queue on the row', async () => {
    const { token, id } = await createApiToken(
      t.db,
      { email: 'busy@example.test', role: 'admin' },
      T0,
    );
    expect(await lastUsed(id)).toBeNull();
    await authenticateToken(t.db, token, plus(1000));
    expect(await lastUsed(id)).toEqual(plus(1000));
    await authenticateToken(t.db, token, plus(TOKEN_LAST_USED_RESOLUTION_MS - 1));
    expect(await lastUsed(id)).toEqual(plus(1000));
    await authenticateToken(t.db, token, plus(TOKEN_LAST_USED_RESOLUTION_MS + 1001));
    expect(await lastUsed(id)).toEqual(plus(TOKEN_LAST_USED_RESOLUTION_MS + 1001));
  });
});

describe('listing and revoking tokens', () => {
  it('lists tokens by account without their secret, and revokes one with an audit event', async () => {
    const { token, id } = await createApiToken(
      t.db,
      { email: 'Leaver@Example.test', role: 'admin', name: 'nightly export' },
      T0,
    );
    const listed = await listApiTokens(t.db, { email: 'leaver@example.TEST' });
    expect(listed).toEqual([
      {
        id,
        email: 'Leaver@Example.test',
        role: 'admin',
        name: 'nightly export',
        createdAt: T0,
        lastUsedAt: null,
        expiresAt: plus(DEFAULT_TOKEN_DAYS * DAY),
        revokedAt: null,
      },
    ]);
    expect(JSON.stringify(await listApiTokens(t.db))).not.toContain(token);

    expect(await revokeApiToken(t.db, id, plus(DAY))).toEqual({
      revoked: true,
      revokedAt: plus(DAY),
    });
    expect(await authenticateToken(t.db, token, plus(DAY))).toBeNull();
    expect(await revokeApiToken(t.db, id, plus(2 * DAY))).toEqual({
      revoked: false,
      revokedAt: plus(DAY),
    });
    await expect(revokeApiToken(t.db, 999_999, T0)).rejects.toBeInstanceOf(NotFoundError);
    const events = await queryRows<{ what: string }>(
      t.db,
      sql`select what from audit_event where subject_type = 'api_token' and subject_id = ${String(id)} order by id`,
    );
    expect(events.map((e) => e.what)).toEqual(['API_TOKEN_CREATED', 'API_TOKEN_REVOKED']);
  });
});
