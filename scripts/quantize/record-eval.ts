/**
 * Accuracy of the int8 variants against fp32, from two `npm run eval -- --json` reports of the same samples (one with
 * the fp32 models dir, one with the dir `npm run quantize -- --eval-dir` assembles): AP@0.5 and type top-1 per set
 * and per held-out real-program family, written into each variant.json as measured.accuracy (issue 21 §1 target:
 * both within 0.01 of fp32).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

interface EvalJson {
  date: string;
  command: string;
  models: Record<string, { sha256: string }>;
  results: { name: string; detector?: { mAP50: number }; classifier?: { typeTop1: number } }[];
  real?: { dir: string; families: { family: string; heldout: { all: { ap50: number; typeTop1: number; clickHit: number; images: number } } }[] };
}

export interface AccuracyRow {
  set: string;
  ap50: [number, number];
  typeTop1: [number, number];
}

export function accuracyRows(fp32: EvalJson, int8: EvalJson): AccuracyRow[] {
  const rows: AccuracyRow[] = [];
  const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
  for (const a of fp32.results) {
    const b = int8.results.find((x) => x.name === a.name);
    if (!b || !a.detector || !b.detector || !a.classifier || !b.classifier) continue;
    rows.push({ set: a.name, ap50: [r4(a.detector.mAP50), r4(b.detector.mAP50)], typeTop1: [r4(a.classifier.typeTop1), r4(b.classifier.typeTop1)] });
  }
  for (const f of fp32.real?.families ?? []) {
    const g = int8.real?.families.find((x) => x.family === f.family);
    if (!g) continue;
    rows.push({ set: `held-out real programs: ${f.family}`, ap50: [r4(f.heldout.all.ap50), r4(g.heldout.all.ap50)], typeTop1: [r4(f.heldout.all.typeTop1), r4(g.heldout.all.typeTop1)] });
  }
  return rows;
}

/** A command line as a tracked file may show it: the data root as $RPA_DATA_DIR (issue 22: no machine paths). */
export function shownCommand(cmd: string, dataRoot = process.env.RPA_DATA_DIR): string {
  return dataRoot ? cmd.split(resolve(dataRoot)).join('$RPA_DATA_DIR') : cmd;
}

export function accuracyRecord(fp32File: string, int8File: string): Record<string, unknown> {
  const fp32 = JSON.parse(readFileSync(fp32File, 'utf8')) as EvalJson;
  const int8 = JSON.parse(readFileSync(int8File, 'utf8')) as EvalJson;
  const rows = accuracyRows(fp32, int8);
  if (rows.length === 0) throw new Error(`${fp32File} and ${int8File} have no set in common`);
  const worst = (k: 'ap50' | 'typeTop1') => Math.min(...rows.map((r) => r[k][1] - r[k][0]));
  return {
    commands: [shownCommand(fp32.command), shownCommand(int8.command)],
    date: int8.date,
    realDir: int8.real?.dir,
    rows: rows.map((r) => ({ set: r.set, ap50: { fp32: r.ap50[0], int8: r.ap50[1] }, typeTop1: { fp32: r.typeTop1[0], int8: r.typeTop1[1] } })),
    worstDelta: { ap50: Math.round(worst('ap50') * 1e4) / 1e4, typeTop1: Math.round(worst('typeTop1') * 1e4) / 1e4 },
  };
}
