/**
 * The real-program families of `npm run eval` (issue 15 §1, §4): screenshots of real applications with ground truth
 * from their accessibility trees (atspi), Wine's Win32 controls (wine) and Windows-look web UIs (webwin), read from
 * `<real-apps>/<family>/<app>/<state>_<theme>_<scale>.{png,json}` in the format of the BRIEF, and run through the
 * agent's own pipeline as a bot would call it. A sample that does not follow the format is skipped and listed in
 * the report with its reason, never guessed at.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ELEMENT_TYPES } from '../../src/common/element-types.js';
import type { Box } from '../../src/common/geometry.js';
import type { VisionPipeline } from '../../src/agent/vision/pipeline.js';
import { splitOfList } from '../dataset/lib/split.mjs';
import { expectedSplits, type ImageRecord, type Split } from './real-metrics.js';

const TYPES = ELEMENT_TYPES.map((t) => t.type) as [string, ...string[]];
// 'fresh': the fresh held-out set (docs/DATASET.md): never trained or validated on, evaluated apart from the held-out apps
const SplitSchema = z.enum(['train', 'heldout', 'fresh']);

const BoxSchema = z.tuple([z.number(), z.number(), z.number(), z.number()]);

/** One element of a real-program sample (BRIEF "Real-program dataset format"). */
export const RealElementSchema = z
  .object({
    id: z.union([z.string(), z.number()]),
    box: BoxSchema,
    type: z.enum(TYPES),
    checked: z.boolean().optional(),
    text: z.string().optional(),
    role: z.string().optional(),
  })
  .passthrough();

export const RealSampleSchema = z
  .object({
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    scale: z.number().positive(),
    theme: z.string(),
    kind: z.string(),
    page: z.string(),
    family: z.string().min(1),
    app: z.string().min(1),
    split: SplitSchema,
    state: z.string(),
    elements: z.array(RealElementSchema),
    /** areas a model may box that the ground truth cannot give (scripts/eval/real-metrics.ts "ignore regions") */
    ignore: z.array(BoxSchema).optional(),
  })
  .passthrough();
export type RealSample = z.infer<typeof RealSampleSchema>;

/** The committed decision of a family (scripts/dataset/apps/<family>.json). */
// `addedAfterSplit` (a date): an application added to the family after its split was decided is always train and
// moves no other application (scripts/dataset/lib/split.mjs splitOfList); `fresh` (a date): an application of the
// fresh held-out set, always 'fresh' and outside the rule too; the sha256 rule decides the others
const AppsListSchema = z.array(z.object({ app: z.string().min(1), split: SplitSchema, addedAfterSplit: z.string().optional(), fresh: z.string().optional(), splitBatch: z.string().optional() }).passthrough());

export interface LoadedSample {
  family: string;
  app: string;
  split: Split;
  json: string;
  png: string;
  label: RealSample;
}

export interface SplitCheck {
  family: string;
  /** where the split came from: the committed apps list, or the samples alone when the family has none */
  source: 'apps list' | 'samples';
  /** disagreements: samples vs apps list, apps list vs the sha256 rule */
  problems: string[];
}

export interface LoadResult {
  samples: LoadedSample[];
  skipped: { file: string; reason: string }[];
  splitChecks: SplitCheck[];
}

const dirs = (p: string) => (existsSync(p) ? readdirSync(p).filter((n) => statSync(join(p, n)).isDirectory()).sort() : []);

/** Why a sample's boxes cannot be right for its image, or null. */
function boxProblem(b: Box, w: number, h: number): string | null {
  if (!(b[2] > b[0] && b[3] > b[1])) return `empty box ${JSON.stringify(b)}`;
  if (b[0] < 0 || b[1] < 0 || b[2] > w || b[3] > h) return `box ${JSON.stringify(b)} outside the ${w}x${h} image`;
  return null;
}

/**
 * Reads every sample under `dir`. `appsListDir` holds the families' committed apps lists: when one exists its
 * split is the decision (a sample disagreeing with it is skipped), and the list itself is checked against the
 * sha256 rule. `maxPerApp` > 0 keeps that many files of each application, spread evenly over the file-name order.
 */
export function loadRealApps(dir: string, appsListDir: string, maxPerApp = 0): LoadResult {
  const out: LoadResult = { samples: [], skipped: [], splitChecks: [] };
  for (const family of dirs(dir)) {
    const listFile = join(appsListDir, `${family}.json`);
    let listed: Map<string, Split> | null = null;
    const check: SplitCheck = { family, source: 'samples', problems: [] };
    if (existsSync(listFile)) {
      const parsed = AppsListSchema.safeParse(JSON.parse(readFileSync(listFile, 'utf8')));
      if (!parsed.success) check.problems.push(`${listFile}: not an apps list (${parsed.error.issues[0]?.message})`);
      else {
        listed = new Map(parsed.data.map((a) => [a.app, a.split]));
        check.source = 'apps list';
        const late = new Set(parsed.data.filter((a) => a.addedAfterSplit).map((a) => a.app));
        const fresh = new Set(parsed.data.filter((a) => a.fresh).map((a) => a.app));
        // `splitBatch` (a date, round 7 on): the sha256 rule among the apps of that batch only. The harvesters' own rule
        // (scripts/dataset/lib/split.mjs splitOfList), whose refusals become problems here
        const batchOf = new Map(parsed.data.filter((a) => typeof a.splitBatch === 'string').map((a) => [a.app, a.splitBatch as string]));
        let rule: Map<string, Split> | null = null;
        try {
          rule = splitOfList(parsed.data);
        } catch (e) {
          check.problems.push(`${listFile}: ${(e as Error).message}`);
        }
        const why = (app: string) => (fresh.has(app) ? 'fresh-set rule (always fresh)' : late.has(app) ? 'added-after-split rule (always train)' : batchOf.has(app) ? `sha256 rule within batch ${batchOf.get(app)}` : 'sha256 rule');
        if (rule) for (const [app, split] of listed) if (rule.get(app) !== split) check.problems.push(`apps list says ${app} is ${split}, the ${why(app)} says ${rule.get(app)}`);
      }
    }
    const seenSplit = new Map<string, Split>();
    for (const app of dirs(join(dir, family))) {
      const all = readdirSync(join(dir, family, app)).filter((f) => f.endsWith('.json')).sort();
      // a bounded run takes screens spread evenly over the file-name order (states × themes × scales), not the first few
      const files = maxPerApp > 0 && all.length > maxPerApp ? Array.from({ length: maxPerApp }, (_, i) => all[Math.floor((i * all.length) / maxPerApp)]!) : all;
      for (const f of files) {
        const json = join(dir, family, app, f);
        const png = json.replace(/\.json$/, '.png');
        const skip = (reason: string) => out.skipped.push({ file: json.slice(dir.length + 1), reason });
        if (!existsSync(png)) {
          skip('no PNG of the same stem');
          continue;
        }
        let raw: unknown;
        try {
          raw = JSON.parse(readFileSync(json, 'utf8'));
        } catch (e) {
          skip(`unreadable JSON (${(e as Error).message.slice(0, 80)})`);
          continue;
        }
        const p = RealSampleSchema.safeParse(raw);
        if (!p.success) {
          const i = p.error.issues[0]!;
          const got = i.path.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k as PropertyKey] : undefined), raw);
          const msg = i.message.length > 60 ? `${i.message.slice(0, 57)}…` : i.message;
          skip(`not the sample format: ${i.path.join('.')} = ${JSON.stringify(got)?.slice(0, 40)}: ${msg}`);
          continue;
        }
        const label = p.data;
        if (label.family !== family || label.app !== app) {
          skip(`says family/app ${label.family}/${label.app}, lies in ${family}/${app}`);
          continue;
        }
        const bad = [...label.elements.map((e) => e.box as Box), ...((label.ignore ?? []) as Box[])].map((b) => boxProblem(b, label.width, label.height)).find((x) => x !== null);
        if (bad) {
          skip(bad);
          continue;
        }
        const decided = listed?.get(app);
        if (listed && decided === undefined) {
          skip(`app ${app} is not in ${family}'s apps list`);
          continue;
        }
        if (decided !== undefined && decided !== label.split) {
          skip(`split ${label.split}, but the apps list holds ${app} out as ${decided}`);
          continue;
        }
        const prev = seenSplit.get(app);
        if (prev && prev !== label.split) {
          skip(`split ${label.split}, other screens of ${app} say ${prev} (the split is by application)`);
          continue;
        }
        seenSplit.set(app, label.split);
        out.samples.push({ family, app, split: label.split, json, png, label });
      }
    }
    if (!listed && seenSplit.size) {
      const rule = expectedSplits([...seenSplit.keys()]);
      for (const [app, split] of seenSplit) if (rule.get(app) !== split) check.problems.push(`samples say ${app} is ${split}; the sha256 rule over the ${seenSplit.size} apps present says ${rule.get(app)} (no committed apps list to decide)`);
    }
    out.splitChecks.push(check);
  }
  return out;
}

/**
 * Runs each sample through the pipeline as a bot would: detect() at a low threshold without classification for AP,
 * and detect() as a bot calls it (the manifest threshold, every element classified, click points) for the answer.
 */
export async function evaluateRealApps(samples: readonly LoadedSample[], vp: VisionPipeline, onProgress?: (done: number, total: number) => void): Promise<{ records: ImageRecord[]; detectMs: number[]; sizeMismatch: string[] }> {
  const records: ImageRecord[] = [];
  const detectMs: number[] = [];
  const sizeMismatch: string[] = [];
  let done = 0;
  for (const s of samples) {
    const name = `${s.family}/${s.app}/${s.json.split('/').pop()}`;
    let png: Buffer;
    let low: Awaited<ReturnType<VisionPipeline['detect']>>;
    try {
      // a dataset recipe may be rewriting its samples while the evaluation runs: a PNG gone or half-written since
      // loading is reported and left out, never evaluated against another screen's label
      png = readFileSync(s.png);
      low = await vp.detect({ source: { kind: 'png', png }, minScore: 0.001, classify: false });
    } catch (e) {
      sizeMismatch.push(`${name}: PNG unreadable (${(e as { code?: string }).code ?? (e as Error).message.slice(0, 60)})`);
      continue;
    }
    const f = low.frames[0];
    if (!f || f.width !== s.label.width || f.height !== s.label.height) {
      sizeMismatch.push(`${name}: PNG ${f?.width}x${f?.height}, label ${s.label.width}x${s.label.height}`);
      continue;
    }
    const t = performance.now();
    const answer = await vp.detect({ source: { kind: 'png', png } });
    detectMs.push(performance.now() - t);
    records.push({
      family: s.family,
      app: s.app,
      split: s.split,
      truth: s.label.elements.map((e) => ({ box: e.box as Box, type: e.type })),
      detections: low.elements.map((e) => ({ box: e.box, score: e.score })),
      answer: answer.elements.map((e) => ({ box: e.box, score: e.score, type: e.type, click: e.click })),
      ...(s.label.ignore?.length ? { ignore: s.label.ignore as Box[] } : {}),
    });
    onProgress?.(++done, samples.length);
  }
  return { records, detectMs, sizeMismatch };
}
