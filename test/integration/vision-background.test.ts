/**
 * The classifier's `background` label (docs/MODELS.md "Background label") on real onnxruntime sessions over real
 * ONNX files: detector-const-320 reports two boxes (scores .92 and .75); classifier-mean-bg.onnx (made by
 * scripts/fixtures/make_background_fixture.py) judges the green block not a control and the blue one a toggle with
 * p(background) ≈ 0.3. An element above the threshold leaves detect's answer; the others are re-scored by
 * 1 − p(background); a classifier without the label changes nothing.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import sharp from 'sharp';
import { ModelManifestSchema, PreprocessSchema, PostprocessSchema } from '../../src/common/wire.js';
import { createOrtRunner, type OrtSessions } from '../../src/agent/vision/ort-runner.js';
import { VisionPipeline } from '../../src/agent/vision/pipeline.js';
import { specFromMetadata } from '../../src/agent/vision/spec.js';
import type { VisionModelSpec } from '../../src/agent/vision/types.js';

const MODELS = join(import.meta.dirname, '..', 'fixtures', 'models');
const CLS_LABELS = ['button', 'text_input', 'checkbox_checked', 'checkbox_unchecked', 'radio_checked', 'radio_unchecked', 'dropdown', 'link', 'tab', 'menu_item', 'toggle_on', 'toggle_off', 'icon_button'];
const GREEN: [number, number, number, number] = [120, 180, 200, 220];
const BLUE: [number, number, number, number] = [340, 270, 460, 330];

const open: OrtSessions[] = [];
after(async () => {
  for (const s of open) await s.close();
});

const detectorSpec: VisionModelSpec = {
  inputName: 'images',
  preprocess: PreprocessSchema.parse({ inputWidth: 320, inputHeight: 320 }),
  postprocess: PostprocessSchema.parse({ format: 'yolov8', scoreThreshold: 0.25, iouThreshold: 0.45 }),
  labels: ['element'],
  modelId: 'det-const',
};

/** The classifier spec as the agent reads it from a metadata.json (the training recipe's file). */
function classifierSpec(labels: string[], postprocess: Record<string, unknown>, modelId: string): VisionModelSpec {
  const spec = specFromMetadata('classifier', {
    labels,
    contract: { inputs: [{ name: 'input' }], outputs: [{ name: 'logits' }] },
    preprocess: { inputWidth: 64, inputHeight: 64, crop: { expandRatio: 0.1, minPadPx: 4, size: [64, 64] } },
    postprocess,
  });
  return { ...spec, modelId };
}

/** A 640x640 page with coloured blocks exactly where detector-const-320 reports its boxes (scale 2, no padding). */
async function pagePng(): Promise<Buffer> {
  const block = (w: number, h: number, c: { r: number; g: number; b: number }) => sharp({ create: { width: w, height: h, channels: 3, background: c } }).png().toBuffer();
  return sharp({ create: { width: 640, height: 640, channels: 3, background: { r: 0, g: 0, b: 0 } } })
    .composite([
      { input: await block(80, 40, { r: 0, g: 255, b: 0 }), left: GREEN[0], top: GREEN[1] },
      { input: await block(120, 60, { r: 0, g: 0, b: 255 }), left: BLUE[0], top: BLUE[1] },
    ])
    .png()
    .toBuffer();
}

async function pipeline(classifierFile: string, cls: VisionModelSpec): Promise<VisionPipeline> {
  const ort = await createOrtRunner({ detector: join(MODELS, 'detector-const-320.onnx'), classifier: join(MODELS, classifierFile) }, { intraOpNumThreads: 1 });
  open.push(ort);
  return new VisionPipeline({ runner: ort.runner, specs: (r) => (r === 'detector' ? detectorSpec : r === 'classifier' ? cls : undefined), cacheEntries: 0 });
}

test('background label: the element judged not a control leaves the answer, the kept one is scored detector × (1 − p(background))', async () => {
  const cls = classifierSpec([...CLS_LABELS, 'background'], { format: 'logits' }, 'cls-bg');
  assert.equal(cls.postprocess.backgroundThreshold, undefined, 'no threshold in the metadata: the default 0.5 applies');
  const vp = await pipeline('classifier-mean-bg.onnx', cls);
  const png = await pagePng();
  const raw = await vp.detect({ source: { kind: 'png', png }, classify: false });
  assert.equal(raw.elements.length, 2, 'the detector reports both blocks');
  const [green, blue] = await vp.classifyBoxes(png, [GREEN, BLUE]);
  assert.ok(green!.background! > 0.5, `green p(background) ${green!.background}`);
  assert.ok(blue!.background! > 0.1 && blue!.background! < 0.5, `blue p(background) ${blue!.background}`);
  // the type comes from the other labels, renormalised to p(label | a control)
  assert.ok(!blue!.ranked.some((r) => r.label === 'background'));
  assert.ok(Math.abs(blue!.ranked.reduce((s, r) => s + r.score, 0) - 1) < 1e-6);
  assert.deepEqual([blue!.type, blue!.label], ['toggle', 'toggle_on']);

  const res = await vp.detect({ source: { kind: 'png', png } });
  assert.equal(res.elements.length, 1, JSON.stringify(res.elements));
  const el = res.elements[0]!;
  assert.deepEqual([el.type, el.label, el.index], ['toggle', 'toggle_on', 0]);
  const detectorScore = raw.elements[1]!.score;
  assert.ok(Math.abs(el.score - detectorScore * (1 - blue!.background!)) < 1e-9, `${el.score} vs ${detectorScore} × (1 − ${blue!.background})`);
  assert.ok(Math.abs(el.typeScore! - blue!.score) < 1e-9);
  vp.close();
});

test('background label: the threshold comes from the classifier metadata (postprocess.backgroundThreshold) and passes the manifest schema', async () => {
  const cls = classifierSpec([...CLS_LABELS, 'background'], { format: 'logits', backgroundThreshold: 0.99 }, 'cls-bg-99');
  assert.equal(cls.postprocess.backgroundThreshold, 0.99);
  const vp = await pipeline('classifier-mean-bg.onnx', cls);
  const png = await pagePng();
  const raw = await vp.detect({ source: { kind: 'png', png }, classify: false });
  const [green, blue] = await vp.classifyBoxes(png, [GREEN, BLUE]);
  const res = await vp.detect({ source: { kind: 'png', png } });
  assert.equal(res.elements.length, 2, 'both blocks are below p(background) 0.99');
  assert.ok(Math.abs(res.elements[0]!.score - raw.elements[0]!.score * (1 - green!.background!)) < 1e-9);
  assert.ok(Math.abs(res.elements[1]!.score - raw.elements[1]!.score * (1 - blue!.background!)) < 1e-9);
  // a signed manifest carries the label and the threshold through its schema; out of range is refused
  const manifest = {
    role: 'classifier', name: 'ui-classifier', version: '2.2.0', sha256: 'a'.repeat(64), size: 10, chunkSize: 10, chunkSha256: ['b'.repeat(64)],
    contract: { inputs: [{ name: 'images', dtype: 'float32', shape: ['batch', 3, 64, 64] }], outputs: [{ name: 'probs', dtype: 'float32', shape: ['batch', 14] }] },
    labels: [...CLS_LABELS, 'background'],
    postprocess: { format: 'softmax', backgroundThreshold: 0.6 },
    created: '2026-12-06T20:00:00.000Z',
  };
  const parsed = ModelManifestSchema.parse(manifest);
  assert.equal(parsed.postprocess?.backgroundThreshold, 0.6);
  assert.equal(parsed.labels.at(-1), 'background');
  assert.throws(() => ModelManifestSchema.parse({ ...manifest, postprocess: { format: 'softmax', backgroundThreshold: 1.5 } }));
  vp.close();
});

test('a classifier without the background label: every element kept with its detector score, as before', async () => {
  const cls = classifierSpec(CLS_LABELS, { format: 'logits', backgroundThreshold: 0.01 }, 'cls-mean');
  const vp = await pipeline('classifier-mean.onnx', cls);
  const png = await pagePng();
  const raw = await vp.detect({ source: { kind: 'png', png }, classify: false });
  const res = await vp.detect({ source: { kind: 'png', png } });
  assert.deepEqual(
    res.elements.map((e) => ({ box: e.box, score: e.score })),
    raw.elements.map((e) => ({ box: e.box, score: e.score })),
  );
  assert.deepEqual(res.elements.map((e) => e.label), ['checkbox_checked', 'toggle_on']);
  const [r] = await vp.classifyBoxes(png, [GREEN]);
  assert.equal(r!.background, undefined);
  assert.equal(r!.ranked.length, CLS_LABELS.length);
  vp.close();
});
