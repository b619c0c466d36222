/**
 * Memory per idle peer connection: one host connected to K others, all in this process, with and without an open
 * RLDP session on each connection. Both ends of every connection live here, so a figure "per connection" counts
 * both ends; one end costs about half.
 *
 *   sh scripts/run.sh node --expose-gc test/bench/net-memory.ts [K=64]
 *
 * Prints a table, then one JSON line (also written to bench-results/net-memory.json).
 */
import { multiaddr } from '@multiformats/multiaddr';
import { Ed25519KeyPair } from '../../node/crypto/node-key.ts';
import { createHost, type Host } from '../../node/net/index.ts';
import { report } from './harness.ts';

const K = Number(process.argv[2] ?? 64);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  process.stderr.write('run with node --expose-gc\n');
  process.exit(2);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function settledMemory(): Promise<{ rss: number; heap: number; external: number }> {
  for (let i = 0; i < 4; i++) {
    gc!();
    await sleep(200);
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, external: m.external + m.arrayBuffers };
}

const key = (n: number) => Ed25519KeyPair.fromSeed(new Uint8Array(32).fill(n + 1));
const hosts: Host[] = Array.from({ length: K + 1 }, (_, i) => createHost({ nodeKey: key(i) }));
try {
  for (const h of hosts) await h.start();
  const [hub, ...others] = hosts as [Host, ...Host[]];
  for (const h of others) h.rpc.handle('ping', async () => new Uint8Array(0));
  await sleep(500);
  const before = await settledMemory();

  for (const h of others) await hub.libp2p.dial(multiaddr(h.peer.addrs[0]!));
  await sleep(1500);
  if (hub.connections() !== K) throw new Error(`expected ${K} connections, have ${hub.connections()}`);
  const connected = await settledMemory();

  await Promise.all(others.map((h) => hub.rpc.request(h.peer, 'ping', new Uint8Array(0))));
  await sleep(1000);
  if (hub.connections() !== K) throw new Error(`expected ${K} connections, have ${hub.connections()}`);
  const sessions = await settledMemory();

  const per = (a: number, b: number) => Math.round((b - a) / K);
  report(
    'net-memory',
    {
      figures: {
        connections: K,
        connection_rss_bytes: per(before.rss, connected.rss),
        connection_heap_bytes: per(before.heap, connected.heap),
        connection_external_bytes: per(before.external, connected.external),
        rldp_session_rss_bytes: per(connected.rss, sessions.rss),
        rldp_session_heap_bytes: per(connected.heap, sessions.heap),
        rldp_session_external_bytes: per(connected.external, sessions.external),
        process_rss_per_host_bytes: Math.round(before.rss / (K + 1)),
      },
      ratios: {},
    },
    process.stdout,
  );
} finally {
  await Promise.all(hosts.map((h) => h.stop()));
}
