/** What every page gets from the shell, and what it gives back. */
import type { LiveStream } from '../live.js';
import type { WhoAmI } from '../types.js';

export interface PageContext {
  /** the <main> region the page renders into */
  root: HTMLElement;
  live: LiveStream;
  me: WhoAmI;
  /** route parameters (e.g. the rollout id) */
  params: string[];
  /** polite announcement for screen readers (the shell's live region) */
  announce(text: string): void;
  /** set when the page's first data is on screen (benchmarks and tests wait for it) */
  painted(): void;
}

/** A page renders, subscribes to live events, and returns its cleanup. */
export type Page = (ctx: PageContext) => Promise<() => void> | (() => void);

/**
 * Which actions a role may take — the server's ROLE_GRANTS (src/fleet/api/routes.ts) mirrored for the
 * buttons only: an approver approves but does not start, pause or abort; the server enforces it anyway.
 */
const GRANTS: Record<WhoAmI['role'], readonly string[]> = { viewer: ['viewer'], operator: ['viewer', 'operator'], approver: ['viewer', 'approver'] };

export function may(me: WhoAmI, needs: 'viewer' | 'operator' | 'approver'): boolean {
  return GRANTS[me.role].includes(needs);
}
