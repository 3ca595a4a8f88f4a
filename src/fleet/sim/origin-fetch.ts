/**
 * The simulator's HTTPS origin client (DESIGN.md "Scale path"): one streaming GET of a model's bytes
 * from an origin listed in the signed manifest, cut at chunk boundaries; the caller checks every chunk
 * against the manifest as it does for MQTT chunks. https only; exactly the bytes asked for, never more;
 * an idle origin is given up. (src/fleet may not import src/agent: this is the fleet-side twin of the
 * agent's origin client, kept deliberately small.)
 */
import { request, type Agent as HttpsAgent } from 'node:https';
import { AgentError } from '../../common/errors.js';

export interface SimOriginOptions {
  agent?: HttpsAgent;
  ca?: string | Buffer;
  idleMs?: number;
}

/** Streams bytes [start, end) of `url`, calling `onChunk` for each whole chunk of `chunkSize` (the last may be shorter). */
export function fetchOriginChunks(
  url: string,
  range: { start: number; end: number; firstIndex: number; chunkSize: number },
  onChunk: (index: number, data: Buffer) => boolean,
  o: SimOriginOptions = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return reject(new AgentError('origin_unavailable', `origin ${url}: not a URL`));
    }
    if (u.protocol !== 'https:') return reject(new AgentError('origin_unavailable', `origin ${url}: only https origins are allowed`));
    const want = range.end - range.start;
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      req.destroy();
      reject(new AgentError('origin_unavailable', `origin ${u.origin}${u.pathname}: ${why}`));
    };
    const req = request(u, { method: 'GET', headers: { range: `bytes=${range.start}-${range.end - 1}` }, ...(o.agent ? { agent: o.agent } : {}), ...(o.ca ? { ca: o.ca } : {}), rejectUnauthorized: true }, (res) => {
      const cr = /^bytes (\d+)-(\d+)\//.exec(String(res.headers['content-range'] ?? ''));
      if (res.statusCode !== 206 || !cr || Number(cr[1]) !== range.start || Number(cr[2]) !== range.end - 1) {
        res.resume();
        return fail(`HTTP ${res.statusCode} for bytes ${range.start}-${range.end - 1}`);
      }
      let index = range.firstIndex;
      let buf = Buffer.allocUnsafe(Math.min(range.chunkSize, want));
      let fill = 0;
      let got = 0;
      res.on('data', (piece: Buffer) => {
        if (settled) return;
        got += piece.length;
        if (got > want) return fail('sent more than asked for');
        let off = 0;
        while (off < piece.length) {
          const n = Math.min(buf.length - fill, piece.length - off);
          piece.copy(buf, fill, off, off + n);
          fill += n;
          off += n;
          if (fill === buf.length) {
            const chunk = buf;
            const i = index++;
            const left = range.end - (range.start + (index - range.firstIndex) * range.chunkSize);
            if (left > 0) buf = Buffer.allocUnsafe(Math.min(range.chunkSize, left));
            fill = 0;
            if (!onChunk(i, chunk)) {
              settled = true;
              req.destroy();
              return resolve(); // the caller failed the fetch on its own account
            }
          }
        }
      });
      res.on('end', () => {
        if (settled) return;
        if (got !== want) return fail(`ended after ${got} of ${want} bytes`);
        settled = true;
        resolve();
      });
      res.on('error', (e) => fail(e.message));
      res.on('aborted', () => fail('response aborted'));
    });
    req.setTimeout(o.idleMs ?? 30_000, () => fail('idle timeout'));
    req.on('error', (e: NodeJS.ErrnoException) => fail(`${e.code ?? ''} ${e.message}`.trim()));
    req.end();
  });
}
