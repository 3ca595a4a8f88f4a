/**
 * The headless agent's configuration file (JSON), validated with zod at the edge: a bad file is
 * refused with `bad_config` naming the zod path, before anything is opened or connected.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { AgentError } from '../common/errors.js';
import { DEFAULT_TOPIC_PREFIX, isValidTopicSegment } from '../common/topics.js';
import { DEFAULT_PROFILE, ProfileNameSchema } from '../common/profiles.js';
import { LabelsSchema, MAX_MANIFEST_BYTES } from '../common/wire.js';

const Segment = z.string().refine(isValidTopicSegment, 'letters, digits, ".", "_" or "-" (1-128)');
const Path = z.string().min(1).max(4096);

export const BrokerConfigSchema = z
  .object({
    url: z
      .string()
      .regex(/^(mqtts?|wss?|tcp|ssl):\/\/[^\s]+$/, 'an mqtt://, mqtts://, ws:// or wss:// URL')
      // Secrets live only in the OS credential store: a password in the URL would sit in a plain file.
      .refine((u) => !/^[a-z]+:\/\/[^/@]*:[^/@]*@/.test(u), 'must not contain a password (use passwordFromCredentialStore)'),
    username: z.string().min(1).max(256).optional(),
    /** the password is read from the OS credential store (account "broker-password"), never from this file */
    passwordFromCredentialStore: z.boolean().default(false),
    /** pinned fleet CA (PEM) for mqtts:// */
    ca: Path.optional(),
    /** per-agent client certificate and key (PEM) */
    cert: Path.optional(),
    key: Path.optional(),
    rejectUnauthorized: z.boolean().default(true),
    /** 5 = MQTT 5 (production, Mosquitto); 4 = MQTT 3.1.1 for brokers without v5 (aedes) */
    protocolVersion: z.union([z.literal(4), z.literal(5)]).default(5),
    keepaliveSec: z.number().int().min(5).max(3600).default(30),
    /** reconnect back-off: full jitter between 0 and min(maxMs, minMs * 2^attempt) (DESIGN.md "Broker connections") */
    reconnect: z
      .object({ minMs: z.number().int().min(10).max(60_000).default(1000), maxMs: z.number().int().min(10).max(600_000).default(30_000) })
      .default({ minMs: 1000, maxMs: 30_000 }),
    connectTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  })
  .strict()
  .refine((b) => (b.cert === undefined) === (b.key === undefined), { message: 'cert and key go together', path: ['cert'] });

export const AgentConfigSchema = z
  .object({
    broker: BrokerConfigSchema,
    agentId: Segment,
    channel: Segment,
    /**
     * labels the fleet targets rollouts by (site, dept, profile, …; issue 16 §6): reported in status and
     * matched by the agent itself against a candidate's selector
     */
    labels: LabelsSchema.default({}),
    /**
     * the industry profile (issue 21 §2, common/profiles.ts): the agent applies the release's settings for it
     * and reports it as the label `profile=<name>` (so selectors can target it too)
     */
    profile: ProfileNameSchema.default(DEFAULT_PROFILE),
    /**
     * which variant of a model serves (issue 21 §1, common/variants.ts): "auto" (the one that fits the provider
     * and CPU), "fp32" (always the base file), or a variant's name
     */
    variant: z.union([z.literal('auto'), z.literal('fp32'), Segment]).default('auto'),
    /**
     * CPU feature flags the variant rule matches against, instead of reading them (agent/cpu-flags.ts: Linux
     * reads /proc/cpuinfo; Windows and macOS tell Node none, so variants that name cpuFlags need this there)
     */
    cpuFlags: z.array(z.string().min(1).max(32)).max(64).optional(),
    trustFile: Path,
    dataDir: Path,
    topicPrefix: z
      .string()
      .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, 'topic levels without wildcards or empty levels')
      .default(DEFAULT_TOPIC_PREFIX),
    limits: z
      .object({
        maxModelBytes: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).default(512 * 1024 * 1024),
        /** DESIGN.md: manifest ≤ 1 MiB is a fixed maximum; a config may only lower it */
        maxManifestBytes: z.number().int().positive().max(MAX_MANIFEST_BYTES).default(MAX_MANIFEST_BYTES),
      })
      .strict()
      .default({ maxModelBytes: 512 * 1024 * 1024, maxManifestBytes: MAX_MANIFEST_BYTES }),
    keepVersions: z.number().int().min(1).max(100).default(3),
    latencyBudgetMs: z.number().positive().max(60_000).default(100),
    timeouts: z
      .object({
        /** a release naming a model whose manifest does not arrive within this → manifest_missing */
        manifestMs: z.number().int().min(50).max(3_600_000).default(30_000),
      })
      .strict()
      .default({ manifestMs: 30_000 }),
    fetch: z
      .object({
        /** chunk topics subscribed at once: bounds memory whatever the model size */
        window: z.number().int().min(1).max(1024).default(32),
        /** and at most this many bytes of chunks in flight (chunks may be up to 16 MiB each) */
        windowBytes: z.number().int().min(1).max(1024 * 1024 * 1024).default(16 * 1024 * 1024),
        /** PEM CA pinned for the manifest's HTTPS origins (DESIGN.md "Scale path"); the system CAs when absent */
        originCa: Path.optional(),
        /** a broker download that receives no chunk for this long re-subscribes (then 2x, 4x … up to 60 s) and reports fetch_stalled */
        stallMs: z.number().int().min(50).max(600_000).default(30_000),
        /** an origin that sends nothing for this long is given up (the broker's chunks take over) */
        originIdleMs: z.number().int().min(100).max(600_000).default(15_000),
      })
      .strict()
      .default({ window: 32, windowBytes: 16 * 1024 * 1024, originIdleMs: 15_000, stallMs: 30_000 }),
    disk: z
      .object({
        /** while the data dir's disk is full, how often its free space is looked at (the fetch resumes when it grows) */
        pollMs: z.number().int().min(50).max(600_000).default(5000),
        /** below this many free bytes at start the disk counts as full */
        minFreeBytes: z.number().int().min(0).max(1024 * 1024 * 1024).default(1024 * 1024),
      })
      .strict()
      .prefault({}),
    /** audit log files kept (winston-daily-rotate-file maxFiles) */
    auditMaxFiles: z.string().max(16).default('30d'),
    // --- the service composition (src/agent/service.ts); every block optional, with defaults ---
    inference: z
      .object({
        /** execution providers in order; default per platform (win32: dml, cpu; linux: cuda, cpu) */
        providers: z.array(z.string().min(1).max(32)).max(8).optional(),
        intraOpNumThreads: z.number().int().min(1).max(64).optional(),
        /**
         * where sessions run: 'process' (a child process per session worker: a run that never ends can be
         * killed, issue 17 §1) or 'thread' (worker threads: less memory, but a stuck native run pins a core
         * and blocks shutdown until it returns)
         */
        isolation: z.enum(['process', 'thread']).default('process'),
        /**
         * with isolation 'process', what the session process is (issue 17 §2): 'native' (the C session host over
         * onnxruntime's C API, ~45 MB less), 'node' (a Node session process), 'auto' = native when it is built for this
         * platform, else node (src/agent/inference/native-host.ts)
         */
        host: z.enum(['auto', 'native', 'node']).default('auto'),
        /** a run not answered within this fails with `timeout` and its worker is replaced */
        runTimeoutMs: z.number().int().min(100).max(600_000).default(30_000),
        /** a model load (create, self-test, warm-up) not done within this fails with `timeout` */
        loadTimeoutMs: z.number().int().min(100).max(600_000).default(120_000),
      })
      .strict()
      .prefault({}),
    endpoint: z
      .object({
        enabled: z.boolean().default(true),
        /** pipe name or socket path; default per user (src/agent/endpoint/paths.ts) */
        path: Path.optional(),
      })
      .strict()
      .prefault({}),
    telemetry: z
      .object({
        /** metrics window length (issue 6: 60 s) */
        windowSec: z.number().min(0.1).max(3600).default(60),
        /** fraction of real detect requests mirrored to a shadow candidate */
        shadowSampleRate: z.number().min(0).max(1).default(0.1),
        /** share of wall time shadow runs may use */
        shadowMaxCpuShare: z.number().min(0).max(1).default(0.25),
      })
      .strict()
      .prefault({}),
    vision: z
      .object({
        /** screen capture for screen/monitor/region sources (node-screenshots); PNG sources work without */
        capture: z.boolean().default(true),
        /** frame-cache entries; 0 disables the cache */
        cacheEntries: z.number().int().min(0).max(64).default(4),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type AgentConfig = z.infer<typeof AgentConfigSchema>;
export type AgentConfigInput = z.input<typeof AgentConfigSchema>;

/** Parses an already-read value; paths relative to `baseDir` (the config file's folder) are resolved. */
export function parseAgentConfig(value: unknown, baseDir?: string): AgentConfig {
  const r = AgentConfigSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = issue && issue.path.length > 0 ? issue.path.join('.') : '(root)';
    throw new AgentError('bad_config', `${path}: ${issue?.message ?? 'invalid'}`, { path, issues: r.error.issues.length });
  }
  const c = r.data;
  // the profile is reported as a label; a label that says otherwise would contradict it
  if (c.labels.profile !== undefined && c.labels.profile !== c.profile)
    throw new AgentError('bad_config', `labels.profile: "${c.labels.profile}" differs from profile "${c.profile}" (set profile only)`, { path: 'labels.profile' });
  if (Object.keys(c.labels).length >= 32 && c.labels.profile === undefined) throw new AgentError('bad_config', 'labels: at most 31 labels besides profile', { path: 'labels' });
  c.labels = { ...c.labels, profile: c.profile };
  if (baseDir) {
    const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
    c.trustFile = abs(c.trustFile);
    c.dataDir = abs(c.dataDir);
    if (c.broker.ca) c.broker.ca = abs(c.broker.ca);
    if (c.broker.cert) c.broker.cert = abs(c.broker.cert);
    if (c.broker.key) c.broker.key = abs(c.broker.key);
    if (c.fetch.originCa) c.fetch.originCa = abs(c.fetch.originCa);
    if (c.endpoint.path && !c.endpoint.path.startsWith('\\\\')) c.endpoint.path = abs(c.endpoint.path);
  }
  return c;
}

export function loadAgentConfig(file: string): AgentConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new AgentError('bad_config', `cannot read config file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new AgentError('bad_config', `config file ${file} is not JSON: ${(e as Error).message}`);
  }
  return parseAgentConfig(json, dirname(resolve(file)));
}
