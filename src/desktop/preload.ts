/**
 * Preload for the sandboxed status window: exposes `window.rpa`, one function per bridge message
 * (src/common/bridge.ts), through contextBridge. ipcRenderer itself is never exposed (CONVENTIONS.md).
 * Bundled to one CommonJS file by scripts/build-renderer.mjs (a sandboxed preload cannot import files).
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { BRIDGE_GLOBAL, makeBridge } from '../common/bridge.js';

contextBridge.exposeInMainWorld(
  BRIDGE_GLOBAL,
  makeBridge({
    invoke: (channel, request) => ipcRenderer.invoke(channel, request),
    subscribe(channel, listener) {
      // The event object (with its sender) is dropped: the page only sees the payload.
      const handler = (_e: IpcRendererEvent, payload: unknown) => listener(payload);
      ipcRenderer.on(channel, handler);
      return () => {
        ipcRenderer.removeListener(channel, handler);
      };
    },
  }),
);
