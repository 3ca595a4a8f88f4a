/** The fleet controller's options and timers (split out of controller.ts, issue 18: files under 400 lines). */
import type { MqttClient } from 'mqtt';
import type { Role } from '../../common/wire.js';
import type { SigningKey } from '../signer.js';
import type { RoleTrust } from '../trust.js';
import type { TrustInForce } from '../trust-follow.js';
import type { ControllerStore } from './store.js';

export interface ControllerTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(h: unknown): void;
}

export const realTimers: ControllerTimers = { setInterval: (fn, ms) => setInterval(fn, ms), clearInterval: (h) => clearInterval(h as NodeJS.Timeout) };

export interface ControllerOptions {
  client: MqttClient;
  store: ControllerStore;
  /** releases-role signing keys (threshold signing = several) */
  releaseKeys: readonly SigningKey[];
  /** keys that may sign releases seen on the wire; default: releaseKeys, threshold 1 */
  trust?: RoleTrust;
  /** the trust file's approvers role: keys whose signed approvals count (issue 16 §4) */
  approvers?: RoleTrust;
  /**
   * issue 20 §1: the trust followed over the wire (FollowedTrust); when given, its releases and approvers
   * keys replace `trust` and `approvers`, read at each use, so a rotation applies without a restart
   */
  trustInForce?: TrustInForce;
  prefix?: string;
  clock?: () => number;
  timers?: ControllerTimers;
  /** how often rollouts are judged (default 1 s) */
  tickMs?: number;
  /** ingest batching: messages are written in one transaction every flushMs (default 100 ms) */
  flushMs?: number;
  /** share the agents' metric stream with other controllers (MQTT 5 shared subscription group) */
  sharedGroup?: string;
  instanceId?: string;
  onLog?: (line: string, data?: Record<string, unknown>) => void;
  /** issue 20 §4: throws (quality_gate_failed, provenance_missing) when the channel's gate refuses the candidate */
  qualityGate?: (channel: string, role: Role, modelId: string) => Promise<void>;
}

