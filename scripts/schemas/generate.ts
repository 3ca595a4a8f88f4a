/**
 * JSON Schemas (draft 2020-12) for every wire payload, generated from the zod contracts in src/common (issue 22 §3),
 * so another implementation can validate its messages without reading our TypeScript.
 *
 *   npm run schemas            write docs/schemas/*.schema.json
 *   npm run schemas -- --check exit 1 when a committed schema differs from the code (CI runs this through a test)
 *
 * Refinements that JSON Schema cannot express (e.g. "strictly ascending waves") are enforced by the agent only;
 * docs/PROTOCOL.md names them.
 */
import { readFileSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { wireSchemas } from './catalogue.js';
import { protocolExamples } from './examples.js';
import { renderOpenApi } from '../../src/fleet/api/openapi.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SCHEMA_DIR = join(ROOT, 'docs', 'schemas');
export const EXAMPLE_DIR = join(ROOT, 'docs', 'protocol', 'examples');
/** the controller API's OpenAPI 3.1 document (issue 19 §1), generated from src/fleet/api/routes.ts */
export const OPENAPI_FILE = join(ROOT, 'docs', 'openapi.json');

const USAGE = `Usage: npm run schemas [-- --check] [--help]
  Writes one JSON Schema per wire payload into docs/schemas/, generated from the zod contracts in src/common,
  and one worked example of each wire message into docs/protocol/examples/ (docs/PROTOCOL.md),
  and the controller API's OpenAPI 3.1 document into docs/openapi.json (from src/fleet/api/routes.ts).
  --check   write nothing; exit 1 and name each schema or example that differs from the code (or is missing / stale)`;

function main(argv: string[]): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const unknown = argv.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    process.stderr.write(`error[bad_argument]: unknown argument ${unknown[0]}\n${USAGE}\n`);
    return 2;
  }
  const check = argv.includes('--check');
  const rendered = renderAll();
  const examples = renderExamples();
  if (check) {
    const problems = [...diffAgainstDisk(rendered), ...diffAgainstDisk(examples, EXAMPLE_DIR, '.json'), ...diffOpenApi()];
    for (const p of problems) process.stderr.write(`schema drift: ${p}\n`);
    if (problems.length > 0) process.stderr.write('run `npm run schemas` and commit docs/schemas/\n');
    else process.stdout.write(`docs/schemas: ${rendered.size} schemas match the code\n`);
    return problems.length > 0 ? 1 : 0;
  }
  mkdirSync(SCHEMA_DIR, { recursive: true });
  for (const [file, text] of rendered) writeFileSync(join(SCHEMA_DIR, file), text);
  mkdirSync(EXAMPLE_DIR, { recursive: true });
  for (const [file, text] of examples) writeFileSync(join(EXAMPLE_DIR, file), text);
  writeFileSync(OPENAPI_FILE, renderOpenApi());
  process.stdout.write(`wrote ${rendered.size} schemas to docs/schemas/ and ${examples.size} examples to docs/protocol/examples/\n`);
  return 0;
}

/** file name → pretty JSON text of its schema */
export function renderAll(): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of wireSchemas()) {
    const schema = { $id: `https://rpa-edge.invalid/schemas/${entry.file}`, title: entry.title, description: entry.description, ...entry.jsonSchema() };
    out.set(entry.file, JSON.stringify(schema, null, 2) + '\n');
  }
  return out;
}

/** docs/openapi.json against the route table: [] when it matches */
export function diffOpenApi(): string[] {
  let onDisk: string | undefined;
  try {
    onDisk = readFileSync(OPENAPI_FILE, 'utf8');
  } catch {
    return ['docs/openapi.json is missing'];
  }
  return onDisk === renderOpenApi() ? [] : ['docs/openapi.json differs from what src/fleet/api/routes.ts makes'];
}

/** file name → pretty JSON text of each worked example (examples.ts) */
export function renderExamples(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [file, value] of protocolExamples()) out.set(file, JSON.stringify(value, null, 2) + '\n');
  return out;
}

export function diffAgainstDisk(rendered: Map<string, string>, dir = SCHEMA_DIR, suffix = '.schema.json'): string[] {
  const problems: string[] = [];
  for (const [file, text] of rendered) {
    let onDisk: string | undefined;
    try {
      onDisk = readFileSync(join(dir, file), 'utf8');
    } catch {
      problems.push(`${file} is missing`);
      continue;
    }
    if (onDisk !== text) problems.push(`${file} differs from what the code makes`);
  }
  let present: string[] = [];
  try {
    present = readdirSync(dir).filter((f) => f.endsWith(suffix));
  } catch {
    /* reported above as missing */
  }
  for (const f of present) if (!rendered.has(f)) problems.push(`${f} is no longer made by the code (stale)`);
  return problems;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.slice(2));
