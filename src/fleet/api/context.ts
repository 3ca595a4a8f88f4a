/**
 * What the API's handlers work on: the controller's fleet database (rollouts, registry, audit log,
 * approvals, tokens) and, when the controller runs with a broker and a releases key, what it needs to
 * resolve models on the broker and sign releases. Built once per server (no module singletons).
 */
import type { MqttClient } from 'mqtt';
import { AgentError } from '../../common/errors.js';
import { ApprovalStore } from '../approvals/approval-store.js';
import { AuditLog } from '../audit/audit-log.js';
import type { AuditEntry } from '../audit/chain.js';
import { CohortWindow } from '../controller/cohort-window.js';
import type { HealthReport } from '../controller/health.js';
import type { ControllerStore } from '../controller/store.js';
import { ModelRegistry } from '../registry/registry.js';
import type { SigningKey } from '../signer.js';
import type { RoleTrust } from '../trust.js';
import { ParsedAgents } from './agents-cache.js';
import { TokenStore, type Caller } from './tokens.js';

export interface BrokerSide {
  client: MqttClient;
  releaseKeys: readonly SigningKey[];
  prefix: string;
  /** the trust file's releases / models roles, to verify what is on the broker */
  releasesTrust?: RoleTrust;
  modelsTrust?: RoleTrust;
}

export interface ApiContextOptions {
  store: ControllerStore;
  broker?: BrokerSide;
  /** the approvers role of the controller's own trust file: signed approvals are checked against it (a function: the keys in force, issue 20 §1) */
  approvers?: RoleTrust | (() => RoleTrust | undefined);
  health?: () => HealthReport;
  clock?: () => number;
  log?: (line: string) => void;
}

export class ApiContext {
  readonly store: ControllerStore;
  readonly registry: ModelRegistry;
  readonly audit: AuditLog;
  readonly approvals: ApprovalStore;
  readonly tokens: TokenStore;
  readonly broker: BrokerSide | undefined;
  readonly #approvers: ApiContextOptions['approvers'];
  readonly health: (() => HealthReport) | undefined;
  readonly clock: () => number;
  readonly log: (line: string) => void;
  /** the status view's cohort sums, kept across calls (issue 19 §4) */
  readonly cohortWindow: CohortWindow;
  /** the agents with their statuses parsed once per distinct status (issue 19 §4) */
  readonly parsedAgents: ParsedAgents;

  constructor(o: ApiContextOptions) {
    this.store = o.store;
    this.registry = new ModelRegistry(o.store.db);
    this.audit = new AuditLog(o.store.db);
    this.approvals = new ApprovalStore(o.store.db);
    this.tokens = new TokenStore(o.store.db);
    this.broker = o.broker;
    this.#approvers = o.approvers;
    this.health = o.health;
    this.clock = o.clock ?? Date.now;
    this.log = o.log ?? (() => undefined);
    this.cohortWindow = new CohortWindow(o.store.db);
    this.parsedAgents = new ParsedAgents(o.store);
  }

  /** The approver keys in force. */
  get approvers(): RoleTrust | undefined {
    return typeof this.#approvers === 'function' ? this.#approvers() : this.#approvers;
  }

  /** The broker side, or a clear error when this controller runs without one. */
  needBroker(what: string): BrokerSide {
    if (!this.broker) throw new AgentError('not_supported', `${what} needs the controller's broker connection and releases key`);
    return this.broker;
  }

  /** Appends an admin action to the hash-chained audit log; the actor is the token's name. */
  record(caller: Caller, action: string, inputs: Record<string, unknown>, opts: { rolloutId?: string; reason?: string } = {}): AuditEntry {
    return this.audit.append(
      { actor: caller.name, action, ...(opts.reason !== undefined ? { reason: opts.reason } : {}), ...(opts.rolloutId ? { rolloutId: opts.rolloutId } : {}), inputs: { ...inputs, via: 'api', tokenId: caller.tokenId, role: caller.role } },
      this.clock(),
    );
  }
}
