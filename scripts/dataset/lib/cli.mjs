// Command-line conventions shared by the dataset scripts (issue 16 §5 / 17 §5: every npm script has a --help that helps,
// bad flags are a coded usage error, no stack trace for a user's mistake).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The script's leading `//` comment block (after the shebang), without the comment markers. */
export function helpText(moduleUrl) {
  const lines = readFileSync(fileURLToPath(moduleUrl), 'utf8').split('\n');
  const out = [];
  for (const l of lines) {
    if (l.startsWith('#!')) continue;
    if (!l.startsWith('//')) break;
    out.push(l.replace(/^\/\/ ?/, ''));
  }
  return out.join('\n').trim();
}

/**
 * Parses argv with `parse`: `--help` prints the script's comment block and exits 0; a parse error is
 * `error[bad_argument]` on stderr and exit 2.
 */
export function parseCliOrExit(moduleUrl, parse, argv = process.argv.slice(2)) {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(helpText(moduleUrl));
    process.exit(0);
  }
  try {
    return parse(argv);
  } catch (e) {
    console.error(`error[bad_argument]: ${e instanceof Error ? e.message : String(e)} (see --help)`);
    process.exit(2);
  }
}
