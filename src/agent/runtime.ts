/**
 * Injected environment of the agent core: clock, timers, randomness and the operational logger
 * (conventions: no module singletons; tests drive time).
 */
export interface Clock {
  now(): number;
}
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}
export interface Logger {
  debug(msg: string, meta?: Record<string, unknown>): void;
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
}

export const systemClock: Clock = { now: () => Date.now() };
export const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A logger printing one JSON line per message to a writer (the CLI passes stderr). */
export function lineLogger(write: (line: string) => void, minLevel: 'debug' | 'info' | 'warn' | 'error' = 'info'): Logger {
  const order = { debug: 0, info: 1, warn: 2, error: 3 } as const;
  const at = (level: keyof typeof order) => (msg: string, meta?: Record<string, unknown>) => {
    if (order[level] >= order[minLevel]) write(JSON.stringify({ ts: new Date().toISOString(), level, msg, ...meta }));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
