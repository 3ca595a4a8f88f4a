/**
 * The conformance run's signing keys and the trust file the agent under test installs (issue 22 §3).
 * Kept in one folder across runs: the first run creates them, later runs reuse them, so an agent that
 * installed `trust.json` once keeps passing. The "untrusted" key of check 3 is made fresh every run.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildTrustFile } from '../../src/fleet/trust.js';
import { generateKeyFiles, keyFilePaths, loadSigningKey, readPublicKeyFile } from '../../src/fleet/keys.js';
import type { SigningKey } from '../../src/fleet/signer.js';

export interface ConformanceKeys {
  dir: string;
  trustPath: string;
  models: SigningKey;
  releases: SigningKey;
  /** true when this call generated the keys (the agent cannot have installed them yet) */
  created: boolean;
}

/** `$RPA_DATA_DIR/conformance`, else `<repo>/.data/conformance` (gitignored). */
export function defaultKeysDir(): string {
  if (process.env['RPA_DATA_DIR']) return join(resolve(process.env['RPA_DATA_DIR']), 'conformance');
  return resolve(import.meta.dirname, '..', '..', '.data', 'conformance');
}

export async function ensureConformanceKeys(dir: string): Promise<ConformanceKeys> {
  const trustPath = join(dir, 'trust.json');
  const names = ['conformance-models', 'conformance-releases'] as const;
  const have = names.every((n) => existsSync(keyFilePaths(dir, n).privateKeyPath));
  if (!have) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    await generateKeyFiles({ role: 'models', outDir: dir, name: names[0] });
    await generateKeyFiles({ role: 'releases', outDir: dir, name: names[1] });
  }
  const p = (n: string) => keyFilePaths(dir, n);
  if (!have || !existsSync(trustPath)) {
    const trust = buildTrustFile({
      models: [await readPublicKeyFile(p(names[0]).publicKeyPath)],
      releases: [await readPublicKeyFile(p(names[1]).publicKeyPath)],
    });
    writeFileSync(trustPath, JSON.stringify(trust, null, 2) + '\n', { mode: 0o644 });
  }
  return {
    dir,
    trustPath,
    models: await loadSigningKey(p(names[0]).privateKeyPath, 'models'),
    releases: await loadSigningKey(p(names[1]).privateKeyPath, 'releases'),
    created: !have,
  };
}
