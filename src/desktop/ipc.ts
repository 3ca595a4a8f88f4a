/**
 * Wires the bridge contract to ipcMain: one handler per channel of IPC_CHANNELS, each through the
 * dispatcher that checks the sender frame's URL (checklist §17) and validates the payload. Pushes go
 * through `pushStatus` only (GitHub Desktop bans raw webContents.send elsewhere).
 */
import type { IpcMain, WebContents } from 'electron';
import { APP_ORIGIN } from '../common/bridge-names.js';
import { createIpcDispatcher, IPC_CHANNELS, PUSH_CHANNELS, type IpcHandlers, type StatusSnapshot } from '../common/bridge.js';

export function registerIpcHandlers(ipcMain: IpcMain, handlers: IpcHandlers, onRefused?: (channel: string, url: string | undefined, e: Error) => void): () => void {
  const dispatch = createIpcDispatcher(handlers, APP_ORIGIN);
  const channels = Object.keys(IPC_CHANNELS);
  for (const channel of channels) {
    ipcMain.handle(channel, async (event, payload: unknown) => {
      const url = event.senderFrame?.url;
      try {
        return await dispatch(url, channel, payload);
      } catch (e) {
        onRefused?.(channel, url, e as Error);
        throw e;
      }
    });
  }
  return () => {
    for (const channel of channels) ipcMain.removeHandler(channel);
  };
}

export function pushStatus(wc: WebContents, snapshot: StatusSnapshot): void {
  if (wc.isDestroyed()) return;
  // Only to our own page: a frame that somehow left the app origin gets nothing.
  if (!wc.getURL().startsWith(APP_ORIGIN)) return;
  wc.send('status:changed', PUSH_CHANNELS['status:changed'].parse(snapshot));
}
