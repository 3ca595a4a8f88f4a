/**
 * The status window's two policy decisions, without Electron (tested in Node; window.ts applies them):
 * devtools exist only in a development build, and the session loads nothing but the app's own origin.
 */
import { APP_ORIGIN } from '../common/bridge-names.js';

/**
 * Devtools only when the app is not packaged (issue 17 §3), and there only when asked for with
 * RPA_DESKTOP_DEVTOOLS=1: a packaged app ignores the variable, so no one at a workstation can open a
 * console with the bridge inside the agent's window.
 */
export function devToolsAllowed(packaged: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  if (packaged) return false;
  return env['RPA_DESKTOP_DEVTOOLS'] === '1';
}

/** Nothing loads from the network: the app protocol only, plus devtools' own pages where devtools are allowed. */
export function requestAllowed(url: string, devTools: boolean): boolean {
  return url.startsWith(APP_ORIGIN) || (devTools && url.startsWith('devtools://'));
}
