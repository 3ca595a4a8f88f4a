/**
 * Adapts plain onnxruntime-node sessions to the ModelRunner interface. The agent's inference host
 * (src/agent/inference) provides its own runner with leases and hot swap; this one serves tests, the
 * evaluation and the benchmarks, which load fixed model files.
 */
import * as ort from 'onnxruntime-node';
import type { Role } from '../../common/wire.js';
import { AgentError } from '../../common/errors.js';
import type { ModelRunner, VisionTensor } from './types.js';

export interface OrtSessions {
  runner: ModelRunner;
  sessions: Partial<Record<Role, ort.InferenceSession>>;
  close(): Promise<void>;
}

export async function createOrtRunner(paths: Partial<Record<Role, string>>, options: ort.InferenceSession.SessionOptions = {}): Promise<OrtSessions> {
  const sessions: Partial<Record<Role, ort.InferenceSession>> = {};
  for (const [role, path] of Object.entries(paths) as [Role, string][]) {
    sessions[role] = await ort.InferenceSession.create(path, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      // as the inference host runs them (host.ts allowSpinning: false): onnxruntime's worker threads otherwise
      // spin after each run and take the cores from the JS stages that follow (decode, crops, the next capture)
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
      ...options,
    });
  }
  const runner: ModelRunner = async (role, feeds) => {
    const s = sessions[role];
    if (!s) throw new AgentError('no_model', `no ${role} session`);
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      ortFeeds[name] = t instanceof ort.Tensor ? t : new ort.Tensor('float32', t.data as Float32Array, t.dims as number[]);
    }
    const out = await s.run(ortFeeds);
    return out as unknown as Record<string, VisionTensor>;
  };
  return {
    runner,
    sessions,
    async close() {
      for (const s of Object.values(sessions)) await s?.release();
    },
  };
}
