/**
 * Shadow candidates of the agent service (issue 6 "shadow mode"): their own InferenceHost, never the
 * active slot, fed a sample of real detect requests. Split out of service.ts (issue 18 §4: a file per concern).
 * Lifetime: the shadow creates its host and pipeline, so its close() ends them (src/common/lifetime.ts rule).
 */
import type { LabelledBox } from '../../common/metrics.js';
import { chooseRoleTarget } from '../../common/release-rules.js';
import { toAgentError } from '../../common/errors.js';
import { ROLES, type ModelManifest, type Role } from '../../common/wire.js';
import type { Agent } from '../agent.js';
import type { AgentConfig } from '../config.js';
import { InferenceHost, type InferenceHostOptions } from '../inference/index.js';
import type { Logger } from '../runtime.js';
import { detectionAgreement, type Telemetry } from '../telemetry/index.js';
import { runnerFromHost, specProviderFromManifests } from '../vision/host-adapter.js';
import { VisionPipeline, type DetectRequest, type DetectResponse } from '../vision/pipeline.js';
import type { ModelRunner } from '../vision/types.js';

export interface ShadowState {
  role: Role;
  modelId: string;
  rolloutId: string;
  state: 'fetching' | 'loading' | 'active' | 'failed';
  error?: string;
}

export interface ShadowDeps {
  agent: Agent;
  config: AgentConfig;
  logger: Logger;
  hostOptions: InferenceHostOptions;
  telemetry: Telemetry;
  mainHost: InferenceHost;
  activeManifest: (role: Role) => ModelManifest | undefined;
}

export interface Shadow {
  /** re-reads the release: loads, swaps or drops shadow candidates */
  sync(): void;
  /** maybe mirrors one detect request to the shadow candidate (never delays or changes the answer) */
  offer(req: DetectRequest, stable: DetectResponse): void;
  states(): ShadowState[];
  close(): Promise<void>;
}

/**
 * Shadow mode (issue 6): when the release marks a role's candidate `shadow: true` and this agent is in the
 * cohort, the candidate is fetched over the same trust path as any model (signed manifest, chunk hashes,
 * whole-file sha256; Agent.fetchShadowModel) and loaded in a second InferenceHost, so the active slot keeps
 * serving stable. A sample of detect requests is re-run with the candidate in that role (ShadowRunner:
 * sampled, concurrency- and CPU-bounded); only the agreement and latency are reported, in the metrics window.
 */
export function createShadow(d: ShadowDeps): Shadow {
  let shadowHost: InferenceHost | undefined;
  let current: (ShadowState & { manifest?: ModelManifest; abort: AbortController }) | undefined;
  let pipeline: VisionPipeline | undefined;
  let closed = false;

  const drop = async () => {
    const c = current;
    current = undefined;
    pipeline?.close();
    pipeline = undefined;
    c?.abort.abort();
    if (shadowHost) await shadowHost.deactivate(c?.role ?? 'detector').catch(() => {});
  };

  const load = async (st: NonNullable<typeof current>) => {
    try {
      const { manifest, bytes } = await d.agent.fetchShadowModel(st.role, st.modelId, { signal: st.abort.signal });
      if (current !== st || closed) return;
      st.state = 'loading';
      shadowHost ??= new InferenceHost({ ...d.hostOptions, prespawn: false });
      await shadowHost.activate({ role: st.role, modelId: st.modelId, manifest, bytes, signal: st.abort.signal });
      if (current !== st || closed) return;
      st.manifest = manifest;
      st.state = 'active';
      const sh = shadowHost;
      const runner: ModelRunner = (role, feeds, opts) => (role === st.role ? runnerFromHost(sh) : runnerFromHost(d.mainHost))(role, feeds, opts);
      const specOf = specProviderFromManifests((role) => (role === st.role ? manifest : d.activeManifest(role)));
      pipeline = new VisionPipeline({ runner, specs: specOf, cacheEntries: 0 });
      d.logger.info('shadow candidate loaded', { role: st.role, modelId: st.modelId });
    } catch (e) {
      if (current !== st) return;
      const err = toAgentError(e);
      st.state = 'failed';
      st.error = `${err.code}: ${err.message}`;
      d.logger.warn('shadow candidate failed', { role: st.role, modelId: st.modelId, error: st.error });
    }
  };

  return {
    sync() {
      if (closed) return;
      const rel = d.agent.acceptedRelease()?.release;
      let want: { role: Role; modelId: string; rolloutId: string } | undefined;
      for (const role of ROLES) {
        const rr = rel?.roles[role];
        // only detector and classifier answers are compared (what a detect request produces); which model this agent
        // shadows is the ONE target rule of src/common/release-rules.ts, as the role state machine uses it
        const shadow = rr && role !== 'similarity' ? chooseRoleTarget(rr, d.config.agentId, d.config.labels).shadow : undefined;
        if (shadow) {
          want = { role, modelId: shadow.modelId, rolloutId: shadow.rolloutId };
          break;
        }
      }
      if (current && want && current.modelId === want.modelId && current.role === want.role) return;
      if (!want && !current) return;
      void drop().then(() => {
        if (!want || closed) return;
        const st = { ...want, state: 'fetching' as const, abort: new AbortController() } as NonNullable<typeof current>;
        current = st;
        void load(st);
      });
    },
    offer(req, stable) {
      const st = current;
      const p = pipeline;
      if (!st || st.state !== 'active' || !p || stable.cached) return;
      d.telemetry.shadow.offer<LabelledBox[]>(
        st.role,
        st.modelId,
        labelled(stable),
        async () => labelled(await p.detect({ ...req, classify: true })),
        (a, b) => detectionAgreement(a, b),
      );
    },
    states: () => (current ? [{ role: current.role, modelId: current.modelId, rolloutId: current.rolloutId, state: current.state, ...(current.error ? { error: current.error } : {}) }] : []),
    async close() {
      closed = true;
      await drop();
      await shadowHost?.close();
    },
  };
}

/** Elements as labelled boxes: the classifier's label when it ran (a classifier shadow), else the type. */
function labelled(r: DetectResponse): LabelledBox[] {
  return r.elements.map((e) => ({ box: e.box, classId: e.label ?? e.type }));
}
