/**
 * A tiny static HTTPS origin for model bytes (DESIGN.md "Scale path"), for tests and benchmarks:
 * serves `GET /models/{modelId}` with single byte-range support (206 + Content-Range), under a test
 * CA generated on the fly (makeTestPki). Faults can be switched on per test: a tampered byte, a
 * connection cut after N bytes, a stall, refused requests. Every request's Range is logged.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestPki } from './brokers.js';

export interface OriginFaults {
  /** flip this absolute byte offset of the file in every response that covers it */
  tamperAt?: number;
  /** destroy the connection once this many body bytes were sent in a response */
  cutAfterBytes?: number;
  /** send headers and this many bytes, then nothing (a stalled origin) */
  stallAfterBytes?: number;
  /** answer every request with this HTTP status */
  status?: number;
}

export interface TestOrigin {
  /** https://127.0.0.1:PORT */
  url: string;
  ca: Buffer;
  caFile: string;
  /** origin URL of a model as the manifest lists it */
  modelUrl(modelId: string): string;
  put(modelId: string, bytes: Uint8Array): void;
  faults: OriginFaults;
  /** Range headers received (or "-" for none), in order */
  requests: { path: string; range: string }[];
  bytesSent: number;
  close(): Promise<void>;
}

export async function startOrigin(opts: { port?: number; host?: string } = {}): Promise<TestOrigin> {
  const dir = mkdtempSync(join(tmpdir(), 'rpa-origin-'));
  makeTestPki(dir, []);
  const files = new Map<string, Buffer>();
  const sockets = new Set<Socket>();
  const o: Omit<TestOrigin, 'url' | 'close'> & { url?: string } = {
    ca: readFileSync(join(dir, 'ca.crt')),
    caFile: join(dir, 'ca.crt'),
    modelUrl: (id) => `${o.url}/models/${id}`,
    put: (id, bytes) => void files.set(id, Buffer.from(bytes)),
    faults: {},
    requests: [],
    bytesSent: 0,
  };
  const server: Server = createServer({ key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.crt')) }, (req, res) => {
    const path = req.url ?? '';
    o.requests.push({ path, range: String(req.headers.range ?? '-') });
    const f = o.faults;
    if (f.status) {
      res.writeHead(f.status).end();
      return;
    }
    const m = /^\/models\/([0-9a-f]{64})$/.exec(path);
    const file = m ? files.get(m[1]!) : undefined;
    if (!file || req.method !== 'GET') {
      res.writeHead(404).end();
      return;
    }
    let start = 0;
    let end = file.length - 1;
    let status = 200;
    const r = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
    if (req.headers.range !== undefined) {
      if (!r || Number(r[1]) >= file.length) {
        res.writeHead(416, { 'content-range': `bytes */${file.length}` }).end();
        return;
      }
      start = Number(r[1]);
      end = r[2] ? Math.min(Number(r[2]), file.length - 1) : file.length - 1;
      status = 206;
    }
    let body = file.subarray(start, end + 1);
    if (f.tamperAt !== undefined && f.tamperAt >= start && f.tamperAt <= end) {
      body = Buffer.from(body);
      body[f.tamperAt - start]! ^= 0xff;
    }
    res.writeHead(status, {
      'content-length': String(body.length),
      'content-type': 'application/octet-stream',
      'accept-ranges': 'bytes',
      ...(status === 206 ? { 'content-range': `bytes ${start}-${end}/${file.length}` } : {}),
    });
    const limit = f.cutAfterBytes ?? f.stallAfterBytes;
    if (limit !== undefined && limit < body.length) {
      o.bytesSent += limit;
      res.write(body.subarray(0, limit), () => {
        if (f.cutAfterBytes !== undefined) setTimeout(() => req.socket.destroy(), 20);
        // a stall: keep the socket open and send nothing more (the client's idle timeout ends it)
      });
      return;
    }
    o.bytesSent += body.length;
    // in 256 KiB pieces, honouring back-pressure: a thousand concurrent 10 MiB responses must not all
    // sit encrypted in memory at once
    let off = 0;
    const pump = () => {
      while (off < body.length) {
        const piece = body.subarray(off, Math.min(off + (256 << 10), body.length));
        off += piece.length;
        if (!res.write(piece)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  server.keepAliveTimeout = 60_000; // clients keep connections for the ranges of a resume
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // a deep accept backlog: a fleet connects at once (the kernel caps it at net.core.somaxconn)
  await new Promise<void>((res) => server.listen({ port: opts.port ?? 0, host: opts.host ?? '127.0.0.1', backlog: 4096 }, () => res()));
  const addr = server.address() as { port: number };
  o.url = `https://127.0.0.1:${addr.port}`;
  return Object.assign(o as TestOrigin, {
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((res) => server.close(() => res()));
      rmSync(dir, { recursive: true, force: true });
    },
  });
}
