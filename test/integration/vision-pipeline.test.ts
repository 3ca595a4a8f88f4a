/**
 * The vision pipeline on real onnxruntime sessions over real ONNX files (test/fixtures/models, made by
 * scripts/fixtures/make_yolo_fixture.py): a stock-layout YOLOv8 export [1,84,8400], a one-class detector
 * [1,5,2100], a batched classifier and a similarity model.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import sharp from 'sharp';
import { PreprocessSchema, PostprocessSchema } from '../../src/common/wire.js';
import { createOrtRunner, type OrtSessions } from '../../src/agent/vision/ort-runner.js';
import { VisionPipeline } from '../../src/agent/vision/pipeline.js';
import { FakeTimers } from '../../src/common/lifetime.js';
import type { VisionModelSpec } from '../../src/agent/vision/types.js';
import type { Box } from '../../src/common/geometry.js';

const MODELS = join(import.meta.dirname, '..', 'fixtures', 'models');
const COCO80 = Array.from({ length: 80 }, (_, i) => `coco${i}`);
const CLS_LABELS = ['button', 'text_input', 'checkbox_checked', 'checkbox_unchecked', 'radio_checked', 'radio_unchecked', 'dropdown', 'link', 'tab', 'menu_item', 'toggle_on', 'toggle_off', 'icon_button'];

const open: OrtSessions[] = [];
after(async () => {
  for (const s of open) await s.close();
});

function near(a: readonly number[], b: readonly number[], eps = 0.01): void {
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) <= eps, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`));
}

/** The spec of the stock Ultralytics export fixture (yolov8-stock-const.onnx): 80 COCO classes, output0. */
function stockYoloSpec(): VisionModelSpec {
  return {
    inputName: 'images',
    outputName: 'output0',
    preprocess: PreprocessSchema.parse({ inputWidth: 640, inputHeight: 640 }),
    postprocess: PostprocessSchema.parse({ format: 'yolov8', scoreThreshold: 0.25, iouThreshold: 0.45 }),
    labels: COCO80,
  };
}

async function blankPng(w: number, h: number, rgb = { r: 40, g: 40, b: 40 }): Promise<Buffer> {
  return sharp({ create: { width: w, height: h, channels: 3, background: rgb } }).png().toBuffer();
}

test('a stock Ultralytics YOLOv8 export ([1,84,8400], 80 classes) decodes to its known boxes in screen pixels', async () => {
  const ort = await createOrtRunner({ detector: join(MODELS, 'yolov8-stock-const.onnx') });
  open.push(ort);
  const spec = stockYoloSpec();
  const vp = new VisionPipeline({ runner: ort.runner, specs: (r) => (r === 'detector' ? spec : undefined) });
  // a 1920x1080 screenshot at screen origin (100, 50): r = 1/3, letterbox top = 140
  const res = await vp.detect({ source: { kind: 'png', png: await blankPng(1920, 1080), originX: 100, originY: 50 } });
  const got = res.elements.map((e) => ({ type: e.type, box: e.box, score: e.score }));
  assert.equal(got.length, 3, JSON.stringify(got));
  // anchor 100: cx 320, cy 320, 64x32 → input [288,304,352,336] → frame [864,492,1056,588] → +origin
  assert.equal(got[0]!.type, 'coco0');
  near(got[0]!.box, [964, 542, 1156, 638]);
  assert.ok(Math.abs(got[0]!.score - 0.9) < 1e-5);
  // anchor 101 (near-duplicate, class 0) is gone; anchor 102 (same box, class 2) survives: a multi-class
  // detector gets per-class NMS, as Ultralytics does by default
  assert.equal(got[1]!.type, 'coco2');
  near(got[1]!.box, [964, 542, 1156, 638]);
  // anchor 5000: cx 100, cy 200, 40x40 → input [80,180,120,220] → frame [240,120,360,240] → +origin
  assert.equal(got[2]!.type, 'coco79');
  near(got[2]!.box, [340, 170, 460, 290]);
  vp.close();
});

function specs(): Record<'detector' | 'classifier' | 'similarity', VisionModelSpec> {
  return {
    detector: {
      inputName: 'images',
      preprocess: PreprocessSchema.parse({ inputWidth: 320, inputHeight: 320 }),
      postprocess: PostprocessSchema.parse({ format: 'yolov8', scoreThreshold: 0.25, iouThreshold: 0.45 }),
      labels: ['element'],
      modelId: 'det-const',
    },
    classifier: {
      inputName: 'input',
      preprocess: PreprocessSchema.parse({ inputWidth: 64, inputHeight: 64, crop: { expand: 0.1, minPad: 4, size: 64 } }),
      postprocess: PostprocessSchema.parse({ format: 'logits' }),
      labels: CLS_LABELS,
      modelId: 'cls-mean',
    },
    similarity: {
      inputName: 'input',
      preprocess: PreprocessSchema.parse({ inputWidth: 64, inputHeight: 64, crop: { expand: 0.1, minPad: 4, size: 64 } }),
      postprocess: PostprocessSchema.parse({ format: 'l2-embedding' }),
      labels: [],
      modelId: 'sim-mean',
    },
  };
}

/** A 640x640 page with coloured blocks exactly where detector-const-320 reports its boxes (scale 2, no padding). */
async function pagePng(): Promise<Buffer> {
  // const-320 boxes (input px): A [60,90,100,110] score .92; B [170,135,230,165] score .75 → ×2 on a 640x640 page
  const block = (w: number, h: number, c: { r: number; g: number; b: number }) => sharp({ create: { width: w, height: h, channels: 3, background: c } }).png().toBuffer();
  return sharp({ create: { width: 640, height: 640, channels: 3, background: { r: 0, g: 0, b: 0 } } })
    .composite([
      { input: await block(80, 40, { r: 0, g: 255, b: 0 }), left: 120, top: 180 },
      { input: await block(120, 60, { r: 0, g: 0, b: 255 }), left: 340, top: 270 },
    ])
    .png()
    .toBuffer();
}

test('detect → batched classify: types and checked state from the labels, boxes in screen pixels', async () => {
  const ort = await createOrtRunner({ detector: join(MODELS, 'detector-const-320.onnx'), classifier: join(MODELS, 'classifier-mean.onnx'), similarity: join(MODELS, 'similarity-mean.onnx') });
  open.push(ort);
  let classifierRuns = 0;
  const s = specs();
  const vp = new VisionPipeline({
    runner: async (role, feeds, o) => {
      if (role === 'classifier') classifierRuns++;
      return ort.runner(role, feeds, o);
    },
    specs: (r) => s[r],
  });
  const png = await pagePng();
  const res = await vp.detect({ source: { kind: 'png', png } });
  assert.equal(res.elements.length, 2);
  assert.equal(classifierRuns, 1, 'all crops go through the classifier in one run');
  const [a, b] = res.elements;
  near(a!.box, [120, 180, 200, 220]);
  assert.deepEqual([a!.type, a!.checked, a!.label], ['checkbox', true, 'checkbox_checked']);
  near(b!.box, [340, 270, 460, 330]);
  assert.deepEqual([b!.type, b!.checked, b!.label], ['toggle', true, 'toggle_on']);
  assert.ok(b!.typeScore! > 0.5);
  // type filter
  const toggles = await vp.detect({ source: { kind: 'png', png }, types: ['toggle'] });
  assert.deepEqual(toggles.elements.map((e) => e.type), ['toggle']);
  // minScore above the second box's 0.75 leaves one
  const strict = await vp.detect({ source: { kind: 'png', png }, minScore: 0.8 });
  assert.equal(strict.elements.length, 1);
  // classify a crop directly: the green block
  const c = (await vp.classifyBoxes(png, [[120, 180, 200, 220]]))[0]!;
  assert.deepEqual([c.type, c.checked], ['checkbox', true]);
  assert.equal(c.ranked[0]!.label, 'checkbox_checked');
  vp.close();
});

test('detect classifies in chunks (classifyChunk): same elements as one run, runs one after another, a failed run fails the call', async () => {
  const ort = await createOrtRunner({ detector: join(MODELS, 'detector-const-320.onnx'), classifier: join(MODELS, 'classifier-mean.onnx') });
  open.push(ort);
  const s = specs();
  const png = await pagePng();
  const one = new VisionPipeline({ runner: ort.runner, specs: (r) => s[r], cacheEntries: 0, classifyChunk: Infinity });
  const whole = await one.detect({ source: { kind: 'png', png } });
  const log: string[] = [];
  let fail = false;
  const chunked = new VisionPipeline({
    runner: async (role, feeds, o) => {
      if (role !== 'classifier') return ort.runner(role, feeds, o);
      const n = Object.values(feeds)[0]!.dims[0];
      log.push(`start ${n}`);
      if (fail) throw new Error('the classifier broke');
      const out = await ort.runner(role, feeds, o);
      log.push('end');
      return out;
    },
    specs: (r) => s[r],
    cacheEntries: 0,
    classifyChunk: 1,
  });
  // the default (CLASSIFY_CHUNK): every element in one run
  const runs: number[] = [];
  const byDefault = new VisionPipeline({
    runner: async (role, feeds, o) => {
      if (role === 'classifier') runs.push(Object.values(feeds)[0]!.dims[0]!);
      return ort.runner(role, feeds, o);
    },
    specs: (r) => s[r],
    cacheEntries: 0,
  });
  assert.equal((await byDefault.detect({ source: { kind: 'png', png } })).elements.length, 2);
  assert.deepEqual(runs, [2], 'one classifier run for both elements by default');
  byDefault.close();
  const res = await chunked.detect({ source: { kind: 'png', png } });
  assert.equal(res.elements.length, 2);
  assert.deepEqual(log, ['start 1', 'end', 'start 1', 'end'], 'one crop per run, each run after the previous one ended');
  assert.deepEqual(
    res.elements.map(({ index, box, type, label, typeScore, checked, click }) => ({ index, box, type, label, typeScore, checked, click })),
    whole.elements.map(({ index, box, type, label, typeScore, checked, click }) => ({ index, box, type, label, typeScore, checked, click })),
  );
  assert.ok(res.timings.crops! >= 0 && res.timings.classifier! >= 0);
  fail = true;
  await assert.rejects(chunked.detect({ source: { kind: 'png', png } }), /the classifier broke/);
  one.close();
  chunked.close();
});

test('detect reuses its classifier batch buffer between calls of the same element count; a transferred (detached) one is replaced, results unchanged', async () => {
  const ort = await createOrtRunner({ detector: join(MODELS, 'detector-const-320.onnx'), classifier: join(MODELS, 'classifier-mean.onnx') });
  open.push(ort);
  const s = specs();
  const png = await pagePng();
  const seen: Float32Array[] = [];
  let detach = false;
  const vp = new VisionPipeline({
    runner: async (role, feeds, o) => {
      if (role !== 'classifier') return ort.runner(role, feeds, o);
      const data = Object.values(feeds)[0]!.data as Float32Array;
      seen.push(data);
      const out = await ort.runner(role, { [s.classifier.inputName]: { type: 'float32', data: data.slice(), dims: Object.values(feeds)[0]!.dims } }, o);
      // what a runner that transfers the caller's buffer to another thread leaves behind
      if (detach) structuredClone(data.buffer, { transfer: [data.buffer] });
      return out;
    },
    specs: (r) => s[r],
    cacheEntries: 0,
  });
  const strip = (r: Awaited<ReturnType<VisionPipeline['detect']>>) => r.elements.map(({ box, type, label, typeScore }) => ({ box, type, label, typeScore }));
  const first = strip(await vp.detect({ source: { kind: 'png', png } }));
  const second = strip(await vp.detect({ source: { kind: 'png', png } }));
  assert.equal(seen.length, 2);
  assert.equal(seen[1], seen[0], 'the second call wrote over the first call\'s batch');
  assert.deepEqual(second, first);
  detach = true;
  const third = strip(await vp.detect({ source: { kind: 'png', png } }));
  assert.equal(seen[2], seen[0], 'still the pooled one (detached after its run)');
  assert.equal(seen[2]!.length, 0, 'detached');
  detach = false;
  const fourth = strip(await vp.detect({ source: { kind: 'png', png } }));
  assert.notEqual(seen[3], seen[0], 'a detached batch is not reused');
  assert.ok(seen[3]!.length > 0);
  assert.deepEqual(third, first);
  assert.deepEqual(fourth, first);
  vp.close();
});

test('frame cache: the same pixels reuse the last result; a change or another model does not', async () => {
  const ort = await createOrtRunner({ detector: join(MODELS, 'detector-const-320.onnx'), classifier: join(MODELS, 'classifier-mean.onnx') });
  open.push(ort);
  let detectorRuns = 0;
  const s = specs();
  let detSpec = s.detector;
  const vp = new VisionPipeline({
    runner: async (role, feeds, o) => {
      if (role === 'detector') detectorRuns++;
      return ort.runner(role, feeds, o);
    },
    specs: (r) => (r === 'detector' ? detSpec : r === 'classifier' ? s.classifier : undefined),
  });
  const png = await pagePng();
  const first = await vp.detect({ source: { kind: 'png', png } });
  const second = await vp.detect({ source: { kind: 'png', png } });
  assert.equal(first.cached, false);
  assert.equal(second.cached, true);
  assert.equal(detectorRuns, 1);
  assert.deepEqual(second.elements, first.elements);
  // one changed pixel → miss
  const changed = await sharp(png).composite([{ input: await blankPng(1, 1, { r: 255, g: 255, b: 255 }), left: 639, top: 639 }]).png().toBuffer();
  assert.equal((await vp.detect({ source: { kind: 'png', png: changed } })).cached, false);
  // a hot swap (new modelId) → miss even on the same pixels
  detSpec = { ...detSpec, modelId: 'det-const-v2' };
  assert.equal((await vp.detect({ source: { kind: 'png', png } })).cached, false);
  assert.equal(detectorRuns, 3);
  // the changed frame replaced the entry of its key (same source and model); the swap added a second key
  assert.deepEqual(vp.stats().frameCache, { hits: 1, misses: 3, entries: 2 });
  assert.deepEqual(vp.takeFrameCacheCounts(), { hits: 1, misses: 3 });
  vp.close();
});

test('findElement: by template (cosine of embeddings), by type, and near a label box', async () => {
  const ort = await createOrtRunner({ detector: join(MODELS, 'detector-const-320.onnx'), classifier: join(MODELS, 'classifier-mean.onnx'), similarity: join(MODELS, 'similarity-mean.onnx') });
  open.push(ort);
  const s = specs();
  const vp = new VisionPipeline({ runner: ort.runner, specs: (r) => s[r] });
  const png = await pagePng();
  // template: the blue block cut from the page with the crop rule's margin → ranks the blue element first
  const template = await sharp(png).extract({ left: 328, top: 264, width: 144, height: 72 }).png().toBuffer();
  const byTemplate = await vp.findElement({ source: { kind: 'png', png }, template });
  assert.equal(byTemplate.candidates.length, 2);
  near(byTemplate.candidates[0]!.element.box, [340, 270, 460, 330]);
  assert.ok(byTemplate.candidates[0]!.scores.similarity! > 0.99);
  assert.ok(byTemplate.candidates[0]!.score > byTemplate.candidates[1]!.score);
  const emb = await vp.embedSource({ kind: 'png', png: template });
  let norm = 0;
  for (const v of emb) norm += v * v;
  assert.ok(Math.abs(norm - 1) < 1e-5);
  // by type
  const byType = await vp.findElement({ source: { kind: 'png', png }, type: 'checkbox' });
  assert.deepEqual(byType.candidates.map((c) => c.element.type), ['checkbox']);
  // near a label just left of the blue element on its row
  const label: Box = [250, 285, 330, 315];
  const byLabel = await vp.findElement({ source: { kind: 'png', png }, near: { text: 'Dark mode', box: label } });
  near(byLabel.candidates[0]!.element.box, [340, 270, 460, 330]);
  assert.ok(byLabel.candidates[0]!.scores.proximity! > byLabel.candidates[1]!.scores.proximity!);
  await assert.rejects(vp.findElement({ source: { kind: 'png', png } }), /template, a type or a near label/);
  assert.equal(vp.stats().calls.findElement, 4);
  vp.close();
});

test('no active model → coded no_model error; an undecodable PNG → bad_image', async () => {
  const vp = new VisionPipeline({ runner: async () => ({}), specs: () => undefined });
  await assert.rejects(vp.detect({ source: { kind: 'png', png: await blankPng(10, 10) } }), (e: unknown) => (e as { code?: string }).code === 'no_model');
  const s = specs();
  const vp2 = new VisionPipeline({ runner: async () => ({}), specs: (r) => s[r] });
  await assert.rejects(vp2.detect({ source: { kind: 'png', png: Buffer.from('not a png') } }), (e: unknown) => (e as { code?: string }).code === 'bad_image');
  await assert.rejects(vp2.detect({ source: { kind: 'screen' } }), (e: unknown) => (e as { code?: string }).code === 'not_supported');
});

test('through the real InferenceHost: runnerFromHost + specs from the signed-manifest shape', async () => {
  const { InferenceHost } = await import('../../src/agent/inference/host.js');
  const { runnerFromHost, specProviderFromManifests } = await import('../../src/agent/vision/host-adapter.js');
  const { ModelManifestSchema } = await import('../../src/common/wire.js');
  const { readFileSync } = await import('node:fs');
  const { createHash } = await import('node:crypto');
  const bytes = new Uint8Array(readFileSync(join(MODELS, 'detector-const-320.onnx')));
  const sha = createHash('sha256').update(bytes).digest('hex');
  const manifest = ModelManifestSchema.parse({
    role: 'detector',
    name: 'const-detector',
    version: '1.0.0',
    sha256: sha,
    size: bytes.length,
    chunkSize: bytes.length,
    chunkSha256: [sha],
    contract: { inputs: [{ name: 'images', dtype: 'float32', shape: [1, 3, 320, 320] }], outputs: [{ name: 'output0', dtype: 'float32', shape: [1, 5, 2100] }] },
    labels: ['element'],
    preprocess: { inputWidth: 320, inputHeight: 320 },
    postprocess: { format: 'yolov8', scoreThreshold: 0.25, iouThreshold: 0.45 },
    created: '2026-01-01T00:00:00Z',
  });
  const host = new InferenceHost({ providers: ['cpu'], warmupRuns: 1, prespawn: false, defaultLatencyBudgetMs: 10000 });
  try {
    await host.activate({ role: 'detector', modelId: sha, manifest, bytes });
    const vp = new VisionPipeline({ runner: runnerFromHost(host), specs: specProviderFromManifests((r) => (r === 'detector' ? manifest : undefined)) });
    const res = await vp.detect({ source: { kind: 'png', png: await pagePng() } });
    assert.equal(res.elements.length, 2);
    near(res.elements[0]!.box, [120, 180, 200, 220]);
    vp.close();
  } finally {
    await host.close();
  }
});

test('findElement by type with typeMinScore: an element whose top type differs matches at its probability for the type; without it, top type only', async () => {
  const ort = await createOrtRunner({ detector: join(MODELS, 'detector-const-320.onnx'), classifier: join(MODELS, 'classifier-mean.onnx') });
  open.push(ort);
  const s = specs();
  const vp = new VisionPipeline({ runner: ort.runner, specs: (r) => s[r] });
  const png = await pagePng();
  const { elements } = await vp.detect({ source: { kind: 'png', png } });
  const green = elements.find((e) => e.type === 'checkbox')!;
  // the green element's probability of being a toggle (toggle_on + toggle_off), from the same crop
  const ranked = (await vp.classifyBoxes(png, [green.box]))[0]!.ranked;
  const pToggle = ranked.filter((r) => r.label.startsWith('toggle_')).reduce((a, r) => a + r.score, 0);
  assert.ok(pToggle > 0 && pToggle < 0.5, `fixture: green is not a toggle (${pToggle})`);
  const plain = await vp.findElement({ source: { kind: 'png', png }, type: 'toggle' });
  assert.deepEqual(plain.candidates.map((c) => c.element.type), ['toggle'], 'top type only by default');
  const wide = await vp.findElement({ source: { kind: 'png', png }, type: 'toggle', typeMinScore: pToggle * 0.99 });
  assert.deepEqual(wide.candidates.map((c) => c.element.type), ['toggle', 'checkbox'], 'the look-alike ranks after the real toggle');
  assert.ok(Math.abs(wide.candidates[1]!.scores.type! - pToggle) < 1e-6, `${wide.candidates[1]!.scores.type} vs ${pToggle}`);
  assert.equal(wide.candidates[1]!.element.type, 'checkbox', 'the element still reports its own top type');
  assert.ok(!('ranked' in wide.candidates[1]!.element), 'per-label probabilities stay inside the agent');
  // with a label box too: the look-alike still pays its type probability, the real toggle does not
  const nearBoth: Box = [250, 285, 330, 315];
  const withNear = await vp.findElement({ source: { kind: 'png', png }, type: 'toggle', typeMinScore: pToggle * 0.99, near: { box: nearBoth } });
  const alike = withNear.candidates.find((c) => c.element.type === 'checkbox')!;
  assert.ok(Math.abs(alike.score - alike.scores.proximity! * pToggle) < 1e-6, `${alike.score} = proximity x ${pToggle}`);
  const real = withNear.candidates.find((c) => c.element.type === 'toggle')!;
  assert.ok(Math.abs(real.score - real.scores.proximity!) < 1e-9);
  const tight = await vp.findElement({ source: { kind: 'png', png }, type: 'toggle', typeMinScore: pToggle * 1.01 });
  assert.deepEqual(tight.candidates.map((c) => c.element.type), ['toggle']);
  // detect results never carry them either
  assert.ok(elements.every((e) => !('ranked' in e)));
  vp.close();
});

test('bot services (the production adapter): results satisfy the bot-protocol schemas; near-text without OCR is not_supported', async () => {
  const { createVisionBotServices } = await import('../../src/agent/endpoint/vision-services.js');
  const { DetectResultSchema, ClassifyResultSchema, FindElementResultSchema, EmbedResultSchema } = await import('../../src/common/bot-protocol.js');
  const ort = await createOrtRunner({ detector: join(MODELS, 'detector-const-320.onnx'), classifier: join(MODELS, 'classifier-mean.onnx'), similarity: join(MODELS, 'similarity-mean.onnx') });
  open.push(ort);
  const s = specs();
  const vp = new VisionPipeline({ runner: ort.runner, specs: (r) => s[r] });
  // the agent core is not under test here: status/models/feedback are never called
  const unused = () => {
    throw new Error('not used by this test');
  };
  const svc = createVisionBotServices({ vision: vp, core: { status: unused, modelsList: unused, submitFeedback: unused, onStatusChange: unused } });
  const signal = new AbortController().signal;
  const png = await pagePng();
  const src = { kind: 'png' as const, png, width: 640, height: 640, originX: 10, originY: 20 };
  const d = DetectResultSchema.parse(await svc.detect({ source: src, maxResults: 1 }, { signal }));
  assert.equal(d.elements.length, 1);
  assert.deepEqual(d.frame, { x: 10, y: 20, width: 640, height: 640 });
  assert.equal(d.modelId, 'det-const');
  near(d.elements[0]!.box, [130, 200, 210, 240]);
  const crop = await sharp(png).extract({ left: 112, top: 172, width: 96, height: 56 }).png().toBuffer();
  const c = ClassifyResultSchema.parse(await svc.classify({ source: { kind: 'png', png: crop, width: 96, height: 56 }, topK: 3 }, { signal }));
  assert.equal(c.labels.length, 3);
  assert.deepEqual([c.labels[0]!.label, c.labels[0]!.type], ['checkbox_checked', 'checkbox']);
  const f = FindElementResultSchema.parse(await svc.findElement({ source: src, type: 'toggle' }, { signal }));
  assert.deepEqual(f.matches.map((m) => [m.type, m.by]), [['toggle', ['type']]]);
  const e = EmbedResultSchema.parse(await svc.embed({ source: { kind: 'png', png: crop, width: 96, height: 56 } }, { signal }));
  assert.equal(e.dims, 8);
  await assert.rejects(svc.findElement({ source: src, text: 'Email' }, { signal }), (err: unknown) => (err as { code?: string }).code === 'not_supported');
  vp.close();
});

test('warmUp runs the JS stages with the active specs and no model: false without a detector, and detect works after it', async () => {
  const ort = await createOrtRunner({ detector: join(MODELS, 'yolov8-stock-const.onnx') });
  open.push(ort);
  const spec = stockYoloSpec();
  const clsSpec = specs().classifier;
  const runs: string[] = [];
  let active = false;
  const vp = new VisionPipeline({
    runner: (role, feeds, opts) => {
      runs.push(role);
      return ort.runner(role, feeds, opts);
    },
    specs: (r) => (!active ? undefined : r === 'detector' ? spec : r === 'classifier' ? clsSpec : undefined),
  });
  assert.equal(await vp.warmUp(), false, 'nothing to warm before a detector is active');
  active = true;
  assert.equal(await vp.warmUp({ width: 800, height: 600 }), true);
  assert.equal(await vp.warmUp({ width: 16, height: 12 }), true, 'a frame smaller than the warm-up boxes');
  assert.deepEqual(runs, [], 'warm-up never runs a model');
  assert.deepEqual(vp.stats().calls, { detect: 0, classify: 0, embed: 0, findElement: 0 }, 'and is not counted as a bot call');
  const res = await vp.detect({ source: { kind: 'png', png: await blankPng(1920, 1080) }, classify: false });
  assert.equal(res.elements.length, 3);
  assert.deepEqual(runs, ['detector']);
  vp.close();
  assert.equal(await vp.warmUp(), false, 'a closed pipeline does nothing');
});

test('idle release (issue 17 §2): the warm-up buffers go after an idle spell, busy calls keep them, the next detect makes them again (fake timers)', async () => {
  const ort = await createOrtRunner({ detector: join(MODELS, 'yolov8-stock-const.onnx') });
  open.push(ort);
  const spec = stockYoloSpec();
  const timers = new FakeTimers();
  const vp = new VisionPipeline({ runner: ort.runner, specs: (r) => (r === 'detector' ? spec : undefined), timers, idleReleaseMs: 30_000 });
  try {
    assert.equal(await vp.warmUp({ width: 1920, height: 1080 }), true);
    const held = vp.heldBufferBytes();
    assert.ok(held >= 1920 * 1080 * 3, `the warm-up leaves its buffers for the first call (${held} bytes)`);
    timers.advance(29_000);
    assert.equal(vp.heldBufferBytes(), held, 'kept within the idle spell');
    const png = await blankPng(1920, 1080);
    const first = await vp.detect({ source: { kind: 'png', png }, classify: false });
    timers.advance(29_000);
    assert.ok(vp.heldBufferBytes() > 0, 'a call restarts the idle spell: a busy screen keeps its buffers');
    timers.advance(1_500);
    assert.equal(vp.heldBufferBytes(), 0, 'released after 30 s without a call');
    const again = await vp.detect({ source: { kind: 'png', png }, classify: false });
    assert.deepEqual(again.elements, first.elements, 'the next detect makes them again, same answer');
    assert.ok(vp.heldBufferBytes() > 0);
  } finally {
    vp.close();
  }
  assert.equal(timers.pending(), 0, 'close leaves no timer');
});
