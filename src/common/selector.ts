/**
 * Label selectors for rollout targeting (issue 16 §6). A release's candidate may carry a selector; an
 * agent takes the candidate only when its bucket is below the percent (bucket.ts) AND its own config
 * labels match the selector. The agent, the simulator and the controller's cohorts all use this one
 * matcher, so they cannot disagree about who is in a rollout.
 *
 * Grammar (a small subset of Kubernetes' label selectors: equality and set membership, ANDed):
 *   selector    := requirement ("," requirement)*
 *   requirement := key "=" value | key "in" "(" value ("," value)* ")"
 *   key, value  := [A-Za-z0-9][A-Za-z0-9._-]{0,62}
 * e.g. `site=berlin,dept in (finance,hr)`. Pure: no node:* imports.
 */
import { AgentError } from './errors.js';
import { inCandidateCohort } from './bucket.js';

export const LABEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
export const MAX_SELECTOR_LENGTH = 512;

export type Labels = Readonly<Record<string, string>>;

export interface Requirement {
  key: string;
  /** the label must equal one of these (one value for `=`) */
  values: string[];
}

function label(s: string, what: string, selector: string): string {
  const t = s.trim();
  if (!LABEL_PATTERN.test(t)) throw new AgentError('bad_argument', `selector "${selector}": ${what} "${t}" is not a label (letters, digits, . _ -; at most 63)`);
  return t;
}

/** Parses a selector; throws AgentError('bad_argument') naming the bad part. The empty string selects everyone. */
export function parseSelector(selector: string): Requirement[] {
  if (selector.length > MAX_SELECTOR_LENGTH) throw new AgentError('bad_argument', `selector is longer than ${MAX_SELECTOR_LENGTH} characters`);
  if (selector.trim() === '') return [];
  // split at commas outside parentheses
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (depth < 0 || depth > 1) throw new AgentError('bad_argument', `selector "${selector}": unbalanced parentheses`);
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (depth !== 0) throw new AgentError('bad_argument', `selector "${selector}": unbalanced parentheses`);
  parts.push(cur);
  const reqs: Requirement[] = [];
  for (const p of parts) {
    const inM = /^\s*([^\s=(),]+)\s+in\s*\(([^()]*)\)\s*$/.exec(p);
    if (inM) {
      const values = inM[2]!.split(',').map((v) => label(v, 'value', selector));
      reqs.push({ key: label(inM[1]!, 'key', selector), values });
      continue;
    }
    const eq = /^\s*([^=]+)=([^=]*)$/.exec(p);
    if (eq) {
      reqs.push({ key: label(eq[1]!, 'key', selector), values: [label(eq[2]!, 'value', selector)] });
      continue;
    }
    throw new AgentError('bad_argument', `selector "${selector}": "${p.trim()}" is neither key=value nor key in (v1,v2)`);
  }
  return reqs;
}

export function formatSelector(reqs: readonly Requirement[]): string {
  return reqs.map((r) => (r.values.length === 1 ? `${r.key}=${r.values[0]}` : `${r.key} in (${r.values.join(',')})`)).join(',');
}

/** True when every requirement holds on `labels` (a missing label fails its requirement). */
export function matchesRequirements(reqs: readonly Requirement[], labels: Labels): boolean {
  return reqs.every((r) => Object.prototype.hasOwnProperty.call(labels, r.key) && r.values.includes(labels[r.key]!));
}

/** Matches a selector string; a selector that does not parse matches nobody (an agent then stays on stable). */
export function matchesSelector(selector: string | undefined, labels: Labels): boolean {
  if (selector === undefined) return true;
  try {
    return matchesRequirements(parseSelector(selector), labels);
  } catch {
    return false;
  }
}

/**
 * The whole targeting rule for one agent and one candidate: in the bucket (DESIGN.md "Release") and
 * matching the candidate's selector. The agent and the simulator call it with their config labels.
 */
export function takesCandidate(agentId: string, labels: Labels, candidate: { rolloutId: string; percent: number; selector?: string | undefined }): boolean {
  return inCandidateCohort(agentId, candidate.rolloutId, candidate.percent) && matchesSelector(candidate.selector, labels);
}
