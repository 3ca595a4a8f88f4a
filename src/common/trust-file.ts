/**
 * The agent's trust file (DESIGN.md "Trust rules"): trusted Ed25519 public keys and a threshold per
 * role. It comes from the installation (read-only for users), never from the wire.
 */
import { z } from 'zod';

const RawKeyBase64 = z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'base64 of a raw 32-byte Ed25519 public key');

export const TrustRoleSchema = z.object({
  threshold: z.number().int().min(1).max(16),
  keys: z
    .array(z.object({ publicKey: RawKeyBase64, comment: z.string().max(256).optional() }))
    .min(1)
    .max(32),
}).refine((r) => r.keys.length >= r.threshold, 'threshold is larger than the number of keys');

export const TrustRolesSchema = z.object({
  models: TrustRoleSchema,
  releases: TrustRoleSchema,
  // approvers (issue 16 §4) is read by the fleet controller only; optional, so older trust files stay valid
  approvers: TrustRoleSchema.optional(),
  // root (issue 20 §1, TUF's root role) signs trust statements; without it the trust cannot rotate over the wire
  root: TrustRoleSchema.optional(),
});
export type TrustRoles = z.infer<typeof TrustRolesSchema>;

export const TrustFileSchema = z.object({
  version: z.literal(1),
  roles: TrustRolesSchema,
});
export type TrustFile = z.infer<typeof TrustFileSchema>;

export const PAYLOAD_TYPE_TRUST = 'application/vnd.rpa-edge.trust+json';
/** a trust statement envelope is small: a bound checked on the raw bytes before any parsing */
export const MAX_TRUST_STATEMENT_BYTES = 64 * 1024;

const IsoDate = z.string().datetime({ offset: true });
const KeyId = z.string().regex(/^[0-9a-f]{64}$/, 'lowercase hex sha256 of a raw public key');

/**
 * A trust statement (DESIGN.md "Roles and rotation"; TUF's root metadata): version N+1 of the trust,
 * signed by a threshold of version N's root keys and of its own root keys, retained on
 * `{prefix}/trust/{version}`. The installed trust file is version 1.
 */
export const TrustStatementSchema = z.object({
  schemaVersion: z.literal(1),
  version: z.number().int().min(2).max(1_000_000_000),
  issued: IsoDate,
  expires: IsoDate,
  roles: TrustRolesSchema.extend({ root: TrustRoleSchema }),
  /** keyids revoked by this or an earlier statement: they never count again, in any role */
  revoked: z.array(KeyId).max(256).default([]),
  note: z.string().max(512).optional(),
});
export type TrustStatement = z.infer<typeof TrustStatementSchema>;
/** the roles every trust file has (agents verify with these) */
export type TrustRoleName = 'models' | 'releases';
