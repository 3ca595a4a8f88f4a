/**
 * Injected environment of the agent core: clock, timers, randomness and the operational logger
 * (conventions: no module singletons; tests drive time).
 */
import { systemTimers as lifetimeSystemTimers, type Clock as LifetimeClock, type Timers as LifetimeTimers } from '../common/lifetime.js';

/** The clock and timers are the ONE type of src/common/lifetime.ts; these names are its narrower views. */
export type Clock = LifetimeClock;
export type Timers = Pick<LifetimeTimers, 'setTimeout' | 'clearTimeout'>;
export interface Logger {
  debug(msg: string, meta?: Record<string, unknown>): void;
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
}

export const systemClock: Clock = lifetimeSystemTimers;
export const systemTimers: Timers = lifetimeSystemTimers;
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A logger printing one JSON line per message to a writer (the CLI passes stderr). */
export function lineLogger(write: (line: string) => void, minLevel: 'debug' | 'info' | 'warn' | 'error' = 'info'): Logger {
  const order = { debug: 0, info: 1, warn: 2, error: 3 } as const;
  const at = (level: keyof typeof order) => (msg: string, meta?: Record<string, unknown>) => {
    if (order[level] >= order[minLevel]) write(JSON.stringify({ ts: new Date().toISOString(), level, msg, ...meta }));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
