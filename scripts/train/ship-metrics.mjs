#!/usr/bin/env node
// The figures a shipped model carries (assets/models/<role>/eval.json, and its provenance statement's evaluation), from
// the `npm run eval -- --json FILE` report its round's rule judged (scripts/train/ship.sh):
//   node scripts/train/ship-metrics.mjs --eval FILE --role detector|classifier [--out FILE]
//   node scripts/train/ship-metrics.mjs --check FILE --candidate DIR [--roles detector,classifier]
// detector: AP@0.5 and click-hit per family (held-out + fresh pooled), AP@0.5 on (a)-(c); classifier: type top-1 per
// family, label top-1 on (a)-(c); each role's headline (detector.ap50, classifier.typeTop1) is its LOWEST family.
// --check fails (exit 1) unless the report was made with the candidate's own model files (sha256 per role).
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const r4 = (x) => Math.round(x * 1e4) / 1e4;
const SETS = ['a', 'b', 'c'];

/** {metrics: {...}} for one role from an eval report (the object `npm run eval -- --json` writes). */
export function roleMetrics(report, role) {
  if (role !== 'detector' && role !== 'classifier') throw new Error(`role must be detector or classifier, got ${role}`);
  const families = [...(report.real?.families ?? [])].sort((x, y) => x.family.localeCompare(y.family));
  if (families.length === 0) throw new Error('the report has no real-program families (was it run with --sets including real?)');
  const pooled = (f) => {
    const p = f.pooled?.all ?? f.pooled;
    if (!p || typeof p.ap50 !== 'number') throw new Error(`family ${f.family} has no pooled figures`);
    return p;
  };
  const set = (k) => (report.results ?? []).find((r) => r.name?.startsWith(`(${k})`));
  const m = {};
  if (role === 'detector') {
    m['detector.ap50'] = r4(Math.min(...families.map((f) => pooled(f).ap50)));
    for (const f of families) {
      m[`detector.ap50.${f.family}`] = r4(pooled(f).ap50);
      m[`detector.clickHit.${f.family}`] = r4(pooled(f).clickHit);
    }
    for (const k of SETS) if (set(k)?.detector) m[`detector.ap50.${k}`] = r4(set(k).detector.mAP50);
  } else {
    m['classifier.typeTop1'] = r4(Math.min(...families.map((f) => pooled(f).typeTop1)));
    for (const f of families) m[`classifier.typeTop1.${f.family}`] = r4(pooled(f).typeTop1);
    for (const k of SETS) if (set(k)?.classifier) m[`classifier.top1.${k}`] = r4(set(k).classifier.top1);
  }
  for (const [k, v] of Object.entries(m)) if (!Number.isFinite(v)) throw new Error(`${k} is not a number in the report`);
  return { metrics: m };
}

/** The roles whose model file differs from the one the report evaluated: [] when the report is the candidate's. */
export function mismatchedRoles(report, candidateDir, roles) {
  return roles.filter((role) => {
    const sha = createHash('sha256').update(readFileSync(join(candidateDir, role, 'model.onnx'))).digest('hex');
    return report.models?.[role]?.sha256 !== sha;
  });
}

const USAGE = `usage: node scripts/train/ship-metrics.mjs --eval FILE --role detector|classifier [--out FILE]
       node scripts/train/ship-metrics.mjs --check FILE --candidate DIR [--roles detector,classifier]`;

function main(argv) {
  const a = { roles: 'detector,classifier' };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '-h' || k === '--help') {
      console.log(USAGE + '\n' + readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 8).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
      return 0;
    }
    const key = { '--eval': 'eval', '--role': 'role', '--out': 'out', '--check': 'check', '--candidate': 'candidate', '--roles': 'roles' }[k];
    if (!key || i + 1 >= argv.length) {
      console.error(`error[bad_argument]: ${key ? `${k} needs a value` : `unknown argument ${k}`}\n${USAGE}`);
      return 2;
    }
    a[key] = argv[++i];
  }
  const read = (f) => {
    try {
      return JSON.parse(readFileSync(f, 'utf8'));
    } catch (e) {
      throw Object.assign(new Error(`${f}: not a readable JSON report (${e.message})`), { code: 'bad_argument' });
    }
  };
  try {
    if (a.check) {
      if (!a.candidate) throw Object.assign(new Error('--check needs --candidate'), { code: 'bad_argument' });
      const bad = mismatchedRoles(read(a.check), a.candidate, a.roles.split(',').filter(Boolean));
      if (bad.length) {
        console.error(`error[report_mismatch]: ${a.check} did not evaluate ${a.candidate}'s ${bad.join(', ')} (sha256 differs)`);
        return 1;
      }
      return 0;
    }
    if (!a.eval || !a.role) throw Object.assign(new Error('--eval and --role are required'), { code: 'bad_argument' });
    const text = JSON.stringify(roleMetrics(read(a.eval), a.role), null, 1) + '\n';
    if (a.out) writeFileSync(a.out, text);
    else process.stdout.write(text);
    return 0;
  } catch (e) {
    console.error(`error[${e.code ?? 'bad_report'}]: ${e.message}${e.code === 'bad_argument' ? '\n' + USAGE : ''}`);
    return 2;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.slice(2));
