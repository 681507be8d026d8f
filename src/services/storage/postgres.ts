import { Readable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client.js';
import { checkKey, toBuffer, type ObjectStore } from './index.js';

/**
 * The default store: each object is one row of stored_object (bytea). Suits files of a few
 * megabytes, such as assessment submissions; it is backed up with the rest of the database.
 */
export function postgresObjectStore(db: Pick<Db, 'execute'>): ObjectStore {
  return {
    kind: 'postgres',
    async put(key, body, contentType) {
      checkKey(key);
      const bytes = await toBuffer(body);
      await db.execute(
        sql`insert into stored_object (key, content_type, size, body)
            values (${key}, ${contentType}, ${bytes.length}, ${bytes})
            on conflict (key) do update set content_type = excluded.content_type,
              size = excluded.size, body = excluded.body, created_at = now()`,
      );
    },
    async get(key) {
      checkKey(key);
      const [row] = await queryRows<{ content_type: string; size: number; body: Uint8Array }>(
        db,
        sql`select content_type, size, body from stored_object where key = ${key}`,
      );
      if (!row) return null;
      const bytes = Buffer.from(row.body.buffer, row.body.byteOffset, row.body.byteLength);
      return { body: Readable.from([bytes]), contentType: row.content_type, size: row.size };
    },
    async delete(key) {
      checkKey(key);
      await db.execute(sql`delete from stored_object where key = ${key}`);
    },
  };
}
