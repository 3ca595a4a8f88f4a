/**
 * The flags of `rollout start` → the request body of POST /api/v1/rollouts (issue 19 §1: the CLI and
 * the API validate rollouts with the same zod schema, RolloutStartBodySchema). Used by the local verb
 * and by the remote one (`rpa-fleet --controller URL rollout start …`).
 */
import { isValidTopicSegment } from '../../common/topics.js';
import { ROLES } from '../../common/wire.js';
import { parseSelector } from '../../common/selector.js';
import { parseMaintenanceWindow } from '../../fleet/controller/maintenance.js';
import { DEFAULT_SPEC, validateWaves } from '../../fleet/controller/judge.js';
import { RolloutStartBodySchema, type RolloutStartBody } from '../../fleet/api/schemas.js';
import { parseDuration } from '../command.js';

const num = (v: unknown, flag: string, min: number, max: number): number | string | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= min && n <= max ? n : `${flag} must be a number from ${min} to ${max}`;
};

/** The flags of `rollout start` that describe the rollout (shared by the local and the remote verb). */
export const rolloutStartOptions = {
  channel: { type: 'string' },
  role: { type: 'string' },
  candidate: { type: 'string' },
  stable: { type: 'string' },
  waves: { type: 'string' },
  'wave-min-duration': { type: 'string' },
  'min-agents': { type: 'string' },
  'max-error-rate': { type: 'string' },
  'max-p95-ms': { type: 'string' },
  'max-p95-ratio': { type: 'string' },
  'min-agreement': { type: 'string' },
  'min-requests': { type: 'string' },
  'shadow-first': { type: 'boolean' },
  'shadow-percent': { type: 'string' },
  'approve-each-wave': { type: 'boolean' },
  approvals: { type: 'string' },
  'two-person': { type: 'boolean' },
  'breach-lookback': { type: 'string' },
  'release-ttl': { type: 'string' },
  selector: { type: 'string' },
  window: { type: 'string', multiple: true },
} as const;

/**
 * Pure: the flags → the request body of POST /api/v1/rollouts, validated with the API's own schema
 * (RolloutStartBodySchema), so the CLI and the API accept exactly the same rollouts. The flag-level
 * checks come first for messages that name the flag.
 */
export function rolloutStartBodyFromFlags(v: Record<string, unknown>): { ok: true; body: RolloutStartBody } | { ok: false; message: string } {
  const fail = (message: string) => ({ ok: false as const, message });
  const channel = v['channel'];
  if (typeof channel !== 'string' || !isValidTopicSegment(channel)) return fail('--channel C is required (letters, digits, . _ -)');
  const role = v['role'];
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) return fail(`--role is one of ${ROLES.join(', ')}`);
  const hex = /^[0-9a-f]{64}$/;
  const candidate = v['candidate'];
  if (typeof candidate !== 'string' || !(hex.test(candidate) || /^[A-Za-z0-9._-]{1,128}@[0-9A-Za-z.+-]{1,64}$/.test(candidate))) {
    return fail('--candidate MODEL_ID (64 lowercase hex) or NAME@VERSION (with --broker) is required');
  }
  const stable = v['stable'];
  if (stable !== undefined && (typeof stable !== 'string' || !hex.test(stable))) return fail('--stable is a 64-hex modelId');
  const waves = String(v['waves'] ?? DEFAULT_SPEC.waves.join(',')).split(',').map((s) => Number(s.trim()));
  const badWaves = waves.some((w) => !Number.isFinite(w)) ? 'waves are numbers' : validateWaves(waves);
  if (badWaves) return fail(`--waves: ${badWaves}`);
  const dur = (flag: string, def: number): number | string => {
    if (v[flag] === undefined) return def;
    const d = parseDuration(String(v[flag]));
    return d && d > 0 ? d : `--${flag} is a duration such as 30m, 90s, 1500ms`;
  };
  const waveMin = dur('wave-min-duration', DEFAULT_SPEC.waveMinDurationMs);
  const lookback = dur('breach-lookback', DEFAULT_SPEC.breachLookbackMs);
  const ttl = dur('release-ttl', DEFAULT_SPEC.releaseTtlMs);
  const minAgents = num(v['min-agents'], '--min-agents', 1, 1e9);
  const maxErr = num(v['max-error-rate'], '--max-error-rate', 0, 1);
  const maxP95 = num(v['max-p95-ms'], '--max-p95-ms', 0.001, 600_000);
  const ratio = num(v['max-p95-ratio'], '--max-p95-ratio', 0, 1000);
  const minAgree = num(v['min-agreement'], '--min-agreement', 0, 1);
  const minReq = num(v['min-requests'], '--min-requests', 1, 1e12);
  const shadowPct = num(v['shadow-percent'], '--shadow-percent', 0.0001, 100);
  for (const x of [waveMin, lookback, ttl, minAgents, maxErr, maxP95, ratio, minAgree, minReq, shadowPct]) if (typeof x === 'string') return fail(x);
  if (v['shadow-first'] !== true && (minAgree !== undefined || shadowPct !== undefined)) return fail('--min-agreement and --shadow-percent need --shadow-first');
  const selector = v['selector'];
  const windows = (v['window'] as string[] | undefined) ?? [];
  const usage = (flag: string, check: () => void): string | undefined => {
    try {
      check();
      return undefined;
    } catch (e) {
      return `${flag}: ${(e as Error).message}`;
    }
  };
  const badTarget = usage('--selector', () => typeof selector === 'string' && parseSelector(selector)) ?? usage('--window', () => windows.forEach((w) => parseMaintenanceWindow(w)));
  if (badTarget) return fail(badTarget);
  const approvals = v['approvals'] === undefined ? 0 : Number(v['approvals']);
  if (!Number.isInteger(approvals) || approvals < 0 || approvals > 16) return fail('--approvals N: signed approvals per gated wave, an integer from 1 to 16');
  if (v['two-person'] === true && approvals === 0) return fail('--two-person needs --approvals N (signed approvals)');
  const reason = typeof v['reason'] === 'string' && v['reason'].trim() !== '' ? v['reason'] : undefined;
  const body = {
    channel,
    role,
    candidate,
    ...(stable ? { stable } : {}),
    waves,
    waveMinDurationMs: waveMin,
    breachLookbackMs: lookback,
    releaseTtlMs: ttl,
    ...(minAgents !== undefined ? { minAgents: Math.floor(minAgents as number) } : {}),
    ...(maxErr !== undefined ? { maxErrorRate: maxErr } : {}),
    ...(maxP95 !== undefined ? { maxP95Ms: maxP95 } : {}),
    ...(ratio !== undefined ? { maxP95RatioToStable: ratio } : {}),
    ...(minAgree !== undefined ? { minAgreement: minAgree } : {}),
    ...(minReq !== undefined ? { minRequests: Math.floor(minReq as number) } : {}),
    ...(shadowPct !== undefined ? { shadowPercent: shadowPct } : {}),
    shadowFirst: v['shadow-first'] === true,
    approveEachWave: v['approve-each-wave'] === true,
    ...(approvals > 0 ? { approvals } : {}),
    ...(v['two-person'] === true ? { twoPerson: true } : {}),
    ...(typeof selector === 'string' && selector.trim() !== '' ? { selector: selector.trim() } : {}),
    ...(windows.length ? { windows } : {}),
    ...(reason ? { reason } : {}),
  };
  const checked = RolloutStartBodySchema.safeParse(body);
  if (!checked.success) return fail(checked.error.issues.map((i) => `${i.path.join('.') || 'rollout'}: ${i.message}`).join('; '));
  return { ok: true, body: checked.data };
}

