/**
 * scripts/dataset/heldout-links.mjs: the evaluation folder of a selection rule links every held-out and fresh
 * application of a family and never a training one; an application without samples is an error, not a silent gap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { splitOfList } from '../../scripts/dataset/lib/split.mjs';

const root = resolve(import.meta.dirname, '..', '..');
const script = join(root, 'scripts', 'dataset', 'heldout-links.mjs');
const run = (args: string[], data: string) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', env: { ...process.env, RPA_DATA_DIR: data } });

test('heldout-links: held-out and fresh applications linked, training ones never, a missing one is an error', () => {
  const data = mkdtempSync(join(tmpdir(), 'heldout-links-'));
  try {
    const list = JSON.parse(readFileSync(join(root, 'scripts', 'dataset', 'apps', 'atspi.json'), 'utf8')) as { app: string }[];
    const split = splitOfList(list) as Map<string, string>;
    const sample = (dir: string, app: string) => { mkdirSync(join(data, dir, 'atspi', app), { recursive: true }); writeFileSync(join(data, dir, 'atspi', app, 'main_light_1.json'), '{}'); };
    for (const [app, s] of split) sample(s === 'fresh' ? 'fresh-apps' : 'real-apps', app);
    const out = join(data, 'eval');
    const ok = run(['--out', out, '--families', 'atspi', '--json'], data);
    assert.equal(ok.status, 0, ok.stderr);
    const linked = readdirSync(join(out, 'atspi')).sort();
    assert.deepEqual(linked, [...split].filter(([, s]) => s !== 'train').map(([a]) => a).sort());
    for (const app of linked) assert.equal(readlinkSync(join(out, 'atspi', app)), join(data, split.get(app) === 'fresh' ? 'fresh-apps' : 'real-apps', 'atspi', app));
    // a held-out application whose samples are missing: reported, exit 1
    const gone = [...split].find(([, s]) => s === 'heldout')![0];
    rmSync(join(data, 'real-apps', 'atspi', gone), { recursive: true });
    const miss = run(['--out', out, '--families', 'atspi'], data);
    assert.equal(miss.status, 1);
    assert.match(miss.stderr, new RegExp(`error\\[missing_samples\\]: atspi/${gone} \\(heldout\\)`));
    assert.ok(!readdirSync(join(out, 'atspi')).includes(gone));
    assert.equal(run(['--out'], data).status, 2);
    assert.match(run(['--out', out, '--families', 'nope'], data).stderr, /error\[bad_argument\]: no apps list for family nope/);
  } finally { rmSync(data, { recursive: true, force: true }); }
});
