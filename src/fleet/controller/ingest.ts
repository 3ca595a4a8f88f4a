/**
 * The controller's ingest (DESIGN.md "Fleet controller"): every message from the agents' topics is
 * validated at the edge (zod schema; the payload's agentId must be the topic's, which the broker ACL
 * binds) and queued; `flush()` writes the queue in one SQLite transaction (hundreds of windows a
 * second). Windows are deduplicated on (agent, epoch, seq) by the store; every dropped window is
 * counted by reason and reported in one log line per flush (issue 16 §2).
 */
import { PAYLOAD_TYPE_RELEASE } from '../../common/dsse.js';
import { topics as topicsOf, type Topics } from '../../common/topics.js';
import { AgentEventSchema, AgentStatusSchema, FeedbackSchema, MetricsWindowSchema, ReleaseSchema } from '../../common/wire.js';
import { decodeSigned } from '../publisher.js';
import type { RoleTrust } from '../trust.js';
import type { WindowDropReason, WindowDrops } from './drops.js';
import type { ControllerStore } from './store.js';

export interface IngestStats {
  messages: number;
  invalid: number;
  windows: number;
  duplicates: number;
}

export interface IngestOptions {
  store: ControllerStore;
  /** keys a release seen on the wire must be signed with before it may shape the next one (the trust in force, read at each use) */
  trust: () => RoleTrust;
  prefix: string;
  clock: () => number;
  stats: IngestStats;
  drops: WindowDrops;
  log: (line: string, data?: Record<string, unknown>) => void;
}

type Write = () => void;

export class IngestQueue {
  readonly #o: IngestOptions;
  readonly #t: Topics;
  #queue: Write[] = [];

  constructor(o: IngestOptions) {
    this.#o = o;
    this.#t = topicsOf(o.prefix);
  }

  receive(topic: string, payload: Buffer): void {
    const { stats, store } = this.#o;
    stats.messages++;
    const now = this.#o.clock();
    if (topic.endsWith('/release') && topic.startsWith(`${this.#o.prefix}/channels/`)) {
      if (payload.length === 0) return;
      const doc = decodeSigned(topic, payload, PAYLOAD_TYPE_RELEASE, ReleaseSchema, 'release', this.#o.trust());
      // Only a release signed by a trusted key may shape the next one (other roles are copied from it).
      if (doc.signature === 'valid' && doc.value) {
        const r = doc.value;
        this.#queue.push(() => store.putRelease(r, now));
      } else stats.invalid++;
      return;
    }
    const at = this.#t.parseAgentTopic(topic);
    if (!at || payload.length === 0) return;
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      stats.invalid++;
      if (at.kind === 'metrics') this.#drop(at.agentId, 'invalid');
      return;
    }
    // Validate at the edge: parse once, and the agent id in the payload must be the topic's (ACL-bound).
    switch (at.kind) {
      case 'status': {
        const s = AgentStatusSchema.safeParse(json);
        if (!s.success || s.data.agentId !== at.agentId) return void stats.invalid++;
        this.#queue.push(() => store.putStatus(s.data, now));
        return;
      }
      case 'metrics': {
        const w = MetricsWindowSchema.safeParse(json);
        if (!w.success || w.data.agentId !== at.agentId) {
          stats.invalid++;
          return this.#drop(at.agentId, w.success ? 'agent_mismatch' : 'invalid');
        }
        this.#queue.push(() => {
          if (store.putWindow(w.data, now)) stats.windows++;
          else {
            stats.duplicates++;
            this.#drop(at.agentId, 'duplicate');
          }
        });
        return;
      }
      case 'events': {
        const e = AgentEventSchema.safeParse(json);
        if (!e.success || e.data.agentId !== at.agentId) return void stats.invalid++;
        this.#queue.push(() => void store.putEvent(e.data, now));
        return;
      }
      case 'feedback': {
        const f = FeedbackSchema.safeParse(json);
        if (!f.success || f.data.agentId !== at.agentId) return void stats.invalid++;
        this.#queue.push(() => void store.putFeedback(f.data, now));
        return;
      }
      default:
        return;
    }
  }

  #drop(agentId: string, reason: WindowDropReason): void {
    this.#o.drops.count(agentId, reason);
  }

  /** Writes queued messages in one transaction; logs the windows dropped since the last flush. */
  flush(): void {
    if (this.#queue.length > 0) {
      const q = this.#queue;
      this.#queue = [];
      try {
        this.#o.store.batch(() => {
          for (const f of q) f();
        });
      } catch (e) {
        this.#o.log(`ingest failed: ${(e as Error).message}`);
      }
    }
    const dropped = this.#o.drops.takeReport();
    if (dropped) {
      for (const [reason, n] of Object.entries(dropped.byReason)) this.#o.store.bump(`windows_dropped_${reason}`, n);
      this.#o.log(dropped.line, dropped.data);
    }
  }
}
