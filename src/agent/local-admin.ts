/**
 * Local admin control of a running agent, through its data directory (`rpa-agent rollback`).
 *
 * Why files in the data dir: the data dir is created 0700 for the agent's OS user (agent.ts createAgent),
 * so only that user (or an administrator) can drop a request there — the same trust boundary as the
 * credential store — and it needs no new method on the bot endpoint, which bots (less trusted than the
 * workstation's admin) can reach. The running agent watches `control/`; a request is a JSON file
 * `rollback-<id>.json`, answered by `result-<id>.json`. `agent.lock` names the running agent's pid, so the
 * CLI knows whether anyone will answer; when nobody runs, the CLI edits the registry directly so the next
 * start loads the previous version (rollbackInRegistry).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AgentError, toAgentError } from '../common/errors.js';
import { RoleSchema, type Role } from '../common/wire.js';

/** the safety-net poll while the control directory is watched */
const WATCHED_POLL_MS = 30_000;

export const CONTROL_DIR = 'control';
export const LOCK_FILE = 'agent.lock';

const RequestSchema = z.object({ id: z.string().regex(/^[A-Za-z0-9-]{1,64}$/), role: RoleSchema, requestedAt: z.string() });
export type RollbackRequest = z.infer<typeof RequestSchema>;
export const RollbackResultSchema = z.object({
  id: z.string(),
  ok: z.boolean(),
  role: RoleSchema,
  from: z.string().optional(),
  to: z.string().optional(),
  code: z.string().optional(),
  message: z.string().optional(),
});
export type RollbackResult = z.infer<typeof RollbackResultSchema>;

const LockSchema = z.object({ pid: z.number().int().positive(), agentId: z.string(), startedAt: z.string(), endpointPath: z.string().optional() });
export type AgentLock = z.infer<typeof LockSchema>;

/** Writes `agent.lock` (pid of this process); release() removes it if it is still ours. */
export function writeAgentLock(dataDir: string, info: Omit<AgentLock, 'startedAt'>): { release(): void } {
  const path = join(dataDir, LOCK_FILE);
  const lock: AgentLock = { ...info, startedAt: new Date().toISOString() };
  writeFileSync(path + '.tmp', JSON.stringify(lock), { mode: 0o600 });
  renameSync(path + '.tmp', path);
  return {
    release() {
      try {
        const cur = LockSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
        if (cur.pid === lock.pid && cur.startedAt === lock.startedAt) rmSync(path, { force: true });
      } catch {
        // gone already, or not ours
      }
    },
  };
}

/** The running agent's lock, or undefined when none is running (a stale lock of a dead pid is ignored). */
export function readAgentLock(dataDir: string): AgentLock | undefined {
  let lock: AgentLock;
  try {
    lock = LockSchema.parse(JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')));
  } catch {
    return undefined;
  }
  try {
    process.kill(lock.pid, 0); // signal 0: existence check only
    return lock;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM' ? lock : undefined;
  }
}

export interface RollbackWatcher {
  close(): Promise<void>;
}

/** Agent side: polls `control/` for rollback requests and answers each one. */
export function watchRollbackRequests(
  dataDir: string,
  opts: { pollMs: number; handle: (req: RollbackRequest) => Promise<{ from: string; to: string }>; onError?: (e: Error) => void },
): RollbackWatcher {
  const dir = join(dataDir, CONTROL_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let busy: Promise<void> | undefined;
  let closed = false;
  const tick = async () => {
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => /^rollback-[A-Za-z0-9-]{1,64}\.json$/.test(n));
    } catch {
      return;
    }
    for (const name of names.sort()) {
      if (closed) return;
      const file = join(dir, name);
      let req: RollbackRequest;
      try {
        req = RequestSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
      } catch (e) {
        rmSync(file, { force: true });
        opts.onError?.(new Error(`unreadable control request ${name}: ${(e as Error).message}`));
        continue;
      }
      rmSync(file, { force: true }); // taken: answered exactly once
      let result: RollbackResult;
      try {
        const r = await opts.handle(req);
        result = { id: req.id, ok: true, role: req.role, from: r.from, to: r.to };
      } catch (e) {
        const err = toAgentError(e);
        result = { id: req.id, ok: false, role: req.role, code: err.code, message: err.message };
      }
      const out = join(dir, `result-${req.id}.json`);
      writeFileSync(out + '.tmp', JSON.stringify(result), { mode: 0o600 });
      renameSync(out + '.tmp', out);
    }
  };
  let again = false;
  const kick = () => {
    if (closed) return;
    if (busy) {
      again = true; // a request dropped while one is being answered: look once more afterwards
      return;
    }
    busy = tick()
      .catch((e: unknown) => opts.onError?.(e as Error))
      .finally(() => {
        busy = undefined;
        if (again) {
          again = false;
          kick();
        }
      });
  };
  // Event-driven: the directory is watched (inotify / ReadDirectoryChangesW), so an idle agent is not woken
  // to poll it (issue 17 §2, idle CPU); the poll stays as a slow safety net, or at pollMs where watching fails.
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dir, { persistent: false }, kick);
    watcher.on('error', () => undefined);
  } catch {
    watcher = undefined;
  }
  const timer = setInterval(kick, watcher ? Math.max(opts.pollMs, WATCHED_POLL_MS) : opts.pollMs);
  timer.unref();
  kick(); // requests dropped before we started
  return {
    async close() {
      closed = true;
      watcher?.close();
      clearInterval(timer);
      await busy;
    },
  };
}

/** CLI side: drops a request for the running agent and waits for its answer. */
export async function requestRollback(dataDir: string, role: Role, opts: { timeoutMs: number; pollMs?: number; signal?: AbortSignal }): Promise<RollbackResult> {
  const dir = join(dataDir, CONTROL_DIR);
  if (!existsSync(dir)) throw new AgentError('not_found', `${dir} does not exist: is the agent running with this data dir?`);
  const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  const req: RollbackRequest = { id, role, requestedAt: new Date().toISOString() };
  const file = join(dir, `rollback-${id}.json`);
  writeFileSync(file + '.tmp', JSON.stringify(req), { mode: 0o600 });
  renameSync(file + '.tmp', file);
  const out = join(dir, `result-${id}.json`);
  const deadline = Date.now() + opts.timeoutMs;
  while (Date.now() < deadline) {
    if (opts.signal?.aborted) break;
    if (existsSync(out)) {
      const r = RollbackResultSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
      rmSync(out, { force: true });
      return r;
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 100));
  }
  rmSync(file, { force: true }); // not taken: withdraw it
  throw new AgentError('timeout', `the running agent did not answer the rollback request within ${opts.timeoutMs} ms`);
}
