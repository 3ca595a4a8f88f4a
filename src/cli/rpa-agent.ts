#!/usr/bin/env node
/** `rpa-agent`: the headless edge agent and its local tools. Each verb lives in src/cli/agent/. */
import { processIO, runTool, type Command, type AnyCommand } from './command.js';

async function commands(): Promise<AnyCommand[]> {
  const mods: { commands: AnyCommand[] }[] = await Promise.all([
    // one line per verb module, e.g. import('./agent/run.js'),
    import('./agent/call.js'),
    import('./agent/run.js'),
    import('./agent/status.js'),
    import('./agent/secret.js'),
    import('./agent/rollback.js'),
  ]);
  return mods.flatMap((m) => m.commands as AnyCommand[]);
}

const code = await runTool('rpa-agent', 'the RPA Edge Agent (headless)', await commands(), process.argv.slice(2), processIO());
process.exitCode = code;
