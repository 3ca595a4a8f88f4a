/**
 * Origins first (DESIGN.md "Scale path"): the missing chunks asked for as byte ranges, one streaming GET per
 * run of missing chunks, from the first origin in the signed manifest that answers, cut at chunk boundaries
 * into the fetch's per-chunk path (so verify, seal, resume and durability are those of MQTT chunks). An
 * origin that fails (after retrying from where it stopped while it makes progress) is reported and the next
 * one tried; when none is left the caller turns to the broker.
 */
import { toAgentError } from '../../common/errors.js';
import { redact, type OriginClient } from './origin-client.js';

export interface OriginFallback {
  failures: { origin: string; code: string; message: string }[];
  /** chunks the origins delivered before giving up */
  chunksFromOrigin: number;
  message: string;
}

/** The fetch as the origin path sees it. */
export interface RangeSink {
  readonly total: number;
  readonly size: number;
  readonly chunkSize: number;
  readonly signal: AbortSignal | undefined;
  /** the fetch ended (done, failed or cancelled) */
  done(): boolean;
  held(index: number): boolean;
  heldCount(): number;
  lengthOf(index: number): number;
  /** one chunk cut from a range (the fetch's per-chunk path) */
  onChunk(index: number, data: Uint8Array): void;
}

/**
 * Fetches what is missing from `urls` in order. Returns the failures when some chunks are still missing
 * (the caller falls back to the broker), else undefined.
 */
export async function fetchFromOrigins(sink: RangeSink, client: OriginClient, urls: readonly string[], retriesPerOrigin = 3): Promise<OriginFallback['failures'] | undefined> {
  const failures: OriginFallback['failures'] = [];
  for (const url of urls) {
    let retries = retriesPerOrigin;
    // one retry without progress: a kept-alive connection the origin closed just as it was reused
    let blindRetry = 1;
    for (;;) {
      if (sink.done()) return undefined;
      const run = firstMissingRun(sink);
      if (!run) return undefined; // everything is here; the last group commit finishes the fetch
      const before = sink.heldCount();
      try {
        await fetchRange(sink, client, url, run.from, run.to);
      } catch (e) {
        if (sink.done()) return undefined; // the fetch failed or was cancelled on its own account
        const err = toAgentError(e, 'origin_unavailable');
        // resumable by range: a failure after progress restarts from the first missing chunk
        if (sink.heldCount() > before ? retries-- > 0 : blindRetry-- > 0) continue;
        failures.push({ origin: redact(url), code: err.code, message: err.message });
        break;
      }
    }
  }
  return sink.done() || sink.heldCount() >= sink.total ? undefined : failures;
}

/** First run [from, to) of chunks not held, or undefined when none is missing. */
function firstMissingRun(sink: RangeSink): { from: number; to: number } | undefined {
  let from = 0;
  while (from < sink.total && sink.held(from)) from++;
  if (from >= sink.total) return undefined;
  let to = from;
  while (to < sink.total && !sink.held(to)) to++;
  return { from, to };
}

/** One streaming GET of chunks [from, to), cut at chunk boundaries into the per-chunk path. */
function fetchRange(sink: RangeSink, client: OriginClient, url: string, from: number, to: number): Promise<void> {
  let index = from;
  let buf = Buffer.allocUnsafe(sink.lengthOf(index));
  let fill = 0;
  const end = Math.min(to * sink.chunkSize, sink.size);
  return client.getRange(
    url,
    from * sink.chunkSize,
    end,
    (piece) => {
      let off = 0;
      while (off < piece.length) {
        const n = Math.min(buf.length - fill, piece.length - off);
        piece.copy(buf, fill, off, off + n);
        fill += n;
        off += n;
        if (fill === buf.length) {
          const chunk = buf;
          const i = index++;
          if (index < to) buf = Buffer.allocUnsafe(sink.lengthOf(index));
          fill = 0;
          sink.onChunk(i, chunk);
          if (sink.done()) return false;
        }
      }
      return true;
    },
    { ...(sink.signal ? { signal: sink.signal } : {}), totalSize: sink.size },
  );
}
