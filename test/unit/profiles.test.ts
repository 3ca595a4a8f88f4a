/**
 * Industry profiles (issue 21 §2): the release's `profiles` schema (ranges, unknown keys), the fallback rule,
 * the release as a profile reads it, the vision thresholds and the `--profile` flag of `release publish`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectorMinScore, releaseForProfile, resolveProfile } from '../../src/common/profiles.js';
import { ReleaseSchema, type Release } from '../../src/common/wire.js';
import { parseProfileFlags } from '../../src/cli/fleet/profile-flag.js';
import { parseReleasePublish } from '../../src/cli/fleet/release.js';
import { buildRelease } from '../../src/fleet/publisher.js';
import { withProfileClassifier, withProfileDetector } from '../../src/agent/vision-profile.js';
import type { DetectResponse } from '../../src/agent/vision/pipeline.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const base = {
  schemaVersion: 1,
  channel: 'stable',
  seq: 1,
  issued: '2026-12-01T00:00:00Z',
  expires: '2026-12-31T00:00:00Z',
  roles: { detector: { stable: A, candidate: { modelId: B, rolloutId: 'r1', percent: 10, gates: { maxErrorRate: 0.05 } } } },
};

test('release profiles: valid settings parse; an old release without profiles still parses', () => {
  assert.equal(ReleaseSchema.parse(base).profiles, undefined);
  const r = ReleaseSchema.parse({ ...base, profiles: { healthcare: { detector: { minScore: 0.9 }, classifier: { minScore: 0.85 }, guard: { maxErrorRate: 0.001 }, models: { detector: B } } } });
  assert.deepEqual(r.profiles?.healthcare?.detector, { minScore: 0.9 });
});

test('release profiles: an out-of-range threshold, an unknown key or a bad name is refused', () => {
  const bad = (profiles: unknown, re: RegExp) => {
    const r = ReleaseSchema.safeParse({ ...base, profiles });
    assert.equal(r.success, false, JSON.stringify(profiles));
    const issue = r.error!.issues[0]!;
    assert.match(`${issue.path.join('.')}: ${issue.message}`, re);
  };
  bad({ healthcare: { detector: { minScore: 1.5 } } }, /profiles\.healthcare\.detector\.minScore/);
  bad({ healthcare: { classifier: { minScore: -0.1 } } }, /profiles\.healthcare\.classifier\.minScore/);
  bad({ healthcare: { detector: { minscore: 0.9 } } }, /profiles\.healthcare\.detector.*minscore|Unrecognized key/);
  bad({ healthcare: { thresholds: {} } }, /Unrecognized key/);
  bad({ 'health care': {} }, /profiles/);
  bad({ healthcare: { models: { detector: 'det@1.0.0' } } }, /models\.detector/);
  // the fleet side refuses it before signing, with a coded error
  assert.throws(
    () => buildRelease({ channel: 'stable', seq: 1, roles: { detector: { stable: A } }, issued: new Date(), expires: new Date(Date.now() + 1000), profiles: { h: { detector: { minScore: 2 } } } }),
    (e: Error & { code?: string }) => e.code === 'bad_argument' && /minScore/.test(e.message),
  );
});

test('resolveProfile: own settings, else the release default (said why), else none', () => {
  const profiles = { healthcare: { detector: { minScore: 0.9 } }, default: { detector: { minScore: 0.4 } } };
  assert.deepEqual(resolveProfile(profiles, 'healthcare'), { name: 'healthcare', applied: 'healthcare', settings: { detector: { minScore: 0.9 } } });
  const retail = resolveProfile(profiles, 'retail');
  assert.equal(retail.applied, 'default');
  assert.deepEqual(retail.settings, { detector: { minScore: 0.4 } });
  assert.match(retail.reason ?? '', /no profile "retail"/);
  assert.deepEqual(resolveProfile(profiles, 'default'), { name: 'default', applied: 'default', settings: { detector: { minScore: 0.4 } } });
  const none = resolveProfile(undefined, 'healthcare');
  assert.deepEqual([none.applied, none.settings], ['default', {}]);
  assert.match(none.reason ?? '', /carries no profiles/);
});

test('releaseForProfile: the profile model replaces stable, its guard gates override the candidate; others unchanged', () => {
  const r: Release = ReleaseSchema.parse({ ...base, profiles: { healthcare: { models: { detector: B, classifier: A }, guard: { maxErrorRate: 0.001 } } } });
  const h = releaseForProfile(r, 'healthcare');
  assert.equal(h.roles.detector?.stable, B);
  assert.equal(h.roles.classifier, undefined, 'a role the release does not name stays unnamed');
  assert.equal(h.roles.detector?.candidate?.gates.maxErrorRate, 0.001);
  assert.equal(h.roles.detector?.candidate?.gates.maxLatencyP95Ms, 100, 'other gates kept');
  assert.deepEqual(h.profiles, r.profiles, 'profiles kept for the status');
  assert.equal(releaseForProfile(r, 'retail'), r, 'no settings: the release itself');
  assert.equal(r.roles.detector?.stable, A, 'the signed release is not changed');
});

test('vision thresholds: the bot explicit minScore wins; the classifier floor drops low-confidence elements', () => {
  const hc = { detector: { minScore: 0.9 }, classifier: { minScore: 0.85 } };
  assert.equal(detectorMinScore(undefined, hc), 0.9);
  assert.equal(detectorMinScore(0.3, hc), 0.3);
  assert.equal(detectorMinScore(undefined, {}), undefined, 'the manifest threshold applies');
  const req = (minScore?: number): { source: string; minScore?: number } => ({ source: 'x', ...(minScore !== undefined ? { minScore } : {}) });
  assert.deepEqual(withProfileDetector(req(), hc), { source: 'x', minScore: 0.9 });
  assert.deepEqual(withProfileDetector(req(0), hc), { source: 'x', minScore: 0 });
  const el = (typeScore: number | undefined, index: number) => ({ index, box: [0, 0, 1, 1] as [number, number, number, number], score: 0.95, type: 'button', click: { x: 0, y: 0 }, uiaControlType: 'Button', ...(typeScore !== undefined ? { typeScore } : {}) });
  const r = { elements: [el(0.5, 0), el(0.9, 1), el(undefined, 2)], frames: [], monitors: [], cached: false, timings: {} } as unknown as DetectResponse;
  const kept = withProfileClassifier(r, hc).elements;
  assert.deepEqual(kept.map((e) => [e.index, e.typeScore]), [[0, 0.9], [1, undefined]]);
  assert.equal(withProfileClassifier(r, {}).elements.length, 3);
});

test('--profile: parsed into the release body; bad ones are refused (error[bad_argument] by the CLI)', () => {
  const B0 = ['--broker', 'mqtt://localhost:1883'];
  const r = parseReleasePublish(['--channel', 's', '--detector', 'd@1.0.0', '--key', 'k', ...B0, '--profile', 'healthcare:detector.minScore=0.9,classifier.minScore=0.85', '--profile', `banking:guard.maxErrorRate=0.001,models.detector=${B}`]);
  assert.equal(r.kind, 'ok');
  assert.deepEqual(r.kind === 'ok' && r.value.profiles, {
    healthcare: { detector: { minScore: 0.9 }, classifier: { minScore: 0.85 } },
    banking: { guard: { maxErrorRate: 0.001 }, models: { detector: B } },
  });
  const noFlag = parseReleasePublish(['--channel', 's', '--detector', 'd@1.0.0', '--key', 'k', ...B0]);
  assert.equal(noFlag.kind === 'ok' && noFlag.value.profiles, undefined);
  const err = (v: string, re: RegExp) => {
    const p = parseProfileFlags([v]);
    assert.equal(p.ok, false, v);
    assert.match(!p.ok ? p.message : '', re);
    const c = parseReleasePublish(['--channel', 's', '--detector', 'd@1.0.0', '--key', 'k', ...B0, '--profile', v]);
    assert.equal(c.kind, 'error', v);
  };
  err('healthcare:detector.minScore=1.5', /minScore/);
  err('healthcare:detector.minScore=high', /must be a number/);
  err('healthcare:detector.threshold=0.9', /unknown key/);
  err('healthcare', /NAME:key=value/);
  err('health care:detector.minScore=0.9', /NAME:key=value/);
  err('healthcare:detector.minScore', /needs a value/);
  err('healthcare:models.detector=det@1.0.0', /models\.detector/);
  const twice = parseProfileFlags(['h:detector.minScore=0.9', 'h:classifier.minScore=0.8']);
  assert.equal(twice.ok, false);
});
