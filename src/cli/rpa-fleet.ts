#!/usr/bin/env node
/** `rpa-fleet`: the IT admin's tools. Each verb lives in src/cli/fleet/. */
import { processIO, runTool, type Command } from './command.js';

async function commands(): Promise<Command<any>[]> {
  const mods: { commands: Command<any>[] }[] = await Promise.all([
    // one line per verb module, e.g. import('./agent/run.js'),
    import('./fleet/init.js'),
    import('./fleet/keys.js'),
    import('./fleet/trust.js'),
    import('./fleet/trust-rotate.js'),
    import('./fleet/supply.js'),
    import('./fleet/model.js'),
    import('./fleet/registry.js'),
    import('./fleet/release.js'),
    import('./fleet/controller.js'),
    import('./fleet/rollout.js'),
    import('./fleet/rollout-approve.js'),
    import('./fleet/status.js'),
    import('./fleet/agents.js'),
    import('./fleet/feedback.js'),
    import('./fleet/audit.js'),
  ]);
  return mods.flatMap((m) => m.commands as Command<any>[]);
}

const code = await runTool('rpa-fleet', 'sign, publish and roll out models to the RPA Edge Agent fleet', await commands(), process.argv.slice(2), processIO());
process.exitCode = code;
