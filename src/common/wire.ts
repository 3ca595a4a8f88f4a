/**
 * The MQTT wire contract (DESIGN.md "Wire protocol"): one zod schema per payload, shared by the agent,
 * the fleet tools and the simulator. Inbound messages are parsed once, at the edge, with these.
 */
import { z } from 'zod';
import { isSemver } from './semver.js';
import { isValidTopicSegment } from './topics.js';
import { LABEL_PATTERN, MAX_SELECTOR_LENGTH, parseSelector } from './selector.js';
import { ProfilesSchema, ProfileStatusSchema } from './profiles.js';

export const ROLES = ['detector', 'classifier', 'similarity'] as const;
export const RoleSchema = z.enum(ROLES);
export type Role = z.infer<typeof RoleSchema>;

export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'lowercase hex sha256');
/** modelId is the lowercase hex sha256 of the model file: models are content-addressed. */
export const ModelIdSchema = Sha256Hex;
export const SegmentSchema = z.string().refine(isValidTopicSegment, 'letters, digits, ".", "_" or "-" (1-128)');
export const SemverSchema = z.string().max(64).refine(isSemver, 'a semantic version such as 1.2.0');
const IsoDate = z.string().datetime({ offset: true });
const finite = z.number().finite();

export const MAX_MANIFEST_BYTES = 1024 * 1024; // DESIGN.md: manifest ≤ 1 MiB
export const MAX_CHUNK_SIZE = 16 * 1024 * 1024;

export const TensorDtypeSchema = z.enum(['float32', 'float16', 'int64', 'int32', 'int8', 'uint8', 'bool']);
export const TensorSpecSchema = z.object({
  name: z.string().min(1).max(256),
  dtype: TensorDtypeSchema,
  /** a number is a fixed dimension; a string is a symbolic one (e.g. "batch") that matches any size */
  shape: z.array(z.union([z.number().int().nonnegative(), z.string().min(1).max(64)])).max(8),
});
export type TensorSpec = z.infer<typeof TensorSpecSchema>;

export const ContractSchema = z.object({
  inputs: z.array(TensorSpecSchema).min(1).max(16),
  outputs: z.array(TensorSpecSchema).min(1).max(16),
});
export type ModelContract = z.infer<typeof ContractSchema>;

export const PreprocessSchema = z.object({
  inputWidth: z.number().int().positive().max(4096),
  inputHeight: z.number().int().positive().max(4096),
  letterbox: z.boolean().default(true),
  /** pad value in 0..255 pixel units, before normalisation */
  padValue: finite.min(0).max(255).default(114),
  /** pixel/scale then (x - mean)/std per channel */
  scale: finite.positive().default(255),
  mean: z.array(finite).length(3).default([0, 0, 0]),
  std: z.array(finite.positive()).length(3).default([1, 1, 1]),
  channelOrder: z.enum(['RGB', 'BGR']).default('RGB'),
  /**
   * classifier / similarity crops: box grown by `expand` of its size (at least `minPad` px) per side. With `views`
   * (2..4 rules) the model takes [N, 3·V, S, S]: view k's crop, cut by its own rule at the same size S, in channels
   * 3k..3k+2, and `expand`/`minPad` are not used for cropping (docs/MODELS.md "Crop rule"). expand goes up to 2, for
   * the one rule and for a view, as scripts/train/train_classifier.py's --crop-expand does.
   */
  crop: z
    .object({
      expand: finite.min(0).max(2),
      minPad: finite.min(0).max(64),
      size: z.number().int().positive().max(1024),
      views: z.array(z.object({ expand: finite.min(0).max(2), minPad: finite.min(0).max(64) })).min(2).max(4).optional(),
    })
    .optional(),
});
export type Preprocess = z.infer<typeof PreprocessSchema>;

export const PostprocessSchema = z.object({
  format: z.enum(['yolov8', 'softmax', 'logits', 'l2-embedding']),
  scoreThreshold: finite.min(0).max(1).optional(),
  iouThreshold: finite.min(0).max(1).optional(),
  maxDetections: z.number().int().positive().max(10000).optional(),
  /**
   * classifier with a `background` label (docs/MODELS.md "Background label"): an element whose p(background) is above
   * this is dropped from the answer (default 0.5). Agents older than this field drop the key and keep every element.
   */
  backgroundThreshold: finite.min(0).max(1).optional(),
});
export type Postprocess = z.infer<typeof PostprocessSchema>;

/**
 * A self-test input is either inline data or a deterministic pattern the agent regenerates
 * (so a detector-sized input fits in a ≤ 1 MiB manifest). Pattern "mod7919": x[i] = ((i * 7919) % 256) / 255.
 * The expected output is compared at `indices` (flat), or in full when indices are absent.
 */
export const SelfTestSchema = z.object({
  input: z
    .object({
      name: z.string().min(1),
      shape: z.array(z.number().int().positive()).min(1).max(8),
      data: z.array(finite).max(65536).optional(),
      pattern: z.enum(['mod7919']).optional(),
    })
    .refine((i) => (i.data === undefined) !== (i.pattern === undefined), 'exactly one of data or pattern'),
  expected: z.object({
    name: z.string().min(1),
    indices: z.array(z.number().int().nonnegative()).max(65536).optional(),
    values: z.array(finite).min(1).max(65536),
  }),
  tolerance: finite.positive().max(1),
});
export type SelfTest = z.infer<typeof SelfTestSchema>;

export const BaselineSchema = z.object({
  latencyP95Ms: finite.nonnegative(),
  /** fraction of predictions per confidence decile [0,0.1), …, [0.9,1.0]; sums to ~1 */
  confidenceHistogram: z.array(finite.min(0).max(1)).length(10),
});

/**
 * One hardware variant of a model version (issue 21 §1): its own file — sha256, size, chunk layout (chunks at
 * `models/{variant sha256}/chunks/{n}`) — contract and self-test, listed in the base's signed manifest. Which one
 * an agent serves is chosen by common/variants.ts `chooseVariant`; `fp32` is always the base file itself.
 */
export const VariantSchema = z.object({
  name: SegmentSchema.refine((n) => n !== 'fp32' && n !== 'auto', '"fp32" names the base model and "auto" the choice rule'),
  precision: z.enum(['fp32', 'fp16', 'int8']),
  /** how the file is laid out, e.g. "qdq" (QuantizeLinear/DequantizeLinear pairs) or "onnx" */
  format: z.string().min(1).max(32),
  sha256: Sha256Hex,
  size: z.number().int().positive(),
  chunkSize: z.number().int().positive().max(MAX_CHUNK_SIZE),
  chunkSha256: z.array(Sha256Hex).min(1).max(1 << 20),
  contract: ContractSchema,
  /** a variant always proves itself: expected values computed with onnxruntime on the variant's own file */
  selfTest: SelfTestSchema,
  /** where the variant pays off: execution providers (any of) and CPU flags (any of; /proc/cpuinfo names) */
  prefers: z
    .object({ providers: z.array(z.string().min(1).max(32)).max(8).optional(), cpuFlags: z.array(z.string().min(1).max(32)).max(16).optional() })
    .default({}),
});
export type Variant = z.infer<typeof VariantSchema>;

export const ModelManifestSchema = z.object({
  schemaVersion: z.literal(1).default(1),
  role: RoleSchema,
  name: SegmentSchema,
  version: SemverSchema,
  sha256: Sha256Hex,
  size: z.number().int().positive(),
  chunkSize: z.number().int().positive().max(MAX_CHUNK_SIZE),
  chunkSha256: z.array(Sha256Hex).min(1).max(1 << 20),
  contract: ContractSchema,
  labels: z.array(z.string().min(1).max(128)).max(4096).default([]),
  preprocess: PreprocessSchema.optional(),
  postprocess: PostprocessSchema.optional(),
  selfTest: SelfTestSchema.optional(),
  baseline: BaselineSchema.optional(),
  /** p95 latency budget for the warm-up check; falls back to the agent's config (fleet default 100 ms) */
  latencyBudgetMs: finite.positive().max(60000).optional(),
  /** optional HTTPS origins for the bytes (DESIGN.md "Scale path"), checked against the same sha256 */
  origins: z.array(z.string().url().startsWith('https://')).max(8).optional(),
  /**
   * hardware variants of this version (issue 21 §1), signed with the rest of the manifest. Agents older than
   * this field strip it (the schema drops unknown keys) and fetch the base file as before.
   */
  variants: z.array(VariantSchema).max(8).optional(),
  created: IsoDate,
});
export type ModelManifest = z.infer<typeof ModelManifestSchema>;

export const GatesSchema = z.object({
  maxErrorRate: finite.min(0).max(1).default(0.01),
  maxLatencyP95Ms: finite.positive().default(100),
  minAgreement: finite.min(0).max(1).optional(),
  /** agent-local guard window (seconds) and the minimum requests before a breach can be judged */
  guardWindowSec: finite.positive().max(86400).default(60),
  minSamples: z.number().int().positive().default(20),
});
export type Gates = z.infer<typeof GatesSchema>;

export const CandidateSchema = z.object({
  modelId: ModelIdSchema,
  rolloutId: SegmentSchema,
  percent: finite.min(0).max(100),
  shadow: z.boolean().default(false),
  gates: GatesSchema.default({} as never),
  /**
   * label selector (selector.ts, issue 16 §6): only agents whose config labels match take the
   * candidate. Agents older than this field ignore it (they report no `labels`; the controller counts
   * them by bucket alone, which is what they do).
   */
  selector: z
    .string()
    .max(MAX_SELECTOR_LENGTH)
    .refine((s) => {
      try {
        parseSelector(s);
        return true;
      } catch {
        return false;
      }
    }, 'a label selector such as site=berlin,dept in (finance,hr)')
    .optional(),
});
export type Candidate = z.infer<typeof CandidateSchema>;

export const RoleReleaseSchema = z.object({ stable: ModelIdSchema, candidate: CandidateSchema.optional() });
export type RoleRelease = z.infer<typeof RoleReleaseSchema>;

export const ReleaseSchema = z
  .object({
    schemaVersion: z.literal(1).default(1),
    channel: SegmentSchema,
    /** strictly increasing per channel (rollback attack) */
    seq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    issued: IsoDate,
    expires: IsoDate,
    roles: z.object({ detector: RoleReleaseSchema.optional(), classifier: RoleReleaseSchema.optional(), similarity: RoleReleaseSchema.optional() }),
    note: z.string().max(1024).optional(),
    /**
     * industry profiles (issue 21 §2, common/profiles.ts): settings per profile name, signed with the release.
     * Agents older than this field strip it and follow the release as before.
     */
    profiles: ProfilesSchema.optional(),
  })
  .refine((r) => Date.parse(r.expires) > Date.parse(r.issued), 'expires must be after issued');
export type Release = z.infer<typeof ReleaseSchema>;

/** Per-role state machine (DESIGN.md "Agent core"). */
export const ROLE_STATES = ['idle', 'fetching', 'verifying', 'loading', 'self_test', 'active', 'committed', 'rolled_back', 'failed'] as const;
export const RoleStateSchema = z.enum(ROLE_STATES);
export type RoleState = z.infer<typeof RoleStateSchema>;

export const CohortSchema = z.enum(['stable', 'candidate', 'shadow']);
export type Cohort = z.infer<typeof CohortSchema>;

export const RoleStatusSchema = z.object({
  state: RoleStateSchema,
  modelId: ModelIdSchema.optional(),
  name: z.string().optional(),
  version: z.string().optional(),
  provider: z.string().optional(),
  cohort: CohortSchema.optional(),
  rolloutId: z.string().optional(),
  /** model being fetched/loaded, with progress 0..1 while fetching */
  pending: z.object({ modelId: ModelIdSchema, name: z.string().optional(), version: z.string().optional(), progress: finite.min(0).max(1) }).optional(),
  lastError: z.object({ code: z.string(), message: z.string() }).optional(),
  /** the variant of `modelId` that serves (issue 21 §1): "fp32" is the base file; absent from older agents */
  variant: z.object({ name: z.string().max(128), precision: z.string().max(16).optional(), sha256: Sha256Hex.optional() }).optional(),
});
export type RoleStatus = z.infer<typeof RoleStatusSchema>;

const LabelSchema = z.string().regex(LABEL_PATTERN, 'letters, digits, ".", "_" or "-" (1-63)');
/** an agent's config labels (site, dept, profile, …); at most 32 */
export const LabelsSchema = z.record(LabelSchema, LabelSchema).refine((l) => Object.keys(l).length <= 32, 'at most 32 labels');
/**
 * A condition of the agent as a whole or of one role that a person or the fleet should see while it lasts
 * (issue 17 §1): `disk_full`, `release_expired`, `fetch_stalled`, `worker_restarted`, `provider_fallback`.
 * Each is also an event when it starts; `count` says how often it happened since `since`.
 */
export const AgentAlertSchema = z.object({
  code: z.string().max(64),
  role: RoleSchema.optional(),
  since: IsoDate,
  message: z.string().max(2048),
  count: z.number().int().positive().optional(),
});
export type AgentAlert = z.infer<typeof AgentAlertSchema>;

export const AgentStatusSchema = z.object({
  agentId: SegmentSchema,
  online: z.boolean(),
  ts: IsoDate,
  agentVersion: z.string().max(64),
  platform: z.string().max(64).optional(),
  channel: SegmentSchema.optional(),
  releaseSeq: z.number().int().nonnegative().optional(),
  roles: z.object({ detector: RoleStatusSchema.optional(), classifier: RoleStatusSchema.optional(), similarity: RoleStatusSchema.optional() }).default({}),
  /** config labels the agent matches candidate selectors against (absent: an agent that ignores selectors) */
  labels: LabelsSchema.optional(),
  alerts: z.array(AgentAlertSchema).max(32).optional(),
  /** the agent's industry profile and the settings it applies (issue 21 §2); absent from older agents */
  profile: ProfileStatusSchema.optional(),
  /**
   * what this agent serves beyond the baseline (names and meanings: src/common/agent-features.ts). Absent: an
   * agent older than the list, so it has none. Unknown names (a newer agent's) are kept, not refused.
   */
  features: z.array(z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/)).max(32).optional(),
});
export type AgentStatus = z.infer<typeof AgentStatusSchema>;

/**
 * The lifetime of a per-agent sequence (issue 16 §2): a new epoch begins whenever the counter starts
 * again (a re-install, a simulator process start). Consumers deduplicate on (agentId, epoch, seq);
 * messages without one (older agents) share the epoch "".
 */
export const EpochSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or - (1-64)');

export const EVENT_TYPES = [
  'release_accepted',
  'release_rejected',
  'model_rejected',
  'download_started',
  'download_progress',
  'model_verified',
  'activated',
  'activation_failed',
  'committed',
  'rolled_back',
  'store_recovered',
  'provider_fallback',
  'endpoint_alarm',
  /** a manifest's HTTPS origin failed; the rest of the model comes from the broker's chunks */
  'origin_fallback',
  /** a role's inference worker ended (crash, a run past its timeout); its model was reloaded from the store in a fresh one */
  'worker_restarted',
  /** freeze attack: the accepted release expired, or an expired release was published; the active models keep serving */
  'release_expired',
  /** the data dir's disk is full: downloads pause until space returns */
  'disk_full',
  /** a download received nothing for the stall timeout; it re-subscribes with backoff */
  'fetch_stalled',
  /** a trust statement (issue 20 §1) was accepted: the keys in force changed (details.version, details.revoked) */
  'trust_updated',
  /** a trust statement was refused (reason: trust_* code); the trust in force and the active models are unchanged */
  'trust_rejected',
  /** a model's chosen variant failed a gate (reason: its code; details.variant); the base fp32 file is fetched instead */
  'variant_fallback',
] as const;
export const AgentEventSchema = z.object({
  agentId: SegmentSchema,
  ts: IsoDate,
  /** per-agent sequence so a consumer can drop duplicates, by (agentId, epoch, seq) */
  epoch: EpochSchema.optional(),
  seq: z.number().int().nonnegative(),
  type: z.enum(EVENT_TYPES),
  role: RoleSchema.optional(),
  modelId: ModelIdSchema.optional(),
  channel: z.string().optional(),
  releaseSeq: z.number().int().optional(),
  /** stable reason code (errors.ts) for rejections, failures and rollbacks */
  reason: z.string().max(64).optional(),
  message: z.string().max(2048).optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type AgentEvent = z.infer<typeof AgentEventSchema>;

export const LatencyHistogramSchema = z.object({
  /** upper bounds in ms of each bucket; the last count is for values above the last bound */
  boundsMs: z.array(finite.positive()).max(64),
  counts: z.array(z.number().int().nonnegative()).max(65),
});

export const RoleMetricsSchema = z.object({
  modelId: ModelIdSchema.optional(),
  version: z.string().optional(),
  provider: z.string().optional(),
  cohort: CohortSchema.optional(),
  rolloutId: z.string().optional(),
  /** the variant that served in this window (issue 21 §1); "fp32" is the base file */
  variant: z.string().max(128).optional(),
  count: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  latency: LatencyHistogramSchema.extend({ p50: finite.nonnegative(), p95: finite.nonnegative(), p99: finite.nonnegative() }),
  confidenceHistogram: z.array(z.number().int().nonnegative()).length(10),
  /** population stability index of the confidence histogram against the manifest baseline */
  psi: finite.nonnegative().optional(),
  shadow: z
    .object({
      modelId: ModelIdSchema,
      samples: z.number().int().nonnegative(),
      agreement: finite.min(0).max(1),
      latencyP95: finite.nonnegative(),
      errors: z.number().int().nonnegative(),
    })
    .optional(),
});
export type RoleMetrics = z.infer<typeof RoleMetricsSchema>;

export const MetricsWindowSchema = z.object({
  agentId: SegmentSchema,
  /** the seq's lifetime (EpochSchema): the controller drops duplicates by (agentId, epoch, seq) */
  epoch: EpochSchema.optional(),
  /** strictly increasing per agent and epoch */
  seq: z.number().int().nonnegative(),
  windowStart: IsoDate,
  windowEnd: IsoDate,
  channel: z.string().optional(),
  releaseSeq: z.number().int().nonnegative().optional(),
  /** the profile whose settings the agent applied in this window (issue 21 §2) */
  profile: z.string().max(63).optional(),
  roles: z.object({ detector: RoleMetricsSchema.optional(), classifier: RoleMetricsSchema.optional(), similarity: RoleMetricsSchema.optional() }),
  frameCache: z.object({ hits: z.number().int().nonnegative(), misses: z.number().int().nonnegative() }).optional(),
  process: z
    .object({ rssBytes: z.number().nonnegative(), heapUsedBytes: z.number().nonnegative(), eventLoopDelayP99Ms: finite.nonnegative() })
    .optional(),
});
export type MetricsWindow = z.infer<typeof MetricsWindowSchema>;

export const BoxSchema = z.tuple([finite, finite, finite, finite]); // x1, y1, x2, y2 in screen pixels
export const FeedbackSchema = z.object({
  agentId: SegmentSchema,
  id: z.string().min(1).max(64),
  ts: IsoDate,
  kind: z.enum(['wrong_type', 'false_positive', 'missed', 'wrong_state', 'other']),
  role: RoleSchema.optional(),
  modelId: ModelIdSchema.optional(),
  box: BoxSchema.optional(),
  expectedType: z.string().max(64).optional(),
  detectedType: z.string().max(64).optional(),
  note: z.string().max(1024).optional(),
  /** PNG of the screenshot region, base64, bounded so one message stays small */
  imagePng: z.string().max(2_000_000).optional(),
});
export type Feedback = z.infer<typeof FeedbackSchema>;
