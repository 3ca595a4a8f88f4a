#!/usr/bin/env node
// `rpa-agent`: the compiled CLI when built, else the TypeScript source through tsx (bin/cli-entry.js), in this
// one process. There is no launcher: glibc's malloc tuning (src/agent/inference/malloc.ts) matters where
// onnxruntime runs, the session processes, and the agent sets it in their environment when it spawns them.
import { runCli } from './cli-entry.js';

await runCli('rpa-agent');
