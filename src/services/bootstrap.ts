import { inArray } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { migrate } from '../db/migrate.js';
import { appUser } from '../db/schema.js';
import { seedCatalogue } from '../db/seed/catalogue.js';
import { DEMO_SIGN_INS, isDatabaseEmpty, seedDemo } from '../db/seed/demo.js';
import type { Config } from '../config.js';

export interface BootstrapReport {
  migrationsApplied: string[];
  demoSeeded: boolean;
  demoSignIns: { email: string; role: string; description: string }[];
}

export const DEMO_PARTICIPANTS = 100;

/**
 * Start-up: migrate, make sure the NPQ catalogue exists, and on an empty non-production database
 * add the demo lead provider, its data and its sign-ins. Production never gets demo data.
 */
export async function prepareDatabase(
  db: Db,
  config: Pick<Config, 'allowDemoData'>,
  now: Date,
): Promise<BootstrapReport> {
  const { applied } = await migrate(db);
  const empty = await isDatabaseEmpty(db);
  await seedCatalogue(db);
  let demoSeeded = false;
  if (empty && config.allowDemoData) {
    await seedDemo(db, { participants: DEMO_PARTICIPANTS, withUsers: true, now });
    demoSeeded = true;
  }
  const demoSignIns = config.allowDemoData ? await existingDemoSignIns(db) : [];
  return { migrationsApplied: applied, demoSeeded, demoSignIns };
}

async function existingDemoSignIns(db: Db) {
  const emails = DEMO_SIGN_INS.map((s) => s.email);
  const present = new Set(
    (
      await db.select({ email: appUser.email }).from(appUser).where(inArray(appUser.email, emails))
    ).map((r) => r.email),
  );
  return DEMO_SIGN_INS.filter((s) => present.has(s.email));
}
