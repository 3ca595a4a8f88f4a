/**
 * The lifetime kit (issue 18 §4): one owner type, one clock/timers type, one bounded shutdown runner.
 *
 * Rules (docs/ARCHITECTURE.md "Lifetimes"):
 * - Whoever creates a resource disposes it: it adds the resource to its own `DisposableStore`, and the
 *   store disposes in reverse order of adding (a thing is closed before what it was built on).
 * - Time is injected: code that waits or measures takes a `Timers` (now + the four timer calls), so a
 *   test drives it with `FakeTimers` and the owner can clear what it scheduled.
 * - Shutdown is bounded: `runShutdown` runs named steps in order, each under its own deadline and all under
 *   one overall deadline, and reports which step overran — a stuck step cannot keep the process (or a
 *   Windows logoff) waiting. (VS Code `lifecycle.ts` DisposableStore; MQTT.js `KeepaliveManager` Timer.)
 * Pure: no node:* import (src/common), so the renderer and the fleet may use it too.
 */

// ------------------------------------------------------------------------------------------ disposables

export interface Disposable {
  dispose(): unknown;
}
/** A resource the store can end: an object with dispose() or close(), or a function that ends it. */
export type Disposer = Disposable | { close(): unknown } | (() => unknown);

/** Ends one disposer; returns what it returned (a promise when the end is asynchronous). */
function end(d: Disposer): unknown {
  if (typeof d === 'function') return d();
  if ('dispose' in d && typeof d.dispose === 'function') return d.dispose();
  return (d as { close(): unknown }).close();
}

/** A named step of a shutdown (see runShutdown); `signal` aborts when its deadline passes. */
export interface ShutdownStep {
  name: string;
  run(signal: AbortSignal): unknown;
}

/**
 * The owner of the resources one component created. `add` returns what it was given, so creation and
 * ownership are one line: `const db = store.add(openDb())`. `dispose()` ends them in reverse order, each
 * once, awaiting asynchronous ones; a failing disposer does not stop the rest — errors are collected and
 * thrown together (AggregateError) after every disposer ran. Idempotent: a second dispose() returns the
 * first one's promise. Adding to a disposed store disposes the newcomer at once (a late resource must
 * not outlive its owner).
 */
export class DisposableStore implements Disposable {
  #items: Array<{ d: Disposer; name: string }> = [];
  #disposing: Promise<void> | undefined;

  get isDisposed(): boolean {
    return this.#disposing !== undefined;
  }
  get size(): number {
    return this.#items.length;
  }

  add<T extends Disposer>(d: T, name?: string): T {
    if (this.#disposing) {
      void Promise.resolve()
        .then(() => end(d))
        .catch(() => {});
      return d;
    }
    this.#items.push({ d, name: name ?? `step ${this.#items.length + 1}` });
    return d;
  }

  /** Removes `d` without ending it (ownership handed on, or already ended by its user). */
  delete(d: Disposer): boolean {
    const i = this.#items.findIndex((x) => x.d === d);
    if (i < 0) return false;
    this.#items.splice(i, 1);
    return true;
  }

  dispose(): Promise<void> {
    this.#disposing ??= (async () => {
      const errors: unknown[] = [];
      for (const { d } of this.#items.splice(0).reverse()) {
        try {
          await end(d);
        } catch (e) {
          errors.push(e);
        }
      }
      if (errors.length === 1) throw errors[0];
      if (errors.length > 1) throw new AggregateError(errors, `${errors.length} disposers failed`);
    })();
    return this.#disposing;
  }

  /**
   * Hands the store's contents to a shutdown runner: the steps in reverse order of adding, with their
   * names. The store counts as disposed from here on (later adds are disposed at once).
   */
  drainSteps(): ShutdownStep[] {
    const items = this.#items.splice(0).reverse();
    this.#disposing ??= Promise.resolve();
    return items.map(({ d, name }) => ({ name, run: () => end(d) }));
  }
}

/** A disposer for a plain function (VS Code `toDisposable`). Runs `fn` once however often disposed. */
export function toDisposable(fn: () => unknown): Disposable {
  let done = false;
  return {
    dispose() {
      if (done) return undefined;
      done = true;
      return fn();
    },
  };
}

// ------------------------------------------------------------------------------------- clock and timers

/** An opaque timer handle: only the Timers that made it can clear it (unknown, so older callers fit). */
export type TimerHandle = unknown;

/**
 * The ONE clock/timers type (issue 18: it replaces five shapes — the agent's Clock and Timers, the
 * telemetry's interval Timers, the desktop's Date clock with timeouts, and bare `() => number` clocks).
 * `now()` is epoch milliseconds; callers that want a Date make one from it.
 */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
}
/** The part of Timers that only reads the time. */
export type Clock = Pick<Timers, 'now'>;

type HostHandle = ReturnType<typeof globalThis.setTimeout>;

/**
 * The real timers. `unref: true` lets a pending timer not hold the process open (Node only; a no-op in a
 * browser) — the owner must still clear it: an unref'd timer still counts as a live resource.
 */
export function realTimers(opts: { unref?: boolean } = {}): Timers {
  const maybeUnref = (h: HostHandle): HostHandle => {
    if (opts.unref) (h as { unref?: () => void }).unref?.();
    return h;
  };
  return {
    now: () => Date.now(),
    setTimeout: (fn, ms) => maybeUnref(globalThis.setTimeout(fn, ms)) as TimerHandle,
    clearTimeout: (h) => {
      if (h !== undefined) globalThis.clearTimeout(h as HostHandle);
    },
    setInterval: (fn, ms) => maybeUnref(globalThis.setInterval(fn, ms)) as TimerHandle,
    clearInterval: (h) => {
      if (h !== undefined) globalThis.clearInterval(h as HostHandle);
    },
  };
}

/**
 * The same timers, with every real handle they make unref'd (a fake handle is left as it is): for a
 * periodic job that alone must not keep a process alive. The owner still clears it.
 */
export function unrefTimers(t: Timers): Timers {
  const unref = (h: TimerHandle): TimerHandle => {
    (h as { unref?: () => void } | undefined)?.unref?.();
    return h;
  };
  return { ...t, now: () => t.now(), setTimeout: (fn, ms) => unref(t.setTimeout(fn, ms)), setInterval: (fn, ms) => unref(t.setInterval(fn, ms)) };
}

/** The process's real timers (ref'd: whoever schedules clears). */
export const systemTimers: Timers = realTimers();

interface FakeTimer {
  id: number;
  at: number;
  every: number | undefined;
  fn: () => void;
}

/**
 * FAKE timers for tests (time is one of the two things tests may fake): time moves only when the test
 * calls `advance`, which fires due timers in time order (intervals re-armed). `pending()` tells a test
 * whether its subject left anything scheduled after dispose.
 */
export class FakeTimers implements Timers {
  #now: number;
  #seq = 0;
  #timers = new Map<number, FakeTimer>();

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.#now = startMs;
  }
  now = (): number => this.#now;
  setTimeout = (fn: () => void, ms: number): TimerHandle => this.#add(fn, ms, undefined);
  setInterval = (fn: () => void, ms: number): TimerHandle => this.#add(fn, ms, Math.max(1, ms));
  clearTimeout = (h: TimerHandle): void => void this.#timers.delete(h as number);
  clearInterval = (h: TimerHandle): void => void this.#timers.delete(h as number);

  /** How many timers are scheduled. */
  pending(): number {
    return this.#timers.size;
  }
  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      let next: FakeTimer | undefined;
      for (const t of this.#timers.values()) if (t.at <= until && (!next || t.at < next.at || (t.at === next.at && t.id < next.id))) next = t;
      if (!next) break;
      this.#now = next.at;
      if (next.every !== undefined) next.at += next.every;
      else this.#timers.delete(next.id);
      next.fn();
    }
    this.#now = until;
  }
  /** `advance`, then lets promise callbacks queued by the fired timers run. */
  async advanceAsync(ms: number): Promise<void> {
    this.advance(ms);
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }

  #add(fn: () => void, ms: number, every: number | undefined): number {
    const id = ++this.#seq;
    this.#timers.set(id, { id, at: this.#now + Math.max(0, ms), every, fn });
    return id;
  }
}

// --------------------------------------------------------------------------------------------- shutdown

export interface ShutdownStepResult {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
  /** the step did not finish within its deadline (it was aborted and left behind) */
  overran?: boolean;
}
export interface ShutdownResult {
  reason: string;
  ok: boolean;
  ms: number;
  steps: ShutdownStepResult[];
  /** the first step that overran its deadline, if any */
  overran?: string;
}
export interface ShutdownOptions {
  /** deadline of each step (default 5 s) */
  stepTimeoutMs?: number;
  /** deadline of the whole shutdown (default 5 s): a step gets at most what is left of it */
  totalTimeoutMs?: number;
  timers?: Timers;
}

/**
 * Runs `steps` in order, once each. A step gets min(its deadline, what is left of the overall one); when
 * it passes, the step's signal aborts and the runner moves on (the step is reported `overran`). A failed
 * step does not stop later ones (closing the agent must happen even if the UI failed to close). Once the
 * overall deadline is spent, later steps are still started — their synchronous part runs — but each is
 * waited for no longer than a zero-delay timer. Never throws: the result says what happened.
 */
export async function runShutdown(reason: string, steps: readonly ShutdownStep[], opts: ShutdownOptions = {}): Promise<ShutdownResult> {
  const timers = opts.timers ?? systemTimers;
  const stepTimeoutMs = opts.stepTimeoutMs ?? 5000;
  const totalTimeoutMs = opts.totalTimeoutMs ?? 5000;
  const start = timers.now();
  const out: ShutdownResult = { reason, ok: true, ms: 0, steps: [] };
  for (const step of steps) {
    const t0 = timers.now();
    const budget = Math.max(0, Math.min(stepTimeoutMs, start + totalTimeoutMs - t0));
    const ac = new AbortController();
    let timer: TimerHandle | undefined;
    let overran = false;
    try {
      await Promise.race([
        Promise.resolve().then(() => step.run(ac.signal)),
        new Promise<never>((_, reject) => {
          timer = timers.setTimeout(() => {
            overran = true;
            ac.abort();
            reject(new Error(budget < stepTimeoutMs ? `not finished when the shutdown's ${totalTimeoutMs} ms ran out` : `timed out after ${stepTimeoutMs} ms`));
          }, budget);
        }),
      ]);
      out.steps.push({ name: step.name, ok: true, ms: timers.now() - t0 });
    } catch (e) {
      out.ok = false;
      out.steps.push({ name: step.name, ok: false, ms: timers.now() - t0, error: e instanceof Error ? e.message : String(e), ...(overran ? { overran } : {}) });
      if (overran) out.overran ??= step.name;
    } finally {
      timers.clearTimeout(timer);
    }
  }
  out.ms = timers.now() - start;
  return out;
}

/** A shutdown that runs once whatever triggers it (quit, logoff, signal): later calls share the first. */
export function createShutdown(steps: readonly ShutdownStep[] | (() => readonly ShutdownStep[]), opts: ShutdownOptions = {}) {
  let running: Promise<ShutdownResult> | undefined;
  return {
    get started(): boolean {
      return running !== undefined;
    },
    run(reason: string): Promise<ShutdownResult> {
      running ??= runShutdown(reason, typeof steps === 'function' ? steps() : steps, opts);
      return running;
    },
  };
}
