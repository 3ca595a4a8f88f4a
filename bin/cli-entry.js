// Shared by bin/rpa-agent.js and bin/rpa-fleet.js: runs a CLI in this very process (no launcher, no child).
// - dist/src/cli/NAME.js when built (`npm run build`): what a production install runs, with production
//   dependencies only (test/e2e/prod-install.test.ts installs with `npm ci --omit=dev` and runs it);
// - else, in a source checkout, src/cli/NAME.ts through tsx, a devDependency. A production install without
//   dist/ cannot do that and says so (error code not_built, src/common/errors.ts).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

/** @param {'rpa-agent' | 'rpa-fleet'} name */
export async function runCli(name) {
  const built = join(root, 'dist', 'src', 'cli', `${name}.js`);
  if (existsSync(built)) return import(pathToFileURL(built).href);
  let tsx;
  try {
    // tsx 4.x refuses module.register('tsx/esm') ("must be loaded with --import"); its API entry works.
    tsx = await import('tsx/esm/api');
  } catch {
    process.stderr.write(`error[not_built]: ${built} is missing and tsx (a devDependency) is not installed: run \`npm run build\`\n`);
    process.exit(1);
  }
  tsx.register();
  return import(pathToFileURL(join(root, 'src', 'cli', `${name}.ts`)).href);
}
