/**
 * A kad-dht network for the ring benchmark: one libp2p node per key on loopback with the stack of node/net/host.ts
 * (TCP, noise, yamux, identify, ping, the same connection limits) plus @libp2p/kad-dht in server mode with its
 * defaults (k = 20, alpha = 10, 10 disjoint paths), nothing that needs the internet: no bootstrap list, loopback
 * addresses kept (passthroughMapper; the default mapper drops private addresses). One difference in kad-dht's
 * favour: libp2p's connection monitor is off. It pings every connection every 10 s over a new stream; kad-dht
 * nodes keep ~50 connections each, so 48 of them in one process open ~250 ping streams a second in bursts, which
 * stalls the shared event loop for up to a second and would be charged to kad-dht's lookups. Records live under
 * `/ame/<32-byte key>` (kad-dht needs a namespace to pick a validator); the validator accepts a value only when the
 * key is its SHA-256, as a ring replica checks a content-addressed put.
 *
 * `get` runs `dht.get` — the public API: the query runs until it converges, then yields the best record — and
 * traces it: the referral depth of every peer the query asked (peers from the caller's own routing table are at
 * depth 1, a peer first named in the answer of a depth-d peer at d + 1), the depth of the first peer that answered
 * with the record (0 when the caller held it), the time to that first answer and to the final value.
 */
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify } from '@libp2p/identify';
import type { Libp2p } from '@libp2p/interface';
import { kadDHT, passthroughMapper, type KadDHT, type SingleKadDHT } from '@libp2p/kad-dht';
import { ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import { createLibp2p } from 'libp2p';
import { sha256 } from '../../node/crypto/index.ts';
import type { Ed25519KeyPair } from '../../node/crypto/node-key.ts';
import { libp2pPrivateKey } from '../../node/net/libp2p-key.ts';

export const KAD_PROTOCOL = '/ame/bench/kad/1.0.0';
const NAMESPACE = new TextEncoder().encode('/ame/');

export type KadNode = Libp2p<{ dht: KadDHT }>;

export interface KadGet {
  /** The value of the final VALUE event, or undefined when the query found none. */
  readonly value: Uint8Array | undefined;
  /** From the call to the final VALUE event (the end of the query). */
  readonly ms: number;
  /** From the call to the first peer answer that carried the record (undefined: only the caller held it). */
  readonly firstRecordMs: number | undefined;
  /** Referral depth of the first peer that answered with the record; 0 when the caller held it itself. */
  readonly hops: number | undefined;
  /** Deepest referral depth the query reached, and how many peers it asked. */
  readonly depth: number;
  readonly asked: number;
}

export interface KadNet {
  readonly nodes: readonly KadNode[];
  /** Routing-table sizes, one per node. */
  tableSizes(): number[];
  put(from: number, key: Uint8Array, value: Uint8Array): Promise<void>;
  get(from: number, key: Uint8Array): Promise<KadGet>;
  stop(): Promise<void>;
}

export function kadKey(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(NAMESPACE.length + key.length);
  out.set(NAMESPACE);
  out.set(key, NAMESPACE.length);
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Content-addressed records only: the key after the namespace must be SHA-256 of the value. */
async function contentValidator(key: Uint8Array, value: Uint8Array): Promise<void> {
  if (!sameBytes(key.subarray(0, NAMESPACE.length), NAMESPACE) || !sameBytes(key.subarray(NAMESPACE.length), sha256(value))) {
    throw new Error('kad bench: the key is not SHA-256 of the value');
  }
}

async function startKadNode(key: Ed25519KeyPair): Promise<KadNode> {
  return createLibp2p({
    privateKey: await libp2pPrivateKey(key),
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: {
      maxConnections: 1024,
      inboundConnectionThreshold: 32,
      maxIncomingPendingConnections: 64,
      dialTimeout: 10_000,
    },
    connectionMonitor: { enabled: false },
    services: {
      identify: identify(),
      ping: ping(),
      dht: kadDHT({
        protocol: KAD_PROTOCOL,
        clientMode: false,
        peerInfoMapper: passthroughMapper,
        validators: { ame: contentValidator },
        selectors: { ame: () => 0 },
      }),
    },
  });
}

/**
 * Starts one node per key and connects them: each dials its successor in a ring of the nodes and `chords` random
 * others. kad-dht takes it from there (connected peers enter the routing table, self-queries find more); resolves
 * once no routing table has grown for `settleMs`, or after `maxWaitMs`.
 */
export async function startKadNet(options: {
  keys: readonly Ed25519KeyPair[];
  chords: number;
  pick: (n: number) => number;
  settleMs?: number;
  maxWaitMs?: number;
}): Promise<KadNet> {
  const nodes = await Promise.all(options.keys.map((k) => startKadNode(k)));
  const dht = (i: number) => nodes[i]!.services.dht;
  const tableSizes = () => nodes.map((n) => (n.services.dht as SingleKadDHT).routingTable.size);
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  };
  try {
    const n = nodes.length;
    const dials: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      const targets = new Set([(i + 1) % n]);
      while (targets.size < Math.min(1 + options.chords, n - 1)) {
        const t = options.pick(n);
        if (t !== i) targets.add(t);
      }
      for (const t of targets) dials.push(nodes[i]!.dial(nodes[t]!.getMultiaddrs()[0]!));
    }
    await Promise.all(dials);
    const settleMs = options.settleMs ?? 1000;
    const deadline = Date.now() + (options.maxWaitMs ?? 10_000);
    let last = tableSizes().join();
    let stableSince = Date.now();
    while (Date.now() < deadline && Date.now() - stableSince < settleMs) {
      await new Promise((r) => setTimeout(r, 100));
      const now = tableSizes().join();
      if (now !== last) {
        last = now;
        stableSince = Date.now();
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    nodes,
    tableSizes,
    async put(from, key, value) {
      let stored = 0;
      for await (const event of dht(from).put(kadKey(key), value)) {
        if (event.name === 'PEER_RESPONSE' && event.messageName === 'PUT_VALUE') stored++;
      }
      if (stored === 0) throw new Error('kad bench: no peer stored the record');
    },
    async get(from, key) {
      const self = nodes[from]!.peerId.toString();
      const depth = new Map<string, number>();
      let deepest = 0;
      let asked = 0;
      let firstRecordMs: number | undefined;
      let hops: number | undefined;
      let value: Uint8Array | undefined;
      let ms = 0;
      const start = performance.now();
      for await (const event of dht(from).get(kadKey(key))) {
        if (event.name === 'SEND_QUERY') {
          const to = event.to.toString();
          // A peer nobody named: it came from the caller's own routing table.
          if (!depth.has(to)) depth.set(to, 1);
          asked++;
          deepest = Math.max(deepest, depth.get(to)!);
        } else if (event.name === 'PEER_RESPONSE') {
          const d = depth.get(event.from.toString()) ?? 1;
          for (const peer of event.closer) if (!depth.has(peer.id.toString())) depth.set(peer.id.toString(), d + 1);
          if (event.record != null && firstRecordMs === undefined) {
            firstRecordMs = performance.now() - start;
            hops ??= d;
          }
        } else if (event.name === 'VALUE') {
          ms = performance.now() - start;
          value = event.value;
          if (event.from.toString() === self) hops = 0;
        }
      }
      return { value, ms, firstRecordMs, hops, depth: deepest, asked };
    },
    stop,
  };
}
