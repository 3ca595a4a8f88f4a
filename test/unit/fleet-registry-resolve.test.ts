/**
 * Registry references against a real broker (in-process aedes) and a real SQLite file: the
 * broker-side version_exists check, name@latest, and the yanked refusal that guards every new release.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFleetDb } from '../../src/fleet/fleet-db.js';
import { buildManifest, signManifest } from '../../src/fleet/manifest.js';
import { connectBroker } from '../../src/fleet/mqtt.js';
import { publishModel } from '../../src/fleet/publisher.js';
import { ModelRegistry } from '../../src/fleet/registry/registry.js';
import { assertBrokerVersionFree, assertNotYanked, resolveForRelease } from '../../src/fleet/registry/resolve.js';
import { generateSigningKey } from '../../src/fleet/signer.js';
import { startAedes } from '../helpers/brokers.js';

const contract = async () => ({ inputs: [{ name: 'x', dtype: 'float32' as const, shape: [1, 4] }], outputs: [{ name: 'y', dtype: 'float32' as const, shape: [1, 4] }] });

test('resolveForRelease and the broker check: version_exists on the broker, @latest, model_yanked by name and by id', async () => {
  const broker = await startAedes();
  const c = await connectBroker({ url: broker.url });
  const dir = mkdtempSync(join(tmpdir(), 'registry-resolve-'));
  const db = openFleetDb(join(dir, 'fleet.db'));
  const key = generateSigningKey();
  const trust = { keys: [{ publicKey: key.publicKey }], threshold: 1 };
  const reg = new ModelRegistry(db);
  const publish = async (version: string, bind = true) => {
    const built = await buildManifest({ bytes: randomBytes(2000), role: 'detector', name: 'det', version, chunkSize: 1024, readContract: contract });
    const env = signManifest(built.manifest, [key]);
    await publishModel(c, { manifestEnvelope: env, chunks: built.chunks });
    if (bind) reg.bind(built.manifest, env, 'alice', Date.now());
    return built;
  };
  try {
    const v1 = await publish('1.0.0');
    const v2 = await publish('1.1.0');
    // a name@version the broker already holds for other bytes (published outside this registry)
    const other = await buildManifest({ bytes: randomBytes(2000), role: 'detector', name: 'det', version: '1.0.0', chunkSize: 1024, readContract: contract });
    await assert.rejects(assertBrokerVersionFree(c, other.manifest, {}), { code: 'version_exists' });
    await assertBrokerVersionFree(c, v1.manifest, {}); // the same bytes are fine
    const warnings: string[] = [];
    const resolve = (ref: string) => resolveForRelease(c, reg, ref, 'detector', { trust }, (l) => warnings.push(l));
    assert.equal((await resolve('det@latest')).entry.modelId, v2.modelId);
    assert.equal((await resolve('det@1.0.0')).label, 'det@1.0.0');
    reg.mark('det', '1.1.0', 'yanked', 'bad labels', 'bob', Date.now());
    await assert.rejects(resolve('det@1.1.0'), { code: 'model_yanked' });
    await assert.rejects(resolve(v2.modelId), { code: 'model_yanked' });
    assert.throws(() => assertNotYanked(reg, v2.modelId), { code: 'model_yanked' });
    assert.equal((await resolve('det@latest')).entry.modelId, v1.modelId);
    reg.mark('det', '1.0.0', 'deprecated', 'old', 'bob', Date.now());
    assert.equal((await resolve('det@1.0.0')).entry.modelId, v1.modelId);
    assert.deepEqual(warnings, ['warning: det@1.0.0 is deprecated (old)']);
    await assert.rejects(resolve('det@latest'), { code: 'not_found' });
    // the registry's binding decides which bytes a name means, whatever else the broker holds
    const unbound = await publish('2.0.0', false);
    assert.equal((await resolve('det@2.0.0')).entry.modelId, unbound.modelId, 'names the registry never saw fall back to the broker');
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
    await c.endAsync();
    await broker.close();
  }
});
