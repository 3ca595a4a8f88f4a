/**
 * Rollout bucketing (DESIGN.md "Release"): bucket = uint32(sha256(agentId + ":" + rolloutId)[0..4]) / 2^32 * 100.
 * An agent takes the candidate when bucket < percent, so raising percent only ever adds agents.
 */
import { utf8 } from './bytes.js';
import { sha256 } from './sha256.js';

export function rolloutBucket(agentId: string, rolloutId: string): number {
  const d = sha256(utf8(`${agentId}:${rolloutId}`));
  const u32 = ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0;
  return (u32 / 2 ** 32) * 100;
}

export function inCandidateCohort(agentId: string, rolloutId: string, percent: number): boolean {
  return rolloutBucket(agentId, rolloutId) < percent;
}
