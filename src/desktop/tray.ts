/**
 * The tray icon: image, tooltip and menu come from the pure trayViewOf / trayMenuOf
 * (src/common/tray-state.ts); this file only turns them into Electron objects. Windows gets the .ico
 * (several sizes in one file), Linux and macOS the PNG (macOS: a template-free 32 px PNG).
 */
import { join } from 'node:path';
import { Menu, Tray, nativeImage, type MenuItemConstructorOptions } from 'electron';
import type { StatusSnapshot } from '../common/bridge.js';
import { trayMenuOf, trayViewOf, type TrayAction, type TrayState } from '../common/tray-state.js';

export interface TrayDeps {
  iconDir: string;
  platform: NodeJS.Platform;
  onAction(action: TrayAction): void;
  formatTime?: (iso: string) => string;
}

export function trayIconPath(iconDir: string, state: TrayState, platform: NodeJS.Platform): string {
  return join(iconDir, platform === 'win32' ? `tray-${state}.ico` : `tray-${state}.png`);
}

export function createTray(initial: StatusSnapshot, deps: TrayDeps): { update(s: StatusSnapshot): void; dispose(): void } {
  const opts = deps.formatTime ? { formatTime: deps.formatTime } : {};
  let view = trayViewOf(initial, opts);
  const tray = new Tray(nativeImage.createFromPath(trayIconPath(deps.iconDir, view.state, deps.platform)));
  tray.setToolTip(view.tooltip);
  // A left click opens the window on Windows, where that is what people expect from a tray icon.
  tray.on('click', () => deps.onAction('open-status'));
  let lastMenuKey = '';
  const update = (s: StatusSnapshot) => {
    const next = trayViewOf(s, opts);
    if (next.state !== view.state) tray.setImage(nativeImage.createFromPath(trayIconPath(deps.iconDir, next.state, deps.platform)));
    if (next.tooltip !== view.tooltip) tray.setToolTip(next.tooltip);
    view = next;
    const items = trayMenuOf(s, opts);
    const key = JSON.stringify(items);
    if (key === lastMenuKey) return; // rebuilding an open menu on Windows closes it: only on change
    lastMenuKey = key;
    const template: MenuItemConstructorOptions[] = items.map((i) =>
      i.kind === 'separator' ? { type: 'separator' } : { label: i.label, enabled: i.enabled, click: () => deps.onAction(i.action) },
    );
    tray.setContextMenu(Menu.buildFromTemplate(template));
  };
  update(initial);
  return {
    update,
    dispose: () => tray.destroy(),
  };
}
