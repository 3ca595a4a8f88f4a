/**
 * Operations the CLI and the API perform on the controller's shared SQLite file (split out of controller.ts,
 * issue 18: files under 400 lines): a new rollout recorded for the controller to pick up, and the guarded state
 * changes (approve, pause, resume, abort) the controller then acts on.
 */
import { randomBytes } from 'node:crypto';
import { AgentError } from '../../common/errors.js';
import { parseSelector } from '../../common/selector.js';
import { validateWaves, type RolloutSpec } from './judge.js';
import { parseMaintenanceWindow } from './maintenance.js';
import type { ControllerStore, RolloutRow } from './store.js';

export function newRolloutId(now: number): string {
  return `ro-${new Date(now).toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(3).toString('hex')}`;
}

/**
 * Records a new rollout for the controller to pick up. `stable` defaults to the stable model of the
 * channel's current release, as the controller last saw it.
 */
export function startRollout(store: ControllerStore, spec: Omit<RolloutSpec, 'stable'> & { stable?: string }, now: number, id = newRolloutId(now)): string {
  const bad = validateWaves(spec.waves);
  if (bad) throw new AgentError('bad_argument', bad);
  if (spec.selector !== undefined) parseSelector(spec.selector); // throws bad_argument naming the bad part
  for (const w of spec.windows ?? []) parseMaintenanceWindow(w);
  const stable = spec.stable ?? store.release(spec.channel)?.roles[spec.role]?.stable;
  if (!stable) throw new AgentError('not_found', `no release with a stable ${spec.role} is known on channel ${spec.channel}; publish one first or pass --stable`);
  if (stable === spec.candidate) throw new AgentError('bad_argument', 'the candidate is already the stable model');
  const active = store.rollouts({ active: true }).find((r) => r.spec.channel === spec.channel);
  if (active) throw new AgentError('bad_argument', `rollout ${active.id} is already active on channel ${spec.channel}`);
  store.insertRollout(id, { ...spec, stable }, now);
  return id;
}

export type RolloutAction = 'approve' | 'pause' | 'resume' | 'abort';

/** approve | pause | resume | abort, as guarded state changes the controller then acts on. */
export function controlRollout(store: ControllerStore, id: string, action: RolloutAction, now: number): RolloutRow {
  const r = store.rollout(id);
  if (!r) throw new AgentError('not_found', `no rollout ${id}`);
  let ok = false;
  switch (action) {
    case 'approve':
      ok = store.transition(id, ['awaiting_approval', 'running'], { approved: true }, now);
      break;
    case 'pause':
      ok = store.transition(id, ['running', 'awaiting_approval'], { state: 'paused' }, now);
      break;
    case 'resume':
      ok = store.transition(id, ['paused'], { state: 'running' }, now);
      break;
    case 'abort':
      ok = store.transition(id, ['pending'], { state: 'aborted', result: { reason: 'aborted before the first release' } }, now) ||
        store.transition(id, ['running', 'awaiting_approval', 'paused'], { state: 'aborting' }, now);
      break;
  }
  if (!ok) throw new AgentError('bad_argument', `cannot ${action} rollout ${id} in state ${r.state}`);
  store.log(id, action, {}, now);
  return store.rollout(id)!;
}

