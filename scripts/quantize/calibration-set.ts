/**
 * The calibration set of the INT8 recipe (issue 21 §1): TRAINING screenshots only — generator pages of a training
 * seed range and the apps whose committed split (scripts/dataset/apps/<family>.json) is "train". Held-out apps are
 * never read (loadRealApps checks the split against the apps list and the sha256 rule). Each image is turned into
 * model inputs by the agent's own code: the detector letterbox (preprocessFrame) and the classifier crop rule
 * (cropBatch) on the labelled boxes, exactly as the pipeline feeds the models.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { frameFromImage } from '../../src/agent/vision/capture.js';
import { cropBatch } from '../../src/agent/vision/crops.js';
import { preprocessFrame } from '../../src/agent/vision/preprocess.js';
import type { VisionModelSpec } from '../../src/agent/vision/types.js';
import type { Box } from '../../src/common/geometry.js';
import { loadRealApps } from '../eval/real-apps.js';

export interface CalibrationImage {
  source: 'generator' | 'real-app';
  /** family/app for real apps, the file name for generator pages */
  name: string;
  png: string;
  boxes: Box[];
}

/** `count` items spread evenly over `items` (deterministic: the same list gives the same pick). */
export function spread<T>(items: readonly T[], count: number): T[] {
  if (count >= items.length) return [...items];
  const out: T[] = [];
  for (let k = 0; k < count; k++) out.push(items[Math.floor((k * items.length) / count)]!);
  return out;
}

function generatorImages(dir: string): CalibrationImage[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^synthetic_\d+_v\d+\.json$/.test(f))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .filter((f) => existsSync(join(dir, f.replace(/\.json$/, '.png'))))
    .map((f) => {
      const label = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { elements: { box: Box }[] };
      return { source: 'generator' as const, name: f.replace(/\.json$/, ''), png: join(dir, f.replace(/\.json$/, '.png')), boxes: label.elements.map((e) => e.box) };
    });
}

/** Half generator pages, half real-app training screenshots (fewer if one side has fewer), spread evenly. */
export function calibrationImages(opts: { generatorDir: string; realAppsDir: string; appsListDir: string; count: number }): { images: CalibrationImage[]; heldOutSkipped: number; apps: string[] } {
  const gen = generatorImages(opts.generatorDir);
  const loaded = existsSync(opts.realAppsDir) ? loadRealApps(opts.realAppsDir, opts.appsListDir) : { samples: [] };
  const train = loaded.samples.filter((s) => s.split === 'train');
  const real: CalibrationImage[] = train.map((s) => ({ source: 'real-app', name: `${s.family}/${s.app}/${s.json.split('/').pop()!.replace(/\.json$/, '')}`, png: s.png, boxes: s.label.elements.map((e) => e.box as Box) }));
  const half = Math.ceil(opts.count / 2);
  const nReal = Math.min(real.length, Math.max(half, opts.count - gen.length));
  const nGen = Math.min(gen.length, opts.count - nReal);
  return {
    images: [...spread(gen, nGen), ...spread(real, nReal)],
    heldOutSkipped: loaded.samples.length - train.length,
    apps: [...new Set(train.map((s) => `${s.family}/${s.app}`))].sort(),
  };
}

export interface ModelInput {
  data: Float32Array;
  dims: number[];
}

/** The detector input of one image, letterboxed as the agent does. */
export async function detectorInput(img: CalibrationImage, spec: VisionModelSpec): Promise<ModelInput> {
  const frame = await frameFromImage(readFileSync(img.png));
  const t = await preprocessFrame(frame, spec.preprocess);
  return { data: t.data, dims: [...t.dims] };
}

/** Crops of up to `perImage` labelled boxes of one image (spread over the element list), cut by the crop rule. */
export async function cropInputs(img: CalibrationImage, spec: VisionModelSpec, perImage: number): Promise<ModelInput | null> {
  const boxes = spread(img.boxes.filter((b) => b[2] > b[0] && b[3] > b[1]), perImage);
  if (boxes.length === 0) return null;
  const frame = await frameFromImage(readFileSync(img.png));
  const c = cropBatch({ data: frame.data, width: frame.width, height: frame.height, channels: frame.channels }, boxes, spec.preprocess);
  return { data: c.data, dims: [...c.dims] };
}
