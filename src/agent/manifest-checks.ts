/** DESIGN.md "Trust rules" checks on a verified manifest, before any chunk is fetched (a pure rule). */
import { AgentError } from '../common/errors.js';
import type { ModelManifest, Role } from '../common/wire.js';

export function checkManifest(m: ModelManifest, role: Role, modelId: string, maxModelBytes: number): void {
  if (m.sha256 !== modelId) throw new AgentError('sha256_mismatch', `manifest sha256 ${m.sha256} is not the modelId ${modelId}`);
  if (m.role !== role) throw new AgentError('model_role_mismatch', `model ${modelId} is a ${m.role}, the release names it as ${role}`);
  if (m.size > maxModelBytes) throw new AgentError('model_too_large', `model is ${m.size} bytes, the maximum is ${maxModelBytes}`, { size: m.size, max: maxModelBytes });
  const expected = Math.ceil(m.size / m.chunkSize);
  if (m.chunkSha256.length !== expected) throw new AgentError('chunk_count_mismatch', `manifest lists ${m.chunkSha256.length} chunks, ceil(${m.size} / ${m.chunkSize}) = ${expected}`);
}
