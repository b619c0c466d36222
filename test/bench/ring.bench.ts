/**
 * `npm run bench -- ring`: the Worker Ring against @libp2p/kad-dht on the same 48 libp2p identities on loopback,
 * then RLDP against a new stream per request — one run, one process (docs/bench.md, "ring").
 *
 * - Ours: 8 Unities × 6 servers on real libp2p hosts (node/ring/service/ring-host.ts through test/support's
 *   netRing), replicas in SQLite (FULL sync), plus the ring-authority host, which is not counted as a node.
 *   Default ring parameters (5 replicas, quorums of 3, heartbeats every 10 s).
 * - kad-dht: 48 libp2p nodes with the same keys and stack and kad-dht's defaults (test/bench/kad-net.ts).
 * - One plan for both: V values (256 random bytes, key = SHA-256 of the value), each put from a random node
 *   (8 puts in flight), then L lookups, one at a time, each from a random node for a random stored key. The
 *   lookups run twice and only the second pass is measured: the first opens every connection and stream they
 *   need (neither system caches values, so nothing else carries over). The ring runs its plan alone in the
 *   process and is stopped; then kad-dht runs the same plan alone; then RLDP is measured (test/bench/rldp.ts).
 *
 * Hops = sequential requests on the critical path from the caller until a holder of the value answers. Ours: the
 * router's find requests (Located.path) plus the read request to the owner Unity's coordinator (its top-ranked
 * replica), which is no request when that is the caller itself. kad-dht: the referral depth of the first peer
 * that answered with the record (peers from the caller's routing table are at depth 1), 0 when the caller held
 * it. Lookup latency: ours, `RingServer.get` (locate + coordinated quorum read, 3 of 5 replicas); kad-dht,
 * `dht.get` until its final VALUE event (the public API: the query runs until it converges, then yields the
 * best record). Extra figures: our locate alone, and kad-dht's time to the first peer answer carrying the record.
 *
 * AME_BENCH_RING_VALUES (default 64), AME_BENCH_RING_LOOKUPS (300) and AME_BENCH_MS (time per RLDP figure,
 * default 5,000 ms) tune it.
 */
import type { Libp2p } from '@libp2p/interface';
import { seededRandom } from '../../node/net/sim/index.ts';
import { contentKey } from '../../node/ring/records.ts';
import { rankServers } from '../../node/ring/replicas.ts';
import { encodeRingValue } from '../../node/ring/service/value.ts';
import { netRing, type NetRing } from '../support/ring-net.ts';
import { ratio, type Bench } from './harness.ts';
import { startKadNet, type KadNet } from './kad-net.ts';
import { measureRldp } from './rldp.ts';
import { histogram, max, mean, percentile } from './stats.ts';

const UNITIES = 8;
const SERVERS_PER_UNITY = 6;
const VALUE_SIZE = 256;
const VALUES = Number(process.env['AME_BENCH_RING_VALUES'] ?? 64);
const LOOKUPS = Number(process.env['AME_BENCH_RING_LOOKUPS'] ?? 300);
const RLDP_MS = Number(process.env['AME_BENCH_MS'] ?? 5000);
const PUTS_IN_FLIGHT = 8;

interface Item {
  readonly key: Uint8Array;
  readonly data: Uint8Array;
  readonly stored: Uint8Array;
}

interface Samples {
  ringHops: number[];
  ringMs: number[];
  locateMs: number[];
  kadHops: number[];
  kadMs: number[];
  kadFirstMs: number[];
  kadDepth: number[];
  kadAsked: number[];
  ringErrors: number;
  kadErrors: number;
}

const since = (start: number) => performance.now() - start;
const sameBytes = (a: Uint8Array | undefined, b: Uint8Array) =>
  a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);

function progress(text: string): void {
  process.stderr.write(`ring bench: ${text}\n`);
}

async function ringLookup(ring: NetRing, from: number, item: Item, samples: Samples | undefined): Promise<void> {
  const server = ring.nodes[from]!;
  try {
    let start = performance.now();
    await server.server.locate(item.key);
    const locateMs = since(start);
    start = performance.now();
    const got = await server.server.get(item.key);
    const ms = since(start);
    if (samples === undefined) return;
    if (!sameBytes(got.result, item.stored)) {
      samples.ringErrors++;
      return;
    }
    const coordinator = rankServers(got.located.servers, item.key)[0]?.id;
    samples.ringHops.push(got.located.path.length + (coordinator === server.host.id ? 0 : 1));
    samples.ringMs.push(ms);
    samples.locateMs.push(locateMs);
  } catch {
    if (samples !== undefined) samples.ringErrors++;
  }
}

async function kadLookup(kad: KadNet, from: number, item: Item, samples: Samples | undefined): Promise<void> {
  try {
    const got = await kad.get(from, item.key);
    if (samples === undefined) return;
    if (!sameBytes(got.value, item.data) || got.hops === undefined) {
      samples.kadErrors++;
      return;
    }
    samples.kadHops.push(got.hops);
    samples.kadMs.push(got.ms);
    samples.kadFirstMs.push(got.firstRecordMs ?? 0);
    samples.kadDepth.push(got.depth);
    samples.kadAsked.push(got.asked);
  } catch {
    if (samples !== undefined) samples.kadErrors++;
  }
}

/** How many distinct peers a node is connected to. */
const peersOf = (node: Libp2p) => new Set(node.getConnections().map((c) => c.remotePeer.toString())).size;

/** Runs `op` on every element with at most `limit` in flight; returns each one's duration in ms. */
async function timedPool<T>(elements: readonly T[], limit: number, op: (element: T) => Promise<void>): Promise<number[]> {
  const durations: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < elements.length) {
        const element = elements[next++]!;
        const start = performance.now();
        await op(element);
        durations.push(since(start));
      }
    }),
  );
  return durations;
}

export const bench: Bench = {
  name: 'ring',
  async run() {
    const began = performance.now();
    const random = seededRandom('ring bench');
    const nodes = UNITIES * SERVERS_PER_UNITY;
    const items: Item[] = Array.from({ length: VALUES }, () => {
      const data = random.bytes(VALUE_SIZE);
      return { key: contentKey(data), data, stored: encodeRingValue({ kind: 'content', data }) };
    });
    // One plan for both systems: who puts each value, then who looks up which key (twice: a warm pass, then
    // the measured one).
    const puts = items.map((item) => ({ item, from: random.int(nodes) }));
    const plan = Array.from({ length: LOOKUPS }, () => ({ item: items[random.int(VALUES)]!, from: random.int(nodes) }));
    const lookups = [...plan, ...plan];
    const samples: Samples = {
      ringHops: [],
      ringMs: [],
      locateMs: [],
      kadHops: [],
      kadMs: [],
      kadFirstMs: [],
      kadDepth: [],
      kadAsked: [],
      ringErrors: 0,
      kadErrors: 0,
    };
    let ringPutErrors = 0;
    let kadPutErrors = 0;

    // Our ring alone in the process.
    let t = performance.now();
    const ring = await netRing({
      unities: UNITIES,
      serversPerUnity: SERVERS_PER_UNITY,
      params: { heartbeatMs: 10_000, downAfterMs: 60_000 },
    });
    let ringPutMs: number[];
    let ringConnections: number;
    try {
      progress(`${ring.nodes.length} ring servers ready in ${(since(t) / 1000).toFixed(1)} s`);
      t = performance.now();
      ringPutMs = await timedPool(puts, PUTS_IN_FLIGHT, async ({ item, from }) => {
        await ring.nodes[from]!.server.put(item.key, item.stored).catch(() => ringPutErrors++);
      });
      progress(`${VALUES} values put in ${(since(t) / 1000).toFixed(1)} s`);
      t = performance.now();
      for (const [i, { item, from }] of lookups.entries()) await ringLookup(ring, from, item, i < LOOKUPS ? undefined : samples);
      progress(`2 × ${LOOKUPS} lookups in ${(since(t) / 1000).toFixed(1)} s`);
      ringConnections = mean(ring.live().map((n) => peersOf(n.host.libp2p)));
    } finally {
      await ring.stop();
    }

    // kad-dht alone in the process, on the same identities.
    t = performance.now();
    const kad = await startKadNet({ keys: ring.keys, chords: 3, pick: (n) => random.int(n) });
    let kadPutMs: number[];
    let tables: number[];
    let kadConnections: number;
    try {
      progress(`${kad.nodes.length} kad-dht nodes ready in ${(since(t) / 1000).toFixed(1)} s`);
      t = performance.now();
      kadPutMs = await timedPool(puts, PUTS_IN_FLIGHT, async ({ item, from }) => {
        await kad.put(from, item.key, item.data).catch(() => kadPutErrors++);
      });
      progress(`${VALUES} values put in ${(since(t) / 1000).toFixed(1)} s`);
      t = performance.now();
      for (const [i, { item, from }] of lookups.entries()) {
        if (i === LOOKUPS) tables = kad.tableSizes();
        await kadLookup(kad, from, item, i < LOOKUPS ? undefined : samples);
      }
      tables ??= kad.tableSizes();
      progress(`2 × ${LOOKUPS} lookups in ${(since(t) / 1000).toFixed(1)} s (routing tables ${Math.min(...tables)}…${max(tables)} peers)`);
      kadConnections = mean(kad.nodes.map((n) => peersOf(n)));
    } finally {
      await kad.stop();
    }

    t = performance.now();
    const rldp = await measureRldp({ durationMs: RLDP_MS });
    progress(`RLDP measured in ${(since(t) / 1000).toFixed(1)} s`);
    process.stdout.write(
      `hops histogram [0, 1, 2, …]: ours ${histogram(samples.ringHops).join(' / ')}; ` +
        `kad-dht ${histogram(samples.kadHops).join(' / ')}\n`,
    );

    const f: Record<string, number> = {
      nodes,
      values: VALUES,
      lookups: LOOKUPS,
      ring_mean_hops: mean(samples.ringHops),
      ring_max_hops: max(samples.ringHops),
      ring_lookup_p50_ms: percentile(samples.ringMs, 50),
      ring_lookup_p99_ms: percentile(samples.ringMs, 99),
      ring_locate_p50_ms: percentile(samples.locateMs, 50),
      ring_locate_p99_ms: percentile(samples.locateMs, 99),
      ring_put_p50_ms: percentile(ringPutMs, 50),
      ring_connected_peers_mean: ringConnections,
      ring_put_errors: ringPutErrors,
      ring_lookup_errors: samples.ringErrors,
      kad_mean_hops: mean(samples.kadHops),
      kad_max_hops: max(samples.kadHops),
      kad_lookup_p50_ms: percentile(samples.kadMs, 50),
      kad_lookup_p99_ms: percentile(samples.kadMs, 99),
      kad_first_record_p50_ms: percentile(samples.kadFirstMs, 50),
      kad_first_record_p99_ms: percentile(samples.kadFirstMs, 99),
      kad_put_p50_ms: percentile(kadPutMs, 50),
      kad_connected_peers_mean: kadConnections,
      kad_routing_table_mean: mean(tables),
      kad_peers_asked_mean: mean(samples.kadAsked),
      kad_query_depth_max: max(samples.kadDepth),
      kad_put_errors: kadPutErrors,
      kad_lookup_errors: samples.kadErrors,
      rldp_per_s: rldp.rldp_per_s,
      stream_per_request_per_s: rldp.stream_per_request_per_s,
      run_s: since(began) / 1000,
    };
    return {
      figures: f,
      ratios: {
        lookup_p50_vs_kad: ratio(f['ring_lookup_p50_ms']!, f['kad_lookup_p50_ms']!),
        lookup_p99_vs_kad: ratio(f['ring_lookup_p99_ms']!, f['kad_lookup_p99_ms']!),
        lookup_p50_vs_kad_first_record: ratio(f['ring_lookup_p50_ms']!, f['kad_first_record_p50_ms']!),
        rldp_vs_stream_per_request: ratio(f['rldp_per_s']!, f['stream_per_request_per_s']!),
      },
      targets: {
        ring_max_hops: '≤ 2',
        lookup_p50_vs_kad: '≤ 0.5',
        rldp_vs_stream_per_request: '≥ 5',
      },
    };
  },
};
