#!/usr/bin/env node
// `rpa-fleet`: the compiled CLI when built, else the TypeScript source through tsx (bin/cli-entry.js).
import { runCli } from './cli-entry.js';

await runCli('rpa-fleet');
