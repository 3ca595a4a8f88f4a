/**
 * The desktop shell's own settings (desktop.json, installed next to the agent config by IT): where the
 * agent config is, and where agent updates come from. Parsed once at start with zod (validate at the edge).
 * No electron import.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { AgentError } from '../common/errors.js';

export const UpdateFeedSchema = z.discriminatedUnion('provider', [
  z.object({ provider: z.literal('generic'), url: z.string().url().startsWith('https://'), channel: z.string().min(1).max(64).default('latest') }).strict(),
  z
    .object({
      provider: z.literal('s3'),
      bucket: z.string().min(3).max(63),
      region: z.string().min(1).max(32).optional(),
      path: z.string().max(256).optional(),
      channel: z.string().min(1).max(64).default('latest'),
    })
    .strict(),
]);
export type UpdateFeed = z.infer<typeof UpdateFeedSchema>;

export const DesktopConfigSchema = z
  .object({
    /** the same config file `rpa-agent run --config` takes */
    agentConfig: z.string().min(1),
    update: z
      .object({
        enabled: z.boolean().default(true),
        /** absent: the feed baked into the installer (electron-builder.yml `publish`) is used */
        feed: UpdateFeedSchema.optional(),
        /** issue 7 §5: at start and daily */
        checkIntervalHours: z.number().min(1).max(24 * 7).default(24),
        /** false (default): download in the background, install on quit or when the user chooses */
        allowPrerelease: z.boolean().default(false),
      })
      .strict()
      .default({ enabled: true, checkIntervalHours: 24, allowPrerelease: false }),
    /** how long to wait on quit for in-flight bot requests and the agent to close */
    shutdownTimeoutMs: z.number().int().min(500).max(60_000).default(10_000),
  })
  .strict();
export type DesktopConfig = z.infer<typeof DesktopConfigSchema>;

export function parseDesktopConfig(value: unknown, baseDir?: string): DesktopConfig {
  const r = DesktopConfigSchema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new AgentError('bad_config', `desktop config: ${i?.path.join('.') || '(root)'}: ${i?.message ?? 'invalid'}`);
  }
  return baseDir ? { ...r.data, agentConfig: resolve(baseDir, r.data.agentConfig) } : r.data;
}

export function loadDesktopConfig(file: string): DesktopConfig {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (e) {
    throw new AgentError('bad_config', `desktop config ${file} cannot be read: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw new AgentError('bad_config', `desktop config ${file} is not JSON: ${(e as Error).message}`);
  }
  return parseDesktopConfig(json, dirname(file));
}

/**
 * Where desktop.json is looked for, first match wins: --config, RPA_DESKTOP_CONFIG, then the
 * machine-wide location IT installs to (Windows %ProgramData%, else /etc).
 */
export function desktopConfigCandidates(argv: readonly string[], env: Record<string, string | undefined>, platform: string): string[] {
  const out: string[] = [];
  const i = argv.indexOf('--config');
  if (i >= 0 && argv[i + 1]) out.push(argv[i + 1]!);
  const eq = argv.find((a) => a.startsWith('--config='));
  if (eq) out.push(eq.slice('--config='.length));
  if (env['RPA_DESKTOP_CONFIG']) out.push(env['RPA_DESKTOP_CONFIG']);
  if (platform === 'win32') out.push(`${env['ProgramData'] ?? 'C:\\ProgramData'}\\RPA Edge Agent\\desktop.json`);
  else out.push('/etc/rpa-edge-agent/desktop.json');
  return out;
}
