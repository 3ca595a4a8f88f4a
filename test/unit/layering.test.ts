/**
 * Enforces DESIGN.md's dependency arrows (VS Code's `local/code-layering` idea):
 * common ← agent ← desktop; common ← fleet; common ← renderer; common ← console (the web console's
 * browser code, src/console); cli may use agent and fleet.
 * common imports no node:* module, no DOM-only API module and no electron.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const layers = ['src/common', 'src/agent', 'src/desktop', 'src/fleet', 'src/cli', 'renderer', 'src/console'] as const;
type Layer = (typeof layers)[number];
const allowed: Record<Layer, Layer[]> = {
  'src/common': ['src/common'],
  'src/agent': ['src/common', 'src/agent'],
  'src/desktop': ['src/common', 'src/agent', 'src/desktop'],
  'src/fleet': ['src/common', 'src/fleet'],
  'src/cli': ['src/common', 'src/agent', 'src/fleet', 'src/cli'],
  renderer: ['src/common', 'renderer'],
  // the web console runs in the browser: it talks to the controller over HTTP only, never imports it
  'src/console': ['src/common', 'src/console'],
};

function files(dir: string): string[] {
  let out: string[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out = out.concat(files(p));
    else if (/\.(ts|tsx|mts|js|mjs)$/.test(e)) out.push(p);
  }
  return out;
}

function layerOf(path: string): Layer | undefined {
  const rel = relative(root, path).split('\\').join('/');
  return layers.find((l) => rel === l || rel.startsWith(l + '/'));
}

const importRe = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g;

test('layering: imports follow common ← agent ← desktop, common ← fleet, common ← renderer', () => {
  const violations: string[] = [];
  let checked = 0;
  for (const layer of layers) {
    for (const file of files(join(root, layer))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(importRe)) {
        const spec = m[1] ?? m[2] ?? m[3]!;
        checked++;
        const where = `${relative(root, file)} imports ${spec}`;
        if (spec === 'electron' && layer !== 'src/desktop') violations.push(`${where}: only src/desktop may import electron`);
        // src/common/node (VS Code's base/node): shared by agent and fleet, may use node:*, never imported by pure common or the renderer
        const inCommonNode = relative(root, file).split('\\').join('/').startsWith('src/common/node/');
        if (spec.startsWith('.') && !inCommonNode && (layer === 'src/common' || layer === 'renderer') && resolve(dirname(file), spec).includes(`${join('src', 'common', 'node')}`))
          violations.push(`${where}: src/common/node is node-only; pure common and the renderer may not import it`);
        if (layer === 'src/common' && !inCommonNode && (spec.startsWith('node:') || /^(fs|path|crypto|os|net|child_process|worker_threads)$/.test(spec)))
          violations.push(`${where}: src/common is environment-free`);
        if ((layer === 'renderer' || layer === 'src/console') && (spec.startsWith('node:') || /^(fs|path|crypto|os|net|child_process|worker_threads|electron)$/.test(spec)))
          violations.push(`${where}: ${layer} is browser code`);
        if (spec.startsWith('.')) {
          const target = layerOf(resolve(dirname(file), spec));
          if (target && !allowed[layer].includes(target)) violations.push(`${where}: ${layer} may not import ${target}`);
        }
      }
    }
  }
  assert.ok(checked > 0, 'found no imports at all: the scan is broken');
  assert.deepEqual(violations, []);
});

test('layering: the checker itself flags a forbidden import (console -> fleet)', () => {
  const target = layerOf(resolve(root, 'src/console/pages', '../../fleet/web/overview.js'));
  assert.equal(target, 'src/fleet');
  assert.ok(!allowed['src/console'].includes(target!));
  assert.equal(layerOf(resolve(root, 'src/console', 'main.ts')), 'src/console', 'src/console is scanned as its own layer');
});

test('layering: the checker itself flags a forbidden import (agent -> fleet)', () => {
  const target = layerOf(resolve(root, 'src/agent', '../fleet/signer.js'));
  assert.equal(target, 'src/fleet');
  assert.ok(!allowed['src/agent'].includes(target!));
});

test('layering: src/common/node is node-only (pure common and the renderer may not import it)', () => {
  const text = readFileSync(join(root, 'src/common/node/ed25519.ts'), 'utf8');
  assert.match(text, /from 'node:crypto'/, 'the shared verifier uses node:crypto, which is why it lives apart from pure common');
  assert.ok(!readFileSync(join(root, 'src/common/dsse.ts'), 'utf8').includes('./node/'), 'pure dsse.ts stays environment-free');
});
