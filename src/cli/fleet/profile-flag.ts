/**
 * `--profile NAME:key=value,key=value` (repeatable) of `rpa-fleet release publish` (issue 21 §2): industry
 * profile settings carried in the signed release. Keys: detector.minScore, classifier.minScore (0-1),
 * guard.maxErrorRate, guard.minAgreement (0-1), guard.maxLatencyP95Ms (ms), models.<role> (a 64-hex modelId).
 * Pure: returns the profiles or a message for error[bad_argument].
 */
import { ProfileNameSchema, ProfileSettingsSchema, type Profiles } from '../../common/profiles.js';

const NUMERIC = new Set(['detector.minScore', 'classifier.minScore', 'guard.maxErrorRate', 'guard.minAgreement', 'guard.maxLatencyP95Ms']);
const MODEL_KEYS = new Set(['models.detector', 'models.classifier', 'models.similarity']);

export function parseProfileFlags(values: readonly string[]): { ok: true; profiles: Profiles | undefined } | { ok: false; message: string } {
  if (values.length === 0) return { ok: true, profiles: undefined };
  const profiles: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const raw of values) {
    const colon = raw.indexOf(':');
    const name = colon < 0 ? raw : raw.slice(0, colon);
    const where = `--profile ${JSON.stringify(raw)}`;
    if (colon < 0 || !ProfileNameSchema.safeParse(name).success) return { ok: false, message: `${where}: NAME:key=value[,key=value] with NAME of letters, digits, ".", "_" or "-"` };
    if (profiles[name]) return { ok: false, message: `${where}: profile ${name} is given twice (put its settings in one --profile)` };
    const settings: Record<string, Record<string, unknown>> = {};
    for (const pair of raw.slice(colon + 1).split(',')) {
      const eq = pair.indexOf('=');
      const key = eq < 0 ? pair : pair.slice(0, eq);
      const value = eq < 0 ? '' : pair.slice(eq + 1);
      if (!NUMERIC.has(key) && !MODEL_KEYS.has(key)) return { ok: false, message: `${where}: unknown key ${JSON.stringify(key)} (${[...NUMERIC, ...MODEL_KEYS].join(', ')})` };
      if (eq < 0 || value === '') return { ok: false, message: `${where}: ${key} needs a value (${key}=...)` };
      const [group, field] = key.split('.') as [string, string];
      const n = Number(value);
      if (NUMERIC.has(key) && !Number.isFinite(n)) return { ok: false, message: `${where}: ${key} must be a number` };
      (settings[group] ??= {})[field] = NUMERIC.has(key) ? n : value;
    }
    const r = ProfileSettingsSchema.safeParse(settings);
    if (!r.success) {
      const issue = r.error.issues[0];
      return { ok: false, message: `${where}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}` };
    }
    profiles[name] = r.data as Record<string, Record<string, unknown>>;
  }
  return { ok: true, profiles: profiles as Profiles };
}
