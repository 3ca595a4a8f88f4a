/**
 * Child process of service-lifetime.test.ts: starts the WHOLE agent service (inference host with the real
 * baseline models from assets/models, candidate guard, vision pipeline — with the screen capturer when a
 * display is there — bot endpoint over a Unix socket, telemetry through the SQLite outbox) against an
 * in-process aedes, uses it (a detect through the endpoint, a telemetry window), closes it, closes the
 * world, and reports on its last stdout line what is still alive:
 *   { leftAfterServiceClose, leftAfterAll, activeBefore, activeAfter }
 * Then it simply returns: the parent requires the process to exit by itself.
 */
import { join } from 'node:path';
import { connect } from '../../src/agent/endpoint/index.js';
import { getOrCreateEndpointSecret } from '../../src/agent/endpoint/secret.js';
import { parseAgentConfig } from '../../src/agent/config.js';
import { startAgentService } from '../../src/agent/service.js';
import { ROLES } from '../../src/common/wire.js';
import { openServiceWorld, publishStableRelease, screenPng, serviceConfig } from './service-helpers.js';
import { settled, trackResources } from '../helpers/resource-tracker.js';

const say = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
// handles only: one-shot requests (FSReqCallback, GetAddrInfoReqWrap…) come and go on their own
const active = () => process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && !/Req/.test(r)).sort();
process.stdout.write(''); // stdout's pipe exists before tracking starts

const activeBefore = active();
const world = await openServiceWorld('lifetime-agent');
const { fleet, ws, admin } = world;
const { stable, roles } = await publishStableRelease(admin, fleet);
const socketPath = join(ws.dir, 'endpoint.sock');
const display = Boolean(process.env.DISPLAY);
const config = parseAgentConfig(serviceConfig(ws, world.broker, { timeouts: { manifestMs: 20_000 }, endpoint: { path: socketPath }, vision: { capture: display } }));

const tracker = trackResources();
const svc = await startAgentService({ config, secretStore: ws.secretStore, host: { warmupRuns: 1 }, guardCheckMs: 200, controlPollMs: 100 });
await svc.agent.waitFor((s) => ROLES.every((r) => s.roles[r]?.state === 'committed' && s.roles[r]?.modelId === stable[r].modelId), { timeoutMs: 240_000 });
const client = await connect({ path: socketPath, secret: await getOrCreateEndpointSecret(ws.secretStore), clientName: 'lifetime-test' });
const det = await client.call('detect', { source: { kind: 'png', png: screenPng().toString('base64') } });
await client.call('subscribe', { topics: ['status'] });
const windows = svc.telemetry.cutWindow();
say({ running: true, elements: det.elements.length, workers: svc.host.status().workers, telemetrySeq: windows.seq, capture: display, tracked: tracker.live().length });
client.close();
await svc.close();
const leftAfterServiceClose = await settled(() => tracker.live(), 5000);
await world.close();
const leftAfterAll = await settled(() => tracker.live(), 5000);
const activeAfter = await settled(() => (JSON.stringify(active()) === JSON.stringify(activeBefore) ? [] : active()), 5000);
tracker.stop();
say({ closed: true });
say({ leftAfterServiceClose, leftAfterAll, activeBefore, activeAfter: activeAfter.length ? activeAfter : activeBefore });
