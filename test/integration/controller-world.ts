/**
 * A fleet for controller tests: a real broker (aedes in-process), signed models, one release per
 * channel, several simulated fleets (each its own channel, labels and model profiles, since the same
 * model may behave differently on different hardware) and a real controller on a SQLite file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { inCandidateCohort } from '../../src/common/bucket.js';
import type { Labels } from '../../src/common/selector.js';
import type { AgentEvent, MetricsWindow } from '../../src/common/wire.js';
import { FleetController } from '../../src/fleet/controller/controller.js';
import { DEFAULT_SPEC, type RolloutSpec } from '../../src/fleet/controller/judge.js';
import { ControllerStore } from '../../src/fleet/controller/store.js';
import { connectBroker } from '../../src/fleet/mqtt.js';
import { makeSimKeys, publishSimModel, publishSimRelease, startFleetSim, type FleetSim, type SimKeys } from '../../src/fleet/sim/index.js';
import { ProfileBook, type ModelProfile } from '../../src/fleet/sim/profiles.js';
import { startAedes, type TestBroker } from '../helpers/brokers.js';

export interface FleetSpec {
  channel: string;
  count: number;
  idPrefix: string;
  labels?: Labels | ((i: number) => Labels);
  /** profiles by model name ('stable' | 'candidate') for this fleet only */
  profiles?: Partial<Record<'stable' | 'candidate', Partial<ModelProfile>>>;
}

export interface World {
  broker: TestBroker;
  keys: SimKeys;
  admin: MqttClient;
  stable: string;
  candidate: string;
  fleets: Map<string, FleetSim>;
  /** every metrics window the simulated agents published */
  sent: MetricsWindow[];
  /** every event they published */
  events: AgentEvent[];
  dbPath: string;
  store: ControllerStore;
  ctl: FleetController;
  logs: string[];
  /** starts a fleet; by default waits until every agent runs its channel's first stable */
  startFleet(f: FleetSpec, opts?: { waitStable?: boolean }): Promise<FleetSim>;
  close(): Promise<void>;
}

export async function waitFor<T>(f: () => T | undefined | false, ms: number, what: () => string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** channel → the stable model of its first release ('stable' or 'candidate') */
export async function startWorld(opts: { releases: Record<string, 'stable' | 'candidate'>; fleets: FleetSpec[]; clock?: () => number }): Promise<World> {
  const broker = await startAedes();
  const keys = makeSimKeys();
  const admin = await connectBroker({ url: broker.url, protocolVersion: broker.protocolVersion });
  const stable = await publishSimModel(admin, { keys, role: 'detector', name: 'det', version: '1.0.0', size: 3000, chunkSize: 1024 });
  const candidate = await publishSimModel(admin, { keys, role: 'detector', name: 'det', version: '1.1.0', size: 5000, chunkSize: 1024 });
  for (const [channel, which] of Object.entries(opts.releases)) {
    await publishSimRelease(admin, { keys, channel, roles: { detector: { stable: which === 'stable' ? stable : candidate } } });
  }
  const dir = mkdtempSync(join(tmpdir(), 'rpa-ctl-ev-'));
  const dbPath = join(dir, 'fleet.db');
  const store = new ControllerStore(dbPath);
  const ctlClient = await connectBroker({ url: broker.url, protocolVersion: broker.protocolVersion, mqttOptions: { reconnectPeriod: 200 } });
  const logs: string[] = [];
  const ctl = new FleetController({ client: ctlClient, store, releaseKeys: [keys.releases], tickMs: 150, onLog: (l) => logs.push(l), ...(opts.clock ? { clock: opts.clock } : {}) });
  await ctl.start();
  const sent: MetricsWindow[] = [];
  const events: AgentEvent[] = [];
  const fleets = new Map<string, FleetSim>();
  const w: World = {
    broker, keys, admin, stable, candidate, fleets, sent, events, dbPath, store, ctl, logs,
    async startFleet(f, o = {}) {
      const profiles = new ProfileBook();
      if (f.profiles?.stable) profiles.set(stable, f.profiles.stable);
      if (f.profiles?.candidate) profiles.set(candidate, f.profiles.candidate);
      const sim = await startFleetSim({
        url: broker.url, count: f.count, channel: f.channel, idPrefix: f.idPrefix, trust: keys.trust, profiles, windowMs: 300, requestsPerWindow: 20,
        mqtt: { protocolVersion: broker.protocolVersion }, onWindow: (m) => sent.push(m), onEvent: (e) => events.push(e), ...(f.labels ? { labels: f.labels } : {}),
      });
      fleets.set(f.idPrefix, sim);
      if (o.waitStable === false) return sim;
      const want = opts.releases[f.channel] === 'candidate' ? candidate : stable;
      await waitFor(() => sim.countActive('detector', want) === f.count, 15_000, () => `${f.idPrefix} agents on their channel's stable (${sim.countActive('detector', want)}/${f.count})`);
      return sim;
    },
    async close() {
      await ctl.close();
      ctlClient.end(true);
      store.close();
      for (const s of fleets.values()) await s.close();
      admin.end(true);
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    for (const f of opts.fleets) await w.startFleet(f);
    const total = opts.fleets.reduce((n, f) => n + f.count, 0);
    await waitFor(() => (ctl.flushIngest(), store.agents().filter((a) => a.online).length === total && Object.keys(opts.releases).every((c) => store.release(c))), 10_000, () => 'controller sees the fleet');
  } catch (e) {
    await w.close();
    throw e;
  }
  return w;
}

export function spec(w: Pick<World, 'candidate'>, over: Partial<RolloutSpec> & { channel: string }): Omit<RolloutSpec, 'stable'> {
  return { ...DEFAULT_SPEC, role: 'detector', candidate: w.candidate, waves: [50, 100], waveMinDurationMs: 1000, minAgents: 2, minRequests: 20, breachLookbackMs: 1500, maxP95Ms: 100, ...over };
}

/** A rollout id whose `percent` % cohort holds at least `min` of these agents (tests need a canary). */
export function rolloutIdWithCohort(agentIds: readonly string[], percent: number, min: number, tag = 'ro-test'): string {
  for (let i = 0; ; i++) {
    const id = `${tag}-${i}`;
    if (agentIds.filter((a) => inCandidateCohort(a, id, percent)).length >= min) return id;
  }
}
