/**
 * A device behind NAT (SPEC §4 "Home networks"; docs/net.md "Relays and NAT"): `ame up` listens on a test network's
 * own address, `ame device` runs in a network namespace behind a masquerading router with no inbound route, reserves
 * a slot on a ring server's circuit relay, registers, is attached, and serves a paid client request that can only
 * have come through the relay — a direct dial of its address fails.
 *
 * The network it builds (names carry a per-run suffix; everything is removed in afterAll, also after a failure):
 *
 *   root namespace (ame up, the client, this test)          router namespace             device namespace
 *   <wan> 10.W.0.1/24  ── veth ──  10.W.0.2/24 <wan peer>    MASQUERADE out of <wan peer>
 *                                   192.168.W.1/24 <lan>  ── veth ──  192.168.W.2/24, default via 192.168.W.1
 *   route 192.168.W.0/24 unreachable (so a dial fails at once rather than wandering out of the default route)
 *
 * Needs root (ip netns, iptables: the Debian `iptables` package, in .ci/run's system packages).
 */
import { type ChildProcess, execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ed25519KeyPair } from '../../../node/crypto/index.ts';
import { createHost, isCircuitAddr, NetError } from '../../../node/net/index.ts';
import { ameIn, type CliRun, startDevice, startUp } from '../../support/cli.ts';

const tag = String(process.pid % 10_000);
const octet = 20 + (process.pid % 200);
const NS_ROUTER = `ame-r${tag}`;
const NS_DEVICE = `ame-d${tag}`;
const WAN = `amew${tag}`;
const WAN_PEER = `amewp${tag}`;
const LAN = `amel${tag}`;
const LAN_PEER = `amelp${tag}`;
const WAN_IP = `10.${octet}.0.1`;
const ROUTER_WAN_IP = `10.${octet}.0.2`;
const ROUTER_LAN_IP = `192.168.${octet}.1`;
const DEVICE_IP = `192.168.${octet}.2`;
const HOME_NET = `192.168.${octet}.0/24`;

const dir = mkdtempSync(join(tmpdir(), 'ame-nat-'));
const net = join(dir, 'net');
const children: ChildProcess[] = [];

function sh(command: string, ...args: string[]): void {
  execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}
/** Cleanup: every step tried, none fatal (a half-built network is removed as far as it got). */
function quietly(command: string, ...args: string[]): void {
  spawnSync(command, args, { stdio: 'ignore' });
}

function teardownNetwork(): void {
  quietly('ip', 'route', 'del', 'unreachable', HOME_NET);
  quietly('ip', 'link', 'del', WAN);
  quietly('ip', 'netns', 'del', NS_DEVICE);
  quietly('ip', 'netns', 'del', NS_ROUTER);
}

function buildNetwork(): void {
  if (process.getuid?.() !== 0) throw new Error('this test builds network namespaces with `ip netns` and needs root (CI runs it as root)');
  for (const tool of ['ip', 'iptables']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} is missing: apt-get install ${tool === 'ip' ? 'iproute2' : 'iptables'}`);
  }
  teardownNetwork();
  sh('ip', 'netns', 'add', NS_ROUTER);
  sh('ip', 'netns', 'add', NS_DEVICE);
  sh('ip', 'link', 'add', WAN, 'type', 'veth', 'peer', 'name', WAN_PEER, 'netns', NS_ROUTER);
  sh('ip', 'link', 'add', LAN, 'netns', NS_ROUTER, 'type', 'veth', 'peer', 'name', LAN_PEER, 'netns', NS_DEVICE);
  sh('ip', 'addr', 'add', `${WAN_IP}/24`, 'dev', WAN);
  sh('ip', 'link', 'set', WAN, 'up');
  sh('ip', '-n', NS_ROUTER, 'addr', 'add', `${ROUTER_WAN_IP}/24`, 'dev', WAN_PEER);
  sh('ip', '-n', NS_ROUTER, 'addr', 'add', `${ROUTER_LAN_IP}/24`, 'dev', LAN);
  for (const link of [WAN_PEER, LAN, 'lo']) sh('ip', '-n', NS_ROUTER, 'link', 'set', link, 'up');
  sh('ip', '-n', NS_DEVICE, 'addr', 'add', `${DEVICE_IP}/24`, 'dev', LAN_PEER);
  for (const link of [LAN_PEER, 'lo']) sh('ip', '-n', NS_DEVICE, 'link', 'set', link, 'up');
  sh('ip', '-n', NS_DEVICE, 'route', 'add', 'default', 'via', ROUTER_LAN_IP);
  sh('ip', 'netns', 'exec', NS_ROUTER, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward');
  sh('ip', 'netns', 'exec', NS_ROUTER, 'iptables', '-t', 'nat', '-A', 'POSTROUTING', '-o', WAN_PEER, '-j', 'MASQUERADE');
  sh('ip', 'route', 'add', 'unreachable', HOME_NET);
}

beforeAll(() => buildNetwork());
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once('close', r)))));
  teardownNetwork();
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

const ame = ameIn(dir);

const json = <T>(run: CliRun): T => {
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as T;
};

/** A TCP connect from this (root) namespace: the error code, or 'connected'. */
function tcpConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 5000 });
    socket.once('connect', () => (socket.destroy(), resolve('connected')));
    socket.once('timeout', () => (socket.destroy(), resolve('ETIMEDOUT')));
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

/** GET on the device's dashboard, from inside its namespace (the only place it is reachable). */
function dashboard(url: string): unknown {
  const script = `fetch(${JSON.stringify(url)}).then((r) => r.text()).then((t) => process.stdout.write(t))`;
  return JSON.parse(execFileSync('ip', ['netns', 'exec', NS_DEVICE, process.execPath, '-e', script], { encoding: 'utf8' }));
}

describe('a device behind NAT', () => {
  it('reserves a relay slot on a ring server, registers, and serves a paid request that came through the relay', async () => {
    const up = await startUp(
      ['--data', net, '--unities', '1', '--servers-per-unity', '3', '--managers', '1', '--params', 'quick', '--audit-every', '2', '--listen', WAN_IP],
      children,
    );
    const bootstrap = JSON.parse(readFileSync(join(net, 'bootstrap.json'), 'utf8')) as { managers: string[]; relays: string[] };
    expect(bootstrap.managers.every((m) => m.startsWith(`/ip4/${WAN_IP}/`))).toBe(true);
    expect(bootstrap.relays.length).toBe(1);

    const data = join(dir, 'device');
    const env = { HOME: dir, AME_NETWORK_LISTEN: `/ip4/${DEVICE_IP}/tcp/0` };
    const device = startDevice(['--data', data, '--boot', join(dir, 'boot'), '--join', net, '--sim', '--log-level', 'info'], children, env, ['ip', 'netns', 'exec', NS_DEVICE]);
    const me = JSON.parse((await device.line(/^device (\{.*\})$/))[1]!) as { wallet: string; peerId: string; dashboard: string };
    await device.line(/^state registering$/);

    // Its contact: the direct address in the home network, and the /p2p-circuit address through the ring server.
    const node = join(data, 'node');
    const contact = JSON.parse(readFileSync(join(node, 'ring-contact.json'), 'utf8')) as { peer: { id: string; addrs: string[] } };
    const relayed = contact.peer.addrs.filter((a) => isCircuitAddr(a));
    const direct = contact.peer.addrs.filter((a) => !isCircuitAddr(a));
    expect(relayed.length, JSON.stringify(contact)).toBeGreaterThan(0);
    expect(relayed[0]).toContain(`/ip4/${WAN_IP}/`);
    expect(direct.every((a) => a.startsWith(`/ip4/${DEVICE_IP}/`))).toBe(true);

    // (a) No inbound route: neither TCP nor libp2p reaches the device's own address from the servers' network.
    const port = Number(/\/tcp\/(\d+)/.exec(direct[0]!)![1]);
    expect(await tcpConnect(DEVICE_IP, port)).toMatch(/EHOSTUNREACH|ENETUNREACH|ETIMEDOUT/);
    const probe = createHost({ nodeKey: Ed25519KeyPair.generate(), listen: [], connections: { dialTimeoutMs: 3000 } });
    await probe.start();
    try {
      const error = await probe.rpc.request({ id: me.peerId, addrs: direct }, 'probe', new Uint8Array()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NetError);
      expect((error as NetError).code).toBe('UNAVAILABLE');
    } finally {
      await probe.stop();
    }

    // The owner funds it; it registers and is attached (the managers reach it over its own outbound connections).
    const chain = ['--wallet', join(net, 'investors-wallet.json'), '--manager', up.url];
    expect(json<{ ok: boolean }>(await ame('wallet', 'transfer', me.wallet, '150', ...chain, '--wait', '30', '--json'))).toMatchObject({ ok: true });
    await device.line(/^state serving$/, 90_000);

    // (b) A paid client request, which can only travel through the relay.
    const client = join(dir, 'client');
    json(await ame('channel', 'open', '--currency', 'ABC', '--amount', '1', '--payee', node, ...chain, '--client', client, '--json'));
    const file = join(dir, 'blob');
    writeFileSync(file, 'a blob for the device behind NAT');
    const stored = json<{ worker: string; paid: string }>(await ame('client', 'store', file, '--client', client, '--worker', node, '--json'));
    expect(stored.worker).toBe(me.peerId);
    expect(BigInt(stored.paid)).toBeGreaterThan(0n);

    // The device counts the request it served and holds the client's receipt for it.
    const status = dashboard(`${me.dashboard}/api/status`) as { earnings: { servedRequests: number; receiptsHeld: number } };
    expect(status.earnings.servedRequests).toBeGreaterThan(0);
    expect(status.earnings.receiptsHeld).toBeGreaterThan(0);

    device.child.kill('SIGTERM');
    expect(await device.exit).toBe(0);
  });
});
