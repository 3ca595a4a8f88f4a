/**
 * The fleet rollout controller (DESIGN.md "Fleet controller"; issue 6). It subscribes to the agents'
 * topics, keeps fleet state in SQLite (ControllerStore), and drives each rollout through its waves:
 * it signs and publishes each wave's release (it holds a releases key and is the channel's only
 * writer during a rollout, seq strictly increasing), judges the canary cohort against the stable one
 * (judge.ts), advances, waits for approval, or rolls back by publishing a newer release without the
 * candidate, recording the evidence.
 *
 * Several controllers may run against one broker: metrics, events and feedback then come through an
 * MQTT 5 shared subscription (`$share/{group}/…`, split between instances), statuses through a plain
 * one (retained messages are not delivered on shared subscriptions [MQTT-4.8.2]); the instances share
 * the SQLite file and a lease picks the one that drives rollouts.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { AgentError, toAgentError } from '../../common/errors.js';
import { DEFAULT_TOPIC_PREFIX, topics as topicsOf } from '../../common/topics.js';
import type { RoleRelease } from '../../common/wire.js';
import { buildRelease, signRelease } from '../publisher.js';
import { brokerManifests, enforceAgentFeatures } from '../agent-features-gate.js';
import type { RoleTrust } from '../trust.js';
import { WindowDrops } from './drops.js';
import { IngestQueue } from './ingest.js';
import { gatherEvidence } from './evidence.js';
import { ApprovalStore } from '../approvals/approval-store.js';
import { AuditLog } from '../audit/audit-log.js';
import { approvalGate } from '../approvals/gate.js';
import { judgeWave, phasesOf, validateWaves, type Verdict } from './judge.js';
import { insideMaintenanceWindow, nextMaintenanceOpening, parseMaintenanceWindow } from './maintenance.js';
import { TERMINAL_STATES, type ControllerStore, type RolloutRow, type RolloutState } from './store.js';
import { ControllerHeartbeats } from './heartbeat.js';

import { realTimers, type ControllerOptions, type ControllerTimers } from './controller-options.js';
export type { ControllerOptions, ControllerTimers } from './controller-options.js';

/** Rolled-back rollouts are watched this long for "every canary agent back on stable". */
const CONFIRM_WATCH_MS = 3_600_000;
/** A phase's progress is logged when its reasons change, or at most this often. */
const PROGRESS_LOG_MS = 10_000;

export class FleetController {
  readonly #o: ControllerOptions;
  readonly #t;
  readonly #clock: () => number;
  readonly #timers: ControllerTimers;
  readonly #approvals: ApprovalStore;
  readonly #audit: AuditLog;
  readonly instanceId: string;
  readonly #heartbeats: ControllerHeartbeats;
  readonly startedAt: number;
  /** when the rollout loop last ran (liveness for /health) */
  lastTickAt: number | undefined;
  readonly #ingest: IngestQueue;
  #tickHandle: unknown;
  #flushHandle: unknown;
  #ticking = false;
  #closed = false;
  #lastProgress = new Map<string, { key: string; at: number }>();
  readonly #onMessage = (topic: string, payload: Buffer) => this.#ingest.receive(topic, payload);
  /** counts for /metrics */
  readonly stats = { messages: 0, invalid: 0, windows: 0, duplicates: 0, releasesPublished: 0 };
  /** metrics windows dropped, by reason (issue 16 §2: every drop is counted and logged) */
  readonly drops = new WindowDrops();

  constructor(opts: ControllerOptions) {
    if (opts.releaseKeys.length === 0) throw new AgentError('bad_argument', 'the controller needs a releases signing key');
    this.#o = opts;
    this.#t = topicsOf(opts.prefix ?? DEFAULT_TOPIC_PREFIX);
    this.#clock = opts.clock ?? Date.now;
    this.#timers = opts.timers ?? realTimers;
    this.instanceId = opts.instanceId ?? `ctl-${randomBytes(4).toString('hex')}`;
    this.#heartbeats = new ControllerHeartbeats(opts.store.db);
    this.#approvals = new ApprovalStore(opts.store.db);
    this.#audit = new AuditLog(opts.store.db);
    this.startedAt = this.#clock();
    this.#ingest = new IngestQueue({
      store: opts.store,
      trust: () => this.#releasesTrust(),
      prefix: opts.prefix ?? DEFAULT_TOPIC_PREFIX,
      clock: this.#clock,
      stats: this.stats,
      drops: this.drops,
      log: (line, data) => this.#log(line, data),
    });
  }

  /** [issue 20 §1] the releases keys in force: followed trust statements first, else the static options */
  #releasesTrust(): RoleTrust {
    return this.#o.trustInForce?.releases() ?? this.#o.trust ?? { keys: this.#o.releaseKeys.map((k) => ({ publicKey: k.publicKey })), threshold: 1 };
  }

  /** The approver keys in force (issue 20 §1: a revoked approver key stops counting at once). */
  approvers(): RoleTrust | undefined {
    return this.#o.trustInForce ? this.#o.trustInForce.approvers() : this.#o.approvers;
  }

  get tickMs(): number {
    return this.#o.tickMs ?? 1000;
  }

  get brokerConnected(): boolean {
    return this.#o.client.connected;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Writes this instance's heartbeat row (throws when the store is not writable). */
  beat(now = this.#clock()): void {
    this.#heartbeats.beat({ instanceId: this.instanceId, host: hostname(), pid: process.pid, startedAt: this.startedAt, beatAt: now, tickMs: this.tickMs });
  }

  get store(): ControllerStore {
    return this.#o.store;
  }

  async start(): Promise<void> {
    const c = this.#o.client;
    c.on('message', this.#onMessage);
    const prefix = this.#o.prefix ?? DEFAULT_TOPIC_PREFIX;
    const share = (f: string) => (this.#o.sharedGroup ? `$share/${this.#o.sharedGroup}/${f}` : f);
    await c.subscribeAsync(
      {
        [`${prefix}/agents/+/status`]: { qos: 1 },
        [share(`${prefix}/agents/+/metrics`)]: { qos: 1 },
        [share(`${prefix}/agents/+/events`)]: { qos: 1 },
        [share(`${prefix}/agents/+/feedback`)]: { qos: 1 },
        [`${prefix}/channels/+/release`]: { qos: 1 },
      },
    );
    this.#flushHandle = this.#timers.setInterval(() => this.flushIngest(), this.#o.flushMs ?? 100);
    this.#tickHandle = this.#timers.setInterval(() => void this.tick(), this.#o.tickMs ?? 1000);
  }

  #log(line: string, data?: Record<string, unknown>): void {
    this.#o.onLog?.(line, data);
  }

  /** Writes queued messages in one transaction; logs the windows dropped since the last flush (ingest.ts). */
  flushIngest(): void {
    this.#ingest.flush();
  }

  // ---- rollouts ------------------------------------------------------------------------------------

  /** One pass over every rollout. Only the lease holder drives rollouts. */
  async tick(): Promise<void> {
    if (this.#ticking || this.#closed) return;
    this.#ticking = true;
    try {
      this.flushIngest();
      const now = this.#clock();
      this.lastTickAt = now;
      try {
        this.beat(now); // "a controller is attached" for the CLI (issue 16 §5)
      } catch (e) {
        this.#log(`heartbeat not written: ${(e as Error).message}`); // /health reports the store as not writable
      }
      if (!this.#o.store.acquireLease('rollouts', this.instanceId, now, Math.max(5000, 3 * (this.#o.tickMs ?? 1000)))) return;
      for (const r of this.#o.store.rollouts({ active: true })) {
        try {
          await this.#step(r);
        } catch (e) {
          const err = toAgentError(e);
          this.#log(`rollout ${r.id}: ${err.message}`);
          this.#o.store.log(r.id, 'error', { error: err.toJSON() }, this.#clock());
        }
      }
      this.#watchRollbacks(now);
    } finally {
      this.#ticking = false;
    }
  }

  async #step(r: RolloutRow): Promise<void> {
    const store = this.#o.store;
    const spec = r.spec;
    const phases = phasesOf(spec);
    const now = this.#clock();
    if (r.state === 'pending') {
      // the first wave is an advance too: only inside a maintenance window
      if (this.#outsideWindow(r, now)) {
        const next = nextMaintenanceOpening((spec.windows ?? []).map(parseMaintenanceWindow), now);
        const reason = `first wave waits for a maintenance window (${spec.windows!.join('; ')})${next ? `, next opens ${new Date(next).toISOString()}` : ''}`;
        const last = this.#lastProgress.get(r.id);
        if (!last || last.key !== reason) {
          this.#lastProgress.set(r.id, { key: reason, at: now });
          store.log(r.id, 'progress', { phase: -1, verdict: 'wait', code: 'outside_window', reasons: [reason] }, now);
        }
        return;
      }
      const bad = validateWaves(spec.waves);
      if (bad) return this.#finish(r, ['pending'], 'failed', { reason: bad });
      const other = store.rollouts({ active: true }).find((o) => o.id !== r.id && o.spec.channel === spec.channel && o.state !== 'pending');
      if (other) return this.#finish(r, ['pending'], 'failed', { reason: `rollout ${other.id} is active on channel ${spec.channel}` });
      // [issue 20 §4] no wave names a candidate whose signed evidence fails the channel's quality gate
      const gate = await this.#o.qualityGate?.(spec.channel, spec.role, spec.candidate).then(() => undefined, (e: unknown) => toAgentError(e));
      if (gate) return this.#finish(r, ['pending'], 'failed', { reason: gate.message, code: gate.code });
      // [capability gate] no wave names a candidate that a known agent of THIS channel cannot serve
      const unsupported = await this.#featureGate(r);
      if (unsupported?.code === 'agent_unsupported') return this.#finish(r, ['pending'], 'failed', { reason: unsupported.message, code: unsupported.code });
      if (unsupported) {
        // the manifest could not be read (broker): hold this tick, like an unreadable quality gate
        const reason = `first wave held: agent features not checked: ${unsupported.message}`;
        const last = this.#lastProgress.get(r.id);
        if (!last || last.key !== reason) {
          this.#lastProgress.set(r.id, { key: reason, at: now });
          store.log(r.id, 'progress', { phase: -1, verdict: 'wait', code: 'gate_unreadable', reasons: [reason] }, now);
        }
        return;
      }
      const seq = await this.#publishPhase(r, 0);
      store.transition(r.id, ['pending'], { state: 'running', phase: 0, phaseStartedAt: now, approved: false, lastReleaseSeq: seq }, now);
      store.log(r.id, 'phase_started', { phase: 0, ...phases[0]!, releaseSeq: seq }, now);
      this.#log(`rollout ${r.id}: ${phases[0]!.shadow ? 'shadow' : 'wave'} ${phases[0]!.percent} % published (release seq ${seq})`);
      return;
    }
    if (r.state === ('aborting')) {
      await this.#rollback(r, ['aborting'], 'aborted', { reason: 'aborted by an admin' });
      return;
    }
    const phase = phases[r.phase];
    if (!phase) return;
    const verdict = this.#judge(r, now);
    if (verdict.kind === 'fail') {
      await this.#rollback(r, ['running', 'awaiting_approval', 'paused'], 'rolled_back', { verdict });
      return;
    }
    if (verdict.kind === 'pass' && this.#outsideWindow(r, now)) {
      const next = nextMaintenanceOpening((spec.windows ?? []).map(parseMaintenanceWindow), now);
      const held: Verdict = {
        kind: 'wait',
        code: 'outside_window',
        reasons: [`wave passed; waiting for a maintenance window (${spec.windows!.join('; ')})${next ? `, next opens ${new Date(next).toISOString()}` : ''}`, ...verdict.reasons],
        summary: verdict.summary,
      };
      this.#recordProgress(r, held, now);
      return;
    }
    this.#recordProgress(r, verdict, now);
    if (verdict.kind === 'wait' || r.state === 'paused') return;
    if (r.state === 'running' && spec.approveEachWave && r.phase < phases.length - 1 && !this.#approved(r, now)) {
      if (store.transition(r.id, ['running'], { state: 'awaiting_approval' }, now)) {
        store.log(r.id, 'awaiting_approval', { phase: r.phase, verdict }, now);
        this.#log(`rollout ${r.id}: wave ${phase.percent} % passed; waiting for approval`);
      }
      return;
    }
    if (r.state === 'awaiting_approval' && !this.#approved(r, now)) return;
    if (r.phase === phases.length - 1 && spec.selector) {
      // A targeted rollout ends with its candidate at 100 % of the agents its selector matches; a
      // release has one stable per role for the whole channel, so the others keep theirs.
      store.transition(r.id, ['running', 'awaiting_approval'], { state: 'completed', result: { verdict, completedAt: now, targeted: spec.selector } }, now);
      store.log(r.id, 'completed', { verdict, targeted: spec.selector }, now);
      this.#log(`rollout ${r.id}: completed; ${spec.candidate.slice(0, 12)}… runs on every agent of ${spec.channel} matching ${spec.selector}`);
      return;
    }
    // [issue 20 §4] the gate is read at use: one raised mid-rollout holds the next widening too
    if (await this.#gateHolds(r, verdict, now)) return;
    if (r.phase === phases.length - 1) {
      // Last wave passed: the candidate becomes stable (a newer release without a candidate).
      const seq = await this.#publishRoles(r, { stable: spec.candidate }, `rollout ${r.id} completed`);
      store.transition(r.id, ['running', 'awaiting_approval'], { state: 'completed', lastReleaseSeq: seq, result: { verdict, completedAt: now, releaseSeq: seq } }, now);
      store.log(r.id, 'completed', { releaseSeq: seq, verdict }, now);
      this.#log(`rollout ${r.id}: completed; ${spec.candidate.slice(0, 12)}… is stable (release seq ${seq})`);
      return;
    }
    const next = r.phase + 1;
    const seq = await this.#publishPhase(r, next);
    store.transition(r.id, ['running', 'awaiting_approval'], { state: 'running', phase: next, phaseStartedAt: now, approved: false, lastReleaseSeq: seq }, now);
    store.log(r.id, 'phase_passed', { phase: r.phase, verdict }, now);
    store.log(r.id, 'phase_started', { phase: next, ...phases[next]!, releaseSeq: seq }, now);
    this.#log(`rollout ${r.id}: ${phases[next]!.shadow ? 'shadow' : 'wave'} ${phases[next]!.percent} % published (release seq ${seq})`);
  }

  /**
   * The channel's quality gate again before a wave widens (or the candidate becomes stable): a gate raised
   * since the rollout started, which the candidate's signed evidence no longer passes, pauses the rollout
   * with the figures (an admin aborts it, or lowers the gate and resumes; a resume checks again). Evidence
   * that cannot be read right now (broker) holds this tick without pausing. True when the step must stop.
   */
  async #gateHolds(r: RolloutRow, verdict: Verdict, now: number): Promise<boolean> {
    const e = (await this.#o.qualityGate?.(r.spec.channel, r.spec.role, r.spec.candidate).then(() => undefined, (err: unknown) => toAgentError(err))) ?? (await this.#featureGate(r));
    if (!e) return false;
    if (e.code === 'quality_gate_failed' || e.code === 'provenance_missing' || e.code === 'agent_unsupported') {
      if (this.#o.store.transition(r.id, ['running', 'awaiting_approval'], { state: 'paused' }, now)) {
        // logged and audited like the automatic rollback: the controller is the actor, the gate's refusal the reason
        const actor = `controller:${this.instanceId}`;
        this.#o.store.log(r.id, 'pause', { actor, phase: r.phase, code: e.code, reason: e.message }, now);
        this.#log(`rollout ${r.id}: paused before widening: ${e.message}`);
        try {
          this.#audit.append({ actor, action: 'rollout.paused', reason: e.message, rolloutId: r.id, inputs: { code: e.code, phase: r.phase } }, now);
        } catch (err) {
          this.#log(`rollout ${r.id}: pause not recorded in the audit log: ${(err as Error).message}`);
        }
      }
      this.#recordProgress(r, { kind: 'wait', code: 'quality_gate', reasons: [`paused: ${e.message}`, ...verdict.reasons], summary: verdict.summary }, now);
      return true;
    }
    this.#recordProgress(r, { kind: 'wait', code: 'gate_unreadable', reasons: [`wave passed; quality gate not checked: ${e.message}`, ...verdict.reasons], summary: verdict.summary }, now);
    return true;
  }

  /** The capability gate (agent-features-gate.ts) on the rollout's own channel; the refusal, or undefined. */
  #featureGate(r: RolloutRow): Promise<AgentError | undefined> {
    const manifests = brokerManifests(this.#o.client, { prefix: this.#o.prefix });
    return enforceAgentFeatures(this.#o.store.db, r.spec.channel, [{ role: r.spec.role, modelId: r.spec.candidate }], manifests).then(() => undefined, (err: unknown) => toAgentError(err));
  }

  /** Signed approvals (policy) re-verified against the controller's approvers keys, else the approved flag. */
  #approved(r: RolloutRow, now: number): boolean {
    const g = approvalGate(this.#approvals, r, this.approvers(), now);
    if (g.signed && g.met) this.#o.store.log(r.id, 'approved', { phase: r.phase, approvers: g.approvers, signatures: g.have, required: g.need }, now);
    return g.met;
  }

  /** Judges the rollout's current phase on its own evidence (evidence.ts). */
  #judge(r: RolloutRow, now: number): Verdict {
    return judgeWave(r.spec, gatherEvidence(this.#o.store, r, now));
  }

  /** [issue 16 §6] waves advance only inside the rollout's maintenance windows (if it has any). */
  #outsideWindow(r: RolloutRow, now: number): boolean {
    const ws = r.spec.windows ?? [];
    return ws.length > 0 && !insideMaintenanceWindow(ws.map(parseMaintenanceWindow), now);
  }

  #recordProgress(r: RolloutRow, v: Verdict, now: number): void {
    const key = `${r.phase}|${v.kind}|${v.kind === 'wait' ? v.code : ''}|${v.reasons.join(';').replace(/\d+/g, '#')}`;
    const last = this.#lastProgress.get(r.id);
    // Live progress for `rollout status` lives in result.latest; the log gets a line when it changes.
    this.#o.store.transition(r.id, ['running', 'awaiting_approval', 'paused'], { result: { latest: v, at: now } }, now);
    if (!last || last.key !== key || now - last.at >= PROGRESS_LOG_MS) {
      this.#lastProgress.set(r.id, { key, at: now });
      this.#o.store.log(r.id, 'progress', { phase: r.phase, verdict: v.kind, ...(v.kind === 'wait' ? { code: v.code } : {}), reasons: v.reasons, summary: v.summary }, now);
    }
  }

  async #rollback(r: RolloutRow, from: RolloutState[], to: 'rolled_back' | 'aborted', evidence: Record<string, unknown>): Promise<void> {
    const now = this.#clock();
    const seq = await this.#publishRoles(r, { stable: r.spec.stable }, `rollout ${r.id} ${to === 'aborted' ? 'aborted' : 'rolled back'}`);
    const result = { ...evidence, rolledBackAt: now, releaseSeq: seq, phase: r.phase };
    if (this.#o.store.transition(r.id, from, { state: to, lastReleaseSeq: seq, result }, now)) {
      this.#o.store.log(r.id, to, result, now);
      const why = (evidence.verdict as Verdict | undefined)?.reasons.join('; ') ?? String(evidence.reason ?? '');
      this.#log(`rollout ${r.id}: ${to === 'aborted' ? 'aborted' : 'ROLLED BACK'} (release seq ${seq}): ${why}`);
      // [issue 19 §3] an automatic rollback is an action on the fleet too: it goes into the audit trail
      // with the controller as actor and the breach as reason (an admin's abort is audited by its verb)
      if (to === 'rolled_back') {
        const v = evidence.verdict as Verdict | undefined;
        try {
          this.#audit.append({ actor: `controller:${this.instanceId}`, action: 'rollout.rolled_back', reason: why, rolloutId: r.id, inputs: { breach: v?.kind === 'fail' ? v.breach : null, phase: r.phase, releaseSeq: seq } }, now);
        } catch (e) {
          this.#log(`rollout ${r.id}: rollback not recorded in the audit log: ${(e as Error).message}`);
        }
      }
    }
  }

  #finish(r: RolloutRow, from: RolloutState[], to: RolloutState, result: Record<string, unknown>): void {
    const now = this.#clock();
    if (this.#o.store.transition(r.id, from, { state: to, result }, now)) this.#o.store.log(r.id, to, result, now);
  }

  /** After a rollback, records when no online agent on the channel runs the candidate any more. */
  #watchRollbacks(now: number): void {
    const store = this.#o.store;
    for (const r of store.rollouts()) {
      if ((r.state !== 'rolled_back' && r.state !== 'aborted') || !r.result || r.result.confirmedAt !== undefined) continue;
      const at = Number(r.result.rolledBackAt ?? 0);
      if (now - at > CONFIRM_WATCH_MS) continue;
      const still = store
        .agents()
        .filter((a) => a.online && (a.channel ?? a.status.channel) === r.spec.channel)
        .filter((a) => a.status.roles[r.spec.role]?.modelId === r.spec.candidate || a.status.roles[r.spec.role]?.cohort === 'shadow').length;
      if (still > 0) continue;
      const result = { ...r.result, confirmedAt: now, confirmMs: now - at };
      store.transition(r.id, [r.state], { result }, now);
      store.log(r.id, 'rollback_confirmed', { confirmMs: now - at }, now);
      this.#log(`rollout ${r.id}: every agent is back on stable (${now - at} ms after the rollback release)`);
    }
  }

  async #publishPhase(r: RolloutRow, index: number): Promise<number> {
    const spec = r.spec;
    const phase = phasesOf(spec)[index]!;
    const gates: NonNullable<RoleRelease['candidate']>['gates'] = {
      maxErrorRate: spec.maxErrorRate,
      maxLatencyP95Ms: spec.maxP95Ms,
      guardWindowSec: 60,
      minSamples: 20,
      ...(spec.minAgreement !== undefined ? { minAgreement: spec.minAgreement } : {}),
    };
    const candidate = { modelId: spec.candidate, rolloutId: r.id, percent: phase.percent, shadow: phase.shadow, gates, ...(spec.selector ? { selector: spec.selector } : {}) };
    return this.#publishRoles(
      r,
      { stable: spec.stable, candidate },
      `rollout ${r.id} ${phase.shadow ? 'shadow' : 'wave'} ${phase.percent} %`,
    );
  }

  /** Signs and publishes the channel's next release with `roleRelease` for the rollout's role; other roles are kept. */
  async #publishRoles(r: RolloutRow, roleRelease: RoleRelease, note: string): Promise<number> {
    this.flushIngest(); // the newest release seen on the wire decides the next seq
    const store = this.#o.store;
    const spec = r.spec;
    const current = store.release(spec.channel);
    const seq = Math.max(current?.seq ?? 0, r.lastReleaseSeq ?? 0) + 1; // [DESIGN.md] seq strictly increasing per channel
    const now = this.#clock();
    const release = buildRelease({
      channel: spec.channel,
      seq,
      roles: { ...(current?.roles ?? {}), [spec.role]: roleRelease },
      issued: new Date(now),
      expires: new Date(now + spec.releaseTtlMs),
      note,
    });
    const env = signRelease(release, this.#o.releaseKeys);
    await this.#o.client.publishAsync(this.#t.release(spec.channel), JSON.stringify(env), { qos: 1, retain: true });
    store.putRelease(release, now);
    this.stats.releasesPublished++;
    return seq;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#tickHandle !== undefined) this.#timers.clearInterval(this.#tickHandle);
    if (this.#flushHandle !== undefined) this.#timers.clearInterval(this.#flushHandle);
    this.#o.client.off('message', this.#onMessage);
    while (this.#ticking) await new Promise((r) => setTimeout(r, 10));
    this.flushIngest();
  }
}

// the operations the CLI and the API perform on the shared SQLite file live in rollout-ops.ts
export { newRolloutId, startRollout, controlRollout, type RolloutAction } from './rollout-ops.js';
export { TERMINAL_STATES };
