/**
 * `npm run provenance`: writes a model's provenance — an in-toto Statement v1 with a SLSA Provenance v1
 * predicate (src/common/provenance.ts) — for `rpa-fleet model attest` to sign with the models key and
 * publish beside the manifest (issue 20 §2). The training recipe calls it when a model is written:
 *
 *   npm run provenance -- --model runs/x/model.onnx --name ui-detector --version 1.3.0 \
 *       --recipe scripts/train/detector.sh --dataset-manifest .data/dataset/manifest.json \
 *       --eval-json runs/x/eval.json --eval-set held-out-v3 [--parent ui-detector@1.2.0:SHA256] --out runs/x/provenance.json
 *
 * --eval-json holds {"metric": value} (e.g. {"detector.ap50": 0.87}) or {"metrics": {...}}.
 * The commit is `git rev-parse HEAD` of this repository (or --commit). Hashes are computed here.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { buildProvenance } from '../../src/common/provenance.js';

const HELP = `Usage: npm run provenance -- --model FILE --name N --version V --recipe PATH --dataset-manifest FILE
          [--eval-json FILE --eval-set NAME [--eval-set-sha256 HEX]] [--parent NAME@VERSION:SHA256]
          [--commit SHA] [--builder ID] [--out FILE]

Writes the unsigned in-toto statement (SLSA provenance v1) of a trained model; sign and publish it with
  rpa-fleet model attest NAME@VERSION --provenance FILE --key models.key --broker URL
Prints the statement on stdout when --out is not given.`;

function fail(message: string): never {
  process.stderr.write(`error[bad_argument]: ${message}\n${HELP}\n`);
  process.exit(2);
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

function main(): void {
  let v: Record<string, string | boolean | undefined>;
  try {
    v = parseArgs({
      args: process.argv.slice(2),
      strict: true,
      options: {
        ...Object.fromEntries(['model', 'name', 'version', 'recipe', 'dataset-manifest', 'eval-json', 'eval-set', 'eval-set-sha256', 'parent', 'commit', 'builder', 'out'].map((k) => [k, { type: 'string' as const }])),
        help: { type: 'boolean' as const },
      },
    }).values as Record<string, string | boolean | undefined>;
  } catch (e) {
    fail((e as Error).message);
  }
  if (v['help']) {
    process.stdout.write(HELP + '\n');
    return;
  }
  const need = (k: string) => (typeof v[k] === 'string' && v[k] ? (v[k] as string) : fail(`--${k} is required`));
  const model = need('model');
  const datasetManifest = need('dataset-manifest');
  let evaluation;
  if (v['eval-json'] !== undefined) {
    const raw = JSON.parse(readFileSync(need('eval-json'), 'utf8')) as Record<string, unknown>;
    const metrics = (typeof raw['metrics'] === 'object' && raw['metrics'] ? raw['metrics'] : raw) as Record<string, unknown>;
    const numeric = Object.fromEntries(Object.entries(metrics).filter(([, x]) => typeof x === 'number')) as Record<string, number>;
    const setSha = v['eval-set-sha256'];
    evaluation = { set: { name: need('eval-set'), ...(typeof setSha === 'string' ? { sha256: setSha } : {}) }, metrics: numeric };
  }
  let parent;
  if (typeof v['parent'] === 'string') {
    const m = /^([A-Za-z0-9._-]+)@([^:]+):([0-9a-f]{64})$/.exec(v['parent']);
    if (!m) fail('--parent NAME@VERSION:SHA256');
    parent = { name: m[1]!, version: m[2]!, sha256: m[3]! };
  }
  const commit = typeof v['commit'] === 'string' ? v['commit'] : execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  let statement;
  try {
    statement = buildProvenance({
      model: { name: need('name'), version: need('version'), sha256: sha256(model) },
      recipe: need('recipe'),
      commit,
      dataset: { manifest: datasetManifest, sha256: sha256(datasetManifest) },
      ...(parent ? { parent } : {}),
      ...(evaluation ? { evaluation } : {}),
      builderId: typeof v['builder'] === 'string' ? v['builder'] : `rpa-edge-training@${hostname()}`,
      finishedOn: new Date().toISOString(),
    });
  } catch (e) {
    fail((e as Error).message.slice(0, 500));
  }
  const text = JSON.stringify(statement, null, 2) + '\n';
  if (typeof v['out'] === 'string') writeFileSync(v['out'], text);
  else process.stdout.write(text);
}

main();
