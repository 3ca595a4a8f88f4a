/**
 * Loads that must not block the sessions already serving (issue 17 §2: detect p95 during a swap). In the
 * session process, onnxruntime-node's session create is one synchronous native call of ~100+ ms for a big
 * model, followed by the self-test and warm-up runs; made on the process's main thread it held up every
 * detect queued behind it. So once the process serves anything, a new load goes to a worker thread of this
 * process (a "load thread"): the thread creates, tests and warms the session and then serves it — an
 * onnxruntime session is bound to the thread that made it — while the main thread keeps serving the others.
 * The main thread routes the generation's runs and release to that thread; the thread ends once it holds
 * no session.
 *
 * Kept as they were: a run past its timeout still kills the whole process (the host's SIGKILL ends every
 * thread), and a load thread that fails or ends unexpectedly ends the process (exit code 70), which the host
 * sees as the session process dying: each role it served is reported lost and reloaded (`worker_lost`).
 */
import { Worker } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './worker-messages.js';

/** the exit code of a session process whose load thread failed (EX_SOFTWARE) */
export const LOAD_THREAD_FAILED_EXIT = 70;

interface LoadThread {
  worker: Worker;
  gids: Set<number>;
  /** loads sent and not yet answered */
  loading: number;
  closing: boolean;
}

export class LoadThreads {
  private readonly threads = new Set<LoadThread>();
  private readonly byGid = new Map<number, LoadThread>();
  private closed = false;

  constructor(
    /** the session worker's own module: a thread running it is a plain session worker (parentPort) */
    private readonly entry: URL,
    private readonly post: (m: FromWorker) => void,
    private readonly fatal: (why: string) => void = (why) => {
      process.stderr.write(`session process: ${why}\n`);
      process.exit(LOAD_THREAD_FAILED_EXIT);
    },
  ) {}

  /** threads can run the entry only when it is plain JavaScript (the bundle or the compiled file, not tsx's .ts) */
  static usable(entry: URL): boolean {
    return !entry.pathname.endsWith('.ts');
  }

  get size(): number {
    return this.threads.size;
  }

  holds(gid: number): boolean {
    return this.byGid.has(gid);
  }

  /** Starts a load thread for this load; the bytes (an ArrayBuffer this process owns) are handed over, not copied. */
  load(msg: Extract<ToWorker, { t: 'load' }>): void {
    const worker = new Worker(this.entry, { stdout: false, stderr: false });
    const th: LoadThread = { worker, gids: new Set([msg.gid]), loading: 1, closing: false };
    this.threads.add(th);
    this.byGid.set(msg.gid, th);
    worker.on('message', (m: FromWorker) => this.fromThread(th, m));
    worker.on('error', (e) => this.ended(th, `a load thread failed: ${e.message}`));
    worker.on('exit', (code) => this.ended(th, `a load thread exited (code ${code})`));
    worker.postMessage(msg, msg.bytes instanceof ArrayBuffer ? [msg.bytes] : []);
  }

  /** Sends a run or release to the thread holding its generation; false when no thread holds it. */
  forward(msg: Extract<ToWorker, { t: 'run' | 'release' }>): boolean {
    const th = this.byGid.get(msg.gid);
    if (!th) return false;
    const transfer: ArrayBuffer[] = [];
    if (msg.t === 'run') for (const t of Object.values(msg.feeds)) if (t.data.buffer instanceof ArrayBuffer && !transfer.includes(t.data.buffer)) transfer.push(t.data.buffer);
    th.worker.postMessage(msg, transfer);
    return true;
  }

  private fromThread(th: LoadThread, m: FromWorker): void {
    switch (m.t) {
      case 'ready':
      case 'closed':
        return;
      case 'loaded':
        th.loading--;
        break;
      case 'load_failed':
        th.loading--;
        this.drop(th, m.gid);
        break;
      case 'released':
        this.drop(th, m.gid);
        break;
    }
    this.post(m);
    this.endIfEmpty(th);
  }

  private drop(th: LoadThread, gid: number): void {
    th.gids.delete(gid);
    if (this.byGid.get(gid) === th) this.byGid.delete(gid);
  }

  /** a thread holding no session and loading nothing ends (gracefully: 'close', it exits by itself) */
  private endIfEmpty(th: LoadThread): void {
    if (th.closing || th.gids.size > 0 || th.loading > 0) return;
    th.closing = true;
    th.worker.postMessage({ t: 'close' } satisfies ToWorker);
  }

  private ended(th: LoadThread, why: string): void {
    if (!this.threads.delete(th)) return;
    for (const gid of th.gids) if (this.byGid.get(gid) === th) this.byGid.delete(gid);
    // an expected end: it was asked to close, holding nothing
    if ((th.closing && th.gids.size === 0) || this.closed) return;
    this.fatal(why);
  }

  /** The process is closing: every thread releases its sessions and ends; resolves when all have exited. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      [...this.threads].map(
        (th) =>
          new Promise<void>((resolve) => {
            th.worker.once('exit', () => resolve());
            th.closing = true;
            th.worker.postMessage({ t: 'close' } satisfies ToWorker);
          }),
      ),
    );
  }
}
