/**
 * Which file serves a release's model on this agent (issue 21 §1): the base (fp32) or one of the variants its
 * signed manifest lists, chosen by the one rule (common/variants.ts `chooseVariant`) from config `variant`, the
 * role's provider and the CPU's flags (cpu-flags.ts). Only the chosen file is fetched — a variant under the
 * manifest derived from the verified base (`variantManifest`), so its chunks, whole-file sha256, contract and
 * self-test are the variant's own. A variant that fails any gate (chunk or file hash, graph scan, load, contract,
 * self-test, warm-up) is remembered as failed here, reported as `variant_fallback`, and the base is fetched
 * instead; the active model keeps serving meanwhile (nothing touches the active slot before activation passes).
 *
 * The registry keeps, per stored variant file, `variant:<sha256>` = { baseModelId, name, precision }: the role
 * row's activeModelId is the file that serves (content-addressed), its status names the base modelId + variant.
 */
import { toAgentError, type AgentError } from '../common/errors.js';
import { BASE_VARIANT, checkVariants, chooseVariant, variantManifest } from '../common/variants.js';
import type { ModelManifest, Role, Variant } from '../common/wire.js';
import type { AgentReporter } from './agent-status.js';
import type { AgentConfig } from './config.js';
import { cpuFlagsFor } from './cpu-flags.js';
import { isDiskFull } from './disk-watch.js';
import type { DownloadHooks, Downloads } from './download.js';
import { variantRecord, variantRecordKey, type VariantRecord } from './role-status.js';
import type { BlobStore } from './store/blob-store.js';
import type { Registry } from './store/registry.js';

/** A file ready to activate for a release's model. */
export interface ServedFile {
  /** the file's own sha256 (the base's modelId, or the variant's) */
  modelId: string;
  manifest: ModelManifest;
  /** the release's modelId */
  baseModelId: string;
  /** absent: the base file (fp32) */
  variant?: VariantRef;
}

export interface VariantRef {
  name: string;
  precision: string;
  sha256: string;
}

const refOf = (v: Variant): VariantRef => ({ name: v.name, precision: v.precision, sha256: v.sha256 });

export interface VariantServingDeps {
  config: AgentConfig;
  registry: Registry;
  blobs: BlobStore;
  downloads: Downloads;
  report: AgentReporter;
  platform?: string;
  /** injectable /proc/cpuinfo reader (tests on Linux use the real one) */
  readCpuinfo?: () => string;
}

const infoKey = variantRecordKey;
const failedKey = (sha: string) => `variant_failed:${sha}`;

export class VariantServing {
  readonly cpuFlags: readonly string[];

  constructor(private readonly d: VariantServingDeps) {
    this.cpuFlags = cpuFlagsFor(d.platform ?? process.platform, d.config.cpuFlags, d.readCpuinfo);
  }

  /** The variant a stored file is, if it is one. */
  variantInfo(modelId: string): VariantRecord | undefined {
    return variantRecord(this.d.registry, modelId);
  }

  /** The release's modelId a stored file serves (itself, or the base it is a variant of). */
  baseOf(modelId: string): string {
    return this.variantInfo(modelId)?.baseModelId ?? modelId;
  }

  /** Whether the file `activeId` serves the release's model `baseId`. */
  serves(activeId: string | undefined, baseId: string): boolean {
    return activeId !== undefined && (activeId === baseId || this.variantInfo(activeId)?.baseModelId === baseId);
  }

  private isStored(modelId: string): boolean {
    return this.d.registry.getModel(modelId) !== undefined && this.d.blobs.hasBlob(modelId);
  }

  /**
   * The file to activate for `baseId`: a stored variant the setting allows (instant, offline), else the choice
   * on the verified manifest, fetched if not stored. A variant whose fetch fails falls back to the base here.
   */
  async obtain(role: Role, baseId: string, provider: string, signal: AbortSignal, hooks: DownloadHooks): Promise<ServedFile> {
    const { registry, config } = this.d;
    const storedVariant = this.storedVariantOf(role, baseId);
    if (storedVariant) return storedVariant;
    const stored = registry.getModel(baseId);
    const base = stored && this.d.blobs.hasBlob(baseId) && !stored.manifest.variants?.length ? stored.manifest : undefined;
    if (base) return { modelId: baseId, manifest: base, baseModelId: baseId };
    const manifest = stored?.manifest ?? (await this.d.downloads.verifiedManifest(role, baseId, signal));
    checkVariants(manifest, config.limits.maxModelBytes);
    const failed = new Set((manifest.variants ?? []).filter((v) => registry.getMeta(failedKey(v.sha256)) !== undefined).map((v) => v.sha256));
    const { variant } = chooseVariant(manifest, { setting: config.variant, provider, cpuFlags: this.cpuFlags, failed });
    if (!variant) return this.base(role, baseId, manifest, signal, hooks);
    registry.setMeta(infoKey(variant.sha256), JSON.stringify({ baseModelId: baseId, name: variant.name, precision: variant.precision } satisfies VariantRecord));
    if (this.isStored(variant.sha256)) return { modelId: variant.sha256, manifest: registry.getModel(variant.sha256)!.manifest, baseModelId: baseId, variant: refOf(variant) };
    try {
      const vm = await this.d.downloads.download(role, variant.sha256, signal, { ...hooks, manifest: variantManifest(manifest, variant) });
      return { modelId: variant.sha256, manifest: vm, baseModelId: baseId, variant: refOf(variant) };
    } catch (e) {
      if (!fallsBack(e, signal)) throw e;
      this.fellBack(role, baseId, refOf(variant), toAgentError(e));
      return this.base(role, baseId, manifest, signal, hooks);
    }
  }

  /** A variant that failed activation: remembered, reported, and the base file obtained instead. */
  async fallbackAfter(role: Role, file: ServedFile, e: unknown, signal: AbortSignal, hooks: DownloadHooks): Promise<ServedFile> {
    this.fellBack(role, file.baseModelId, file.variant!, toAgentError(e));
    const base = this.d.registry.getModel(file.baseModelId)?.manifest ?? (await this.d.downloads.verifiedManifest(role, file.baseModelId, signal));
    return this.base(role, file.baseModelId, base, signal, hooks);
  }

  private async base(role: Role, baseId: string, manifest: ModelManifest, signal: AbortSignal, hooks: DownloadHooks): Promise<ServedFile> {
    if (this.isStored(baseId)) return { modelId: baseId, manifest: this.d.registry.getModel(baseId)!.manifest, baseModelId: baseId };
    const m = await this.d.downloads.download(role, baseId, signal, { ...hooks, manifest });
    return { modelId: baseId, manifest: m, baseModelId: baseId };
  }

  /** A stored, not failed variant of `baseId` the config allows (auto: any; a name: that one; fp32: none). */
  private storedVariantOf(role: Role, baseId: string): ServedFile | undefined {
    const setting = this.d.config.variant;
    if (setting === BASE_VARIANT) return undefined;
    for (const m of this.d.registry.listModels(role)) {
      const info = this.variantInfo(m.modelId);
      if (!info || info.baseModelId !== baseId || (setting !== 'auto' && info.name !== setting)) continue;
      if (this.d.registry.getMeta(failedKey(m.modelId)) !== undefined || !this.d.blobs.hasBlob(m.modelId)) continue;
      return { modelId: m.modelId, manifest: m.manifest, baseModelId: baseId, variant: { name: info.name, precision: info.precision, sha256: m.modelId } };
    }
    return undefined;
  }

  private fellBack(role: Role, baseId: string, v: VariantRef | undefined, err: AgentError): void {
    const sha = v?.sha256;
    // [issue 21 §1] a variant that failed a gate here is never chosen again on this agent
    if (sha) this.d.registry.setMeta(failedKey(sha), err.code);
    this.d.report.emit({
      type: 'variant_fallback',
      role,
      modelId: baseId,
      reason: err.code,
      message: `variant ${v?.name ?? '?'} failed (${err.message}); serving fp32 instead`,
      details: { variant: v?.name, sha256: sha, precision: v?.precision },
    });
  }
}

/** A variant's own failure falls back to the base; a cancel, a full disk or a closing agent does not. */
function fallsBack(e: unknown, signal: AbortSignal): boolean {
  const code = toAgentError(e).code;
  return !signal.aborted && code !== 'aborted' && !isDiskFull(e) && code !== 'release_expired';
}

export { fallsBack as variantFallsBack };
