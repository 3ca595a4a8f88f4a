/**
 * The session worker's end of the host channel: a worker thread's parentPort, or, in a session process
 * (session-process.ts), the IPC channel to the parent with the same send/receive shape. Shared memory does
 * not cross a process boundary: bytes the host had shared arrive as a copy marked `fromShared` and are made
 * shared again here (so the worker keeps no second copy of them), and a SharedArrayBuffer the worker sends
 * back (`retained`) goes as a copy.
 */
import { parentPort } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './worker-messages.js';

export interface WorkerPort {
  post(msg: FromWorker, transfer?: ArrayBuffer[]): void;
  onMessage(fn: (msg: ToWorker) => void): void;
  close(): void;
}

function toShared(buf: ArrayBuffer): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(buf.byteLength);
  new Uint8Array(sab).set(new Uint8Array(buf));
  return sab;
}

function processPort(): WorkerPort {
  const send = process.send?.bind(process);
  if (!send) throw new Error('session-worker must run in a worker thread or a forked session process');
  // the parent went away (closed, killed): nothing is left to serve
  process.on('disconnect', () => process.exit(0));
  return {
    post(msg) {
      const out = msg.t === 'loaded' && msg.retained ? { ...msg, retained: new Uint8Array(msg.retained).slice().buffer } : msg;
      if (process.connected) send(out as never);
    },
    onMessage(fn) {
      process.on('message', (raw) => {
        const m = raw as ToWorker & { fromShared?: boolean };
        if (m.t === 'load' && m.fromShared && m.bytes instanceof ArrayBuffer) fn({ ...m, bytes: toShared(m.bytes) });
        else fn(m);
      });
    },
    close() {
      // the host waits for the exit, not for a message: end once the channel is gone
      if (process.connected) process.disconnect();
      else process.exit(0);
    },
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
