/**
 * The shape of every CLI verb. Parsing is a pure function returning a discriminated union (tested
 * without spawning a process); `run` does the work and returns the exit code.
 * Exit codes: 0 ok, 1 the operation failed (with a coded error), 2 usage error.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AgentError, toAgentError } from '../common/errors.js';

export type Parsed<T> = { kind: 'ok'; value: T } | { kind: 'help' } | { kind: 'error'; message: string };

export interface CommandIO {
  out: (line: string) => void;
  err: (line: string) => void;
  /** true when stderr is a terminal: progress bars are drawn only then */
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

/**
 * A command of any value type, for lists of commands: `parse` makes the value that `run` takes, so each
 * command is consistent on its own, while a list mixes value types. The one `any` of the CLI lives here.
 */
// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous list of commands (see above)
export type AnyCommand = Command<any>;

export interface Command<T = unknown> {
  /** e.g. "model publish" */
  name: string;
  summary: string;
  help: string;
  parse(argv: string[]): Parsed<T>;
  run(value: T, io: CommandIO): Promise<number>;
}

export type OptionsSpec = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs wrapped so unknown flags and bad values come back as a usage error, not a throw. */
export function parseFlags(
  argv: string[],
  options: OptionsSpec,
  allowPositionals = false,
): { kind: 'ok'; values: Record<string, string | boolean | string[] | boolean[] | undefined>; positionals: string[] } | { kind: 'help' } | { kind: 'error'; message: string } {
  if (argv.includes('--help') || argv.includes('-h')) return { kind: 'help' };
  try {
    const r = parseArgs({ args: argv, options, allowPositionals, strict: true });
    return { kind: 'ok', values: r.values as Record<string, string | boolean | undefined>, positionals: r.positionals };
  } catch (e) {
    return { kind: 'error', message: (e as Error).message };
  }
}

/** "7d", "12h", "30m", "45s", "500ms" → milliseconds. */
export function parseDuration(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(s.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return n * unit;
}

/** "256KiB", "1MiB", "65536", "10MB" → bytes. */
export function parseSize(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|KB|MB|GB|k|K|M|G)?$/.exec(s.trim());
  if (!m) return undefined;
  const mult: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, KB: 1000, MB: 1e6, GB: 1e9, k: 1024, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };
  const v = Number(m[1]) * (m[2] ? mult[m[2]]! : 1);
  return Number.isInteger(v) && v > 0 ? v : undefined;
}

/** Prints an error as `error[code]: message` (or JSON with --json) and returns exit code 1. */
export function reportError(e: unknown, io: CommandIO, json: boolean): number {
  const err = toAgentError(e);
  if (json) io.out(JSON.stringify({ ok: false, error: err.toJSON() }));
  else io.err(`error[${err.code}]: ${err.message}`);
  return 1;
}

export function usageError(message: string): AgentError {
  return new AgentError('bad_argument', message);
}

/** Runs a tool's verb table: `tool <verb...> [flags]`, with help at every level. */
export async function runTool(tool: string, intro: string, commands: AnyCommand[], argv: string[], io: CommandIO): Promise<number> {
  const words = argv.filter((a) => !a.startsWith('-'));
  const match = commands
    .filter((c) => c.name.split(' ').every((w, i) => words[i] === w))
    .sort((a, b) => b.name.split(' ').length - a.name.split(' ').length)[0];
  const listing = () =>
    [
      `${tool} — ${intro}`,
      '',
      'Usage:',
      ...commands.map((c) => `  ${tool} ${c.name.padEnd(22)} ${c.summary}`),
      '',
      `Run \`${tool} <command> --help\` for a command's options. Every command accepts --json.`,
    ].join('\n');
  if (!match) {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      io.out(listing());
      return 0;
    }
    if (argv[0] === '--version') {
      io.out(process.env.npm_package_version ?? '0.1.0');
      return 0;
    }
    io.err(`error[bad_argument]: unknown command: ${words.join(' ') || argv.join(' ')}\n\n${listing()}`);
    return 2;
  }
  const rest = [...argv];
  for (const w of match.name.split(' ')) rest.splice(rest.indexOf(w), 1);
  const parsed = match.parse(rest);
  if (parsed.kind === 'help') {
    io.out(`Usage: ${tool} ${match.name} ${match.help}`);
    return 0;
  }
  if (parsed.kind === 'error') {
    io.err(`error[bad_argument]: ${parsed.message}\nRun \`${tool} ${match.name} --help\` for usage.`);
    return 2;
  }
  try {
    return await match.run(parsed.value, io);
  } catch (e) {
    return reportError(e, io, rest.includes('--json'));
  }
}

const guarded = new WeakSet<NodeJS.EventEmitter>();

/**
 * A reader that goes away (`rpa-fleet … | head -1`) ends the process quietly, as SIGPIPE ends a C tool,
 * instead of an unhandled 'error' event with a stack trace. Installed once per stream; other stream
 * errors are still reported.
 */
export function exitQuietlyOnClosedPipe(stream: NodeJS.EventEmitter, exit: (code: number) => void = (c) => process.exit(c)): void {
  if (guarded.has(stream)) return;
  guarded.add(stream);
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') return exit(0);
    process.stderr.write(`error[internal]: ${e.message}\n`);
    exit(1);
  });
}

export function processIO(): CommandIO {
  exitQuietlyOnClosedPipe(process.stdout);
  exitQuietlyOnClosedPipe(process.stderr);
  return {
    out: (l) => process.stdout.write(l + '\n'),
    err: (l) => process.stderr.write(l + '\n'),
    isTTY: Boolean(process.stderr.isTTY),
    env: process.env,
  };
}
