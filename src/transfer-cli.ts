import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { systemClock } from './clock.js';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import { migrate } from './db/migrate.js';
import { SYSTEM } from './services/actor.js';
import { importTransferPackage } from './services/transfers/import.js';
import {
  createSigningKey,
  KEY_ALGORITHMS,
  listSigningKeys,
  listTrustedKeys,
  publishedKeySet,
  retireSigningKey,
  revokeTrustedKey,
  trustSenderKeys,
  type KeyAlgorithm,
} from './services/transfers/keys.js';
import { MAX_PACKAGE_BYTES } from './services/transfers/verify.js';
import { refusing } from './cli-acting.js';

type WithDatabase = <T>(config: Config, work: (database: Database) => Promise<T>) => Promise<T>;

function positiveId(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be an id');
  return n;
}

function algorithm(value: string): KeyAlgorithm {
  if (!(KEY_ALGORITHMS as readonly string[]).includes(value))
    throw new InvalidArgumentError(`must be one of ${KEY_ALGORITHMS.join(', ')}`);
  return value as KeyAlgorithm;
}

const day = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : '-');

/**
 * `keys …` (our signing keys and the senders we trust) and `transfers import` (policy 2.6.4).
 * The operator acts as the system: the audit trail records it so.
 */
export function registerTransferCommands(
  program: Command,
  config: Config,
  withDatabase: WithDatabase,
): void {
  const keys = program
    .command('keys')
    .description('keys that sign transfer packages, and the senders whose packages we accept');
  keys
    .command('create')
    .description('create a signing key pair; it signs transfer packages from now on')
    .option('--alg <alg>', `EdDSA (Ed25519) or ES256`, algorithm, 'EdDSA')
    .action((opts: { alg: KeyAlgorithm }) =>
      withDatabase(config, async ({ db }) => {
        await migrate(db);
        const key = await createSigningKey(db, SYSTEM, { alg: opts.alg, at: systemClock.now() });
        console.log(key.kid);
        console.error(
          `Signing key ${key.kid} (${key.alg}) created. Its public key is published at ${config.publicUrl}/.well-known/jwks.json`,
        );
      }),
    );
  keys
    .command('list')
    .description('our signing keys')
    .action(() =>
      withDatabase(config, async ({ db }) => {
        await migrate(db);
        const all = await listSigningKeys(db);
        if (all.length === 0) console.log('No signing keys. Create one: npq-ops keys create');
        for (const k of all)
          console.log(
            `${k.kid}  ${k.alg}  created ${day(k.createdAt)}  ${k.current ? 'signs now' : k.retiredAt ? `retired ${day(k.retiredAt)}` : 'published'}`,
          );
      }),
    );
  keys
    .command('jwks')
    .description('print the public JSON Web Key Set (as served at /.well-known/jwks.json)')
    .action(() =>
      withDatabase(config, async ({ db }) => {
        await migrate(db);
        console.log(JSON.stringify(await publishedKeySet(db), null, 2));
      }),
    );
  keys
    .command('retire')
    .argument('<kid>', 'key id')
    .description('stop signing with a key and stop publishing it')
    .action((kid: string) =>
      withDatabase(config, async ({ db }) => {
        await migrate(db);
        await refusing(async () => {
          await retireSigningKey(db, SYSTEM, kid, systemClock.now());
          console.log(`Retired ${kid}.`);
        });
      }),
    );
  keys
    .command('trust')
    .argument('<file>', "the sender's key set (their /.well-known/jwks.json) or one public JWK")
    .requiredOption('--name <name>', 'the sending lead provider')
    .description("register another lead provider's public key(s): their packages can be imported")
    .action((file: string, opts: { name: string }) =>
      withDatabase(config, async ({ db }) => {
        await migrate(db);
        const keysText = await readFile(file, 'utf8');
        await refusing(async () => {
          const added = await trustSenderKeys(db, SYSTEM, {
            senderName: opts.name,
            keysText,
            at: systemClock.now(),
          });
          for (const k of added) console.log(`Trusted ${k.kid} of ${k.senderName} (id ${k.id}).`);
        });
      }),
    );
  keys
    .command('trusted')
    .description('the senders whose packages we accept')
    .action(() =>
      withDatabase(config, async ({ db }) => {
        await migrate(db);
        const all = await listTrustedKeys(db);
        if (all.length === 0) console.log('No trusted senders.');
        for (const k of all)
          console.log(
            `${k.id}  ${k.senderName}  ${k.kid}  added ${day(k.createdAt)}${k.revokedAt ? `  revoked ${day(k.revokedAt)}` : ''}`,
          );
      }),
    );
  keys
    .command('revoke')
    .argument('<id>', 'trusted key id (from `keys trusted`)', positiveId)
    .description("stop accepting packages signed with a sender's key")
    .action((id: number) =>
      withDatabase(config, async ({ db }) => {
        await migrate(db);
        await refusing(async () => {
          await revokeTrustedKey(db, SYSTEM, id, systemClock.now());
          console.log(`Revoked trusted key ${id}.`);
        });
      }),
    );

  const transfers = program
    .command('transfers')
    .description('transfers between lead providers (policy 2.6.4)');
  transfers
    .command('import')
    .argument('<file>', 'the signed package (.jws) from the sending lead provider')
    .requiredOption('--cohort <id>', 'the cohort they join', positiveId)
    .requiredOption('--delivery-partner <id>', 'their delivery partner', positiveId)
    .description(
      'verify a transfer package and create the participant with their prior learning; importing it again adds nothing',
    )
    .action((file: string, opts: { cohort: number; deliveryPartner: number }) =>
      withDatabase(config, async ({ db }) => {
        await migrate(db);
        const text = (await readFile(file)).subarray(0, MAX_PACKAGE_BYTES + 1).toString('utf8');
        await refusing(async () => {
          const result = await importTransferPackage(
            { db, clock: systemClock, publicUrl: config.publicUrl },
            SYSTEM,
            text,
            { cohortId: opts.cohort, deliveryPartnerId: opts.deliveryPartner },
          );
          console.log(
            result.replayed
              ? `Already imported as ${result.reference} (participant ${result.participantId}): nothing added.`
              : `Imported ${result.reference}: participant ${result.participantId}, enrolment ${result.enrolmentId}, ${result.priorLearningRecords} prior learning records; invitation emailed.`,
          );
        });
      }),
    );
}
