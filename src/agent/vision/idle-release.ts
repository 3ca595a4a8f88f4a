/**
 * Gives the vision pipeline's reusable buffers back when no bot has asked for a while (issue 17 §2: ~25 MB of
 * letterbox, RGB and tensor buffers at 1920×1080 stayed resident from the start-up warm-up on an idle
 * workstation). Busy screens keep their buffers: the timer restarts with every call, so only the first call
 * after an idle spell allocates them again (a few ms of fresh pages; the JIT warm-up is kept).
 *
 * The buffers are ArrayBuffers: dropping the references frees nothing until V8 collects them, and an idle
 * process does not collect. So the release ends with one full collection (at idle, by definition).
 */
import { makeFullGc } from '../full-gc.js';
import type { TimerHandle, Timers } from '../../common/lifetime.js';

/** how long without a vision call before the buffers go (default; `vision.idleReleaseMs` 0 = never) */
export const VISION_IDLE_RELEASE_MS = 30_000;

/** A full GC of this isolate (src/agent/full-gc.ts). */
export const collectGarbage: () => void = makeFullGc();

export class IdleRelease {
  private timer: TimerHandle | undefined;
  private disposed = false;
  /** releases so far (status, tests) */
  releases = 0;

  constructor(
    private readonly ms: number,
    private readonly timers: Pick<Timers, 'setTimeout' | 'clearTimeout'>,
    private readonly release: () => void,
    private readonly gc: () => void = collectGarbage,
  ) {}

  /** a call used the buffers: the idle spell starts again */
  touch(): void {
    if (this.disposed || !(this.ms > 0)) return;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = this.timers.setTimeout(() => this.fire(), this.ms);
    (this.timer as { unref?: () => void } | undefined)?.unref?.();
  }

  private fire(): void {
    this.timer = undefined;
    if (this.disposed) return;
    this.release();
    this.releases++;
    this.gc();
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
