/**
 * `rpa-fleet model publish` and its variants (issue 21 §1): `<dir of FILE>/variants/<name>/{model.onnx,variant.json}`
 * are found by themselves, `--variant NAME=DIR` adds or replaces one, `--no-variants` publishes the base alone.
 * The checks and the building are fleet/variants.ts's (the same for the API's callers).
 */
import { AgentError } from '../../common/errors.js';
import { findVariantDirs, parseVariantFlags, readVariantDir, type VariantSource } from '../../fleet/variants.js';

export const variantOptions = { variant: { type: 'string', multiple: true }, 'no-variants': { type: 'boolean' } } as const;

export interface VariantArgs {
  /** --variant NAME=DIR, in order */
  variantDirs?: { name: string; dir: string }[];
  /** --no-variants: do not look for variants/<name>/ next to the model file */
  noVariants?: boolean;
}

export const variantHelp = `  --variant NAME=DIR      a hardware variant (DIR holds model.onnx + variant.json, e.g. an INT8 QDQ file): scanned,
                          contract-checked and self-tested like the base, chunked, listed in the signed manifest
                          (repeatable; FILE's own variants/<name>/ folders are taken unless --no-variants)`;

export function parseVariantArgs(v: Record<string, unknown>): { ok: true; value: VariantArgs } | { ok: false; message: string } {
  const raw = Array.isArray(v['variant']) ? (v['variant'] as string[]) : typeof v['variant'] === 'string' ? [v['variant']] : [];
  try {
    const dirs = parseVariantFlags(raw);
    return { ok: true, value: { ...(dirs.length ? { variantDirs: dirs } : {}), ...(v['no-variants'] === true ? { noVariants: true } : {}) } };
  } catch (e) {
    return { ok: false, message: (e as AgentError).message };
  }
}

/** The variants to publish with `file`: its own variants/<name>/ folders (unless --no-variants), then the flags' (a flag replaces a folder of the same name). */
export async function variantSources(file: string, a: VariantArgs): Promise<VariantSource[]> {
  const byName = new Map<string, string>();
  if (!a.noVariants) for (const d of findVariantDirs(file)) byName.set(d.name, d.dir);
  for (const d of a.variantDirs ?? []) byName.set(d.name, d.dir);
  if (byName.size > 8) throw new AgentError('variant_invalid', `${byName.size} variants; a manifest lists at most 8`);
  return Promise.all([...byName].map(([name, dir]) => readVariantDir(name, dir)));
}
