/**
 * The crop rule block of a model's metadata and its views (docs/MODELS.md "Crop rule"), shared by the agent
 * (src/agent/vision/spec.ts, the load pipeline's contract step) and the fleet's manifest builder, so both read
 * one metadata.json alike and refuse the same view/channel mismatches. Pure.
 */
import type { Preprocess, TensorSpec } from './wire.js';

/**
 * The training recipe writes the crop rule as {expandRatio, minPadPx, size: [w, h]} and each view as
 * {expandRatio, minPadPx} (scripts/train); the wire schema names them {expand, minPad, size} and {expand, minPad}.
 * Accepts both. A crop with views and no single rule of its own takes view 0's as it (the wire schema requires
 * one; nothing crops by it while views are present). Other keys (prose such as `rule`) are dropped.
 */
export function wireCrop(c: Record<string, unknown>): Record<string, unknown> {
  const size = Array.isArray(c['size']) ? c['size'][0] : c['size'];
  if (!Array.isArray(c['views'])) return { expand: c['expand'] ?? c['expandRatio'], minPad: c['minPad'] ?? c['minPadPx'], size };
  const views = (c['views'] as unknown[]).map((v) => {
    const o = (v && typeof v === 'object' ? v : {}) as Record<string, unknown>;
    return { expand: o['expand'] ?? o['expandRatio'], minPad: o['minPad'] ?? o['minPadPx'] };
  });
  return { expand: c['expand'] ?? c['expandRatio'] ?? views[0]?.expand, minPad: c['minPad'] ?? c['minPadPx'] ?? views[0]?.minPad, size, views };
}

/**
 * A model whose crop has V views (wire.ts `preprocess.crop.views`) is fed [N, 3·V, S, S]: its first input, as
 * declared (`declared`) and as the model has it (`model`), must be rank 4 with 3·V channels where the channel
 * dimension is fixed (a symbolic one accepts any count). Without views nothing is checked. Returns the problems.
 */
export function viewMismatches(preprocess: Preprocess | undefined, declared: Pick<TensorSpec, 'name' | 'shape'> | undefined, model: { shape?: readonly (number | string)[] } | undefined): string[] {
  const views = preprocess?.crop?.views;
  if (!views || !declared) return [];
  const want = 3 * views.length;
  const problems: string[] = [];
  const check = (whose: string, shape: readonly (number | string)[] | undefined) => {
    if (!shape) return;
    if (shape.length !== 4) problems.push(`input "${declared.name}" in the ${whose} is rank ${shape.length}; ${views.length} crop views need [batch, ${want}, S, S]`);
    else if (typeof shape[1] === 'number' && shape[1] !== want) problems.push(`input "${declared.name}" in the ${whose} has ${shape[1]} channels; ${views.length} crop views need ${want}`);
  };
  check('contract', declared.shape);
  check('model', model?.shape);
  return problems;
}
