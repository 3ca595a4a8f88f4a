/**
 * One worked example of every wire message (docs/PROTOCOL.md), generated from the same code the agent and the
 * fleet tools use, and signed with two EXAMPLE keys derived from fixed seeds (never trust them anywhere), so the
 * files are byte-for-byte reproducible and another implementation can check its PAE, signatures and parsing
 * against them.
 *
 *   npm run schemas            also writes docs/protocol/examples/*.json
 *   npm run schemas -- --check also fails when an example differs from what the code makes
 */
import { createPrivateKey } from 'node:crypto';
import { toBase64 } from '../../src/common/bytes.js';
import { PAYLOAD_TYPE_MODEL, PAYLOAD_TYPE_RELEASE } from '../../src/common/dsse.js';
import { AgentEventSchema, AgentStatusSchema, FeedbackSchema, MetricsWindowSchema, ModelManifestSchema, ReleaseSchema } from '../../src/common/wire.js';
import { TrustFileSchema } from '../../src/common/trust-file.js';
import { signJson, signingKeyFrom, type SigningKey } from '../../src/fleet/signer.js';

/** PKCS#8 DER of an Ed25519 key from its 32-byte seed (RFC 8410). */
function exampleKey(seedByte: number): SigningKey {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.alloc(32, seedByte)]);
  return signingKeyFrom(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
}

export const EXAMPLE_MODELS_KEY = exampleKey(0x11);
export const EXAMPLE_RELEASES_KEY = exampleKey(0x22);

const MODEL_ID = 'a3f1c2d4e5b60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
const CHUNKS = ['1'.repeat(64), '2'.repeat(64)];

/** file name (under docs/protocol/examples/) → the example value */
export function protocolExamples(): Map<string, unknown> {
  const trust = TrustFileSchema.parse({
    version: 1,
    roles: {
      models: { threshold: 1, keys: [{ publicKey: toBase64(EXAMPLE_MODELS_KEY.publicKey), comment: 'EXAMPLE key, seed 0x11 x 32: never trust it' }] },
      releases: { threshold: 1, keys: [{ publicKey: toBase64(EXAMPLE_RELEASES_KEY.publicKey), comment: 'EXAMPLE key, seed 0x22 x 32: never trust it' }] },
    },
  });
  const manifest = ModelManifestSchema.parse({
    schemaVersion: 1,
    role: 'detector',
    name: 'ui-detector',
    version: '2.0.0',
    sha256: MODEL_ID,
    size: 1_500_000,
    chunkSize: 1_048_576,
    chunkSha256: CHUNKS,
    contract: {
      inputs: [{ name: 'images', dtype: 'float32', shape: [1, 3, 640, 640] }],
      outputs: [{ name: 'output0', dtype: 'float32', shape: [1, 5, 8400] }],
    },
    labels: ['element'],
    created: '2026-12-06T12:00:00.000Z',
  });
  const release = ReleaseSchema.parse({
    schemaVersion: 1,
    channel: 'prod',
    seq: 42,
    issued: '2026-12-06T12:00:00.000Z',
    expires: '2027-01-05T12:00:00.000Z',
    roles: {
      detector: {
        stable: MODEL_ID,
        candidate: { modelId: 'b'.repeat(64), rolloutId: 'r-2026-12-06-det', percent: 5, shadow: false, gates: { maxErrorRate: 0.01, maxLatencyP95Ms: 100 }, selector: 'site=berlin,dept in (finance,hr)' },
      },
    },
  });
  const status = AgentStatusSchema.parse({
    agentId: 'ws-berlin-0042',
    online: true,
    ts: '2026-12-06T12:05:00.000Z',
    agentVersion: '0.1.0',
    platform: 'win32-x64',
    channel: 'prod',
    releaseSeq: 42,
    labels: { site: 'berlin', dept: 'finance' },
    roles: { detector: { state: 'committed', modelId: MODEL_ID, name: 'ui-detector', version: '2.0.0', provider: 'dml', cohort: 'stable' } },
  });
  const event = AgentEventSchema.parse({
    agentId: 'ws-berlin-0042',
    ts: '2026-12-06T12:04:10.000Z',
    epoch: 'e-3f9a2c',
    seq: 17,
    type: 'release_rejected',
    channel: 'prod',
    releaseSeq: 41,
    reason: 'release_replayed',
    message: 'release seq 41 is not above the last accepted 42',
  });
  const latency = { boundsMs: [5, 10, 25, 50, 100, 250], counts: [0, 120, 310, 40, 6, 0, 0], p50: 18.2, p95: 44.9, p99: 81.0 };
  const metrics = MetricsWindowSchema.parse({
    agentId: 'ws-berlin-0042',
    epoch: 'e-3f9a2c',
    seq: 1803,
    windowStart: '2026-12-06T12:04:00.000Z',
    windowEnd: '2026-12-06T12:05:00.000Z',
    channel: 'prod',
    releaseSeq: 42,
    roles: { detector: { modelId: MODEL_ID, version: '2.0.0', provider: 'dml', cohort: 'stable', count: 476, errors: 0, latency, confidenceHistogram: [0, 0, 3, 10, 22, 40, 71, 102, 130, 98], psi: 0.031 } },
    process: { rssBytes: 142_000_000, heapUsedBytes: 38_000_000, eventLoopDelayP99Ms: 3.1 },
  });
  const feedback = FeedbackSchema.parse({
    agentId: 'ws-berlin-0042',
    id: 'fb-0001',
    ts: '2026-12-06T12:06:00.000Z',
    kind: 'wrong_type',
    role: 'classifier',
    box: [412, 300, 520, 328],
    expectedType: 'tab',
    detectedType: 'button',
    note: 'the Orders tab was reported as a button',
  });
  return new Map<string, unknown>([
    ['trust-file.json', trust],
    ['model-manifest.payload.json', manifest],
    ['model-manifest.envelope.json', signJson(PAYLOAD_TYPE_MODEL, manifest, [EXAMPLE_MODELS_KEY])],
    ['release.payload.json', release],
    ['release.envelope.json', signJson(PAYLOAD_TYPE_RELEASE, release, [EXAMPLE_RELEASES_KEY])],
    ['agent-status.json', status],
    ['agent-event.json', event],
    ['metrics-window.json', metrics],
    ['feedback.json', feedback],
  ]);
}
