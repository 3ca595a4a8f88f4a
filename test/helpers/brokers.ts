/**
 * Real brokers for tests: an in-process aedes and a real Mosquitto process on a free loopback port,
 * optionally with the fleet ACL (assets/mosquitto/acl), password auth and TLS with a CA and
 * certificates generated on the fly (DESIGN.md "Broker connections").
 *
 * NOTE: aedes speaks MQTT 3.1.1 only (its README: "MQTT 5.0 — not supported yet"); it answers an
 * MQTT 5 CONNECT with "Unacceptable protocol version". `protocolVersion` tells clients what to use.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, copyFileSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { Aedes } from 'aedes';

export interface TestBroker {
  url: string;
  port: number;
  protocolVersion: 4 | 5;
  /** connection options a privileged client (admin/publisher) needs */
  adminOptions: { username?: string; password?: string; ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized?: boolean };
  /** credentials for an agent id (password auth), when auth is on */
  agentOptions(agentId: string): { username?: string; password?: string; ca?: Buffer };
  /** stop and start again on the same port, keeping retained messages (Mosquitto: persistence file; aedes: same instance) */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
  /** the in-process aedes instance (aedes only): tests watch which topics each client subscribes to */
  aedes?: Aedes;
}

export const repoRoot = resolve(import.meta.dirname, '..', '..');

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => res(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((r) => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        r(true);
      });
      c.once('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`broker did not listen on ${port} within ${timeoutMs} ms`);
}

export async function startAedes(opts: { port?: number } = {}): Promise<TestBroker> {
  const broker = await Aedes.createBroker();
  const port = opts.port ?? (await freePort());
  let server: net.Server | undefined;
  const sockets = new Set<net.Socket>();
  const start = async () => {
    server = net.createServer({ noDelay: true }, (sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
      broker.handle(sock);
    });
    await new Promise<void>((r) => server!.listen(port, '127.0.0.1', () => r()));
  };
  const stop = async () => {
    for (const s of sockets) s.destroy();
    sockets.clear();
    if (server) await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
  };
  await start();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    protocolVersion: 4,
    aedes: broker,
    adminOptions: {},
    agentOptions: () => ({}),
    start,
    stop,
    async restart(downMs = 200) {
      await stop();
      await new Promise((r) => setTimeout(r, downMs));
      await start();
    },
    async close() {
      await stop();
      await new Promise<void>((r) => broker.close(() => r()));
    },
  };
}

export interface MosquittoOptions {
  /** use assets/mosquitto/acl with password auth (users: rpa-admin, rpa-controller, and the given agents) */
  acl?: boolean;
  agents?: string[];
  /** TLS listener with a CA, server and admin client certificates generated on the fly */
  tls?: boolean;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

export function makeTestPki(dir: string, names: string[] = ['rpa-admin']): void {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=rpa-test-ca'], dir);
  const issue = (name: string, cn: string, san?: string) => {
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
    const ext = join(dir, `${name}.ext`);
    writeFileSync(ext, san ? `subjectAltName=${san}\n` : 'basicConstraints=CA:FALSE\n');
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', ext], dir);
  };
  issue('server', 'localhost', 'IP:127.0.0.1,DNS:localhost');
  for (const n of names) issue(n, n);
}

export async function startMosquitto(opts: MosquittoOptions = {}): Promise<TestBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'rpa-mosq-'));
  const port = await freePort();
  const passwords: Record<string, string> = {};
  const lines = [
    `listener ${port} 127.0.0.1`,
    // Started as root, Mosquitto drops to user "mosquitto", which cannot write our temp dir.
    `user ${userInfo().username}`,
    'persistence true',
    `persistence_location ${dir}/`,
    'autosave_interval 1',
    'message_size_limit 16777216',
    'max_queued_messages 100000',
    'max_inflight_messages 0',
    'set_tcp_nodelay true',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
  ];
  if (opts.acl) {
    for (const u of ['rpa-admin', 'rpa-controller', ...(opts.agents ?? [])]) passwords[u] = `pw-${u}-${Math.random().toString(36).slice(2)}`;
    const pwFile = join(dir, 'passwd');
    writeFileSync(pwFile, '');
    for (const [u, p] of Object.entries(passwords)) execFileSync('mosquitto_passwd', ['-b', pwFile, u, p], { stdio: 'pipe' });
    copyFileSync(join(repoRoot, 'assets', 'mosquitto', 'acl'), join(dir, 'acl'));
    lines.push('allow_anonymous false', `password_file ${pwFile}`, `acl_file ${join(dir, 'acl')}`);
  } else {
    lines.push('allow_anonymous true');
  }
  let ca: Buffer | undefined;
  let adminCert: Buffer | undefined;
  let adminKey: Buffer | undefined;
  if (opts.tls) {
    makeTestPki(dir);
    lines.push(`cafile ${dir}/ca.crt`, `certfile ${dir}/server.crt`, `keyfile ${dir}/server.key`, 'tls_version tlsv1.2');
    ca = readFileSync(join(dir, 'ca.crt'));
    adminCert = readFileSync(join(dir, 'rpa-admin.crt'));
    adminKey = readFileSync(join(dir, 'rpa-admin.key'));
  }
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, lines.join('\n') + '\n');
  let proc: ChildProcess | undefined;
  let stderr = '';
  const start = async () => {
    proc = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr!.on('data', (d) => (stderr += d.toString()));
    const exited = new Promise<never>((_, rej) => proc!.once('exit', (c) => rej(new Error(`mosquitto exited (${c}): ${stderr}`))));
    await Promise.race([waitForPort(port), exited]);
    exited.catch(() => {});
  };
  const stop = async () => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGTERM'); // SIGTERM makes Mosquitto save its persistence file (retained messages) first
    await gone;
  };
  await start();
  const scheme = opts.tls ? 'mqtts' : 'mqtt';
  const creds = (u: string) => (opts.acl ? { username: u, password: passwords[u] } : {});
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    protocolVersion: 5,
    adminOptions: { ...creds('rpa-admin'), ...(ca ? { ca, cert: adminCert, key: adminKey, rejectUnauthorized: true } : {}) },
    agentOptions: (agentId) => ({ ...creds(agentId), ...(ca ? { ca } : {}) }),
    start,
    stop,
    async restart(downMs = 200) {
      await stop();
      await new Promise((r) => setTimeout(r, downMs));
      await start();
    },
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `fn` against each real broker kind, for tests that must hold on both (issue 2). */
export const brokerKinds: { name: string; start: (o?: MosquittoOptions) => Promise<TestBroker> }[] = [
  { name: 'aedes', start: () => startAedes() },
  { name: 'mosquitto', start: (o) => startMosquitto(o) },
];
