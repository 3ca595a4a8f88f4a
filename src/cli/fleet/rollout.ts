/**
 * `rpa-fleet rollout start|status|approve|pause|resume|abort` (issue 6). These verbs write and read
 * the controller's SQLite file; the running controller (`rpa-fleet controller`) signs and publishes
 * the releases. `--follow` shows live progress until the rollout ends.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentError } from '../../common/errors.js';
import { controlRollout, startRollout, TERMINAL_STATES, type RolloutAction } from '../../fleet/controller/controller.js';
import { phasesOf, type RolloutSpec, type Verdict } from '../../fleet/controller/judge.js';
import { specFromBody } from '../../fleet/api/rollout-ops.js';
import { rolloutStartBodyFromFlags, rolloutStartOptions } from './rollout-flags.js';
export { rolloutStartBodyFromFlags, rolloutStartOptions };
import type { ControllerStore, LogRow, RolloutRow } from '../../fleet/controller/store.js';
import { parseFlags, reportError, type Command, type CommandIO, type Parsed, type AnyCommand } from '../command.js';
import { ApprovalStore } from '../../fleet/approvals/approval-store.js';
import { ModelRegistry } from '../../fleet/registry/registry.js';
import { assertNotYanked, resolveForRelease } from '../../fleet/registry/resolve.js';
import { actorOf, auditHelp, auditOptions, parseAuditFlags, recordAction, type AuditFlags } from './audit.js';
import { brokerOptions, connectFromFlags, parseBrokerFlags, trustFromFile, type BrokerFlags } from './connect.js';
import { enforceQualityGate } from '../../fleet/quality-gate.js';
import { brokerManifests, enforceAgentFeatures } from '../../fleet/agent-features-gate.js';
import { dbHelp, dbOption, dbPath, withFleetStore } from './db.js';
import { modelLabels } from './model-labels.js';
import { rolloutEndedAt } from '../../fleet/controller/wave-clock.js';
import { ControllerHeartbeats, describeDetached, isoMinute, type Attachment } from '../../fleet/controller/heartbeat.js';

export interface RolloutStartArgs {
  spec: Omit<RolloutSpec, 'stable'> & { stable?: string };
  /** `name@version` given as --candidate: resolved to a modelId on the broker before recording */
  candidateRef?: string;
  broker?: BrokerFlags;
  /** trust file: the models keys that verify provenance for a gated channel (walked to the trust in force) */
  trust?: string;
  db: string;
  follow: boolean;
  json: boolean;
  /** signed approvals each gated wave needs (issue 16 §4); 0 = none */
  approvals: number;
  twoPerson: boolean;
  audit: AuditFlags;
}

export function parseRolloutStart(argv: string[]): Parsed<RolloutStartArgs> {
  const r = parseFlags(argv, { ...dbOption, ...brokerOptions, ...rolloutStartOptions, ...auditOptions, trust: { type: 'string' }, follow: { type: 'boolean' }, json: { type: 'boolean' } });
  if (r.kind !== 'ok') return r;
  const v = r.values;
  const b = rolloutStartBodyFromFlags(v);
  if (!b.ok) return { kind: 'error', message: b.message };
  const body = b.body;
  let candidateRef: string | undefined;
  let broker: BrokerFlags | undefined;
  if (!/^[0-9a-f]{64}$/.test(body.candidate)) {
    const bf = parseBrokerFlags(v);
    if (!bf.ok) return { kind: 'error', message: `--candidate ${body.candidate} is resolved on the broker: ${bf.message}` };
    candidateRef = body.candidate;
    broker = bf.value;
  } else if (v['broker'] !== undefined) {
    // a gated channel's evidence is read from the broker (issue 20 §4)
    const bf = parseBrokerFlags(v);
    if (!bf.ok) return { kind: 'error', message: bf.message };
    broker = bf.value;
  }
  const trust = typeof v['trust'] === 'string' ? v['trust'] : undefined;
  const audit = parseAuditFlags(v);
  if (!audit.ok) return { kind: 'error', message: audit.message };
  const approvals = body.approvals ?? 0;
  return { kind: 'ok', value: { spec: specFromBody(body, body.candidate), ...(candidateRef ? { candidateRef } : {}), ...(broker ? { broker } : {}), ...(trust ? { trust } : {}), db: dbPath(v), follow: v['follow'] === true, json: v['json'] === true, approvals, twoPerson: body.twoPerson === true, audit: audit.value } };
}

// ---- presentation ------------------------------------------------------------------------------------

/** What the CLI knows besides the row: whether a controller is attached to the database. */
export interface RolloutContext {
  attachment?: Attachment;
  db?: string;
  /** names models (name@version: model-labels.ts); default: the short modelId */
  label?: (modelId: string) => string;
}

export function rolloutContext(store: ControllerStore, db: string, now = Date.now()): RolloutContext {
  return { attachment: new ControllerHeartbeats(store.db).attachment(now), db, label: modelLabels(store) };
}

export function describeRollout(r: RolloutRow, ctx: RolloutContext = {}): string {
  const phases = phasesOf(r.spec);
  const p = phases[r.phase];
  const where = p ? `${p.shadow ? 'shadow' : 'wave'} ${r.phase + 1}/${phases.length} at ${p.percent} %` : 'not started';
  const latest = r.result?.['latest'] as Verdict | undefined;
  const terminal = TERMINAL_STATES.includes(r.state);
  const label = ctx.label ?? ((id: string) => `${id.slice(0, 12)}…`);
  const lines = [
    `${r.id}  ${r.state.toUpperCase()}  ${r.spec.channel}/${r.spec.role}  ${label(r.spec.stable)} → ${label(r.spec.candidate)}  ${where}`,
    `  created ${isoMinute(r.createdAt)}${terminal ? `, ended ${isoMinute(rolloutEndedAt(r))}` : ''}`,
    ...(r.spec.selector || r.spec.windows?.length
      ? [`  targets ${r.spec.selector ? `agents matching ${r.spec.selector}` : 'every agent'} on ${r.spec.channel}${r.spec.windows?.length ? `; advances only in ${r.spec.windows.join('; ')}` : ''}`]
      : []),
    `  waves ${r.spec.waves.join(',')}${r.spec.shadowFirst ? ' (shadow first)' : ''}  min ${Math.round(r.spec.waveMinDurationMs / 1000)} s/wave  gates: errors ≤ ${(r.spec.maxErrorRate * 100).toFixed(2)} %, p95 ≤ ${r.spec.maxP95Ms} ms${r.spec.maxP95RatioToStable ? ` and ≤ ${r.spec.maxP95RatioToStable}× stable` : ''}${r.spec.minAgreement !== undefined ? `, agreement ≥ ${r.spec.minAgreement}` : ''}`,
  ];
  if (latest && !TERMINAL_STATES.includes(r.state)) {
    const s = latest.summary;
    lines.push(
      `  canary: ${s.activated}/${s.expectedCanary} activated, ${s.canary.agents} reporting, ${s.canary.count} requests, errors ${(s.canary.errorRate * 100).toFixed(2)} %, p95 ${s.canary.p95.toFixed(1)} ms | stable p95 ${s.stable.p95.toFixed(1)} ms${s.shadow ? ` | shadow agreement ${s.shadow.agreement.toFixed(3)} (${s.shadow.samples} samples)` : ''}`,
      `  ${latest.kind === 'wait' ? `holding (${latest.code}): ` : latest.kind + ': '}${latest.reasons.join('; ')}`,
    );
  }
  if (r.state === 'rolled_back' || r.state === 'aborted') {
    const v = r.result?.['verdict'] as Verdict | undefined;
    lines.push(`  ${r.state === 'aborted' ? 'aborted' : 'rolled back'}: ${v ? v.reasons.join('; ') : String(r.result?.['reason'] ?? '')}${r.result?.['confirmMs'] !== undefined ? `; every agent back on stable ${r.result['confirmMs']} ms after the rollback release` : ''}`);
  }
  if (r.state === 'awaiting_approval') lines.push(`  approve with: rpa-fleet rollout approve ${r.id} (--key APPROVER.key --trust trust.json when it was started with --approvals)`);
  if (r.state === 'paused') lines.push(`  paused: the wave clock is stopped (paused time does not count toward the wave's minimum); resume with: rpa-fleet rollout resume ${r.id}`);
  const detached = !terminal && ctx.attachment ? describeDetached(ctx.attachment, ctx.db) : undefined;
  if (detached) lines.push(`  ${detached}`);
  return lines.join('\n');
}

export function describeLog(l: LogRow): string {
  const t = isoMinute(l.ts);
  const d = l.data;
  const reasonsOf = (v: unknown) => ((v as Verdict | undefined)?.reasons ?? []).join('; ');
  switch (l.kind) {
    case 'created': {
      const spec = d['spec'] as RolloutSpec | undefined;
      return spec ? `${t} created: ${spec.channel}/${spec.role} ${spec.stable.slice(0, 12)}… → ${spec.candidate.slice(0, 12)}…, waves ${spec.waves.join(',')}${spec.shadowFirst ? ' (shadow first)' : ''}` : `${t} created`;
    }
    case 'awaiting_approval':
      return `${t} phase ${Number(d['phase']) + 1} passed (${reasonsOf(d['verdict'])}); waiting for approval`;
    case 'approve':
    case 'pause':
    case 'resume':
    case 'abort':
      return `${t} ${{ approve: 'approved', pause: 'paused (wave clock stopped)', resume: 'resumed', abort: 'abort requested' }[l.kind]}${d['actor'] ? ` by ${String(d['actor'])}` : ''}${d['reason'] ? `: ${String(d['reason'])}` : ''}`;
    case 'completed':
      return `${t} COMPLETED: the candidate is stable (release seq ${d['releaseSeq']})`;
    case 'aborted':
      return `${t} ABORTED${d['releaseSeq'] !== undefined ? ` (release seq ${d['releaseSeq']})` : ''}: ${String(d['reason'] ?? reasonsOf(d['verdict']))}`;
    case 'failed':
      return `${t} FAILED: ${String(d['reason'] ?? '')}`;
    case 'error': {
      const e = d['error'] as { code?: string; message?: string } | undefined;
      return `${t} controller error${e?.code ? `[${e.code}]` : ''}: ${e?.message ?? ''}`;
    }
    case 'phase_started':
      return `${t} ${d['shadow'] ? 'shadow' : 'wave'} ${d['percent']} % published (release seq ${d['releaseSeq']})`;
    case 'progress':
      return `${t} ${d['verdict']}${d['code'] ? ` (${d['code']})` : ''}: ${(d['reasons'] as string[]).join('; ')}`;
    case 'phase_passed':
      return `${t} phase ${Number(d['phase']) + 1} passed: ${((d['verdict'] as Verdict).reasons ?? []).join('; ')}`;
    case 'rolled_back':
      return `${t} ROLLED BACK (release seq ${d['releaseSeq']}): ${((d['verdict'] as Verdict | undefined)?.reasons ?? []).join('; ')}`;
    case 'rollback_confirmed':
      return `${t} every agent back on stable (${d['confirmMs']} ms after the rollback release)`;
    default: {
      // a kind this version does not know: its plain fields, never raw JSON
      const fields = Object.entries(d).filter(([, v]) => v === null || typeof v !== 'object').map(([k, v]) => `${k}=${String(v)}`);
      return `${t} ${l.kind.replace(/_/g, ' ')}${fields.length ? ' ' + fields.join(' ') : ''}`;
    }
  }
}

async function follow(store: ControllerStore, id: string, io: CommandIO, json: boolean, db?: string): Promise<number> {
  let after = 0;
  let warned = false;
  for (;;) {
    for (const l of store.logOf(id, after)) {
      after = l.id;
      io.out(json ? JSON.stringify(l) : describeLog(l));
    }
    const r = store.rollout(id)!;
    if (TERMINAL_STATES.includes(r.state)) {
      if (!json) io.out(describeRollout(r, { label: labeller(store) }));
      return r.state === 'completed' ? 0 : 1;
    }
    // Say once (and again after a controller came back and left) when nothing will act on the rollout.
    const detached = describeDetached(rolloutContext(store, db ?? '').attachment!, db);
    if (detached && !warned) io.out(json ? JSON.stringify({ warning: 'no_controller', message: detached }) : `${isoMinute(Date.now())} ${detached}`);
    warned = detached !== undefined;
    if (io.signal?.aborted) return 0;
    await sleep(1000, undefined, io.signal ? { signal: io.signal } : {}).catch(() => undefined);
  }
}

export const withStore = withFleetStore;

/** name@version for the views (model-labels.ts) */
function labeller(store: ControllerStore): (modelId: string) => string {
  return modelLabels(store);
}

/** The milestones of a rollout's log, and only the last few progress lines (they repeat every few seconds). */
export function historyOf(log: readonly LogRow[], progressLines = 3): LogRow[] {
  const progress = log.filter((l) => l.kind === 'progress').slice(-progressLines);
  return log.filter((l) => l.kind !== 'progress' || progress.includes(l));
}

const start: Command<RolloutStartArgs> = {
  name: 'rollout start',
  summary: 'start a wave rollout of a candidate model (the controller runs it)',
  help: `--channel C --role R --candidate MODEL_ID|NAME@VERSION [--broker URL] [--waves 1,5,25,50,100] [--wave-min-duration 30m]
       [--min-agents 20] [--max-error-rate 0.01] [--max-p95-ms 100] [--max-p95-ratio 1.5]
       [--min-agreement 0.9 --shadow-first [--shadow-percent P]] [--approve-each-wave] [--approvals N [--two-person]] [--follow] [--db FILE]
       [--selector 'site=berlin,dept in (finance,hr)'] [--window 'Mon-Fri 22:00-05:00 UTC' ...]

Records the rollout in the controller's database; the running controller signs and publishes each
wave's release, judges the canary cohort against the stable cohort, advances, waits for approval
(--approve-each-wave) or rolls back automatically, recording the evidence.

Options:
  --candidate NAME@VERSION  is looked up on the broker (--broker and the broker options of \`release publish\`)
  --stable MODEL_ID       the model to return to (default: the channel release's current stable)
  --min-agents N          canary agents that must activate and report per wave, or the whole cohort
                          when it is smaller (default 20, at least 1)
  --min-requests N        canary requests per wave before it can pass or a gate be judged (default 50);
                          short of agents or requests the wave holds: insufficient_evidence
  --selector S            target only agents of the channel whose config labels match
                          (key=value, key in (a,b), comma = and); agents evaluate it themselves
  --window W              maintenance window, repeatable: waves advance only inside one
                          ("DAYS HH:MM-HH:MM [UTC|+HH:MM]", e.g. "Mon-Fri 22:00-05:00 UTC")
  --approvals N           each wave but the last waits for N approvals signed by DISTINCT keys of the
                          approvers role in the controller's --trust file (rollout approve --key)
  --two-person            whoever starts the rollout (the actor) cannot approve it
  --breach-lookback D     window for breach detection (default 2m)
  --release-ttl D         expiry of each published release (default 30d)
  --trust FILE            trust file (its models keys, after any rotation) for a gated channel's evidence
  --follow                print progress until the rollout ends (exit 0 completed, 1 otherwise)
  --json                  machine-readable output
${auditHelp}

A yanked candidate is refused (model_yanked). On a channel with a quality gate (channel set
--min-quality) the candidate's signed provenance is read from --broker and verified with the models
keys of --trust: quality_gate_failed (measured < required, and the evaluation set) or
provenance_missing refuse the rollout before it is recorded.

Example:
  rpa-fleet rollout start --channel prod --role detector --candidate 3f1c…e9 --waves 1,5,25,50,100 \\
      --wave-min-duration 30m --min-agents 20 --max-error-rate 0.01 --max-p95-ms 100 --follow`,
  parse: parseRolloutStart,
  async run(a, io) {
    return withStore(a.db, async (store) => {
      const registry = new ModelRegistry(store.db);
      a = await admitRolloutStart(store, registry, a, io);
      const actor = actorOf(a.audit, io);
      const approvals = new ApprovalStore(store.db);
      const id = store.db.transaction(() => {
        const rid = startRollout(store, a.spec, Date.now());
        if (a.approvals > 0) approvals.setPolicy({ rolloutId: rid, required: a.approvals, twoPerson: a.twoPerson, startedBy: actor });
        return rid;
      })();
      const r = store.rollout(id)!;
      const label = (m: string) => registry.label(m);
      recordAction(store.db, a.audit, io, 'rollout.start', { channel: r.spec.channel, role: r.spec.role, candidate: label(r.spec.candidate), candidateId: r.spec.candidate, stable: label(r.spec.stable), waves: r.spec.waves, approvals: a.approvals, twoPerson: a.twoPerson }, id);
      io.out(a.json ? JSON.stringify({ ok: true, rollout: r, approvals: { required: a.approvals, twoPerson: a.twoPerson, startedBy: actor } }) : `rollout ${id} recorded; the controller publishes wave 1 (${phasesOf(r.spec)[0]!.percent} %) on its next tick${a.approvals ? `; each wave but the last needs ${a.approvals} signed approval(s)${a.twoPerson ? `, not by ${actor}` : ''}` : ''}`);
      if (!a.json && !a.follow) {
        // (--follow says it itself, and again if the controller goes away later)
        const detached = describeDetached(rolloutContext(store, a.db).attachment!, a.db);
        if (detached) io.out(detached);
      }
      return a.follow ? follow(store, id, io, a.json, a.db) : 0;
    });
  },
};

/**
 * Before anything is recorded: the candidate resolved (a name on the broker; a yanked one refused) and
 * the channel's quality gate checked with the one rule every path uses (quality-gate.ts, issue 20 §4),
 * and, with a broker, the capability gate (agent-features-gate.ts).
 */
async function admitRolloutStart(store: ControllerStore, registry: ModelRegistry, a: RolloutStartArgs, io: CommandIO): Promise<RolloutStartArgs> {
  // with a broker the candidate's manifest is read for the capability gate too; without one the
  // controller applies that gate before the first wave (agent-features-gate.ts)
  if (!a.broker) {
    assertNotYanked(registry, a.spec.candidate);
    await enforceQualityGate(store.db, a.spec.channel, [{ role: a.spec.role, modelId: a.spec.candidate }], undefined);
    return a;
  }
  const client = await connectFromFlags(a.broker, io);
  try {
    const modelsTrust = await trustFromFile(a.trust, 'models', client, a.broker.prefix);
    const candidate = a.candidateRef ? (await resolveForRelease(client, registry, a.candidateRef, a.spec.role, { prefix: a.broker.prefix, ...(modelsTrust ? { trust: modelsTrust } : {}) }, io.err)).entry.modelId : a.spec.candidate;
    if (!a.candidateRef) assertNotYanked(registry, candidate);
    await enforceQualityGate(store.db, a.spec.channel, [{ role: a.spec.role, modelId: candidate }], { client, modelsTrust, prefix: a.broker.prefix });
    await enforceAgentFeatures(store.db, a.spec.channel, [{ role: a.spec.role, modelId: candidate }], brokerManifests(client, { prefix: a.broker.prefix, trust: modelsTrust }));
    return { ...a, spec: { ...a.spec, candidate } };
  } finally {
    await client.endAsync();
  }
}

interface IdArgs {
  id?: string;
  db: string;
  follow: boolean;
  json: boolean;
  audit?: AuditFlags;
}

function parseId(argv: string[], needId: boolean): Parsed<IdArgs> {
  const r = parseFlags(argv, { ...dbOption, follow: { type: 'boolean' }, json: { type: 'boolean' }, ...(needId ? auditOptions : {}) }, true);
  if (r.kind !== 'ok') return r;
  const id = r.positionals[0];
  if (needId && !id) return { kind: 'error', message: 'a rollout id is required' };
  if (r.positionals.length > 1) return { kind: 'error', message: 'one rollout id at a time' };
  const audit = parseAuditFlags(r.values);
  if (!audit.ok) return { kind: 'error', message: audit.message };
  return { kind: 'ok', value: { ...(id ? { id } : {}), db: dbPath(r.values), follow: r.values['follow'] === true, json: r.values['json'] === true, ...(needId ? { audit: audit.value } : {}) } };
}

const status: Command<IdArgs> = {
  name: 'rollout status',
  summary: 'show rollouts (or one, with --follow for live progress)',
  help: `[ROLLOUT_ID] [--follow] [--db FILE] [--json]`,
  parse: (argv) => parseId(argv, false),
  async run(a, io) {
    return withStore(a.db, async (store) => {
      if (a.id) {
        const r = store.rollout(a.id);
        if (!r) return reportError(new AgentError('not_found', `no rollout ${a.id}`), io, a.json);
        if (a.follow) return follow(store, a.id, io, a.json, a.db);
        const ctx = rolloutContext(store, a.db);
        if (a.json) io.out(JSON.stringify({ ok: true, rollout: r, controller: ctx.attachment, log: store.logOf(a.id).slice(-50) }));
        else io.out(`${describeRollout(r, ctx)}\n  history:\n${historyOf(store.logOf(a.id)).map((l) => `    ${describeLog(l)}`).join('\n')}`);
        return 0;
      }
      const all = store.rollouts();
      const ctx = rolloutContext(store, a.db);
      if (a.json) io.out(JSON.stringify({ ok: true, rollouts: all, controller: ctx.attachment }));
      else io.out(all.length ? all.map((r) => describeRollout(r, ctx)).join('\n\n') : 'no rollouts');
      return 0;
    });
  },
};

function action(name: RolloutAction, summary: string): Command<IdArgs> {
  return {
    name: `rollout ${name}`,
    summary,
    help: `ROLLOUT_ID [--reason TEXT] [--actor NAME] [--db FILE] [--json]\n${auditHelp}`,
    parse: (argv) => parseId(argv, true),
    async run(a, io) {
      return withStore(a.db, async (store) => {
        const r = controlRollout(store, a.id!, name, Date.now());
        recordAction(store.db, a.audit!, io, `rollout.${name}`, { state: r.state, phase: r.phase }, r.id);
        io.out(a.json ? JSON.stringify({ ok: true, rollout: r }) : `${name}: ${describeRollout(r, { label: labeller(store) })}`);
        return 0;
      });
    },
  };
}

export const commands: AnyCommand[] = [
  start,
  status,
  // `rollout approve` (signed approvals) lives in rollout-approve.ts
  action('pause', 'hold a rollout at its current wave (breaches still roll back)'),
  action('resume', 'continue a paused rollout'),
  action('abort', 'stop a rollout and return the channel to stable'),
];
