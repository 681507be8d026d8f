import type { Db } from '../../db/client.js';
import type { ObjectStore } from './index.js';
import { postgresObjectStore } from './postgres.js';
import { s3ObjectStore } from './s3.js';
import type { ObjectStoreConfig } from '../../config.js';

export function objectStoreFor(config: ObjectStoreConfig, db: Pick<Db, 'execute'>): ObjectStore {
  return config ? s3ObjectStore(config) : postgresObjectStore(db);
}
