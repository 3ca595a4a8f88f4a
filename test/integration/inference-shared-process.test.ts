/**
 * Issue 17 §2 on real onnxruntime in real child processes: with process isolation ONE session process serves
 * every role (a process per role cost ~90 MB each), with glibc's malloc tuning in its own environment (no
 * launcher process needed for it); a new model is loaded, self-tested and warmed first in a warming process
 * at a lower OS priority, which is gone once the swap is done (no resident process at idle). The shared
 * process is still killable: when it dies every role it served is reported lost and answers the retryable
 * `model_restarting` (the agent reloads them: agent-worker-faults.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { InferenceHost, type HostEvent } from '../../src/agent/inference/index.js';
import { AgentError } from '../../src/common/errors.js';
import type { Role } from '../../src/common/wire.js';
import { A_OUT, B_OUT, fixture, waitUntil, xFeeds } from './inference-fixtures.js';
import { processGone } from '../helpers/process-tree.js';
import { sessionHostKinds } from './session-hosts.js';

const linuxOnly = process.platform !== 'linux' ? 'process environment and nice read from /proc (Linux only)' : false;

/** our child processes that are session processes, with their nice value */
function sessionChildren(): { pid: number; nice: number; env: string }[] {
  const out: { pid: number; nice: number; env: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[1]) !== process.pid || f[0] === 'Z') continue;
      const env = readFileSync(`/proc/${name}/environ`, 'utf8');
      if (env.includes('RPA_SESSION_PROCESS=1')) out.push({ pid: Number(name), nice: Number(f[16]), env });
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

const roleFixture = (role: Role, file: string, out: number[]) => {
  const f = fixture(file, out, { role });
  return { role, ...f };
};

for (const kind of sessionHostKinds()) test(`${kind.name} session host: process isolation: one session process serves all three roles, tuned malloc in its environment; a swap is warmed in a lower-priority process that is gone afterwards`, { skip: linuxOnly, timeout: 90_000 }, async () => {
  const host = new InferenceHost({ providers: ['cpu'], warmupRuns: 25, defaultLatencyBudgetMs: 10_000, isolation: 'process', prespawn: false, ...kind.opts });
  try {
    await Promise.all([host.activate(roleFixture('detector', 'tiny-a.onnx', A_OUT)), host.activate(roleFixture('classifier', 'tiny-b.onnx', B_OUT)), host.activate(roleFixture('similarity', 'tiny-a.onnx', A_OUT))]);
    const st = host.status();
    const [pid] = st.threads.detector ?? [];
    assert.ok(pid && pid !== process.pid, 'served by a session process');
    assert.deepEqual(st.threads.classifier, [pid], 'the classifier in the same process');
    assert.deepEqual(st.threads.similarity, [pid], 'the similarity model in the same process');
    assert.equal(st.workers, 1);
    assert.equal(st.mallocTuned, true);
    await waitUntil(() => sessionChildren().length === 1, 10_000);
    const serving = sessionChildren()[0]!;
    assert.equal(serving.pid, pid);
    assert.match(serving.env, /(^|\0)MALLOC_ARENA_MAX=2(\0|$)/);
    assert.match(serving.env, /(^|\0)MALLOC_MMAP_THRESHOLD_=32768(\0|$)/);
    assert.deepEqual(Array.from((await host.run('classifier', xFeeds())).y!.data as Float32Array), B_OUT);

    // a swap: slow.onnx (~30 ms a run) warms for 25 runs in the warming process, at a lower priority
    const swap = host.activate({ role: 'detector', ...fixture('slow.onnx', undefined, { budgetMs: 10_000 }) });
    swap.catch(() => undefined); // awaited below; a failed assertion before must not leave it unhandled
    let warming: { pid: number; nice: number } | undefined;
    await waitUntil(() => (warming = sessionChildren().find((c) => c.pid !== pid)) !== undefined, 20_000);
    assert.equal(warming!.nice, Math.min(19, getPriority() + 10), `the warming process runs 10 nice levels below us (${warming!.nice}, ours ${getPriority()})`);
    // the serving process keeps answering meanwhile
    assert.deepEqual(Array.from((await host.run('classifier', xFeeds())).y!.data as Float32Array), B_OUT);
    await swap;
    assert.deepEqual(host.status().threads.detector, [pid], 'the new detector serves from the same shared process');
    await waitUntil(() => processGone(warming!.pid), 10_000);
    assert.deepEqual(sessionChildren().map((c) => c.pid), [pid], 'no warming process left at idle');
  } finally {
    await host.close();
  }
});

for (const kind of sessionHostKinds()) test(`${kind.name} session host: process isolation: the shared session process dies — every role it served is reported lost and answers model_restarting`, { skip: linuxOnly, timeout: 60_000 }, async () => {
  const events: HostEvent[] = [];
  const host = new InferenceHost({ providers: ['cpu'], warmupRuns: 1, defaultLatencyBudgetMs: 10_000, isolation: 'process', prespawn: false, onEvent: (e) => events.push(e), ...kind.opts });
  try {
    await host.activate(roleFixture('detector', 'tiny-a.onnx', A_OUT));
    await host.activate(roleFixture('classifier', 'tiny-b.onnx', B_OUT));
    const [pid] = host.status().threads.detector ?? [];
    process.kill(pid!, 'SIGKILL');
    await waitUntil(() => events.filter((e) => e.type === 'worker_lost').length === 2, 10_000);
    assert.deepEqual(events.filter((e) => e.type === 'worker_lost').map((e) => e.role).sort(), ['classifier', 'detector']);
    for (const role of ['detector', 'classifier'] as const) {
      await assert.rejects(host.run(role, xFeeds()), (e: unknown) => e instanceof AgentError && e.code === 'model_restarting');
    }
    assert.equal(host.status().workers, 0);
    await host.activate(roleFixture('classifier', 'tiny-b.onnx', B_OUT));
    assert.deepEqual(Array.from((await host.run('classifier', xFeeds())).y!.data as Float32Array), B_OUT, 'a fresh process serves again');
  } finally {
    await host.close();
  }
});
