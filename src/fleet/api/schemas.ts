/**
 * The request contracts of the controller's admin operations (issue 19 §1), as zod schemas shared by
 * the HTTP API (request bodies and query strings) and the `rpa-fleet` CLI (its flags are turned into
 * these objects and validated with the same schemas, locally and against a remote controller).
 * OpenAPI 3.1 is generated from them (openapi.ts), so the document cannot drift from what is enforced.
 */
import { z } from 'zod';
import { ProfilesSchema } from '../../common/profiles.js';
import { parseSelector } from '../../common/selector.js';
import { RoleSchema, SegmentSchema } from '../../common/wire.js';
import { parseMaintenanceWindow } from '../controller/maintenance.js';
import { validateWaves } from '../controller/judge.js';

export const API_ROLES = ['viewer', 'operator', 'approver'] as const;
export const ApiRoleSchema = z.enum(API_ROLES);
export type ApiRole = z.infer<typeof ApiRoleSchema>;

const hex64 = /^[0-9a-f]{64}$/;
/** `<64 hex modelId>`, `name@version` or `name@latest` */
export const ModelRefSchema = z
  .string()
  .regex(/^([0-9a-f]{64}|[A-Za-z0-9._-]{1,128}@[0-9A-Za-z.+-]{1,64})$/, 'a 64-hex modelId, name@version or name@latest')
  .describe('a model: 64-hex modelId, name@version or name@latest');
export const ModelIdSchema = z.string().regex(hex64, 'a 64-hex modelId');
/** who acts and why (the actor over the API is the token's name, never taken from the body) */
export const ReasonSchema = z.string().trim().min(1, 'say why').max(1024).describe('why: recorded in the audit log');
const mustParse = (f: (s: string) => unknown) => (s: string) => {
  try {
    f(s);
    return true;
  } catch {
    return false;
  }
};
export const SelectorSchema = z.string().trim().min(1).max(1024).refine(mustParse(parseSelector), 'a label selector: key=value or key in (a,b), comma = and');
export const MaintenanceWindowSchema = z.string().min(1).max(128).refine(mustParse(parseMaintenanceWindow), 'a maintenance window such as "Mon-Fri 22:00-05:00 UTC"');
const ms = (what: string) => z.number().int().positive().max(365 * 86_400_000).describe(`${what}, milliseconds`);

/** `rollout start` (CLI flags and POST /api/v1/rollouts). Omitted gates take DEFAULT_SPEC's values. */
export const RolloutStartBodySchema = z
  .object({
    channel: SegmentSchema,
    role: RoleSchema,
    candidate: ModelRefSchema,
    stable: ModelIdSchema.optional().describe('the model to return to (default: the channel release\'s current stable)'),
    waves: z
      .array(z.number().positive().max(100))
      .min(1)
      .max(32)
      .refine((w) => validateWaves(w) === undefined, 'ascending percentages ending at 100')
      .optional(),
    waveMinDurationMs: ms('minimum time per wave').optional(),
    breachLookbackMs: ms('recent windows judged on their own').optional(),
    releaseTtlMs: ms('expiry of each published release').optional(),
    minAgents: z.number().int().min(1).max(1e9).optional(),
    minRequests: z.number().int().min(1).max(1e12).optional(),
    maxErrorRate: z.number().min(0).max(1).optional(),
    maxP95Ms: z.number().min(0.001).max(600_000).optional(),
    maxP95RatioToStable: z.number().min(0).max(1000).optional(),
    minAgreement: z.number().min(0).max(1).optional(),
    shadowFirst: z.boolean().optional(),
    shadowPercent: z.number().min(0.0001).max(100).optional(),
    approveEachWave: z.boolean().optional(),
    approvals: z.number().int().min(0).max(16).optional().describe('signed approvals by distinct approver keys each gated wave needs'),
    twoPerson: z.boolean().optional().describe('whoever starts the rollout cannot approve it'),
    selector: SelectorSchema.optional(),
    windows: z.array(MaintenanceWindowSchema).max(16).optional(),
    reason: ReasonSchema.optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (!b.shadowFirst && (b.minAgreement !== undefined || b.shadowPercent !== undefined)) ctx.addIssue({ code: 'custom', path: ['shadowFirst'], message: 'minAgreement and shadowPercent need shadowFirst' });
    if (b.twoPerson && !b.approvals) ctx.addIssue({ code: 'custom', path: ['twoPerson'], message: 'twoPerson needs approvals (signed approvals)' });
  });
export type RolloutStartBody = z.infer<typeof RolloutStartBodySchema>;

/** pause / resume / abort over the API: the reason is required */
export const RolloutActionBodySchema = z.object({ reason: ReasonSchema }).strict();
export type RolloutActionBody = z.infer<typeof RolloutActionBodySchema>;

/** approve: a DSSE approval statement signed by an approver key (rollouts with --approvals), or none */
export const DsseEnvelopeBodySchema = z
  .object({
    payloadType: z.string().min(1).max(256),
    payload: z.string().min(1).max(65_536),
    signatures: z.array(z.object({ keyid: z.string().max(256).optional(), sig: z.string().min(1).max(1024) }).passthrough()).min(1).max(16),
  })
  .passthrough();
export const RolloutApproveBodySchema = z
  .object({
    envelope: DsseEnvelopeBodySchema.optional().describe('the signed approval statement (rollout approve --key signs it on the approver\'s machine)'),
    reason: ReasonSchema,
  })
  .strict();
export type RolloutApproveBody = z.infer<typeof RolloutApproveBodySchema>;

/** models deprecate / yank */
export const ModelMarkBodySchema = z.object({ reason: ReasonSchema }).strict();
export type ModelMarkBody = z.infer<typeof ModelMarkBodySchema>;

/** release publish (the controller signs with its releases key and publishes on its broker) */
export const CandidateBodySchema = z
  .object({
    ref: ModelRefSchema,
    percent: z.number().min(0).max(100),
    rolloutId: SegmentSchema,
    shadow: z.boolean().default(false),
    maxErrorRate: z.number().min(0).max(1).optional(),
    maxP95Ms: z.number().min(0.001).max(600_000).optional(),
    minAgreement: z.number().min(0).max(1).optional(),
  })
  .strict();
const perRole = <T extends z.ZodType>(s: T) => z.object({ detector: s.optional(), classifier: s.optional(), similarity: s.optional() }).strict();
export const ReleasePublishBodySchema = z
  .object({
    channel: SegmentSchema,
    stable: perRole(ModelRefSchema).default({}),
    candidates: perRole(CandidateBodySchema).default({}),
    expiresInMs: ms('release validity').default(7 * 86_400_000),
    seq: z.number().int().min(1).optional(),
    note: z.string().max(1024).optional(),
    replace: z.boolean().default(false).describe('do not carry over roles this release does not name'),
    profiles: ProfilesSchema.optional().describe('industry profiles (issue 21 §2); absent: the current release\'s are carried over'),
    reason: ReasonSchema.optional(),
  })
  .strict()
  .refine((b) => Object.keys(b.stable).length + Object.keys(b.candidates).length > 0, 'name at least one model (stable or candidate)');
export type ReleasePublishBody = z.infer<typeof ReleasePublishBodySchema>;

// ---- query strings (strings on the wire, coerced) --------------------------------------------------

const boolQ = z.enum(['true', 'false']).transform((v) => v === 'true');
export const AgentsQuerySchema = z
  .object({
    online: boolQ.optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional().describe('a page of at most limit agents (with after: the next page); without limit and after, every agent'),
    after: z.string().min(1).max(256).optional().describe('agentId: the page starts after it (the previous page\'s next)'),
  })
  .strict();
export const AgentQuerySchema = z.object({ windows: z.coerce.number().int().min(0).max(500).default(5), events: z.coerce.number().int().min(0).max(500).default(10) }).strict();
export const FleetQuerySchema = z.object({ sinceMs: z.coerce.number().int().min(1000).max(30 * 86_400_000).default(300_000) }).strict();
export const RolloutsQuerySchema = z.object({ active: boolQ.optional() }).strict();
export const RolloutEvidenceQuerySchema = z.object({ since: z.coerce.number().int().min(0).optional().describe('epoch ms'), limit: z.coerce.number().int().min(1).max(5000).default(500) }).strict();
export const AuditQuerySchema = z
  .object({
    since: z.string().max(64).optional().describe('a look-back duration (24h) or an ISO date'),
    actor: z.string().max(128).optional(),
    rollout: z.string().max(128).optional(),
  })
  .strict();
export const FeedbackQuerySchema = z.object({ since: z.string().refine((s) => Number.isFinite(Date.parse(s)), 'an ISO date').optional() }).strict();
export const ModelsQuerySchema = z.object({ name: z.string().max(128).optional() }).strict();
export const EmptyQuerySchema = z.object({}).strict();

// ---- path parameters --------------------------------------------------------------------------------

export const IdParamsSchema = z.object({ id: z.string().min(1).max(128) });
export const AgentParamsSchema = z.object({ agentId: z.string().min(1).max(256) });
export const ModelParamsSchema = z.object({ ref: ModelRefSchema });
export const ChannelParamsSchema = z.object({ channel: SegmentSchema });
export const NoParamsSchema = z.object({});

/** `tokens create` (local only: tokens are made on the controller's machine, never over the API) */
export const TokenCreateSchema = z.object({ name: z.string().trim().regex(/^[^\p{Cc}]{1,128}$/u, '1-128 printable characters'), role: ApiRoleSchema }).strict();
