/**
 * `npm run demo`: the whole path on an embedded broker (DESIGN.md "The demo"), printed in plain words.
 * Exits 0 only if every step worked.
 *
 *   1. an embedded MQTT broker (aedes, in this process) — no external broker needed
 *   2. fleet keys generated (models + releases) and the agent's trust file written
 *   3. the baseline models signed and published with their hardware variants (retained chunks + signed manifests)
 *   4. a signed release for the channel
 *   5. a real headless agent (`rpa-agent run`, a child process) verifies and activates every model, choosing per role
 *      the variant (INT8 or the fp32 base) that fits its provider and CPU, said with the reason from its status
 *   6. a detection run on a sample screen through the bot endpoint (JSON-RPC, mutual HMAC auth)
 *   7. a metrics window sent upstream
 *   8. a candidate rolled out, caught by the agent's guard and rolled back to stable
 *   9. a release signed with an untrusted key is refused with its reason; the active models keep serving
 *  10. the releases key rotates over the wire (a root-signed trust statement): the old key is refused, the new one signs
 *
 * Options: --keep (keep the work directory), --verbose (the agent's own log lines).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Aedes } from 'aedes';
import { ROLES, type AgentEvent, type Role } from '../src/common/wire.js';
import {
  buildTrustFile,
  connectBroker,
  generateKeyFiles,
  loadSigningKey,
  publishRelease,
  readPublicKeyFile,
  signJson,
} from '../src/fleet/index.js';
import { baselineModels, describeVariantChoice, publishBaselineModel, type PublishedModel } from './demo-models.js';
import { PAYLOAD_TYPE_RELEASE } from '../src/common/dsse.js';
import { topics } from '../src/common/topics.js';
import { iou, type Box } from '../src/common/geometry.js';
import { MetricsWindowSchema, type MetricsWindow } from '../src/common/wire.js';
import { connect } from '../src/agent/endpoint/index.js';
import { createKeytarSecretStore, SecretAccounts } from '../src/agent/secrets/secret-store.js';

const root = resolve(import.meta.dirname, '..');
const args = new Set(process.argv.slice(2));
const DEMO_USAGE = `usage: npm run demo [-- --verbose] [-- --keep]

Shows the whole path on an embedded broker, in plain words: fleet keys, the baseline models signed and
published with their INT8 variants, a real headless agent verifying and activating them (the variant that
fits this CPU, and why), a detection on a sample screen through the bot endpoint, a metrics window
upstream, a candidate rolled out and rolled back. Exits 0 only if all of it worked. Needs nothing but this checkout (scripts/setup.sh): no external broker.

  --verbose   the agent's own log lines too
  --keep      keep the work directory (keys, trust file, agent data) for a look afterwards
  --help      this text`;
const unknownArgs = [...args].filter((a) => !['--verbose', '--keep', '--help', '-h'].includes(a));
if (args.has('--help') || args.has('-h') || unknownArgs.length) {
  if (unknownArgs.length) console.error(`error[bad_argument]: unknown argument ${unknownArgs.join(' ')}\n`);
  (unknownArgs.length ? console.error : console.log)(DEMO_USAGE);
  process.exit(unknownArgs.length ? 2 : 0);
}
const verbose = args.has('--verbose');
const say = (s: string) => process.stdout.write(s + '\n');
const step = (n: number, s: string) => say(`\n[${n}] ${s}`);
const ok = (s: string) => say(`    ✔ ${s}`);
const failures: string[] = [];
const fail = (s: string) => {
  failures.push(s);
  say(`    ✘ ${s}`);
};

async function main(): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'rpa-demo-'));
  let broker: Aedes | undefined;
  let server: net.Server | undefined;
  let agent: ChildProcess | undefined;
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    say('RPA Edge Agent demo — everything below runs on this machine, on an embedded broker.');
    say(`work directory: ${work}`);

    step(1, 'Starting an embedded MQTT broker (aedes, MQTT 3.1.1) on loopback');
    broker = await Aedes.createBroker();
    server = net.createServer({ noDelay: true }, broker.handle);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    ok(`broker listening at ${url}`);

    step(2, 'Generating the fleet signing keys and the agent trust file');
    const keysDir = join(work, 'keys');
    const modelsKey = await generateKeyFiles({ role: 'models', outDir: keysDir });
    const releasesKey = await generateKeyFiles({ role: 'releases', outDir: keysDir });
    const rootKey = await generateKeyFiles({ role: 'root', outDir: keysDir });
    ok(`models key   ${modelsKey.keyid.slice(0, 16)}…  (${modelsKey.privateKeyPath}, mode 0600)`);
    ok(`releases key ${releasesKey.keyid.slice(0, 16)}…  (${releasesKey.privateKeyPath}, mode 0600)`);
    ok(`root key     ${rootKey.keyid.slice(0, 16)}…  (signs trust statements: keys can rotate over the wire)`);
    const trust = buildTrustFile({ models: [await readPublicKeyFile(modelsKey.publicKeyPath)], releases: [await readPublicKeyFile(releasesKey.publicKeyPath)], root: [await readPublicKeyFile(rootKey.publicKeyPath)] });
    const trustFile = join(work, 'trust.json');
    writeFileSync(trustFile, JSON.stringify(trust, null, 2), { mode: 0o444 });
    ok(`trust file ${trustFile} (read-only, version 1): 1 root, 1 models, 1 releases key, threshold 1 each`);

    step(3, 'Signing and publishing the baseline models with their hardware variants (retained chunks, then the signed manifest)');
    const admin = await connectBroker({ url, clientId: 'rpa-admin-demo' });
    cleanups.push(() => admin.endAsync());
    const mKey = await loadSigningKey(modelsKey.privateKeyPath, 'models');
    const rKey = await loadSigningKey(releasesKey.privateKeyPath, 'releases');
    const models = baselineModels(root);
    const published = new Map<Role, PublishedModel>();
    for (const m of models) {
      const p = await publishBaselineModel(admin, m, mKey);
      published.set(m.role, p);
      ok(p.summary);
    }

    step(4, 'Publishing a signed release for channel "stable"');
    const roles = Object.fromEntries([...published].map(([role, p]) => [role, { stable: p.modelId }]));
    const rel = await publishRelease(admin, { channel: 'stable', roles, expiresInMs: 7 * 86_400_000, keys: [rKey] });
    ok(`release seq ${rel.release.seq}, expires ${rel.release.expires}`);

    step(5, 'Starting a headless agent (rpa-agent run) that follows channel "stable"');
    const config = {
      broker: { url, protocolVersion: 4 },
      agentId: 'demo-workstation-01',
      channel: 'stable',
      trustFile,
      dataDir: join(work, 'agent-data'),
      endpoint: { path: join(work, 'agent.sock') },
      telemetry: { windowSec: 2 },
      // this demo feeds the detector a sample screenshot; a workstation captures its own screen
      vision: { capture: false },
      // a shared or small demo machine is not the reference workstation the manifests' budgets assume
      latencyBudgetMs: 5000,
    };
    const configFile = join(work, 'agent.json');
    writeFileSync(configFile, JSON.stringify(config, null, 2));
    const T = topics();
    const metrics: MetricsWindow[] = [];
    admin.on('message', (topic, payload) => {
      if (topic === T.agentMetrics(config.agentId)) {
        const r = MetricsWindowSchema.safeParse(JSON.parse(payload.toString()));
        if (r.success) metrics.push(r.data);
      }
    });
    await admin.subscribeAsync(T.agentMetrics(config.agentId), { qos: 1 });
    const events: AgentEvent[] = [];
    const waiters: { pred: (e: AgentEvent) => boolean; resolve: (e: AgentEvent) => void }[] = [];
    agent = spawn(process.execPath, [join(root, 'bin', 'rpa-agent.js'), 'run', '--config', configFile, '--json', '--secret-service', 'rpa-edge-agent-demo', ...(verbose ? ['--verbose'] : [])], {
      stdio: ['ignore', 'pipe', verbose ? 'inherit' : 'pipe'],
      env: process.env,
    });
    let agentErr = '';
    agent.stderr?.on('data', (d) => (agentErr += d.toString()));
    createInterface({ input: agent.stdout! }).on('line', (line) => {
      let e: AgentEvent;
      try {
        e = JSON.parse(line);
      } catch {
        return;
      }
      events.push(e);
      for (const w of [...waiters]) if (w.pred(e)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(e);
      }
    });
    const agentExited = new Promise<never>((_, rej) => agent!.once('exit', (c) => rej(new Error(`the agent exited with code ${c}: ${agentErr.trim().slice(-800)}`))));
    agentExited.catch(() => {});
    const waitEvent = (pred: (e: AgentEvent) => boolean, what: string, ms = 60_000) => {
      const seen = events.find(pred);
      if (seen) return Promise.resolve(seen);
      return Promise.race([
        new Promise<AgentEvent>((res) => waiters.push({ pred, resolve: res })),
        agentExited,
        new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`timed out waiting for ${what}`)), ms).unref()),
      ]);
    };
    for (const [role, p] of published) {
      try {
        const e = await waitEvent((e) => e.role === role && (e.type === 'activated' || e.type === 'model_rejected' || e.type === 'activation_failed'), `${role} activation`);
        if (e.type === 'activated') {
          const dl = events.filter((x) => x.type === 'download_progress' && x.role === role).length;
          ok(`${role}: fetched (${dl} progress reports), every chunk's sha256 checked, whole file sha256 = modelId, decrypted in memory only, loaded in the inference host (provider ${String(e.details?.provider ?? 'cpu')}): contract, self-test and latency budget checked → ACTIVE ${p.name}@${p.version} (${String(e.details?.['variant'] ?? 'fp32')})`);
        } else fail(`${role}: ${e.type} [${e.reason}] ${e.message ?? ''}`);
      } catch (err) {
        fail(`${role}: ${(err as Error).message}`);
      }
    }
    // which file serves each role, read from the agent's own status, and why (the one choice rule on this CPU)
    const chosen = await runStatus(configFile);
    for (const [role, p] of published) {
      const c = describeVariantChoice(role, p.manifest, chosen?.roles?.[role]);
      if (c.ok) ok(c.line);
      else fail(c.line);
    }

    step(6, 'A bot asks the agent what is on a sample screen (bot endpoint: JSON-RPC over a Unix socket)');
    const samplePng = readFileSync(join(root, 'assets', 'samples', 'sample-screen.png'));
    const sampleTruth = JSON.parse(readFileSync(join(root, 'assets', 'samples', 'sample-screen.json'), 'utf8')) as { elements: { box: number[]; type: string }[] };
    const agentSecrets = await createKeytarSecretStore('rpa-edge-agent-demo');
    let bot: Awaited<ReturnType<typeof connect>> | undefined;
    try {
      await waitFor(() => existsSync(config.endpoint.path), 20_000, 'the bot endpoint socket');
      bot = await connect({ path: config.endpoint.path, secret: async () => (await agentSecrets.get(SecretAccounts.endpointSecret)) ?? '', clientName: 'demo-bot' });
      cleanups.push(() => bot?.close());
      ok('bot authenticated: challenge-response with the per-install secret from the OS credential store (both sides proved it)');
      if (published.has('detector')) {
        const det = await bot.call('detect', { source: { kind: 'png', png: samplePng.toString('base64') } });
        const matched = sampleTruth.elements.filter((t) => det.elements.some((d) => iou(d.box as Box, t.box as Box) >= 0.5)).length;
        ok(`detect: ${det.elements.length} elements found in ${Math.round(det.timings?.total ?? 0)} ms; ${matched} of ${sampleTruth.elements.length} labelled elements matched at IoU ≥ 0.5`);
        for (const e of det.elements.slice(0, 6)) {
          const state = e.checked === undefined ? '' : e.checked ? ' (checked)' : ' (unchecked)';
          say(`        ${e.type.padEnd(12)}${state.padEnd(12)} score ${e.score.toFixed(2)}  at [${e.box.map((v) => Math.round(v)).join(', ')}] screen px`);
        }
        if (det.elements.length > 6) say(`        … and ${det.elements.length - 6} more`);
        if (det.elements.length === 0) fail('the detector found nothing on the sample screen');
      }
    } catch (err) {
      fail(`bot endpoint: ${(err as Error).message}`);
    }

    step(7, 'The agent reports a metrics window upstream (agents/demo-workstation-01/metrics)');
    try {
      await waitFor(() => metrics.some((w) => (w.roles.detector?.count ?? 0) > 0), 30_000, 'a metrics window with detector runs');
      const w = metrics.find((w) => (w.roles.detector?.count ?? 0) > 0)!;
      for (const role of ROLES) {
        const m = w.roles[role];
        if (m) ok(`${role.padEnd(10)} window #${w.seq}: ${m.count} runs, ${m.errors} errors, p50 ${m.latency.p50.toFixed(1)} ms, p95 ${m.latency.p95.toFixed(1)} ms, provider ${m.provider ?? '?'}${m.psi !== undefined ? `, drift PSI ${m.psi.toFixed(2)}` : ''}`);
      }
    } catch (err) {
      fail((err as Error).message);
    }

    step(8, 'A candidate detector (a new build, with its int8 variant) is rolled out with a gate it cannot meet; the agent rolls it back');
    if (published.has('detector') && bot) {
      try {
        const detModel = models.find((m) => m.role === 'detector')!;
        // A new build of the same network and its int8 variant (a doc string appended: new bytes, new sha256s, new modelId).
        const cand = await publishBaselineModel(admin, detModel, mKey, { tag: 'demo candidate build', version: '1.0.1-rc.1' });
        const stableDet = published.get('detector')!.modelId;
        const relC = await publishRelease(admin, {
          channel: 'stable',
          roles: { detector: { stable: stableDet, candidate: { modelId: cand.modelId, rolloutId: 'demo-rollout-1', percent: 100, shadow: false, gates: { maxErrorRate: 0.05, maxLatencyP95Ms: 0.01, guardWindowSec: 60, minSamples: 3 } } } },
          keepOtherRoles: true,
          expiresInMs: 7 * 86_400_000,
          keys: [rKey],
        });
        ok(`release seq ${relC.release.seq}: candidate ${cand.modelId.slice(0, 12)}… for 100 % of the channel, gate p95 ≤ 0.01 ms (rollout demo-rollout-1)`);
        const candAct = await waitEvent((e) => e.type === 'activated' && e.modelId === cand.modelId, 'the candidate to activate', 120_000);
        ok(`candidate verified and activated under guard, served as ${String(candAct.details?.['variant'] ?? 'fp32')}`);
        for (let i = 0; i < 6 && !events.some((e) => e.type === 'rolled_back'); i++) {
          await bot.call('detect', { source: { kind: 'png', png: samplePng.toString('base64') }, minScore: 0.3 + i / 100 }).catch(() => undefined);
        }
        const rb = await waitEvent((e) => e.type === 'rolled_back' && e.modelId === cand.modelId, 'the guard to roll the candidate back', 60_000);
        const d = rb.details ?? {};
        // the claim "stable serves again" is checked, not assumed: the stable model is loaded again (in the inference
        // host's warming process at lower priority, so it can take a while on a busy machine)
        const stableId = published.get('detector')!.modelId;
        const back = await waitEvent((e) => e.type === 'activated' && e.modelId === stableId && e.ts >= rb.ts, 'the stable detector to serve again', 60_000);
        ok(`rolled back [${rb.reason}]: p95 ${Number(d.latencyP95Ms ?? NaN).toFixed(1)} ms over ${String(d.samples ?? '?')} runs breaks the 0.01 ms gate → stable serves again (${Date.parse(back.ts) - Date.parse(rb.ts)} ms later)`);
        const after = await bot.call('detect', { source: { kind: 'png', png: samplePng.toString('base64') }, minScore: 0.5 });
        ok(`bots never noticed: detect still answers (${after.elements.length} elements at score ≥ 0.5)`);
      } catch (err) {
        fail(`candidate rollout: ${(err as Error).message}`);
      }
    } else say('    (skipped: no detector published)');

    step(9, 'An attacker publishes a release signed with a key the agent does not trust');
    const { generateSigningKey } = await import('../src/fleet/signer.js');
    const current = await (await import('../src/fleet/index.js')).showRelease(admin, 'stable');
    const forged = signJson(PAYLOAD_TYPE_RELEASE, { ...(current?.value ?? rel.release), seq: (current?.value?.seq ?? rel.release.seq) + 1, roles: {} }, [generateSigningKey()]);
    await admin.publishAsync(`rpa/v1/channels/stable/release`, JSON.stringify(forged), { qos: 1, retain: true });
    try {
      const e = await waitEvent((e) => e.type === 'release_rejected' && e.reason !== 'release_replayed', 'the forged release to be rejected', 20_000);
      ok(`refused: [${e.reason}] ${e.message ?? ''}`);
    } catch (err) {
      fail((err as Error).message);
    }
    const status = await runStatus(configFile);
    for (const role of published.keys()) {
      const st = status?.roles?.[role];
      // rolled_back is a serving state too: the stable model is back in the active slot
      const serving = st && ['active', 'committed', 'rolled_back'].includes(st.state) && st.modelId === published.get(role)!.modelId;
      if (serving) ok(`${role} still serving ${st.name ?? ''}@${st.version ?? ''} as ${st.variant?.name ?? '?'} (state ${st.state}, rpa-agent status)`);
      else fail(`${role} is ${st?.state ?? 'unknown'} (${st?.modelId?.slice(0, 12) ?? 'no model'}) after the forged release`);
    }

    step(10, 'The releases key rotates over the wire: the root signs trust statement 2 (TUF root role)');
    try {
      const { readTrustChain, buildNextStatement, signNextStatement, publishTrustStatement } = await import('../src/fleet/trust-statements.js');
      const newRel = await generateKeyFiles({ role: 'releases', outDir: keysDir, name: 'releases-2' });
      const chain = await readTrustChain(admin, trust);
      const issued = new Date();
      const statement = buildNextStatement(chain.state, { roles: { releases: { keys: [{ publicKey: (await readPublicKeyFile(newRel.publicKeyPath)).publicKey, keyid: newRel.keyid }] } }, issued, expires: new Date(issued.getTime() + 365 * 86_400_000) });
      await publishTrustStatement(admin, signNextStatement(chain.state, statement, [await loadSigningKey(rootKey.privateKeyPath, 'root')]), statement.version);
      const up = await waitEvent((e) => e.type === 'trust_updated', 'the agent to accept trust version 2', 20_000);
      ok(`agent moved to trust version ${String(up.details?.['version'])}: releases key is now ${newRel.keyid.slice(0, 16)}… (rpa-fleet trust rotate does the same)`);
      const cur = (await (await import('../src/fleet/index.js')).showRelease(admin, 'stable'))?.value ?? rel.release;
      const seqNow = Math.max(cur.seq, rel.release.seq) + 1;
      await admin.publishAsync('rpa/v1/channels/stable/release', JSON.stringify(signJson(PAYLOAD_TYPE_RELEASE, { ...rel.release, seq: seqNow, issued: new Date().toISOString() }, [rKey])), { qos: 1, retain: true });
      const old = await waitEvent((e) => e.type === 'release_rejected' && e.releaseSeq === undefined && e.reason === 'untrusted_key' && events.indexOf(e) > events.indexOf(up), 'a release signed by the rotated-out key to be refused', 20_000);
      ok(`a release signed by the old releases key: refused [${old.reason}]`);
      const r2 = await publishRelease(admin, { channel: 'stable', roles: rel.release.roles, expiresInMs: 7 * 86_400_000, keys: [await loadSigningKey(newRel.privateKeyPath, 'releases')], seq: seqNow + 1 });
      await waitEvent((e) => e.type === 'release_accepted' && e.releaseSeq === r2.release.seq, 'the release signed by the new key', 20_000);
      ok(`release seq ${r2.release.seq} signed by the new releases key: accepted`);
    } catch (err) {
      fail(`key rotation: ${(err as Error).message}`);
    }

    say('');
    if (failures.length) {
      say(`DEMO FAILED: ${failures.length} step(s) did not work:`);
      for (const f of failures) say(`  - ${f}`);
      return 1;
    }
    say('DEMO OK: signed models (with their INT8 variants) published, verified and activated, the variant chosen per CPU;');
    say('         a bot detected elements through the endpoint;');
    say('         metrics went upstream; a bad candidate was rolled back by the guard; a forged release was refused;');
    say('         the releases key rotated over the wire and the old key was refused.');
    return 0;
  } finally {
    if (agent && agent.exitCode === null) {
      const gone = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
      if (agent.exitCode === null) agent.kill('SIGKILL');
    }
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
    if (server) await new Promise((r) => server!.close(r));
    if (broker) await new Promise((r) => broker!.close(() => r(undefined)));
    if (!args.has('--keep')) rmSync(work, { recursive: true, force: true });
  }
}

async function waitFor(pred: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function runStatus(configFile: string): Promise<{ roles?: Record<string, { state: string; modelId?: string; name?: string; version?: string; provider?: string; variant?: { name: string; precision?: string } }> } | undefined> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [join(root, 'bin', 'rpa-agent.js'), 'status', '--config', configFile, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d.toString()));
    p.on('exit', () => {
      try {
        res(JSON.parse(out));
      } catch {
        res(undefined);
      }
    });
  });
}

main().then(
  (code) => process.exit(code),
  (e) => {
    say(`DEMO FAILED: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
