/**
 * Industry profiles (issue 21 §2): a release may carry settings per profile (detector and classifier
 * thresholds, guard gates, which model serves a role), signed with it. An agent belongs to one profile (its
 * config `profile`, reported as the label `profile=<name>`) and applies that profile's settings; a profile
 * the release does not name falls back to the release's `default` profile (or to the manifests' own
 * settings when there is none), and the status says so. Pure rules, shared by the agent and the fleet tools.
 */
import { z } from 'zod';
import { LABEL_PATTERN } from './selector.js';
// type only: wire.ts imports this module's schemas, so a value import back would be a cycle
import type { Release } from './wire.js';

const PROFILE_ROLES = ['detector', 'classifier', 'similarity'] as const;

export const DEFAULT_PROFILE = 'default';
const score = z.number().finite().min(0).max(1);
const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'lowercase hex sha256');

export const ProfileNameSchema = z.string().regex(LABEL_PATTERN, 'letters, digits, ".", "_" or "-" (1-63)');

/** Unknown keys are refused (`.strict()`): a misspelt threshold must not be silently ignored. */
export const ProfileSettingsSchema = z
  .object({
    /** the detector score threshold when the bot's call names none (the manifest's otherwise) */
    detector: z.object({ minScore: score.optional() }).strict().optional(),
    /** elements whose classifier top-1 probability is below this are not returned */
    classifier: z.object({ minScore: score.optional() }).strict().optional(),
    /** candidate guard gates for this profile's agents, over the candidate's own */
    guard: z
      .object({ maxErrorRate: score.optional(), maxLatencyP95Ms: z.number().finite().positive().optional(), minAgreement: score.optional() })
      .strict()
      .optional(),
    /** the stable model per role for this profile's agents, over the release's */
    models: z.object({ detector: Sha256Hex.optional(), classifier: Sha256Hex.optional(), similarity: Sha256Hex.optional() }).strict().optional(),
  })
  .strict();
export type ProfileSettings = z.infer<typeof ProfileSettingsSchema>;

export const ProfilesSchema = z
  .record(ProfileNameSchema, ProfileSettingsSchema)
  .refine((p) => Object.keys(p).length <= 64, 'at most 64 profiles');
export type Profiles = z.infer<typeof ProfilesSchema>;

/** What an agent shows in status: its profile, the one whose settings it applies, and why when they differ. */
export const ProfileStatusSchema = z.object({
  name: ProfileNameSchema,
  applied: ProfileNameSchema,
  reason: z.string().max(256).optional(),
  settings: ProfileSettingsSchema,
});
export type ProfileStatus = z.infer<typeof ProfileStatusSchema>;

/** The settings an agent of profile `name` applies under a release's `profiles` (absent: none). */
export function resolveProfile(profiles: Profiles | undefined, name: string): ProfileStatus {
  const own = profiles?.[name];
  if (own) return { name, applied: name, settings: own };
  const fallback = profiles?.[DEFAULT_PROFILE] ?? {};
  if (name === DEFAULT_PROFILE) return { name, applied: DEFAULT_PROFILE, settings: fallback };
  const reason = profiles
    ? `the release has no profile "${name}": the default settings apply`
    : 'the release carries no profiles: the default settings apply';
  return { name, applied: DEFAULT_PROFILE, reason, settings: fallback };
}

/** The detector threshold for one call: the bot's own explicit minScore wins over the profile's. */
export function detectorMinScore(requested: number | undefined, profile: ProfileSettings | undefined): number | undefined {
  return requested ?? profile?.detector?.minScore;
}

/**
 * The release as an agent of profile `name` follows it: the profile's models replace the roles' stable
 * models (a role the release does not name stays unnamed) and its guard gates tighten each candidate's.
 * The signed release is unchanged; this is the agent's reading of it.
 */
export function releaseForProfile(release: Release, name: string): Release {
  const { settings } = resolveProfile(release.profiles, name);
  if (!settings.models && !settings.guard) return release;
  const roles: Release['roles'] = {};
  for (const role of PROFILE_ROLES) {
    const rr = release.roles[role];
    if (!rr) continue;
    const stable = settings.models?.[role] ?? rr.stable;
    const candidate = rr.candidate && settings.guard ? { ...rr.candidate, gates: { ...rr.candidate.gates, ...settings.guard } } : rr.candidate;
    roles[role] = { stable, ...(candidate ? { candidate } : {}) };
  }
  return { ...release, roles };
}
