import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SPEC, judgeWave, phasesOf, validateWaves, type RoleWindowRow, type RolloutSpec, type WaveEvidence } from '../../src/fleet/controller/judge.js';
import { createHistogram, observe } from '../../src/common/metrics.js';

const spec: RolloutSpec = { ...DEFAULT_SPEC, channel: 'c', role: 'detector', candidate: 'a'.repeat(64), stable: 'b'.repeat(64), waveMinDurationMs: 2000, minAgents: 3, minRequests: 50 };

function rows(agents: number, perAgent: { count: number; errors: number; latencyMs: number }, shadow?: RoleWindowRow['shadow']): RoleWindowRow[] {
  return Array.from({ length: agents }, (_, i) => {
    const h = createHistogram();
    observe(h, perAgent.latencyMs, perAgent.count);
    return { agentId: `a${i}`, count: perAgent.count, errors: perAgent.errors, latency: h, ...(shadow ? { shadow } : {}) };
  });
}

function ev(over: Partial<WaveEvidence>): WaveEvidence {
  const healthy = rows(5, { count: 20, errors: 0, latencyMs: 20 });
  return { phase: { shadow: false, percent: 5 }, elapsedMs: 3000, channelAgents: 40, expectedCanary: 5, activated: 5, canary: healthy, canaryRecent: healthy, stable: rows(20, { count: 20, errors: 0, latencyMs: 20 }), ...over };
}

test('waves: validation and shadow-first phases', () => {
  assert.equal(validateWaves([1, 5, 25, 50, 100]), undefined);
  assert.match(validateWaves([5, 1, 100])!, /ascending/);
  assert.match(validateWaves([1, 50])!, /last wave/);
  assert.match(validateWaves([0, 100])!, /\(0, 100\]/);
  assert.deepEqual(phasesOf({ waves: [5, 100], shadowFirst: true }), [{ shadow: true, percent: 5 }, { shadow: false, percent: 5 }, { shadow: false, percent: 100 }]);
});

test('judge: healthy canary passes once duration, agents, activation and requests are met', () => {
  assert.equal(judgeWave(spec, ev({})).kind, 'pass');
  const early = judgeWave(spec, ev({ elapsedMs: 1000 }));
  assert.equal(early.kind, 'wait');
  assert.match(early.reasons.join(), /1 s of 2 s/);
  const few = judgeWave(spec, ev({ activated: 2 }));
  assert.equal(few.kind, 'wait');
  assert.equal(few.kind === 'wait' && few.code, 'insufficient_evidence');
  assert.match(few.reasons.join(), /waiting for 1 more canary agents to activate the candidate \(2 of 3\)/);
  // the required agents are min(minAgents, cohort size): a 2-agent cohort can pass
  const small = rows(2, { count: 40, errors: 0, latencyMs: 20 });
  assert.equal(judgeWave(spec, ev({ expectedCanary: 2, activated: 2, canary: small, canaryRecent: small })).kind, 'pass');
});

test('judge [issue 16 §1]: no evidence never passes — an empty channel and an empty wave cohort hold with insufficient_evidence', () => {
  const emptyChannel = judgeWave(spec, ev({ channelAgents: 0, expectedCanary: 0, activated: 0, canary: [], canaryRecent: [], elapsedMs: 1e9 }));
  assert.equal(emptyChannel.kind, 'wait');
  assert.equal(emptyChannel.kind === 'wait' && emptyChannel.code, 'insufficient_evidence');
  assert.match(emptyChannel.reasons.join(), /no online agent on channel c: waiting for agents/);
  const emptyWave = judgeWave(spec, ev({ expectedCanary: 0, activated: 0, canary: [], canaryRecent: [], elapsedMs: 1e9 }));
  assert.equal(emptyWave.kind === 'wait' && emptyWave.code, 'insufficient_evidence');
  assert.match(emptyWave.reasons.join(), /no online agent falls in the 5 % cohort \(0 of 40 on channel c\)/);
  // the same for a shadow phase
  const sh = judgeWave(spec, ev({ phase: { shadow: true, percent: 5 }, channelAgents: 0, expectedCanary: 0, activated: 0, canary: [], canaryRecent: [], elapsedMs: 1e9 }));
  assert.equal(sh.kind === 'wait' && sh.code, 'insufficient_evidence');
  // --min-agents 0 still needs one agent's evidence
  const none = judgeWave({ ...spec, minAgents: 0 }, ev({ canary: [], canaryRecent: [] }));
  assert.equal(none.kind === 'wait' && none.code, 'insufficient_evidence');
  assert.match(none.reasons.join(), /waiting for 1 more canary agents to report metrics \(0 of 1\)/);
  // says what it waits for: agents and requests
  const partial = rows(2, { count: 15, errors: 0, latencyMs: 20 });
  const v = judgeWave(spec, ev({ canary: partial, canaryRecent: partial }));
  assert.match(v.reasons.join('; '), /waiting for 1 more canary agents to report metrics \(2 of 3\); waiting for 20 more canary requests \(30 of 50\)/);
  // the minimum duration alone is not an evidence shortfall
  const early = judgeWave(spec, ev({ elapsedMs: 10 }));
  assert.equal(early.kind === 'wait' && early.code, 'min_duration');
});

test('judge: error rate, absolute p95 and p95 relative to stable fail the wave with the evidence', () => {
  const errs = rows(5, { count: 20, errors: 2, latencyMs: 20 }); // 10 %
  const v = judgeWave(spec, ev({ canary: errs, canaryRecent: errs, elapsedMs: 100 }));
  assert.equal(v.kind, 'fail');
  assert.equal(v.kind === 'fail' && v.breach, 'error_rate');
  assert.equal(v.summary.canary.errors, 10);
  const slow = rows(5, { count: 20, errors: 0, latencyMs: 180 });
  const v2 = judgeWave(spec, ev({ canary: slow, canaryRecent: slow }));
  assert.equal(v2.kind === 'fail' && v2.breach, 'p95');
  const slower = rows(5, { count: 20, errors: 0, latencyMs: 45 }); // under 100 ms but > 1.5 × stable's 20
  const v3 = judgeWave(spec, ev({ canary: slower, canaryRecent: slower }));
  assert.equal(v3.kind === 'fail' && v3.breach, 'p95_vs_stable');
});

test('judge: a fault in recent windows is not diluted by a long healthy wave', () => {
  const healthy = rows(5, { count: 2000, errors: 0, latencyMs: 20 });
  const faulty = rows(5, { count: 20, errors: 5, latencyMs: 20 });
  const v = judgeWave(spec, ev({ canary: [...healthy, ...faulty], canaryRecent: faulty }));
  assert.equal(v.kind, 'fail');
  assert.match(v.reasons[0]!, /recent/);
});

test('judge: too few requests can neither fail nor pass', () => {
  const tiny = rows(5, { count: 2, errors: 2, latencyMs: 500 });
  const v = judgeWave(spec, ev({ canary: tiny, canaryRecent: tiny }));
  assert.equal(v.kind, 'wait');
  assert.match(v.reasons.join(), /waiting for 40 more canary requests \(10 of 50\)/);
});

test('judge: shadow phase passes on agreement and fails below min agreement', () => {
  const s = { ...spec, minAgreement: 0.9 };
  const good = rows(5, { count: 20, errors: 0, latencyMs: 20 }, { samples: 20, agreement: 0.95, latencyP95: 30, errors: 0 });
  const v = judgeWave(s, ev({ phase: { shadow: true, percent: 5 }, canary: good, canaryRecent: good }));
  assert.equal(v.kind, 'pass');
  assert.ok(Math.abs(v.summary.shadow!.agreement - 0.95) < 1e-9);
  const bad = rows(5, { count: 20, errors: 0, latencyMs: 20 }, { samples: 20, agreement: 0.6, latencyP95: 30, errors: 0 });
  const v2 = judgeWave(s, ev({ phase: { shadow: true, percent: 5 }, canary: bad, canaryRecent: bad }));
  assert.equal(v2.kind === 'fail' && v2.breach, 'agreement');
});

test('judge: the error-rate gate is statistical — noise waits, a real fault fails', () => {
  // 2 errors in 140 requests (1.43 %) from a model whose true rate may well be 0.1 %: not significant → wait
  const noisy = rows(7, { count: 20, errors: 0, latencyMs: 20 });
  noisy[0]!.errors = 1;
  noisy[1]!.errors = 1;
  const v = judgeWave(spec, ev({ expectedCanary: 7, activated: 7, canary: noisy, canaryRecent: noisy }));
  assert.equal(v.kind, 'wait');
  assert.match(v.reasons.join(), /not yet significant \(2\/140/);
  // 2 % sustained over 1400 requests is significant → fail
  const sustained = rows(7, { count: 200, errors: 4, latencyMs: 20 });
  const v2 = judgeWave(spec, ev({ expectedCanary: 7, activated: 7, canary: sustained, canaryRecent: sustained }));
  assert.equal(v2.kind === 'fail' && v2.breach, 'error_rate');
  assert.match(v2.reasons[0]!, /28\/1400 requests.*95 % confidence/);
  // a single error in the first 20 requests is not evidence against a 1 % gate
  const one = rows(1, { count: 20, errors: 1, latencyMs: 20 });
  assert.equal(judgeWave(spec, ev({ canary: one, canaryRecent: one })).kind, 'wait');
});

test('errorRateLowerBound: exact one-sided 95 % Clopper–Pearson bound; regularizedBeta against closed forms', async () => {
  const { errorRateLowerBound, regularizedBeta } = await import('../../src/common/metrics.js');
  assert.equal(errorRateLowerBound(0, 0), 0);
  assert.equal(errorRateLowerBound(100, 0), 0);
  // k = 1: P(X ≥ 1) = 1 − (1 − p)^n = 0.05  →  p = 1 − 0.95^(1/n)
  assert.ok(Math.abs(errorRateLowerBound(20, 1) - (1 - 0.95 ** (1 / 20))) < 1e-9);
  // k = n: P(X = n) = p^n = 0.05  →  p = 0.05^(1/n)
  assert.ok(Math.abs(errorRateLowerBound(10, 10) - 0.05 ** (1 / 10)) < 1e-9);
  // I_0.3(2, 5) = P(Binomial(6, 0.3) ≥ 2) = 1 − 0.7^6 − 6·0.3·0.7^5
  assert.ok(Math.abs(regularizedBeta(0.3, 2, 5) - (1 - 0.7 ** 6 - 6 * 0.3 * 0.7 ** 5)) < 1e-12);
  const big = errorRateLowerBound(1000, 300);
  assert.ok(big > 0.27 && big < 0.3, String(big));
});
