/**
 * Reconnect back-off with jitter (DESIGN.md "Broker connections": a broker restart must not bring a
 * thousand agents back in the same second). "Equal jitter": half the exponential step is fixed, half
 * random, so the delay never collapses to zero and agents spread over the window.
 */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: () => number): number {
  const cap = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(cap / 2 + random() * (cap / 2));
}
