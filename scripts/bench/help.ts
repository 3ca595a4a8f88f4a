/**
 * `--help` for every benchmark script: prints the script's own leading doc comment (what it measures,
 * its targets and its command line) and exits 0, before the script starts any work.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The leading `/** … *\/` block of a source file, without the comment markers. */
export function docComment(source: string): string {
  const m = /^(?:#![^\n]*\n)?\s*\/\*\*([\s\S]*?)\*\//.exec(source);
  if (!m) return '';
  return m[1]!
    .split('\n')
    .map((l) => l.replace(/^\s*\* ?/, ''))
    .join('\n')
    .trim();
}

export function exitWithHelpIfAsked(moduleUrl: string, argv: readonly string[] = process.argv.slice(2)): void {
  if (!argv.includes('--help') && !argv.includes('-h')) return;
  const file = fileURLToPath(moduleUrl);
  console.log(docComment(readFileSync(file, 'utf8')) || `no description in ${file}`);
  process.exit(0);
}
