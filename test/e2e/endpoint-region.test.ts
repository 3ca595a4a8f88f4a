/**
 * classify and embed on a screen `region` (docs/BOT-API.md "Crops") through the real bot endpoint of a real
 * agent service (src/agent/service.ts): the REAL baseline models (assets/models) signed, published on aedes and
 * activated in the InferenceHost (onnxruntime), and the service's own screen capturer (node-screenshots) on a
 * real X display (Xvfb under `npm test`) whose root window shows a known screenshot
 * (test/fixtures/screens/synthetic_200000_v0.png, painted by ImageMagick's `display -window root`).
 *
 * What proves the region path: the answer for a region must equal the same models' answer on the same pixels
 * taken from the PNG file with the manifest's crop rule (VisionPipeline.classifyBoxes / embedBoxes), and the
 * classifier must name the ground-truth type of most elements. Before the fix both answered `not_supported`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import sharp from 'sharp';
import { connect, type BotClient } from '../../src/agent/endpoint/index.js';
import { getOrCreateEndpointSecret } from '../../src/agent/endpoint/secret.js';
import { parseAgentConfig } from '../../src/agent/config.js';
import { startAgentService, type AgentService } from '../../src/agent/service.js';
import { createScreenCapturer } from '../../src/agent/vision/capture.js';
import { labelToKind } from '../../src/agent/vision/labels.js';
import { ROLES } from '../../src/common/wire.js';
import type { ClassifyResult, EmbedResult } from '../../src/common/bot-protocol.js';
import { SCREEN, openServiceWorld, publishStableRelease, screenPng, screenTruth, serviceConfig, skipWithoutBaselines, type ServiceWorld } from '../integration/service-helpers.js';

const AGENT = 'region-agent';
const skip = skipWithoutBaselines || (process.env.DISPLAY ? false : 'needs an X display (npm test runs the tests under xvfb-run)');

/** Paints the screenshot on the root window and checks, through a real capture, that the screen shows it. */
async function showOnScreen(png: Buffer): Promise<void> {
  // ImageMagick's display exits non-zero after setting the root background on some builds: the pixels decide
  spawnSync('display', ['-window', 'root', SCREEN + '.png'], { stdio: 'ignore', timeout: 30_000 });
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const cap = await createScreenCapturer();
  try {
    const [f] = await cap.capture({ kind: 'region', x: 0, y: 0, width: info.width, height: info.height });
    assert.ok(f, 'a frame of the screen');
    let differ = 0;
    for (let y = 0; y < info.height; y += 7) {
      for (let x = 0; x < info.width; x += 7) {
        const s = (y * f.width + x) * f.channels;
        const p = (y * info.width + x) * 3;
        if (f.data[s] !== data[p] || f.data[s + 1] !== data[p + 1] || f.data[s + 2] !== data[p + 2]) differ++;
      }
    }
    assert.equal(differ, 0, 'the X screen shows the screenshot at (0, 0)');
  } finally {
    cap.close?.();
  }
}

test('classify and embed on a screen region: the agent captures it with its capturer, crops by the crop rule and answers with the real models', { timeout: 420_000, skip }, async () => {
  let world: ServiceWorld | undefined;
  let svc: AgentService | undefined;
  let client: BotClient | undefined;
  try {
    const png = screenPng();
    const truth = screenTruth();
    await showOnScreen(png);

    world = await openServiceWorld(AGENT);
    const { fleet, ws, admin } = world;
    const { stable, roles } = await publishStableRelease(admin, fleet);
    const socketPath = join(ws.dir, 'endpoint.sock');
    // screen capture on (the default capturer of the service, as in production), cpu only
    const config = parseAgentConfig(serviceConfig(ws, world.broker, { timeouts: { manifestMs: 20_000 }, endpoint: { path: socketPath }, vision: { capture: true } }));
    const service = (svc = await startAgentService({ config, secretStore: ws.secretStore, host: { warmupRuns: 1 } }));
    await service.agent.waitFor((s) => ROLES.every((r) => s.roles[r]?.state === 'committed' && s.roles[r]?.modelId === stable[r].modelId), { timeoutMs: 240_000 });
    client = await connect({ path: socketPath, secret: await getOrCreateEndpointSecret(ws.secretStore), clientName: 'region-test' });
    const models = (await client.call('models.list')).models;
    const classifierLabels = models.find((m) => m.role === 'classifier')?.labels ?? [];
    assert.ok(classifierLabels.length > 1, 'the classifier names its labels');

    // elements whose crop (box grown by the crop rule) lies inside the screenshot, boxes rounded outward to pixels
    const inside = truth.elements
      .map((e) => {
        const [x1, y1, x2, y2] = e.box;
        const b = [Math.floor(x1), Math.floor(y1), Math.ceil(x2), Math.ceil(y2)] as [number, number, number, number];
        return { type: e.type, box: b };
      })
      .filter(({ box: [x1, y1, x2, y2] }) => {
        const px = Math.max(0.1 * (x2 - x1), 4) + 2;
        const py = Math.max(0.1 * (y2 - y1), 4) + 2;
        return x1 - px >= 0 && y1 - py >= 0 && x2 + px <= truth.width && y2 + py <= truth.height;
      });
    assert.ok(inside.length >= 8, `${inside.length} elements to classify`);

    let typeRight = 0;
    let dims = 0;
    for (const { type, box } of inside) {
      const region = { kind: 'region' as const, x: box[0], y: box[1], width: box[2] - box[0], height: box[3] - box[1] };
      // classify: labels with scores, best first, from the classifier's label set
      const cls: ClassifyResult = await client.call('classify', { source: region, topK: 3 });
      assert.equal(cls.modelId, stable.classifier.modelId);
      assert.equal(cls.labels.length, 3);
      for (const l of cls.labels) {
        assert.ok(classifierLabels.includes(l.label), `${l.label} is a classifier label`);
        assert.equal(l.type, labelToKind(l.label).type);
        assert.ok(l.score >= 0 && l.score <= 1);
      }
      assert.ok(cls.labels[0]!.score >= cls.labels[1]!.score && cls.labels[1]!.score >= cls.labels[2]!.score, 'best first');
      // the same pixels from the file, cropped by the same rule: the same answer
      const ref = (await service.vision.classifyBoxes(png, [box]))[0]!;
      assert.deepEqual(cls.labels.map((l) => l.label), ref.ranked.slice(0, 3).map((r) => r.label), `region ${JSON.stringify(box)}`);
      cls.labels.forEach((l, i) => assert.ok(Math.abs(l.score - ref.ranked[i]!.score) < 1e-5, `score ${l.score} vs ${ref.ranked[i]!.score}`));
      if (cls.labels[0]!.type === type) typeRight++;

      // embed: a unit vector of the similarity model's dims, equal to the file's crop
      const emb: EmbedResult = await client.call('embed', { source: region });
      assert.equal(emb.modelId, stable.similarity.modelId);
      assert.equal(emb.vector.length, emb.dims);
      const norm = Math.hypot(...emb.vector);
      assert.ok(Math.abs(norm - 1) < 1e-3, `L2 norm ${norm}`);
      const refVec: Float32Array = (await service.vision.embedBoxes(png, [box]))[0]!;
      assert.equal(emb.dims, refVec.length);
      emb.vector.forEach((v, i) => assert.ok(Math.abs(v - refVec[i]!) < 1e-5, `component ${i}: ${v} vs ${refVec[i]}`));
      dims = emb.dims;
    }
    assert.equal(dims, 128, 'the shipped similarity model embeds in 128 dims (assets/models/similarity/metadata.json)');
    const acc = typeRight / inside.length;
    console.log(`classify on screen regions: top-1 type right ${typeRight}/${inside.length}`);
    assert.ok(acc >= 0.5, `type accuracy ${acc} ≥ 0.5`);
  } finally {
    client?.close();
    await svc?.close();
    await world?.close();
  }
});
