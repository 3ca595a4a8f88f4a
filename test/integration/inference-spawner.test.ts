/**
 * Issue 17 §3: how a session process is started is injected (src/agent/inference/session-spawner.ts). The
 * Node spawner runs for real here; the packaged Electron app's spawner (src/desktop/session-spawner-electron.ts,
 * over utilityProcess.fork) is driven through a FAKE utilityProcess — Electron's binary cannot run here — whose
 * child is a real Node process running the real session worker behind an emulated `process.parentPort`
 * (test/fixtures/scripts/fake-utility-child.mjs), so both halves of the adapter (postMessage/{data} events in
 * the parent, worker-port.ts's parentPort link in the child) carry real loads, runs and closes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { InferenceHost, nodeForkSpawner, type HostEvent, type SessionProcessSpawner, type SessionSpawnRequest } from '../../src/agent/inference/index.js';
import { utilityProcessSpawner, type UtilityProcessApi, type UtilityProcessLike } from '../../src/desktop/session-spawner-electron.js';
import { AgentError } from '../../src/common/errors.js';
import { A_OUT, B_OUT, fixture, waitUntil, xFeeds } from './inference-fixtures.js';

const linuxOnly = process.platform !== 'linux' ? 'nice values read from /proc (Linux only)' : false;
const FAKE_CHILD = join(import.meta.dirname, '..', 'fixtures', 'scripts', 'fake-utility-child.mjs');

function niceOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

/** FAKE of Electron's UtilityProcess (Electron cannot run here): a Node child behind utilityProcess's parent-side face. */
class FakeUtilityProcess extends EventEmitter implements UtilityProcessLike {
  readonly child: ChildProcess;
  exitCode: number | undefined;
  constructor(modulePath: string, options: { env?: NodeJS.ProcessEnv; execArgv?: string[] }) {
    super();
    this.child = fork(FAKE_CHILD, [modulePath], { serialization: 'advanced', execArgv: options.execArgv ?? [], env: options.env ?? process.env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    // Electron: 'spawn' once the process runs (pid known only then), 'message' with the data, 'exit' with a code
    this.child.once('spawn', () => this.emit('spawn'));
    this.child.on('message', (m) => this.emit('message', m));
    this.child.once('exit', (code, signal) => {
      this.exitCode = code ?? (signal ? 137 : 1);
      this.emit('exit', this.exitCode);
    });
  }
  get pid(): number | undefined {
    return this.exitCode === undefined ? this.child.pid : undefined;
  }
  postMessage(message: unknown): void {
    this.child.send(message as never);
  }
  kill(): boolean {
    return this.child.kill('SIGKILL');
  }
}

function fakeUtilityProcessApi(): UtilityProcessApi & { forked: { path: string; proc: FakeUtilityProcess }[] } {
  const forked: { path: string; proc: FakeUtilityProcess }[] = [];
  return {
    forked,
    fork(modulePath, _args, options) {
      const proc = new FakeUtilityProcess(modulePath, options ?? {});
      forked.push({ path: modulePath, proc });
      return proc;
    },
  };
}

function recording(spawner: SessionProcessSpawner): SessionProcessSpawner & { requests: SessionSpawnRequest[] } {
  const requests: SessionSpawnRequest[] = [];
  const s = ((req: SessionSpawnRequest) => {
    requests.push(req);
    return spawner(req);
  }) as SessionProcessSpawner & { requests: SessionSpawnRequest[] };
  s.requests = requests;
  return s;
}

test('the Node spawner (real fork): the host starts its session and warming processes through the injected spawner', { timeout: 60_000 }, async () => {
  const spawner = recording(nodeForkSpawner);
  const host = new InferenceHost({ providers: ['cpu'], warmupRuns: 1, defaultLatencyBudgetMs: 10_000, isolation: 'process', prespawn: false, sessionSpawner: spawner });
  try {
    await host.activate({ role: 'detector', ...fixture('tiny-a.onnx', A_OUT) });
    assert.deepEqual(Array.from((await host.run('detector', xFeeds())).y!.data as Float32Array), A_OUT);
    assert.equal(spawner.requests.length, 2, 'a warming process, then the serving process');
    for (const r of spawner.requests) {
      assert.match(r.modulePath, /session-worker/);
      assert.equal(r.env.RPA_SESSION_PROCESS, '1');
      assert.ok(r.env.MALLOC_ARENA_MAX, 'malloc tuning in its environment');
      assert.ok(r.execArgv.includes('--optimize-for-size'));
      assert.ok(r.execArgv.includes('--jitless'), 'no JIT in a process that only routes messages (issue 17 §2)');
    }
  } finally {
    await host.close();
  }
});

test('the Electron spawner against a FAKE utilityProcess (Electron cannot run here): load, warm at lower priority, run, swap, close ends the child by itself', { skip: linuxOnly, timeout: 90_000 }, async () => {
  const api = fakeUtilityProcessApi();
  const host = new InferenceHost({ providers: ['cpu'], warmupRuns: 25, defaultLatencyBudgetMs: 10_000, isolation: 'process', prespawn: false, sessionSpawner: utilityProcessSpawner(api) });
  let closed = false;
  try {
    await host.activate({ role: 'detector', ...fixture('tiny-a.onnx', A_OUT) });
    assert.equal(api.forked.length, 2, 'a warming process, then the serving process, both through utilityProcess.fork');
    const serving = api.forked[1]!.proc;
    assert.deepEqual(host.status().threads.detector, [serving.pid], 'status shows the utility process pid');
    assert.deepEqual(Array.from((await host.run('detector', xFeeds())).y!.data as Float32Array), A_OUT, 'answers cross postMessage and parentPort');

    // a swap: the warming utility process gets its lower priority once it has spawned (the pid comes with 'spawn')
    const swap = host.activate({ role: 'detector', ...fixture('slow.onnx', undefined, { budgetMs: 10_000 }) });
    swap.catch(() => undefined);
    await waitUntil(() => api.forked.length === 3 && api.forked[2]!.proc.pid !== undefined, 20_000);
    const warming = api.forked[2]!.proc;
    await waitUntil(() => niceOf(warming.pid!) !== getPriority(), 5_000).catch(() => undefined);
    assert.equal(niceOf(warming.pid!), Math.min(19, getPriority() + 10), 'the warming utility process runs 10 nice levels lower');
    await swap;
    await host.activate({ role: 'detector', ...fixture('tiny-b.onnx', B_OUT) });
    assert.deepEqual(Array.from((await host.run('detector', xFeeds())).y!.data as Float32Array), B_OUT);

    // close: 'close' over postMessage, the child releases its sessions and exits by itself (code 0, not killed)
    await host.close();
    closed = true;
    assert.equal(serving.exitCode, 0, `the serving utility process ended by itself (exit code ${serving.exitCode})`);
  } finally {
    if (!closed) await host.close();
  }
});

test('the Electron spawner against a FAKE utilityProcess: the child dies — the role is reported lost and answers model_restarting', { timeout: 60_000 }, async () => {
  const api = fakeUtilityProcessApi();
  const events: HostEvent[] = [];
  const host = new InferenceHost({ providers: ['cpu'], warmupRuns: 1, defaultLatencyBudgetMs: 10_000, isolation: 'process', prespawn: false, sessionSpawner: utilityProcessSpawner(api), onEvent: (e) => events.push(e) });
  try {
    await host.activate({ role: 'classifier', ...fixture('tiny-b.onnx', B_OUT, { role: 'classifier' }) });
    const serving = api.forked[api.forked.length - 1]!.proc;
    serving.child.kill('SIGKILL');
    await waitUntil(() => events.some((e) => e.type === 'worker_lost'), 10_000);
    assert.equal(events.find((e) => e.type === 'worker_lost')?.role, 'classifier');
    await assert.rejects(host.run('classifier', xFeeds()), (e: unknown) => e instanceof AgentError && e.code === 'model_restarting');
  } finally {
    await host.close();
  }
});
