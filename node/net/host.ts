/**
 * One libp2p host per server (SPEC.md §4): TCP, noise, yamux, identify and ping, with RLDP and ARNL datagrams on
 * top. No mdns, bootstrap or DHT: peers are found by the ring layer and handed in as PeerRefs.
 *
 * Home networks (HostOptions.nat, off unless asked for): a Unity server can serve circuit-relay v2 reservations, a
 * device behind NAT can listen through relays (advertising /p2p-circuit addresses), and AutoNAT, DCUtR and UPnP can
 * be switched on. docs/net.md "Relays and NAT".
 *
 * A Host is started once and stopped once; a restart is a new Host with the same node key.
 */
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { autoNAT } from '@libp2p/autonat';
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { dcutr } from '@libp2p/dcutr';
import { identify } from '@libp2p/identify';
import type { Libp2p, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import { uPnPNAT } from '@libp2p/upnp-nat';
import { createLibp2p } from 'libp2p';
import { FaultTolerance } from '@libp2p/interface';
import type { Ed25519KeyPair } from '../crypto/node-key.ts';
import { peerIdOf } from '../crypto/peer-id.ts';
import { AddressBook } from './arnl/address-book.ts';
import { DatagramRouter } from './arnl/datagrams.ts';
import { signIdentityRecord, type IdentityRecord } from './arnl/record.ts';
import { systemClock } from './clock.ts';
import { NetError } from './errors.ts';
import { dialableAddrs, isCircuitAddr, isPublicAddr } from './multiaddrs.ts';
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

/** Serving circuit-relay v2 reservations (a Unity server relaying for devices behind NAT). */
export interface RelayServerOptions {
  /** Reservations held at once (default 128; libp2p's own default is 15). */
  readonly maxReservations?: number;
  /** How long a reservation lasts unless the client refreshes it (default 2 h, libp2p's). */
  readonly reservationTtlMs?: number;
  /**
   * What one relayed connection may carry before the relay resets it. Default: no limit, so RLDP's long-lived
   * stream is not cut (libp2p's own default, 128 KiB and 2 min, would reset it within a few requests). When set,
   * the relayed connections are "limited": RLDP still runs on them, and opens a new one when one is cut.
   */
  readonly limit?: { readonly dataBytes: bigint; readonly durationMs: number };
}

/** NAT traversal (SPEC.md §4 "Home networks"); all off by default. */
export interface NatOptions {
  /** Be a relay: serve reservations and relay connections to the hosts holding them. */
  readonly relayServer?: RelayServerOptions;
  /** Dial /p2p-circuit addresses (a client of a device behind NAT); implied by `relays` and `dcutr`. */
  readonly relayDial?: boolean;
  /**
   * Listen through these relays (multiaddrs ending in /p2p/<relay PeerId>): a slot is reserved on each during
   * start, and the /p2p-circuit addresses it gives are advertised in `peer.addrs`. Start fails (UNAVAILABLE) when
   * no reservation succeeds; relays that fail besides one that works are logged and skipped.
   */
  readonly relays?: readonly string[];
  /** AutoNAT: ask peers to dial our addresses back, and advertise only what they confirm as public. */
  readonly autonat?: boolean;
  /** DCUtR: try to turn relayed connections into direct ones (hole punching), where both sides run it. */
  readonly dcutr?: boolean;
  /**
   * UPnP IGD: ask the home router to forward a port (implies `autonat`). Where no gateway answers — most networks —
   * this is a warning after `upnpWarnAfterMs` (default 60 s), never an error.
   */
  readonly upnp?: boolean;
  readonly upnpWarnAfterMs?: number;
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
  /** Relays, AutoNAT, DCUtR, UPnP (default: none of them). */
  readonly nat?: NatOptions;
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

/** How long `Host.peer` may be served from its copy when libp2p reports no address change. */
const PEER_REF_TTL_MS = 1_000;

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
  #peerRef: { readonly at: number; readonly ref: PeerRef } | undefined;
  #state: 'new' | 'starting' | 'started' | 'stopped' = 'new';
  #upnpTimer: ReturnType<typeof setTimeout> | undefined;

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

  /**
   * This host as a peer. Asked on hot paths (every request handler that tells itself from the members), so the
   * multiaddrs are listed again only when libp2p says they changed, or after PEER_REF_TTL_MS at the latest.
   */
  get peer(): PeerRef {
    const now = performance.now();
    if (this.#peerRef === undefined || now - this.#peerRef.at > PEER_REF_TTL_MS) {
      this.#peerRef = { at: now, ref: { id: this.id, addrs: this.libp2p.getMultiaddrs().map((ma) => ma.toString()) } };
    }
    return this.#peerRef.ref;
  }

  get identity(): IdentityRecord {
    if (this.#identity === undefined) throw new NetError('CLOSED', 'the host is not started');
    return this.#identity;
  }

  async start(): Promise<void> {
    if (this.#state !== 'new') throw new NetError('CLOSED', `a host is started once (state: ${this.#state})`);
    this.#state = 'starting';
    const connections = this.#options.connections ?? {};
    const nat = this.#options.nat ?? {};
    const relays = nat.relays ?? [];
    const relayDial = nat.relayDial === true || relays.length > 0 || nat.dcutr === true;
    const listen = [...(this.#options.listen ?? ['/ip4/127.0.0.1/tcp/0']), ...relays.map(circuitListenAddr)];
    const node = await createLibp2p({
      privateKey: await libp2pPrivateKey(this.#options.nodeKey),
      addresses: { listen },
      transports: relayDial ? [tcp(), circuitRelayTransport({ reservationCompletionTimeout: connections.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS })] : [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify(), ping: ping(), ...natServices(nat) },
      connectionManager: {
        maxConnections: connections.maxConnections ?? 1024,
        inboundConnectionThreshold: connections.inboundConnectionThreshold ?? 32,
        maxIncomingPendingConnections: connections.maxIncomingPendingConnections ?? 64,
        dialTimeout: connections.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS,
      },
      connectionMonitor: { pingInterval: connections.pingIntervalMs ?? 60_000 },
      // Listening through relays: one unreachable relay must not stop the others (checked below instead).
      ...(relays.length > 0 ? { transportManager: { faultTolerance: FaultTolerance.NO_FATAL } } : {}),
      start: false,
    });
    // A few streams per pair at most: the primary, and briefly one being retired after a simultaneous open.
    // Relayed connections with limits are "limited": RLDP runs on them too when relaying is in play.
    const limited = this.#options.nat === undefined ? {} : { runOnLimitedConnection: true };
    await node.handle(RLDP_PROTOCOL, (stream, connection) => this.rpc.accept(stream, connection.remotePeer.toString()), {
      maxInboundStreams: 8,
      maxOutboundStreams: 8,
      ...limited,
    });
    try {
      await node.start();
      if (relays.length > 0) this.#checkRelayed(node);
    } catch (error) {
      await Promise.resolve(node.stop()).catch(() => undefined);
      this.#state = 'stopped';
      throw error;
    }
    this.#node = node;
    node.addEventListener('self:peer:update', () => {
      this.#peerRef = undefined;
    });
    this.#state = 'started';
    this.#identity = signIdentityRecord(this.#options.nodeKey, { addrs: this.peer.addrs, time: this.#clock.now() });
    this.#options.logger?.info({ peer: this.id, addrs: this.peer.addrs }, 'net host started');
    if (nat.upnp === true) this.#warnWithoutUpnp(node, nat.upnpWarnAfterMs ?? 60_000);
  }

  /** Listening through relays (NO_FATAL above): at least one reservation, and the direct addresses asked for. */
  #checkRelayed(node: Libp2p): void {
    const addrs = node.getMultiaddrs();
    const direct = (this.#options.listen ?? ['/ip4/127.0.0.1/tcp/0']).length;
    if (!addrs.some((ma) => isCircuitAddr(ma))) {
      throw new NetError('UNAVAILABLE', `no relay gave a reservation (relays: ${(this.#options.nat?.relays ?? []).join(', ')})`);
    }
    if (direct > 0 && !addrs.some((ma) => !isCircuitAddr(ma))) throw new NetError('UNAVAILABLE', 'listening failed on every direct address');
    const got = addrs.filter((ma) => isCircuitAddr(ma)).length;
    if (got < (this.#options.nat?.relays ?? []).length) this.#options.logger?.warn({ relays: this.#options.nat?.relays, got }, 'net: some relays gave no reservation');
  }

  /** No gateway answers on most networks: say so once, as a warning, when no public address appeared. */
  #warnWithoutUpnp(node: Libp2p, afterMs: number): void {
    this.#upnpTimer = setTimeout(() => {
      if (this.#state !== 'started') return;
      if (node.getMultiaddrs().some((ma) => !isCircuitAddr(ma) && isPublicAddr(ma))) return;
      this.#options.logger?.warn({ peer: this.id }, 'net: UPnP mapped no public address (no gateway answered, or it refused); reachable only through relays');
    }, afterMs);
    this.#upnpTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    clearTimeout(this.#upnpTimer);
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
    return node.dialProtocol(peerId, RLDP_PROTOCOL, {
      signal: AbortSignal.timeout(timeout),
      ...(this.#options.nat === undefined ? {} : { runOnLimitedConnection: true }),
    });
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

/** `<relay multiaddr>/p2p-circuit`: what the circuit-relay transport listens on to reserve a slot there. */
function circuitListenAddr(relay: string): string {
  if (!/\/p2p\/[1-9A-HJ-NP-Za-km-z]+$/.test(relay)) throw new NetError('BAD_REQUEST', `relay ${relay} names no /p2p/ peer`);
  return `${relay}/p2p-circuit`;
}

/** The libp2p services NatOptions ask for (UPnP needs AutoNAT: it only advertises mappings AutoNAT confirms). */
function natServices(nat: NatOptions): Record<string, (components: never) => unknown> {
  const services: Record<string, (components: never) => unknown> = {};
  const server = nat.relayServer;
  if (server !== undefined) {
    services.relay = circuitRelayServer({
      reservations: {
        maxReservations: server.maxReservations ?? 128,
        ...(server.reservationTtlMs === undefined ? {} : { reservationTtl: server.reservationTtlMs }),
        ...(server.limit === undefined
          ? { applyDefaultLimit: false }
          : { applyDefaultLimit: true, defaultDataLimit: server.limit.dataBytes, defaultDurationLimit: server.limit.durationMs }),
      },
    });
  }
  if (nat.autonat === true || nat.upnp === true) services.autonat = autoNAT();
  if (nat.dcutr === true) services.dcutr = dcutr();
  if (nat.upnp === true) services.upnp = uPnPNAT();
  return services;
}
