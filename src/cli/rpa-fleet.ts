#!/usr/bin/env node
/** `rpa-fleet`: the IT admin's tools. Each verb lives in src/cli/fleet/; `--controller URL` runs them against a remote controller's API (src/cli/fleet/remote/). */
import { processIO, runTool, type Command, type AnyCommand } from './command.js';
import { extractRemoteFlags, localLogin, remoteCommands } from './fleet/remote/index.js';

async function commands(): Promise<AnyCommand[]> {
  const mods: { commands: AnyCommand[] }[] = await Promise.all([
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
    import('./fleet/tokens.js'),
  ]);
  return [...mods.flatMap((m) => m.commands as AnyCommand[]), localLogin];
}

const io = processIO();
const remote = extractRemoteFlags(process.argv.slice(2));
let code: number;
if ('error' in remote) {
  io.err(`error[bad_argument]: ${remote.error}`);
  code = 2;
} else if (remote.controller) {
  code = await runTool('rpa-fleet', `the fleet on the controller at ${remote.controller}`, remoteCommands(remote.controller, remote.ca), remote.rest, io);
} else {
  code = await runTool('rpa-fleet', 'sign, publish and roll out models to the RPA Edge Agent fleet', await commands(), remote.rest, io);
}
process.exitCode = code;
