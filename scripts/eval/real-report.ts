/**
 * The real-program part of `npm run eval`: figures per family, per held-out application and for the train
 * applications (always apart), the issue-15 targets, the type confusions; JSON and the docs/EVALUATION.md section.
 */
import { elementTypeInfo } from '../../src/common/element-types.js';
import { confusions, groupByApp, summarise, type GroupSummary, type ImageRecord } from './real-metrics.js';
import type { LoadResult } from './real-apps.js';

/** Issue 15 §4: on the held-out applications of every family. */
export const REAL_TARGETS = { ap50: 0.85, typeTop1: 0.9, clickHit: 0.9 } as const;

export interface SplitReport {
  all: GroupSummary | null;
  apps: { app: string; summary: GroupSummary }[];
}
export interface FamilyReport {
  family: string;
  heldout: SplitReport;
  train: SplitReport;
  /** the fresh held-out set (docs/DATASET.md); absent from reports written before it existed */
  fresh?: SplitReport;
  /**
   * held-out and fresh applications as one group (one AP over all their boxes, not a mean of the two): what the
   * selection rule judges from round 6 on (docs/MODELS.md); the held-out figures alone when the family has no fresh
   * samples (webwin); null when it has neither
   */
  pooled?: GroupSummary | null;
  splitSource: string;
  splitProblems: string[];
}
export interface RealAppsReport {
  dir: string;
  operatingThreshold: number;
  families: FamilyReport[];
  skipped: LoadResult['skipped'];
  sizeMismatch: string[];
  detectMsP50: number;
}

export function buildRealReport(dir: string, loaded: LoadResult, records: readonly ImageRecord[], operatingThreshold: number, detectMs: readonly number[], sizeMismatch: string[]): RealAppsReport {
  const split = (m: Map<string, ImageRecord[]>): SplitReport => ({
    all: m.size ? summarise([...m.values()].flat(), operatingThreshold) : null,
    apps: [...m].map(([app, rs]) => ({ app, summary: summarise(rs, operatingThreshold) })),
  });
  const groups = groupByApp(records);
  const families: FamilyReport[] = [];
  for (const check of loaded.splitChecks) {
    const g = groups.find((x) => x.family === check.family);
    const pooled = g && (g.heldout.size || g.fresh.size) ? summarise([...g.heldout.values(), ...g.fresh.values()].flat(), operatingThreshold) : null;
    families.push({
      family: check.family,
      heldout: g ? split(g.heldout) : { all: null, apps: [] },
      train: g ? split(g.train) : { all: null, apps: [] },
      fresh: g ? split(g.fresh) : { all: null, apps: [] },
      pooled,
      splitSource: check.source,
      splitProblems: check.problems,
    });
  }
  const ms = [...detectMs].sort((a, b) => a - b);
  return { dir, operatingThreshold, families, skipped: loaded.skipped, sizeMismatch, detectMsP50: ms[Math.floor(ms.length / 2)] ?? 0 };
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const met = (v: number, t: number) => `**${pct(v)}** (≥ ${pct(t)}: ${v >= t ? 'met' : 'NOT met'})`;

/** One line per family: the held-out figures against the targets (and the fresh set's, when it has samples). */
export function realTargetLines(rep: RealAppsReport): string[] {
  if (rep.families.length === 0) return [`- real programs: **not measured** — no samples under \`${rep.dir}\``];
  return rep.families.flatMap((f) => {
    const line = (what: string, s: SplitReport) => `- ${f.family}, ${what} (${s.apps.length}): AP@0.5 ${met(s.all!.ap50, REAL_TARGETS.ap50)}; type top-1 ${met(s.all!.typeTop1, REAL_TARGETS.typeTop1)}; click-hit ${met(s.all!.clickHit, REAL_TARGETS.clickHit)}${uiaLevel(s.all!)}`;
    const fresh = f.fresh?.all ? [line('fresh held-out applications', f.fresh)] : [];
    if (!f.heldout.all) return [...(fresh.length ? [] : [`- ${f.family}, held-out applications: **not measured** (no held-out samples)`]), ...fresh];
    const pooled = f.pooled && fresh.length ? [line('held-out and fresh applications pooled', { all: f.pooled, apps: [...f.heldout.apps, ...f.fresh!.apps] })] : [];
    return [line('held-out applications', f.heldout), ...fresh, ...pooled];
  });
}

/** The secondary UIA-level figures (absent from reports written before they existed). */
function uiaLevel(h: GroupSummary): string {
  if (h.typeTop1Uia === undefined || h.clickHitUia === undefined) return '';
  return ` (at the UIA control type level, secondary: top-1 ${pct(h.typeTop1Uia)}, click-hit ${pct(h.clickHitUia)})`;
}

function summaryRow(name: string, split: string, s: GroupSummary): string {
  return `| ${name} | ${split} | ${s.images} / ${s.elements} | ${pct(s.ap50)} | ${pct(s.ap50_95)} | ${pct(s.precision)} | ${pct(s.recall)} | ${pct(s.typeTop1)} (${s.pairs}) | ${pct(s.clickHit)} |`;
}

function confusionTable(title: string, s: GroupSummary): string[] {
  const L = [`${title}`, '', '| truth type | UIA | n | found @ IoU 0.5 | type right (of found) | click-hit | most often predicted (count) |', '| --- | --- | --- | --- | --- | --- | --- |'];
  for (const c of confusions(s)) {
    const info = elementTypeInfo(c.type);
    const row = s.perType[c.type]!;
    L.push(`| ${c.type}${info?.isNew ? ' (new type)' : ''} | ${info?.uiaControlType ?? ''} | ${c.n} | ${pct(c.matched / c.n)} | ${c.matched ? pct(c.typeRight / c.matched) : '–'} | ${pct(row.clickHit / c.n)} | ${c.top ? `${c.top} (${c.topCount})` : '–'} |`);
  }
  L.push('');
  return L;
}

export function renderRealApps(rep: RealAppsReport): string[] {
  const L: string[] = [];
  L.push('## Real programs (issue 15)', '');
  L.push('Screenshots of real applications with ground truth from the applications themselves — AT-SPI accessibility trees of');
  L.push('native programs (`atspi`), Win32 windows and their item rectangles under Wine (`wine`), DOM boxes of Windows-look web UIs');
  L.push('(`webwin`) — in the UIA-shaped box rule (a check box or radio together with its label, a tab item, a menu-bar item, a list row).');
  L.push('The split is by application and was decided before any model result (sha256 rule, `scripts/dataset/apps/<family>.json`);');
  L.push('train applications are reported apart and never pooled with the held-out ones; the fresh held-out set (docs/DATASET.md, split');
  L.push('`fresh`: applications no training round or decision has used) is reported apart too. Measured through the same pipeline as above:');
  L.push(`- **AP** class-agnostic, as above; **precision / recall** at the manifest threshold (${rep.operatingThreshold}), IoU 0.5;`);
  L.push('- **type top-1** on the pairs (answer element, truth element) matched at IoU ≥ 0.5 (greedy by detector score);');
  L.push('- **click-hit**: the share of truth elements for which the answer (`detect` as a bot calls it) holds an element of the right');
  L.push('  type whose click point lies inside the truth box. Types the shipped classifier does not know (the new types of');
  L.push('  docs/BOT-API.md) can never be right: they count as misses in type top-1 and click-hit.');
  L.push('');
  if (rep.families.length === 0) {
    L.push(`**No real-program samples were found** under \`${rep.dir}\`; nothing here is measured yet.`, '');
  }
  for (const f of rep.families) {
    L.push(`### ${f.family}`, '');
    const fresh = f.fresh ?? { all: null, apps: [] };
    const nApps = f.heldout.apps.length + f.train.apps.length + fresh.apps.length;
    const freshNames = fresh.apps.length ? `; fresh: ${fresh.apps.map((a) => `\`${a.app}\``).join(', ')}` : '';
    L.push(`${nApps} applications with samples (held out: ${f.heldout.apps.map((a) => `\`${a.app}\``).join(', ') || 'none'}${freshNames}); split from the ${f.splitSource}.`);
    if (f.splitProblems.length) L.push('', `**Split check: ${f.splitProblems.length} problem(s)** — ${f.splitProblems.slice(0, 5).join('; ')}${f.splitProblems.length > 5 ? '; …' : ''}`);
    L.push('');
    L.push('| application | split | screens / elements | AP@0.5 | AP@0.5:0.95 | precision | recall | type top-1 (pairs) | click-hit |');
    L.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const a of f.heldout.apps) L.push(summaryRow(`\`${a.app}\``, 'held-out', a.summary));
    if (f.heldout.all) L.push(summaryRow('**all held-out**', 'held-out', f.heldout.all));
    for (const a of fresh.apps) L.push(summaryRow(`\`${a.app}\``, 'fresh', a.summary));
    if (fresh.all) L.push(summaryRow('**all fresh**', 'fresh', fresh.all));
    if (f.pooled && fresh.all) L.push(summaryRow('**held-out and fresh pooled**', 'both', f.pooled));
    for (const a of f.train.apps) L.push(summaryRow(`\`${a.app}\``, 'train', a.summary));
    if (f.train.all) L.push(summaryRow('all train applications', 'train', f.train.all));
    L.push('');
    if (f.heldout.all) L.push(...confusionTable(`Types on the held-out applications of ${f.family}:`, f.heldout.all));
    if (fresh.all) L.push(...confusionTable(`Types on the fresh held-out applications of ${f.family}:`, fresh.all));
    if (f.train.all) L.push(...confusionTable(`Types on the train applications of ${f.family} (train: not a held-out figure):`, f.train.all));
  }
  if (rep.skipped.length || rep.sizeMismatch.length) {
    const byReason = new Map<string, number>();
    for (const s of rep.skipped) {
      const k = s.reason.replace(/\[[^\]]*\]/g, '[…]').replace(/\d+x\d+/g, 'WxH');
      byReason.set(k, (byReason.get(k) ?? 0) + 1);
    }
    L.push(`Samples not evaluated: ${rep.skipped.length} not in the format (${[...byReason].map(([r, n]) => `${n} × ${r}`).join('; ')})${rep.sizeMismatch.length ? `; ${rep.sizeMismatch.length} whose PNG was unreadable or differs in size from its label (a recipe rewriting it during the run)` : ''}.`, '');
  }
  return L;
}
