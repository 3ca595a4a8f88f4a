/**
 * The telemetry outbox (DESIGN.md "Telemetry": "an outbox in SQLite holds each window until the broker
 * acknowledges it"). A message gets its stream's next sequence number inside the same transaction
 * that stores it, is published at QoS 1, and its row is deleted only when the PUBACK arrives (MQTT.js
 * calls a QoS 1 publish's callback on PUBACK). A broker outage or an agent restart therefore loses
 * nothing; a message may be sent twice (a PUBACK lost with the connection), which the controller
 * drops by (agentId, seq).
 */
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';

/**
 * The epoch of this database's sequence numbers (issue 16 §2): created with the database and kept
 * with it, so it changes exactly when the seqs start again (a re-install or re-imaged machine, a wiped
 * data dir). The controller deduplicates on (agentId, epoch, seq).
 */
export function telemetryEpoch(db: Database.Database): string {
  db.exec('CREATE TABLE IF NOT EXISTS telemetry_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
  db.prepare("INSERT OR IGNORE INTO telemetry_meta (key, value) VALUES ('epoch', ?)").run(randomBytes(8).toString('hex'));
  return (db.prepare("SELECT value FROM telemetry_meta WHERE key = 'epoch'").get() as { value: string }).value;
}

/** The slice of MQTT.js's client the outbox needs (a real `MqttClient` satisfies it). */
export interface OutboxClient {
  readonly connected: boolean;
  publish(topic: string, payload: string, opts: { qos: 1; retain?: boolean }, cb: (err?: Error | null) => void): unknown;
  on(event: 'connect', cb: () => void): unknown;
  removeListener(event: 'connect', cb: () => void): unknown;
}

export interface OutboxOptions {
  db: Database.Database;
  client: OutboxClient;
  /** several streams (metrics, events, feedback) share one table; each has its own seq */
  stream: string;
  /** bound on unacknowledged publishes, so a long outage does not flood the broker on reconnect */
  maxInFlight?: number;
  onError?: (e: Error) => void;
}

export interface OutboxMessage {
  topic: string;
  payload: string;
}

export class Outbox {
  readonly #db: Database.Database;
  readonly #client: OutboxClient;
  readonly #stream: string;
  readonly #maxInFlight: number;
  readonly #onError: (e: Error) => void;
  readonly #inFlight = new Set<number>();
  readonly #onConnect = () => this.flush();
  #closed = false;
  #stmts;

  constructor(opts: OutboxOptions) {
    this.#db = opts.db;
    this.#client = opts.client;
    this.#stream = opts.stream;
    this.#maxInFlight = opts.maxInFlight ?? 64;
    this.#onError = opts.onError ?? (() => {});
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS telemetry_outbox (
        stream TEXT NOT NULL, seq INTEGER NOT NULL, topic TEXT NOT NULL, payload TEXT NOT NULL, created INTEGER NOT NULL,
        PRIMARY KEY (stream, seq));
      CREATE TABLE IF NOT EXISTS telemetry_seq (stream TEXT PRIMARY KEY, next INTEGER NOT NULL);`);
    this.#stmts = {
      nextSeq: this.#db.prepare<[string], { next: number }>('SELECT next FROM telemetry_seq WHERE stream = ?'),
      setSeq: this.#db.prepare('INSERT INTO telemetry_seq (stream, next) VALUES (?, ?) ON CONFLICT(stream) DO UPDATE SET next = excluded.next'),
      insert: this.#db.prepare('INSERT INTO telemetry_outbox (stream, seq, topic, payload, created) VALUES (?, ?, ?, ?, ?)'),
      pending: this.#db.prepare<[string, number], { seq: number; topic: string; payload: string }>(
        'SELECT seq, topic, payload FROM telemetry_outbox WHERE stream = ? ORDER BY seq LIMIT ?',
      ),
      count: this.#db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM telemetry_outbox WHERE stream = ?'),
      del: this.#db.prepare('DELETE FROM telemetry_outbox WHERE stream = ? AND seq = ?'),
    };
    this.#client.on('connect', this.#onConnect);
  }

  /**
   * Stores a message built around its sequence number (strictly increasing per stream, surviving
   * restarts), then tries to send. Returns the seq.
   */
  enqueue(build: (seq: number) => OutboxMessage): number {
    const seq = this.#db.transaction(() => {
      const seq = this.#stmts.nextSeq.get(this.#stream)?.next ?? 0;
      const m = build(seq);
      this.#stmts.insert.run(this.#stream, seq, m.topic, m.payload, Date.now());
      this.#stmts.setSeq.run(this.#stream, seq + 1);
      return seq;
    })();
    this.flush();
    return seq;
  }

  /** Publishes stored messages in seq order, at most maxInFlight unacknowledged at a time. */
  flush(): void {
    if (this.#closed || !this.#client.connected) return;
    const room = this.#maxInFlight - this.#inFlight.size;
    if (room <= 0) return;
    const rows = this.#stmts.pending.all(this.#stream, this.#maxInFlight + this.#inFlight.size);
    let sent = 0;
    for (const row of rows) {
      if (sent >= room) break;
      if (this.#inFlight.has(row.seq)) continue;
      this.#inFlight.add(row.seq);
      sent++;
      this.#client.publish(row.topic, row.payload, { qos: 1 }, (err) => {
        this.#inFlight.delete(row.seq);
        if (this.#closed) return;
        if (err) {
          // Not acknowledged (connection lost, client ended): the row stays and is sent again on reconnect.
          this.#onError(err);
          return;
        }
        this.#stmts.del.run(this.#stream, row.seq);
        this.flush();
      });
    }
  }

  /** Messages stored and not yet acknowledged. */
  pending(): number {
    return this.#stmts.count.get(this.#stream)?.n ?? 0;
  }

  inFlight(): number {
    return this.#inFlight.size;
  }

  close(): void {
    this.#closed = true;
    this.#client.removeListener('connect', this.#onConnect);
  }
}
