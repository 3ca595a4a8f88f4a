/**
 * Watches the agent under test: its retained status and its (not retained) events, parsed with the
 * wire schemas. Checks wait on it with a deadline; a message that does not match its schema is kept
 * as a protocol violation and shown in the check that sees it.
 */
import type { MqttClient } from 'mqtt';
import { topics } from '../../src/common/topics.js';
import { AgentEventSchema, AgentStatusSchema, type AgentEvent, type AgentStatus } from '../../src/common/wire.js';

export interface AgentObserver {
  events: AgentEvent[];
  status: AgentStatus | undefined;
  invalid: string[];
  /** resolves with the first value `probe` returns (checked on every message), or undefined at the deadline */
  until<T>(probe: () => T | undefined, timeoutMs: number): Promise<T | undefined>;
  close(): Promise<void>;
}

export async function observeAgent(client: MqttClient, prefix: string, agentId: string): Promise<AgentObserver> {
  const t = topics(prefix);
  const statusTopic = t.agentStatus(agentId);
  const eventsTopic = t.agentEvents(agentId);
  const wakers = new Set<() => void>();
  const obs: AgentObserver = {
    events: [],
    status: undefined,
    invalid: [],
    async until(probe, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const v = probe();
        if (v !== undefined) return v;
        const left = deadline - Date.now();
        if (left <= 0) return undefined;
        await new Promise<void>((r) => {
          const timer = setTimeout(done, left);
          function done() {
            clearTimeout(timer);
            wakers.delete(done);
            r();
          }
          wakers.add(done);
        });
      }
    },
    async close() {
      client.removeListener('message', onMessage);
      await client.unsubscribeAsync([statusTopic, eventsTopic]).catch(() => undefined);
    },
  };
  const parse = (payload: Buffer): unknown => {
    try {
      return JSON.parse(payload.toString('utf8'));
    } catch {
      return undefined;
    }
  };
  function onMessage(topic: string, payload: Buffer) {
    if (payload.length === 0) return;
    if (topic === statusTopic) {
      const r = AgentStatusSchema.safeParse(parse(payload));
      if (r.success) obs.status = r.data;
      else obs.invalid.push(`status does not match the AgentStatus schema: ${r.error.issues[0]?.path.join('.')} ${r.error.issues[0]?.message}`);
    } else if (topic === eventsTopic) {
      const r = AgentEventSchema.safeParse(parse(payload));
      if (r.success) obs.events.push(r.data);
      else obs.invalid.push(`event does not match the AgentEvent schema: ${r.error.issues[0]?.path.join('.')} ${r.error.issues[0]?.message}`);
    } else return;
    for (const w of [...wakers]) w();
  }
  client.on('message', onMessage);
  await client.subscribeAsync([statusTopic, eventsTopic], { qos: 1 });
  return obs;
}
