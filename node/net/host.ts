/**
 * One libp2p host per server (SPEC.md §4): TCP, noise, yamux, identify and ping, with RLDP and ARNL datagrams on
 * top. No mdns, bootstrap or DHT: peers are found by the ring layer and handed in as PeerRefs.
 *
 * A Host is started once and stopped once; a restart is a new Host with the same node key.
 */
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify } from '@libp2p/identify';
import type { Libp2p, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import { createLibp2p } from 'libp2p';
import type { Ed25519KeyPair } from '../crypto/node-key.ts';
import { peerIdOf } from '../crypto/peer-id.ts';
import { AddressBook } from './arnl/address-book.ts';
import { DatagramRouter } from './arnl/datagrams.ts';
import { signIdentityRecord, type IdentityRecord } from './arnl/record.ts';
import { systemClock } from './clock.ts';
import { NetError } from './errors.ts';
import { dialableAddrs } from './multiaddrs.ts';
import { libp2pPrivateKey } from './libp2p-key.ts';
import type { NetLogger } from './logger.ts';
import { RLDP_PROTOCOL } from './rldp/frame.ts';
import { resolveLimits, type RldpLimits } from './rldp/limits.ts';
import { Rldp } from './rldp/rldp.ts';
import type { SessionStats } from './rldp/session.ts';
import type { Clock, Lifecycle, PeerRef, Rpc } from './types.ts';

export interface ConnectionOptions {
  /** Connections kept before libp2p prunes the least useful (default 1,024: a server talks to much of its ring). */
  readonly maxConnections?: number;
  /** New inbound connections per second accepted from one address (default 32). */
  readonly inboundConnectionThreshold?: number;
  /** Inbound connections still upgrading at once (default 64). */
  readonly maxIncomingPendingConnections?: number;
  /** How long opening a connection and the RLDP stream may take (default 10 s). */
  readonly dialTimeoutMs?: number;
  /**
   * How often libp2p pings every connection and aborts the ones that do not answer (default 60 s; libp2p's own
   * default, 10 s, opens a ping stream on every connection at once: ~0.2 of a core on an idle server with 700
   * connections). The pings are what notice a peer that vanished without closing its TCP connection.
   */
  readonly pingIntervalMs?: number;
}

export interface HostOptions {
  readonly nodeKey: Ed25519KeyPair;
  /** Multiaddrs to listen on (default /ip4/127.0.0.1/tcp/0: nothing is exposed unless configured). */
  readonly listen?: readonly string[];
  readonly logger?: NetLogger;
  readonly rldp?: Partial<RldpLimits>;
  readonly clock?: Clock;
  readonly connections?: ConnectionOptions;
  /** Identity records kept in the address book (default 4,096). */
  readonly addressBookCapacity?: number;
}

export interface Host extends Lifecycle {
  /** Our PeerId (known before start). */
  readonly id: string;
  /** Our PeerId and listen multiaddrs; only after start. */
  readonly peer: PeerRef;
  readonly rpc: Rpc;
  readonly datagrams: DatagramRouter;
  readonly limits: RldpLimits;
  /** Abstract address → peer, for ARNL. */
  readonly addressBook: AddressBook;
  /** Our signed identity record (made at start, with the listen addresses). */
  readonly identity: IdentityRecord;
  /** The libp2p node, for benchmarks and tests; only after start. */
  readonly libp2p: Libp2p;
  /** Open connections. */
  connections(): number;
  /** RLDP state for one peer, or undefined when there is no session with it. */
  rldpStats(peerId: string): SessionStats | undefined;
}

export function createHost(options: HostOptions): Host {
  return new Libp2pHost(options);
}

const DEFAULT_DIAL_TIMEOUT_MS = 10_000;

class Libp2pHost implements Host {
  readonly id: string;
  readonly rpc: Rldp;
  readonly datagrams: DatagramRouter;
  readonly limits: RldpLimits;
  readonly addressBook: AddressBook;
  readonly #options: HostOptions;
  readonly #clock: Clock;
  #node: Libp2p | undefined;
  #identity: IdentityRecord | undefined;
  #state: 'new' | 'starting' | 'started' | 'stopped' = 'new';

  constructor(options: HostOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.id = peerIdOf(options.nodeKey);
    this.limits = resolveLimits(options.rldp);
    this.addressBook = new AddressBook(options.addressBookCapacity);
    const sendFrame = (peer: PeerRef, frame: Uint8Array) => this.rpc.sendDatagram(peer, frame);
    this.datagrams = new DatagramRouter({ selfId: this.id, sendFrame }, options.logger);
    this.rpc = new Rldp({
      selfId: this.id,
      limits: this.limits,
      clock: this.#clock,
      logger: options.logger,
      self: () => this.peer,
      openStream: (peer) => this.#openStream(peer),
      disconnect: (peerId, reason) => this.#disconnect(peerId, reason),
      deliverDatagram: (from, topic, payload) => this.datagrams.deliver(from, topic, payload),
    });
  }

  get libp2p(): Libp2p {
    if (this.#node === undefined) throw new NetError('CLOSED', 'the host is not started');
    return this.#node;
  }

  get peer(): PeerRef {
    return { id: this.id, addrs: this.libp2p.getMultiaddrs().map((ma) => ma.toString()) };
  }

  get identity(): IdentityRecord {
    if (this.#identity === undefined) throw new NetError('CLOSED', 'the host is not started');
    return this.#identity;
  }

  async start(): Promise<void> {
    if (this.#state !== 'new') throw new NetError('CLOSED', `a host is started once (state: ${this.#state})`);
    this.#state = 'starting';
    const connections = this.#options.connections ?? {};
    const node = await createLibp2p({
      privateKey: await libp2pPrivateKey(this.#options.nodeKey),
      addresses: { listen: [...(this.#options.listen ?? ['/ip4/127.0.0.1/tcp/0'])] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify(), ping: ping() },
      connectionManager: {
        maxConnections: connections.maxConnections ?? 1024,
        inboundConnectionThreshold: connections.inboundConnectionThreshold ?? 32,
        maxIncomingPendingConnections: connections.maxIncomingPendingConnections ?? 64,
        dialTimeout: connections.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS,
      },
      connectionMonitor: { pingInterval: connections.pingIntervalMs ?? 60_000 },
      start: false,
    });
    // A few streams per pair at most: the primary, and briefly one being retired after a simultaneous open.
    await node.handle(RLDP_PROTOCOL, (stream, connection) => this.rpc.accept(stream, connection.remotePeer.toString()), {
      maxInboundStreams: 8,
      maxOutboundStreams: 8,
    });
    await node.start();
    this.#node = node;
    this.#state = 'started';
    this.#identity = signIdentityRecord(this.#options.nodeKey, { addrs: this.peer.addrs, time: this.#clock.now() });
    this.#options.logger?.info({ peer: this.id, addrs: this.peer.addrs }, 'net host started');
  }

  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    this.rpc.stop();
    await this.#node?.stop();
    this.#options.logger?.info({ peer: this.id }, 'net host stopped');
  }

  connections(): number {
    return this.#node?.getConnections().length ?? 0;
  }

  rldpStats(peerId: string): SessionStats | undefined {
    return this.rpc.stats(peerId);
  }

  async #openStream(peer: PeerRef): Promise<Stream> {
    const node = this.libp2p;
    const peerId = peerIdFromString(peer.id);
    const addrs = dialableAddrs(peer);
    if (addrs.length > 0) await node.peerStore.merge(peerId, { multiaddrs: addrs });
    const timeout = this.#options.connections?.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS;
    return node.dialProtocol(peerId, RLDP_PROTOCOL, { signal: AbortSignal.timeout(timeout) });
  }

  #disconnect(peerId: string, reason: string): void {
    const node = this.#node;
    if (node === undefined) return;
    this.#options.logger?.warn({ peer: peerId, reason }, 'net dropping peer');
    for (const connection of node.getConnections(peerIdFromString(peerId))) {
      connection.abort(new NetError('CLOSED', reason));
    }
  }
}
