/**
 * The session worker's end of the host channel: a worker thread's parentPort, or, in a session process
 * (session-process.ts), the IPC channel to the parent with the same send/receive shape. Shared memory does
 * not cross a process boundary: bytes the host had shared arrive as a copy marked `fromShared` and are made
 * shared again here (so the worker keeps no second copy of them), and a SharedArrayBuffer the worker sends
 * back (`retained`) goes as a copy.
 */
import { parentPort } from 'node:worker_threads';
import type { FromWorker, LoadBulk, LoadPart, ToWorker } from './worker-messages.js';
import { BulkReader, SESSION_BULK_FD_ENV } from './bulk-reader.js';

export interface WorkerPort {
  post(msg: FromWorker, transfer?: ArrayBuffer[]): void;
  onMessage(fn: (msg: ToWorker) => void): void;
  close(): void;
}

/** What the child needs of its channel to the host: Node's process.send or Electron's process.parentPort. */
export interface HostLink {
  send(msg: unknown): void;
  connected(): boolean;
  onMessage(fn: (msg: unknown) => void): void;
  /** end this process once its last answer is on its way */
  end(): void;
}

/** Electron's utilityProcess child side (no electron import here: the agent layer runs without Electron). */
export interface ElectronParentPort {
  on(event: 'message', fn: (e: { data: unknown }) => void): unknown;
  postMessage(msg: unknown): void;
}

/** A forked Node child: process.send over the IPC channel; the host going away closes the channel. */
function nodeIpcLink(): HostLink | undefined {
  const send = process.send?.bind(process);
  if (!send) return undefined;
  // the parent went away (closed, killed): nothing is left to serve
  process.on('disconnect', () => process.exit(0));
  return {
    send: (msg) => void send(msg as never),
    connected: () => process.connected,
    onMessage: (fn) => void process.on('message', fn),
    // the host waits for the exit, not for a message: end once the channel is gone
    end: () => (process.connected ? process.disconnect() : process.exit(0)),
  };
}

/**
 * Electron's utilityProcess: messages arrive as MessageEvents ({ data }) on process.parentPort, go out with
 * postMessage (structured clone: typed arrays cross, SharedArrayBuffers do not, as over Node's channel).
 * Electron ends a utility process with its parent. `end` exits on the next turn, after the last postMessage.
 */
export function electronParentPortLink(port: ElectronParentPort, exit: (code: number) => void = (c) => process.exit(c)): HostLink {
  let ended = false;
  return {
    send: (msg) => port.postMessage(msg),
    connected: () => !ended,
    onMessage: (fn) => void port.on('message', (e) => fn(e.data)),
    end: () => {
      ended = true;
      setImmediate(() => exit(0));
    },
  };
}

/** The host link of this session process: Electron's parentPort when started as a utilityProcess, else Node's IPC. */
function hostLink(): HostLink {
  const electronPort = (process as { parentPort?: ElectronParentPort }).parentPort;
  const link = electronPort ? electronParentPortLink(electronPort) : nodeIpcLink();
  if (!link) throw new Error('session-worker must run in a worker thread, a forked session process or an Electron utility process');
  return link;
}

/** The worker port over a link to the host in another process: shared bytes become shared again here. */
export function processPort(link: HostLink = hostLink(), bulkFd = Number(process.env[SESSION_BULK_FD_ENV] ?? 0)): WorkerPort {
  return {
    post(msg) {
      const out = msg.t === 'loaded' && msg.retained ? { ...msg, retained: new Uint8Array(msg.retained).slice().buffer } : msg;
      if (link.connected()) link.send(out);
    },
    onMessage(fn) {
      // a load's bytes arrive as an ArrayBuffer this process owns, marked `fromShared`: used in place (or handed
      // to a load thread), never copied again here (issue 17 §2: a 64 MiB model was copied once more per load)
      // a big load's bytes come in parts first (session-process.ts sendInParts): put together here, in place
      const assembling = new Map<number, Uint8Array>();
      // or on the bulk pipe beside the channel (bulk-reader.ts), when the host opened one
      const bulk = bulkFd > 0 ? new BulkReader(bulkFd) : undefined;
      link.onMessage((raw) => {
        const m = raw as ToWorker | LoadPart | LoadBulk;
        if (m.t === 'load_bulk') {
          bulk?.expect(m.gid, m.total);
          return;
        }
        if (m.t === 'load_part') {
          let buf = assembling.get(m.gid);
          if (!buf) assembling.set(m.gid, (buf = new Uint8Array(m.total)));
          buf.set(m.data, m.offset);
          return;
        }
        if (m.t === 'load' && m.parts) {
          const buf = assembling.get(m.gid);
          assembling.delete(m.gid);
          if (!buf && bulk) {
            void bulk.take(m.gid).then((b) => fn({ ...m, bytes: b.buffer as ArrayBuffer, parts: false }));
            return;
          }
          fn({ ...m, bytes: (buf?.buffer as ArrayBuffer | undefined) ?? new ArrayBuffer(0), parts: false });
          return;
        }
        fn(m);
      });
    },
    close: () => link.end(),
  };
}

export function workerPort(): WorkerPort {
  const p = parentPort;
  if (!p) return processPort();
  return {
    post: (msg, transfer) => p.postMessage(msg, transfer ?? []),
    onMessage: (fn) => p.on('message', fn),
    close: () => p.close(),
  };
}
