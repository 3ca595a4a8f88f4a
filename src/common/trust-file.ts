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

export const TrustFileSchema = z.object({
  version: z.literal(1),
  // approvers (issue 16 §4) is read by the fleet controller only; optional, so older trust files stay valid
  roles: z.object({ models: TrustRoleSchema, releases: TrustRoleSchema, approvers: TrustRoleSchema.optional() }),
});
export type TrustFile = z.infer<typeof TrustFileSchema>;
/** the roles every trust file has (agents verify with these) */
export type TrustRoleName = 'models' | 'releases';
