/**
 * The zod-free constants of the preload bridge (src/common/bridge.ts re-exports them). Kept apart so the
 * status window's browser bundle can import them without pulling in the schema library.
 */

/** The name under which the preload exposes the bridge (contextBridge.exposeInMainWorld). */
export const BRIDGE_GLOBAL = 'rpa';

/** "Pause detection for 15 min" (issue 7 §2). */
export const PAUSE_MINUTES_DEFAULT = 15;

/** The status window is served from this custom protocol, never file:// (Electron security checklist §18). */
export const APP_SCHEME = 'rpa';
export const APP_ORIGIN = `${APP_SCHEME}://status/`;
