/**
 * `npm run bench -- ring-slices`: what a routing slice costs a server at the whitepaper's upper bound
 * (N = 32,768 Unities, 6 servers each with a PeerId and one multiaddr): heap bytes per routing entry of slices
 * decoded from the wire (what a server holds), bytes on the wire per slice, and slice build / decode / route
 * rates. Heap is measured after a full GC; the bench exposes gc() itself when node runs without --expose-gc.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { seededRandom } from '../../node/net/sim/index.ts';
import {
  decodeSlice,
  encodeSlice,
  sliceFor,
  sliceRoute,
  unityIdFor,
  validateMap,
  DEFAULT_RING_PARAMS,
  type RingMap,
  type RoutingSlice,
} from '../../node/ring/index.ts';
import { randomStarts } from '../../node/ring/sim/random-ring.ts';
import { opsPerSecond, type Bench } from './harness.ts';

const N = Number(process.env['AME_BENCH_RING_N'] ?? 32_768);
const SERVERS = 6;
const SLICES = 200;
const MS = Number(process.env['AME_BENCH_MS'] ?? 1500);
const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function collectGarbage(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed !== undefined) return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** A ring whose servers look like real ones: 52-character Ed25519 PeerIds and one TCP multiaddr each. */
function realisticRing(n: number): RingMap {
  const random = seededRandom('ring-slices bench');
  const peerId = () => `12D3KooW${Array.from({ length: 44 }, () => BASE58[random.int(58)]).join('')}`;
  const unities = randomStarts(n, random).map((start, u) => ({
    id: unityIdFor(start),
    start,
    servers: Array.from({ length: SERVERS }, (_, i) => ({
      id: peerId(),
      addrs: [`/ip4/10.${(u >> 8) & 255}.${u & 255}.${i + 1}/tcp/4001`],
    })),
    guests: [],
    workers: [],
  }));
  return validateMap({ epoch: 1n, params: DEFAULT_RING_PARAMS, unities });
}

export const bench: Bench = {
  name: 'ring-slices',
  async run() {
    const gc = collectGarbage();
    const map = realisticRing(N);
    const random = seededRandom('ring-slices picks');
    const sources = Array.from({ length: SLICES }, () => random.int(N));
    const wire = sources.map((u) => encodeSlice(sliceFor(map, u)));

    gc();
    const before = process.memoryUsage().heapUsed;
    const held: RoutingSlice[] = wire.map((bytes) => decodeSlice(bytes));
    gc();
    const decodedBytes = process.memoryUsage().heapUsed - before;
    const entries = held.reduce((sum, slice) => sum + slice.entries.length, 0);

    gc();
    const beforeShared = process.memoryUsage().heapUsed;
    const shared = sources.map((u) => sliceFor(map, u));
    gc();
    const sharedBytes = process.memoryUsage().heapUsed - beforeShared;

    const keys = Array.from({ length: 4096 }, () => random.bytes(32));
    let k = 0;
    let s = 0;
    const slice = held[0]!;
    return {
      figures: {
        unities: N,
        servers_per_unity: SERVERS,
        slice_entries: slice.entries.length,
        heap_bytes_per_routing_entry: decodedBytes / entries,
        heap_kib_per_slice: decodedBytes / held.length / 1024,
        heap_bytes_per_entry_sharing_the_map: sharedBytes / shared.reduce((sum, x) => sum + x.entries.length, 0),
        slice_wire_bytes: wire[0]!.length,
        slice_build_per_s: opsPerSecond(() => sliceFor(map, sources[s++ % SLICES]!), { minMs: MS }),
        slice_decode_per_s: opsPerSecond(() => decodeSlice(wire[s++ % SLICES]!), { minMs: MS }),
        slice_route_per_s: opsPerSecond(() => sliceRoute(slice, keys[k++ % keys.length]!), { minMs: MS }),
      },
      ratios: {},
    };
  },
};
