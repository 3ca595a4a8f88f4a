/**
 * scripts/train/ship-metrics.mjs: the figures a shipped model carries (eval.json, provenance) come from the report its
 * round's rule judged — the headline is the LOWEST family, not the best — and a report of other model files is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { mismatchedRoles, roleMetrics } from '../../scripts/train/ship-metrics.mjs';

const script = join(resolve(import.meta.dirname, '..', '..'), 'scripts', 'train', 'ship-metrics.mjs');
const fam = (family: string, ap50: number, clickHit: number, typeTop1: number) => ({ family, heldout: {}, pooled: { ap50, clickHit, typeTop1 } });
const report = {
  models: {} as Record<string, { sha256: string }>,
  results: [
    { name: '(a) held-out synthetic', detector: { mAP50: 0.78141 }, classifier: { top1: 0.985 } },
    { name: '(b) framework pages', detector: { mAP50: 0.67 }, classifier: { top1: 0.83871 } },
    { name: '(c) third-party pages', detector: { mAP50: 0.64256 }, classifier: { top1: 0.6188 } },
  ],
  real: { families: [fam('wine', 0.65774, 0.78461, 0.8097), fam('atspi', 0.81372, 0.74063, 0.75189), fam('webwin', 0.61553, 0.59311, 0.67521)] },
};

test('ship-metrics: per-family figures, (a)-(c), and the lowest family as each role\'s headline', () => {
  assert.deepEqual(roleMetrics(report, 'detector'), {
    metrics: {
      'detector.ap50': 0.6155,
      'detector.ap50.atspi': 0.8137, 'detector.clickHit.atspi': 0.7406,
      'detector.ap50.webwin': 0.6155, 'detector.clickHit.webwin': 0.5931,
      'detector.ap50.wine': 0.6577, 'detector.clickHit.wine': 0.7846,
      'detector.ap50.a': 0.7814, 'detector.ap50.b': 0.67, 'detector.ap50.c': 0.6426,
    },
  });
  assert.deepEqual(roleMetrics(report, 'classifier').metrics, {
    'classifier.typeTop1': 0.6752,
    'classifier.typeTop1.atspi': 0.7519, 'classifier.typeTop1.webwin': 0.6752, 'classifier.typeTop1.wine': 0.8097,
    'classifier.top1.a': 0.985, 'classifier.top1.b': 0.8387, 'classifier.top1.c': 0.6188,
  });
  assert.throws(() => roleMetrics({ real: { families: [] } }, 'detector'), /no real-program families/);
  assert.throws(() => roleMetrics({ real: { families: [{ family: 'atspi', pooled: {} }] } }, 'detector'), /no pooled figures/);
  assert.throws(() => roleMetrics(report, 'similarity'), /detector or classifier/);
});

test('ship-metrics: --check refuses a report of other model files; bad flags are coded errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ship-metrics-'));
  try {
    for (const role of ['detector', 'classifier']) {
      mkdirSync(join(dir, 'cand', role), { recursive: true });
      writeFileSync(join(dir, 'cand', role, 'model.onnx'), `weights of the ${role}`);
    }
    const sha = (role: string) => createHash('sha256').update(`weights of the ${role}`).digest('hex');
    const mine = { ...report, models: { detector: { sha256: sha('detector') }, classifier: { sha256: sha('classifier') } } };
    const other = { ...report, models: { detector: { sha256: sha('detector') }, classifier: { sha256: 'f'.repeat(64) } } };
    assert.deepEqual(mismatchedRoles(mine, join(dir, 'cand'), ['detector', 'classifier']), []);
    assert.deepEqual(mismatchedRoles(other, join(dir, 'cand'), ['detector', 'classifier']), ['classifier']);
    writeFileSync(join(dir, 'mine.json'), JSON.stringify(mine));
    writeFileSync(join(dir, 'other.json'), JSON.stringify(other));
    const run = (args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });
    assert.equal(run(['--check', join(dir, 'mine.json'), '--candidate', join(dir, 'cand')]).status, 0);
    const bad = run(['--check', join(dir, 'other.json'), '--candidate', join(dir, 'cand')]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /error\[report_mismatch\].*classifier/);
    const out = run(['--eval', join(dir, 'mine.json'), '--role', 'detector', '--out', join(dir, 'eval.json')]);
    assert.equal(out.status, 0, out.stderr);
    for (const args of [['--bogus'], ['--role'], ['--eval', join(dir, 'nope.json'), '--role', 'detector'], ['--eval', join(dir, 'mine.json')]]) {
      const r = run(args);
      assert.equal(r.status, 2, args.join(' '));
      assert.match(r.stderr, /error\[bad_argument\]/);
    }
    assert.equal(run(['--help']).status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
