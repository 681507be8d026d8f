import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { loadDfeContract } from '../../scripts/dfe-contract.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const CONTRACT = join(root, 'contracts/dfe-npq-lead-provider-api-v3.yaml');

export interface PrismServer {
  /** Base address for the DfE client (no /api/v3). */
  readonly url: string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/**
 * Starts Stoplight Prism as a mock of the DfE lead provider API v3 with request validation as
 * errors (`--errors`): a request that breaks the contract gets a 422 whose `sl-violations` header
 * names the field. Prism is served the contract with its property-level `required` flags lifted
 * (scripts/dfe-contract.ts): given the file as published, it silently skips body validation.
 */
export async function startPrism(): Promise<PrismServer> {
  const dir = mkdtempSync(join(tmpdir(), 'npq-prism-'));
  const contract = join(dir, 'dfe-v3.yaml');
  writeFileSync(contract, stringify(loadDfeContract(CONTRACT)));
  const port = await freePort();
  const child: ChildProcess = spawn(
    join(root, 'node_modules/.bin/prism'),
    ['mock', '--errors', '-h', '127.0.0.1', '-p', String(port), contract],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: false },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Prism did not start in 180 s:\n${output.slice(-2000)}`)),
      // Slow to start on a busy machine (it compiles the whole contract first).
      180_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Prism is listening')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Prism exited (${code}) before listening:\n${output.slice(-2000)}`));
    });
  });
  // Keep draining its (chatty) log so the pipe never fills and blocks it.
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
