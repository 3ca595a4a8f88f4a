/**
 * GET /api/v1/events: the change feed as server-sent events (WHATWG HTML §9.2, text/event-stream).
 * One ChangeFeed is shared by every open stream; each event gets an increasing id and the last 1,000
 * are kept, so a console that reconnects with Last-Event-ID gets what it missed (older than that, it
 * simply reloads its page). A comment line every 15 s keeps proxies from closing an idle stream.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChangeFeed, FeedEvent, FeedTimers } from './change-feed.js';

const REPLAY = 1000;
const KEEPALIVE_MS = 15_000;

const realTimers: FeedTimers = { setInterval: (fn, ms) => setInterval(fn, ms), clearInterval: (h) => clearInterval(h as NodeJS.Timeout) };

export class EventStreamHub {
  readonly #feed: ChangeFeed;
  readonly #timers: FeedTimers;
  readonly #clients = new Set<ServerResponse>();
  readonly #recent: { id: number; text: string }[] = [];
  #nextId = 1;
  #unsubscribe: (() => void) | undefined;

  constructor(feed: ChangeFeed, opts: { timers?: FeedTimers } = {}) {
    this.#feed = feed;
    this.#timers = opts.timers ?? realTimers;
  }

  get clients(): number {
    return this.#clients.size;
  }

  #broadcast(e: FeedEvent): void {
    const id = this.#nextId++;
    const text = `id: ${id}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`;
    this.#recent.push({ id, text });
    if (this.#recent.length > REPLAY) this.#recent.shift();
    for (const res of this.#clients) res.write(text);
  }

  /** Serves one stream until the client goes away. `headers` are the server's security headers. */
  serve(req: IncomingMessage, res: ServerResponse, headers: Record<string, string> = {}): void {
    res.writeHead(200, {
      ...headers,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    res.write('retry: 2000\n: connected\n\n');
    const last = Number(req.headers['last-event-id']);
    if (Number.isInteger(last) && last > 0) for (const e of this.#recent) if (e.id > last) res.write(e.text);
    this.#clients.add(res);
    this.#unsubscribe ??= this.#feed.subscribe((e) => this.#broadcast(e));
    const keepAlive = this.#timers.setInterval(() => res.write(': keep-alive\n\n'), KEEPALIVE_MS);
    const done = () => {
      this.#timers.clearInterval(keepAlive);
      this.#clients.delete(res);
      if (this.#clients.size === 0) {
        this.#unsubscribe?.();
        this.#unsubscribe = undefined;
      }
    };
    res.once('close', done);
    req.once('close', done);
  }

  close(): void {
    for (const res of this.#clients) res.end();
    this.#clients.clear();
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }
}
