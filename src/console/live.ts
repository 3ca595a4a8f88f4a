/**
 * Live updates: the server-sent event stream GET /api/v1/events, read with fetch so the bearer token
 * travels in the Authorization header (EventSource cannot send headers, and a token in the URL would
 * end up in logs). Parses the text/event-stream format (WHATWG HTML §9.2), reconnects with backoff
 * and Last-Event-ID, and hands each event to the listeners of its type.
 */
import { authHeaders } from './api.js';

export interface LiveEvent {
  type: string;
  id?: string;
  data: unknown;
}

type Listener = (e: LiveEvent) => void;

export interface LiveStream {
  on(type: string, fn: Listener): () => void;
  /** 'connecting' | 'live' | 'offline', for the header badge */
  onState(fn: (s: LiveState) => void): void;
  close(): void;
}

export type LiveState = 'connecting' | 'live' | 'offline';

/** Splits a text/event-stream body into events; returns the unparsed tail. */
export function parseEventStream(buffer: string, emit: (e: { event: string; data: string; id?: string }) => void): string {
  const blocks = buffer.split(/\r?\n\r?\n/);
  const tail = blocks.pop() ?? '';
  for (const block of blocks) {
    let event = 'message';
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line === '' || line.startsWith(':')) continue; // comment: keep-alive
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
    }
    if (data.length) emit({ event, data: data.join('\n'), ...(id !== undefined ? { id } : {}) });
  }
  return tail;
}

export function openLiveStream(path = '/api/v1/events'): LiveStream {
  const listeners = new Map<string, Set<Listener>>();
  let stateFn: (s: LiveState) => void = () => {};
  let lastId: string | undefined;
  let closed = false;
  let ctrl: AbortController | undefined;
  let backoff = 500;

  const dispatch = (e: LiveEvent) => {
    for (const fn of listeners.get(e.type) ?? []) fn(e);
    for (const fn of listeners.get('*') ?? []) fn(e);
  };

  const run = async () => {
    while (!closed) {
      stateFn('connecting');
      ctrl = new AbortController();
      try {
        const res = await fetch(path, { headers: { Accept: 'text/event-stream', ...authHeaders(), ...(lastId ? { 'Last-Event-ID': lastId } : {}) }, signal: ctrl.signal, cache: 'no-store' });
        if (!res.ok || !res.body) throw new Error(`event stream: HTTP ${res.status}`);
        stateFn('live');
        backoff = 500;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf = parseEventStream(buf + value, (ev) => {
            if (ev.id !== undefined) lastId = ev.id;
            let data: unknown = ev.data;
            try {
              data = JSON.parse(ev.data);
            } catch {
              /* plain text */
            }
            dispatch({ type: ev.event, data, ...(ev.id !== undefined ? { id: ev.id } : {}) });
          });
        }
      } catch {
        /* network error or abort: reconnect below */
      }
      if (closed) break;
      stateFn('offline');
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, 10_000);
    }
  };
  void run();

  return {
    on(type, fn) {
      let set = listeners.get(type);
      if (!set) listeners.set(type, (set = new Set()));
      set.add(fn);
      return () => set!.delete(fn);
    },
    onState(fn) {
      stateFn = fn;
    },
    close() {
      closed = true;
      ctrl?.abort();
    },
  };
}

/** Runs `fn` at most once per `ms`, trailing (live events arrive in bursts; a page refetches once). */
export function throttle(fn: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last = 0;
  return () => {
    if (timer) return;
    const wait = Math.max(0, last + ms - Date.now());
    timer = setTimeout(() => {
      timer = undefined;
      last = Date.now();
      fn();
    }, wait);
  };
}
