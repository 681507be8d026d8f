import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { SYSTEM } from './actor.js';
import type { ServiceDeps } from './assessment.js';
import { importSchools } from './schools-import.js';

/**
 * `npq-ops import schools FILE`: progress on stderr, each bad row with its line and field, then a
 * summary. True when every row was imported.
 */
export async function importSchoolsFile(deps: ServiceDeps, file: string): Promise<boolean> {
  // Before an import is recorded: a file that is not there is the operator's typo, not an import.
  await access(file).catch(() => {
    throw new Error(`Cannot read ${file}: check the file name.`);
  });
  const started = performance.now();
  const summary = await importSchools(deps, SYSTEM, createReadStream(file), {
    fileName: path.basename(file),
    onProgress: (rows) => process.stderr.write(`\rRows read: ${rows.toLocaleString('en-GB')}`),
  });
  process.stderr.write('\n');
  for (const e of summary.errors) console.log(`Line ${e.line}, ${e.field}: ${e.message}`);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    summary.status === 'failed'
      ? `Import ${summary.id} failed after ${summary.rowsRead} rows: ${summary.created} schools added, ${summary.updated} updated before it stopped.`
      : `Import ${summary.id}: ${summary.rowsRead} rows read in ${seconds} s. Schools added: ${summary.created}; updated: ${summary.updated}; unchanged: ${summary.unchanged}; rows with errors: ${summary.rejected}.`,
  );
  return summary.status === 'completed' && summary.rejected === 0;
}
