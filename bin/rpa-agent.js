#!/usr/bin/env node
// Runs the compiled CLI when built (npm run build), else the TypeScript source through tsx.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const built = join(root, 'dist', 'src', 'cli', 'rpa-agent.js');
if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  // tsx 4.x refuses module.register('tsx/esm') ("must be loaded with --import"); its API entry works.
  const { register: registerTsx } = await import('tsx/esm/api');
  registerTsx();
  await import(pathToFileURL(join(root, 'src', 'cli', 'rpa-agent.ts')).href);
}
