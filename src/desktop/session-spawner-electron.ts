/**
 * The packaged app's session processes (issue 17 §3): Electron's utilityProcess.fork instead of
 * child_process.fork. The packaged binary has its runAsNode fuse off (electron-builder.yml), so forking
 * process.execPath would start another Electron app, not Node; a utility process is Electron's way to run a
 * Node module in a child (Electron docs, "Fuses" → runAsNode; "utilityProcess").
 *
 * One adapter from Electron's UtilityProcess to the host's SessionChannel (src/agent/inference/session-spawner.ts):
 * postMessage instead of process.send (the child side is worker-port.ts's electronParentPortLink), the pid only
 * after 'spawn', kill() as the hard stop. `utilityProcess` is passed in (main.ts passes Electron's), so this file
 * loads without Electron and is tested against a fake of it (Electron cannot run here).
 *
 * Since issue 17 §2 this is the fallback: where the native session host ships (resources/session-host/, electron-builder
 * extraResources) the agent serves its sessions in it instead, started with child_process.spawn — a plain executable,
 * which the runAsNode fuse does not concern (src/agent/inference/native-host.ts; the pool prefers it to any spawner).
 */
import type { SessionChannel, SessionProcessSpawner } from '../agent/inference/index.js';

/** The part of Electron's UtilityProcess instance used here (electron.d.ts `UtilityProcess`). */
export interface UtilityProcessLike {
  readonly pid: number | undefined;
  postMessage(message: unknown): void;
  kill(): boolean;
  on(event: 'spawn', fn: () => void): unknown;
  on(event: 'exit', fn: (code: number) => void): unknown;
  on(event: 'message', fn: (message: unknown) => void): unknown;
  on(event: 'error', fn: (type: string, location: string) => void): unknown;
}

/** The part of Electron's `utilityProcess` module used here. */
export interface UtilityProcessApi {
  fork(modulePath: string, args?: string[], options?: { env?: NodeJS.ProcessEnv; execArgv?: string[]; stdio?: 'ignore' | 'inherit' | 'pipe' | Array<'ignore' | 'inherit' | 'pipe'>; serviceName?: string }): UtilityProcessLike;
}

/**
 * A SessionProcessSpawner over utilityProcess. Messages before 'spawn' are sent anyway (Electron queues
 * them); the channel counts as connected until 'exit'.
 */
export function utilityProcessSpawner(api: UtilityProcessApi): SessionProcessSpawner {
  return (req): SessionChannel => {
    const child = api.fork(req.modulePath, [], {
      env: req.env,
      execArgv: req.execArgv,
      // stderr for onnxruntime's own errors in the app's log, as with the fork (stdout carries nothing)
      stdio: ['ignore', 'ignore', 'inherit'],
      serviceName: 'RPA Edge Agent inference',
    });
    let exited = false;
    let spawnedPid: number | undefined;
    const spawnFns: ((pid: number) => void)[] = [];
    const exitFns: ((code: number) => void)[] = [];
    child.on('spawn', () => {
      spawnedPid = child.pid;
      if (spawnedPid !== undefined) for (const fn of spawnFns.splice(0)) fn(spawnedPid);
    });
    child.on('exit', (code) => {
      if (exited) return;
      exited = true;
      for (const fn of exitFns.splice(0)) fn(code);
    });
    return {
      get pid() {
        return child.pid;
      },
      get connected() {
        return !exited;
      },
      send(msg, written) {
        if (exited) throw new Error('session process is gone');
        child.postMessage(msg);
        // postMessage queues and has no completion callback: the next turn stands in for "written"
        if (written) setImmediate(() => written());
      },
      kill() {
        child.kill();
      },
      onMessage: (fn) => void child.on('message', fn),
      onSpawn(fn) {
        if (spawnedPid !== undefined) fn(spawnedPid);
        else spawnFns.push(fn);
      },
      onExit: (fn) => void exitFns.push(fn),
      // 'error' is a V8 fatal error in the child; 'exit' follows it (Electron docs), which the host acts on
      onError: (fn) => void child.on('error', (type, location) => fn(new Error(`session process ${type} at ${location}`))),
    };
  };
}
