/**
 * Times each step of the daily job on a kept bench schema (issue 13: "a second run with nothing to
 * do finishes in under 1 s"). npx tsx scripts/profile-daily.ts --schema bench_<id> [--day YYYY-MM-DD]
 * [--slow MS] [--everything]. The engagement alerts and nudges look only at what changed or fell
 * due since they last ran (docs/readme/daily-incremental.md); --everything makes them look at
 * every participant, as a first run does.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { fixedClock } from '../src/clock.js';
import { openDatabase, type Db } from '../src/db/client.js';
import { DEFAULT_DEMO_NOW } from '../src/db/seed/demo.js';
import { londonDateOf } from '../src/policy/index.js';
import { DEFAULT_RETENTION_YEARS_AFTER_END } from '../src/policy/retention.js';
import {
  closeDueAssessmentWindows,
  completeExhaustedAttempts,
  enterEligibleIntoOpenWindows,
} from '../src/services/assessment.js';
import {
  openIntentContacts,
  raiseEngagementAlerts,
  withdrawNonReturners,
} from '../src/services/daily.js';
import { queueDueNotices } from '../src/services/notices/daily-notices.js';
import { raisePolicyReviewDue } from '../src/services/policy-review.js';
import { purgeShortLivedRows } from '../src/services/purge.js';
import { applyRetention } from '../src/services/privacy/retention.js';

const { values } = parseArgs({
  options: {
    schema: { type: 'string' },
    url: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    day: { type: 'string' },
    /** Also print each statement that took this long or more (ms), roughly: until the next was sent. */
    slow: { type: 'string' },
    everything: { type: 'boolean', default: false },
  },
});
let last: { text: string; at: number } | null = null;
const slowMs = values.slow === undefined ? null : Number(values.slow);
const note = (next: string | null) => {
  const now = performance.now();
  if (slowMs !== null && last && now - last.at >= slowMs)
    console.log(
      `    ${(now - last.at).toFixed(0)} ms: ${last.text.replace(/\s+/g, ' ').slice(0, 160)}`,
    );
  last = next === null ? null : { text: next, at: now };
};
const database = await openDatabase({
  databaseUrl: values.url,
  schema: values.schema!,
  maxConnections: 2,
  onQuery: (text) => note(text),
});
const db: Db = database.db;
const at = values.day ? new Date(`${values.day}T02:15:00Z`) : DEFAULT_DEMO_NOW;
const today = londonDateOf(at);
const clock = fixedClock(at);
const everything = values.everything ? { everything: true } : {};
const steps: [string, () => Promise<unknown>][] = [
  ['intent contacts', () => db.transaction((tx) => openIntentContacts(tx, today, at))],
  ['non-returners', () => db.transaction((tx) => withdrawNonReturners(tx, today, at))],
  ['assessment entries', () => db.transaction((tx) => enterEligibleIntoOpenWindows(tx, today, at))],
  [
    'window close',
    () => db.transaction((tx) => closeDueAssessmentWindows({ db: tx, clock }, today)),
  ],
  ['exhausted attempts', () => db.transaction((tx) => completeExhaustedAttempts(tx, at))],
  ['engagement alerts', () => db.transaction((tx) => raiseEngagementAlerts(tx, today, everything))],
  [
    'policy review',
    () => db.transaction((tx) => raisePolicyReviewDue(tx, { today, at, publicUrl: undefined })),
  ],
  [
    'notices',
    () =>
      db.transaction((tx) =>
        queueDueNotices(tx, { today, at, publicUrl: undefined, ...everything }),
      ),
  ],
  ['purge', () => db.transaction((tx) => purgeShortLivedRows(tx, { at, wallNow: new Date() }))],
  [
    'retention',
    () =>
      db.transaction((tx) =>
        applyRetention(tx, { today, at, yearsAfterEnd: DEFAULT_RETENTION_YEARS_AFTER_END }),
      ),
  ],
];
for (const [name, run] of steps) {
  const t0 = performance.now();
  const result = await run();
  note(null);
  console.log(
    `${name.padEnd(20)} ${(performance.now() - t0).toFixed(0).padStart(6)} ms  ${JSON.stringify(result).slice(0, 120)}`,
  );
}
await database.close();
