#!/usr/bin/env node
// Runs the compiled CLI when built (npm run build), else the TypeScript source through tsx.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { register } from 'node:module';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const built = join(root, 'dist', 'src', 'cli', 'rpa-fleet.js');
if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  register('tsx/esm', pathToFileURL(join(root, 'package.json')));
  await import(pathToFileURL(join(root, 'src', 'cli', 'rpa-fleet.ts')).href);
}
