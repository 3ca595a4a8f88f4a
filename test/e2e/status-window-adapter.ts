/**
 * Test-only stand-in for src/desktop/preload.ts, bundled and injected into the page before any page
 * script runs. It builds `window.rpa` with the same makeBridge the preload uses; the transport goes to
 * the test process through a Playwright binding (`__rpaInvoke`, checked there like ipcMain checks
 * senderFrame) and pushes come back through `__rpaPush`.
 */
import { BRIDGE_GLOBAL, makeBridge, type PushChannel } from '../../src/common/bridge.js';

type Listener = { channel: PushChannel; fn: (payload: unknown) => void };
const w = globalThis as unknown as Record<string, unknown> & { __rpaInvoke: (channel: string, request: unknown) => Promise<unknown> };
const listeners = new Set<Listener>();

Object.defineProperty(globalThis, '__rpaPush', {
  value: (channel: PushChannel, payload: unknown) => {
    for (const l of listeners) if (l.channel === channel) l.fn(payload);
  },
});
Object.defineProperty(globalThis, BRIDGE_GLOBAL, {
  value: Object.freeze(
    makeBridge({
      invoke: (channel, request) => w.__rpaInvoke(channel, request),
      subscribe(channel, fn) {
        const l = { channel, fn };
        listeners.add(l);
        return () => listeners.delete(l);
      },
    }),
  ),
  enumerable: true,
});
