/**
 * `rpa-fleet --controller URL status [--watch]` (issue 19 §1: every task from another machine): the
 * fleet at a glance from GET /api/v1/fleet, drawn as the local verb draws it. `--watch` polls again
 * every `--interval` (default 2 s, as the local verb), one request at a time, until interrupted; a
 * failed poll (the controller restarting, the network) is reported and retried, but a refusal of
 * the caller (unauthenticated, token revoked, forbidden) ends it with exit 1, as any remote verb.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { toAgentError, type ErrorCode } from '../../../common/errors.js';
import type { Attachment } from '../../../fleet/controller/heartbeat.js';
import { describeDetached, isoMinute } from '../../../fleet/controller/heartbeat.js';
import type { RolloutRow } from '../../../fleet/controller/store.js';
import type { FleetSnapshot } from '../../../fleet/api/snapshot.js';
import { parseDuration, type AnyCommand, type CommandIO } from '../../command.js';
import { describeRollout } from '../rollout.js';
import { renderSnapshot } from '../status.js';
import type { ApiClient } from './client.js';
import { remoteVerb, type Connect } from './read-commands.js';

type Fleet = FleetSnapshot & { rollouts: RolloutRow[]; controller: Attachment; yanked: { agentId: string; role: string; model: string; reason: string }[] };

/** the caller itself is refused: polling again cannot help */
const FATAL: readonly ErrorCode[] = ['unauthenticated', 'token_revoked', 'forbidden', 'bad_argument'];
export const MIN_INTERVAL_MS = 500;

export interface RemoteStatusArgs {
  sinceMs?: number;
  watch: boolean;
  intervalMs: number;
  json: boolean;
}

/** Pure: the status flags → arguments, or a usage message. */
export function remoteStatusArgs(values: Record<string, unknown>, json: boolean): RemoteStatusArgs | string {
  const text = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  if (text('since') !== undefined && text('since-ms') !== undefined) return 'give --since or --since-ms, not both';
  let sinceMs: number | undefined;
  if (text('since') !== undefined) {
    sinceMs = parseDuration(text('since')!);
    if (!sinceMs) return '--since is a duration (e.g. 5m)';
  } else if (text('since-ms') !== undefined) {
    sinceMs = Number(text('since-ms'));
    if (!Number.isInteger(sinceMs) || sinceMs < 1) return '--since-ms is a positive number of milliseconds';
  }
  const watch = values['watch'] === true;
  const intervalMs = text('interval') !== undefined ? parseDuration(text('interval')!) : 2000;
  if (intervalMs === undefined || intervalMs < MIN_INTERVAL_MS) return `--interval is a duration of at least ${MIN_INTERVAL_MS}ms (e.g. 2s)`;
  if (text('interval') !== undefined && !watch) return '--interval needs --watch';
  return { ...(sinceMs !== undefined ? { sinceMs } : {}), watch, intervalMs, json };
}

function draw(f: Fleet, a: RemoteStatusArgs, io: CommandIO): void {
  if (a.json) {
    io.out(JSON.stringify({ ok: true, ...f }));
    return;
  }
  if (a.watch && io.isTTY) io.out('\x1b[2J\x1b[H');
  const att = f.controller;
  const line = att.kind === 'attached' ? `controller: ${att.heartbeat.instanceId} on ${att.heartbeat.host} (up since ${isoMinute(att.heartbeat.startedAt)})` : `controller: ${describeDetached(att)}`;
  io.out(renderSnapshot(f, f.rollouts.map((r) => describeRollout(r, { attachment: att })), line));
  // [issue 16 §3] agents still running a yanked model
  for (const y of f.yanked) io.out(`YANKED ${y.model} (${y.role}) still runs on ${y.agentId}: ${y.reason}`);
}

export async function runRemoteStatus(api: ApiClient, a: RemoteStatusArgs, io: CommandIO): Promise<number> {
  for (;;) {
    try {
      draw(await api.get<Fleet>('/fleet', { sinceMs: a.sinceMs }), a, io);
    } catch (e) {
      const err = toAgentError(e);
      if (!a.watch || FATAL.includes(err.code)) throw err;
      io.err(`error[${err.code}]: ${err.message} (trying again in ${a.intervalMs / 1000} s)`);
    }
    if (!a.watch || io.signal?.aborted) return 0;
    await sleep(a.intervalMs, undefined, io.signal ? { signal: io.signal } : {}).catch(() => undefined);
    if (io.signal?.aborted) return 0;
  }
}

export function remoteStatus(connect: Connect): AnyCommand {
  return remoteVerb(
    'status',
    'fleet at a glance',
    `[--watch [--interval 2s]] [--since 5m | --since-ms 300000] [--json]

  --watch      draw again every --interval (default 2 s) until interrupted (--json: one line per poll)
  --since D    metrics look-back for p95 and error rate (default 5m)`,
    { 'since-ms': { type: 'string' }, since: { type: 'string' }, watch: { type: 'boolean' }, interval: { type: 'string' } },
    0,
    connect,
    async (api, c, io) => runRemoteStatus(api, remoteStatusArgs(c.values, c.json) as RemoteStatusArgs, io),
    (c) => {
      const r = remoteStatusArgs(c.values, c.json);
      return typeof r === 'string' ? r : undefined;
    },
  );
}
