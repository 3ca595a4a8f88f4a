/**
 * The demo's baseline models (scripts/demo.ts steps 3 and 5): each assets/models/<role>/model.onnx signed and
 * published WITH its hardware variants (issue 21 §1) by the same functions as `rpa-fleet model publish`
 * (variantSources finds variants/<name>/, buildManifestWithVariants checks and lists them), and the agent's
 * variant choice per role, read from its status and held to the one choice rule (common/variants.ts) on this CPU.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { cpuFlagsFor } from '../src/agent/cpu-flags.js';
import { variantSources } from '../src/cli/fleet/model-variants.js';
import { chooseVariant } from '../src/common/variants.js';
import { ROLES, type ModelManifest, type Role } from '../src/common/wire.js';
import { parseModelMetadata, publishModel, signManifest, type SigningKey } from '../src/fleet/index.js';
import { buildManifestWithVariants } from '../src/fleet/variants.js';

export interface DemoModel {
  role: Role;
  file: string;
  metadataFile?: string;
  name: string;
  version: string;
}

export interface PublishedModel {
  modelId: string;
  name: string;
  version: string;
  manifest: ModelManifest;
  /** one line for the demo's output */
  summary: string;
}

/** The baseline models shipped in assets/models/<role>/; the test fixture stands in for a role not trained yet. */
export function baselineModels(root: string): DemoModel[] {
  const out: DemoModel[] = [];
  for (const role of ROLES) {
    const dir = join(root, 'assets', 'models', role);
    if (existsSync(join(dir, 'model.onnx')) && existsSync(join(dir, 'metadata.json'))) {
      const md = JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8'));
      out.push({ role, file: join(dir, 'model.onnx'), metadataFile: join(dir, 'metadata.json'), name: md.name ?? `ui-${role}`, version: md.version ?? '1.0.0' });
    }
  }
  if (out.length === 0) out.push({ role: 'detector', file: join(root, 'test', 'fixtures', 'models', 'tiny-a.onnx'), name: 'tiny-detector', version: '1.0.0' });
  return out;
}

/** A new build of the same networks: a doc string appended to the base and each variant (new sha256s, same graphs). */
export interface NewBuild {
  tag: string;
  version: string;
}

/** ModelProto field 6 (doc_string) appended: protobuf keeps the last value, so onnxruntime loads the same graph. */
function withDocString(bytes: Uint8Array, tag: string): Uint8Array {
  const doc = Buffer.from(tag, 'utf8');
  return new Uint8Array(Buffer.concat([Buffer.from(bytes), Buffer.from([0x32, doc.length]), doc]));
}

/**
 * Signs and publishes one baseline model with its variants/<name>/ folders: variant chunks, base chunks, then
 * the manifest. `build` publishes a new build instead (a candidate), its variants' variant.json naming the new base.
 */
export async function publishBaselineModel(admin: MqttClient, m: DemoModel, modelsKey: SigningKey, build?: NewBuild): Promise<PublishedModel> {
  const raw = new Uint8Array(readFileSync(m.file));
  const bytes = build ? withDocString(raw, build.tag) : raw;
  const metadata = m.metadataFile ? parseModelMetadata(JSON.parse(readFileSync(m.metadataFile, 'utf8')), m.metadataFile) : undefined;
  const version = build?.version ?? m.version;
  if (metadata && build) {
    delete metadata.latencyBudgetMs;
    metadata.version = version;
  }
  let sources = await variantSources(m.file, {});
  if (build) {
    const base = { version, sha256: createHash('sha256').update(bytes).digest('hex') };
    sources = sources.map((s) => ({ ...s, bytes: withDocString(s.bytes, build.tag), file: { ...(s.file as object), base } }));
  }
  const built = await buildManifestWithVariants({ bytes, role: m.role, name: m.name, version, chunkSize: 64 * 1024, metadata }, sources);
  const res = await publishModel(admin, { manifestEnvelope: signManifest(built.manifest, [modelsKey]), chunks: built.chunks, variantChunks: built.variantChunks });
  const variants = (built.manifest.variants ?? []).map((v) => `${v.name} ${(v.size / 1024).toFixed(0)} KiB (prefers ${[...(v.prefers.providers ?? []), ...(v.prefers.cpuFlags ?? [])].join(', ') || 'any'})`);
  const summary = `${m.role.padEnd(10)} ${m.name}@${version}  ${(bytes.length / 1024).toFixed(0)} KiB in ${res.chunks} chunks, modelId ${built.modelId.slice(0, 12)}…; variants: ${variants.length ? variants.join('; ') : 'none (fp32 only)'}`;
  return { modelId: built.modelId, name: m.name, version, manifest: built.manifest, summary };
}

/** A role's status as `rpa-agent status --json` prints it (the fields read here). */
export interface StatusRole {
  provider?: string;
  variant?: { name: string; precision?: string };
}

/**
 * "detector: int8 (cpu, avx512_vnni) — auto: …": the variant the agent's status names, the provider and the CPU
 * flags that made it fit, and the rule's reason; ok only if the status names what the rule chooses on this CPU.
 */
export function describeVariantChoice(role: Role, manifest: ModelManifest, st: StatusRole | undefined, cpuFlags: readonly string[] = cpuFlagsFor(process.platform, undefined)): { ok: boolean; line: string; expected: string } {
  const name = st?.variant?.name;
  const provider = st?.provider ?? 'cpu';
  const rule = chooseVariant(manifest, { setting: 'auto', provider, cpuFlags });
  const expected = rule.variant?.name ?? 'fp32';
  // the CPU flags that made the served variant fit (none for the base file)
  const flags = name === expected ? (rule.variant?.prefers.cpuFlags ?? []).filter((f) => cpuFlags.includes(f.toLowerCase())) : [];
  const line = `variant ${role}: ${name ?? '?'} (${[provider, ...flags].join(', ')}) — ${rule.reason}`;
  return name === expected ? { ok: true, line, expected } : { ok: false, line: `${line}, but the rule on this CPU chooses ${expected}`, expected };
}
