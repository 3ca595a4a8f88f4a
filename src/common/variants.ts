/**
 * Hardware variants of a model version (issue 21 §1), as pure functions shared by the agent core and the fleet
 * simulator: the rules a signed manifest's `variants` list must meet, which variant an agent serves (the ONE
 * choice rule), and the manifest an agent fetches and activates a variant under (derived from the verified
 * base manifest, so the base's signature covers every byte of it).
 */
import { AgentError } from './errors.js';
import { checkManifestLayout } from './release-rules.js';
import type { ModelManifest, Variant } from './wire.js';

/** The name of the base file as a variant: always there, always the fallback. */
export const BASE_VARIANT = 'fp32';

/** An agent's variant setting (config `variant`): the rule, the base, or one variant by name. */
export type VariantSetting = 'auto' | string;

export interface VariantContext {
  /** config `variant`: "auto" (the rule below), "fp32" (the base), or a variant's name */
  setting: VariantSetting;
  /** the execution provider the role runs on (or will try first) */
  provider: string;
  /** CPU feature flags (/proc/cpuinfo names, lowercase); empty where the platform does not tell */
  cpuFlags: readonly string[];
  /** sha256s of variants that already failed a gate on this agent: never chosen again */
  failed?: ReadonlySet<string>;
}

export interface VariantChoice {
  /** undefined: the base file (fp32) */
  variant: Variant | undefined;
  /** why, in plain words (status, events) */
  reason: string;
}

/** Whether a variant's `prefers` fits this agent: its provider is listed (or none are), and any listed CPU flag is present (or none are). */
export function variantFits(v: Variant, ctx: Pick<VariantContext, 'provider' | 'cpuFlags'>): boolean {
  const providers = v.prefers.providers;
  if (providers && providers.length > 0 && !providers.includes(ctx.provider)) return false;
  const flags = v.prefers.cpuFlags;
  if (flags && flags.length > 0 && !flags.some((f) => ctx.cpuFlags.includes(f.toLowerCase()))) return false;
  return true;
}

/**
 * Which file serves a model on this agent. "fp32" → the base. A name → that variant if the manifest lists it and
 * it has not failed here (whatever its `prefers`: an explicit choice is the admin's). "auto" → the first variant,
 * in manifest order, that fits the provider and CPU and has not failed; else the base.
 */
export function chooseVariant(manifest: Pick<ModelManifest, 'variants'>, ctx: VariantContext): VariantChoice {
  const variants = manifest.variants ?? [];
  const failed = ctx.failed ?? new Set<string>();
  if (ctx.setting === BASE_VARIANT) return { variant: undefined, reason: 'config variant is fp32' };
  if (ctx.setting !== 'auto') {
    const named = variants.find((v) => v.name === ctx.setting);
    if (!named) return { variant: undefined, reason: `config variant ${ctx.setting} is not in the manifest: fp32` };
    if (failed.has(named.sha256)) return { variant: undefined, reason: `variant ${named.name} failed a gate on this agent: fp32` };
    return { variant: named, reason: `config variant is ${named.name}` };
  }
  for (const v of variants) {
    if (failed.has(v.sha256)) continue;
    if (variantFits(v, ctx)) return { variant: v, reason: `auto: ${v.name} fits provider ${ctx.provider}${v.prefers.cpuFlags?.length ? ` and cpu flags (${v.prefers.cpuFlags.join('|')})` : ''}` };
  }
  return { variant: undefined, reason: variants.length === 0 ? 'the manifest lists no variants' : `auto: no variant fits provider ${ctx.provider} and this CPU: fp32` };
}

/**
 * [Trust rules, issue 21 §1] a signed manifest's variants: unique names and files, none is the base file, each
 * with a sound chunk layout and within the size bound. Checked with the manifest, before any chunk is fetched.
 */
export function checkVariants(m: Pick<ModelManifest, 'sha256' | 'variants'>, maxModelBytes: number): void {
  const names = new Set<string>();
  const files = new Set<string>([m.sha256]);
  for (const v of m.variants ?? []) {
    if (names.has(v.name)) throw new AgentError('bad_payload', `variant ${v.name} is listed twice`, { variant: v.name });
    if (files.has(v.sha256)) throw new AgentError('bad_payload', `variant ${v.name} has the sha256 of the base or of another variant`, { variant: v.name });
    names.add(v.name);
    files.add(v.sha256);
    if (v.size > maxModelBytes) throw new AgentError('model_too_large', `variant ${v.name} is ${v.size} bytes, the maximum is ${maxModelBytes}`, { variant: v.name, size: v.size, max: maxModelBytes });
    checkManifestLayout(v);
  }
}

/**
 * The manifest a variant is fetched, checked and activated under: the base's (labels, pre/postprocess, budget)
 * with the variant's own file (sha256, size, chunk layout), contract and self-test. No origins (they serve the
 * base's bytes) and no variants. Its `sha256` is the variant's: chunks come from that model's topics.
 */
export function variantManifest(base: ModelManifest, v: Variant): ModelManifest {
  const { variants: _v, origins: _o, ...rest } = base;
  return { ...rest, sha256: v.sha256, size: v.size, chunkSize: v.chunkSize, chunkSha256: v.chunkSha256, contract: v.contract, selfTest: v.selfTest };
}
