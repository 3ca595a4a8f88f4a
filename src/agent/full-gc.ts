/**
 * A full garbage collection of the calling isolate (main thread or worker thread), for the two places that free
 * large ArrayBuffers at a quiet moment and cannot wait for V8 to notice: the session worker after a load, the vision
 * pipeline's idle release (issue 17 §2). `gc` exists only with --expose-gc: the flag is set just long enough to fetch
 * it from a fresh context, then cleared again (flags are process-wide). Without it (a runtime that refuses the flag)
 * this does nothing.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

export function makeFullGc(): () => void {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    v8.setFlagsFromString('--no-expose-gc');
    return gc;
  } catch {
    return () => undefined;
  }
}
