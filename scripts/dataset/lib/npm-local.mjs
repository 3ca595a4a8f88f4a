// https://npm.local/<package>/<path> -> that file from node_modules, so dataset pages can be styled by published
// frameworks with nothing fetched from the network. What is served (the rest is refused, so a page cannot read
// arbitrary files through the route):
//   - stylesheets (.css) of any package, and the web fonts they reference (.woff, .woff2);
//   - scripts (.js) of @fluentui/web-components only (its components are JavaScript custom elements);
//   - never a path with a ".." segment.
// The node_modules root is the project's; RPA_NODE_MODULES overrides it (a private install while a new package
// is not yet in the project's package.json).
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_NODE_MODULES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'node_modules');
const SCRIPT_PACKAGES = ['@fluentui/web-components/'];
const TYPES = { css: 'text/css', woff: 'font/woff', woff2: 'font/woff2', js: 'text/javascript' };

export function nodeModulesRoot(env = process.env) {
  return env.RPA_NODE_MODULES || PROJECT_NODE_MODULES;
}

/** The package-relative path an https://npm.local/ URL may serve, with its content type, or null when refused. */
export function npmLocalPath(url) {
  if (!url.startsWith('https://npm.local/')) return null;
  let rel;
  try {
    rel = decodeURIComponent(new URL(url).pathname).replace(/^\/+/, '');
  } catch {
    return null;
  }
  const segments = rel.split(/[/\\]/);
  if (segments.includes('..') || segments.includes('')) return null;
  const ext = rel.slice(rel.lastIndexOf('.') + 1).toLowerCase();
  const contentType = TYPES[ext];
  if (!contentType) return null;
  if (ext === 'js' && !SCRIPT_PACKAGES.some((p) => rel.startsWith(p))) return null;
  return { rel, contentType };
}

/** The file behind an https://npm.local/ URL ({ body: Buffer, contentType }) or null (refused or missing). */
export function npmLocalFile(url, root = nodeModulesRoot()) {
  const p = npmLocalPath(url);
  if (!p) return null;
  try {
    return { body: readFileSync(join(root, p.rel)), contentType: p.contentType };
  } catch {
    return null;
  }
}

/** The stylesheet text behind an https://npm.local/….css URL, or null (the generator's original contract). */
export function npmStylesheet(url, root = nodeModulesRoot()) {
  const p = npmLocalPath(url);
  if (!p || p.contentType !== 'text/css') return null;
  const f = npmLocalFile(url, root);
  return f ? f.body.toString('utf8') : null;
}
