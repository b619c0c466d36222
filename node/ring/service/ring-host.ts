/**
 * Composition roots of the ring roles on a real libp2p host: a Worker Ring server (host + replicas in the
 * authenticated store on disk + RingServer) and the ring authority (host + RingAuthority). Each writes a contact
 * file in its data folder so operators' commands (`ame ring … --data DIR`) find the node and whom it trusts —
 * the ring-authority key or the manager set — without flags.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { type Ed25519KeyPair, toHex } from '../../crypto/index.ts';
import { createHost, systemClock, systemRandom, type ConnectionOptions, type Host, type NatOptions, type PeerRef } from '../../net/index.ts';
import { openStore } from '../../store/index.ts';
import { authorityCertify, certifiersOf, type CertifiersLike, type Certify } from '../epoch-certificate.ts';
import { RingError } from '../errors.ts';
import type { RingMap } from '../map.ts';
import { RingAuthority } from './authority-service.ts';
import { recordingEpochs } from './epoch-record.ts';
import { AbnsReplicaStore, type ReplicaStore } from './replica-store.ts';
import { RingServer } from './server.ts';
import type { ValueSchemes } from './value.ts';

export const CONTACT_FILE = 'ring-contact.json';

/**
 * What `ame ring` needs to reach a node: its PeerId and addresses, and who certifies ring maps and views — the
 * ring-authority key (`authority`, hex) or the manager set (`managers`, hex keys in set order). A file has one.
 */
export interface RingContact {
  readonly peer: PeerRef;
  readonly authority?: string;
  readonly managers?: readonly string[];
}

/** The trust part of a contact file: the manager set as it is now, or the ring-authority key. */
export function contactTrust(trust: CertifiersLike): Pick<RingContact, 'authority' | 'managers'> {
  const certifiers = certifiersOf(trust);
  if ('managers' in certifiers) return { managers: certifiers.managers().map(toHex) };
  const key = certifiers.authority;
  return { authority: toHex(key instanceof Uint8Array ? key : key.bytes) };
}

export interface RingServerNodeOptions {
  readonly nodeKey: Ed25519KeyPair;
  /** A host already started with nodeKey (a genesis ceremony needs the addresses before the servers run). */
  readonly host?: Host;
  readonly dataDir: string;
  /** Who certifies views: the ring-authority key (bare or `{authority}`) or `{managers: () => keys}`. */
  readonly authority: CertifiersLike;
  readonly managers: () => readonly PeerRef[];
  readonly join?: boolean;
  /** The Unity to join (with `join`): a promoted temporary worker joins the Unity it served. */
  readonly unity?: string;
  /** Leave `host` running on stop: it serves other things too (a device's worker). */
  readonly keepHost?: boolean;
  readonly listen?: readonly string[];
  /** libp2p connection limits (a whole ring on one machine needs a high inbound threshold: one address). */
  readonly connections?: ConnectionOptions;
  readonly logger?: Logger;
  readonly timeoutMs?: number;
  /** The checked-value schemes the server accepts (value.ts), e.g. blob parts; none by default. */
  readonly schemes?: ValueSchemes;
}

export interface RingServerNode {
  readonly host: Host;
  readonly server: RingServer;
  /** The replicas this server holds. */
  readonly store: ReplicaStore;
  stop(): Promise<void>;
}

/** A started libp2p host for a ring role. */
export async function startHost(
  nodeKey: Ed25519KeyPair,
  listen?: readonly string[],
  logger?: Logger,
  connections?: ConnectionOptions,
  nat?: NatOptions,
): Promise<Host> {
  const host = createHost({
    nodeKey,
    ...(listen === undefined ? {} : { listen }),
    ...(connections === undefined ? {} : { connections }),
    ...(nat === undefined ? {} : { nat }),
    ...(logger === undefined ? {} : { logger: logger.child({ mod: 'net' }) }),
  });
  await host.start();
  return host;
}

/** <dataDir>/ring-contact.json: how clients reach this node (`ame channel open --payee DIR`, `ame client --worker DIR`). */
export function writeContact(dataDir: string, contact: RingContact): void {
  mkdirSync(dataDir, { recursive: true });
  // Atomically: a device rewrites it when its addresses change, and a client may be reading it.
  const path = join(dataDir, CONTACT_FILE);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(contact, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

export async function startRingServerNode(options: RingServerNodeOptions): Promise<RingServerNode> {
  const ringDir = join(options.dataDir, 'ring');
  mkdirSync(ringDir, { recursive: true });
  const host = options.host ?? (await startHost(options.nodeKey, options.listen, options.logger, options.connections));
  // Replicas are acknowledged to coordinators as durable: synchronous FULL. A modest node cache: a server's
  // share of the ring is small next to the ledger.
  const store = new AbnsReplicaStore(openStore(join(ringDir, 'values.sqlite'), { durability: 'full', cacheNodes: 1 << 16 }));
  const server = new RingServer({
    rpc: host.rpc,
    datagrams: host.datagrams,
    clock: systemClock,
    random: systemRandom,
    store,
    authority: options.authority,
    managers: options.managers,
    ...(options.join === undefined ? {} : { join: options.join }),
    ...(options.unity === undefined ? {} : { unity: options.unity }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.logger === undefined ? {} : { logger: options.logger.child({ mod: 'ring' }) }),
    ...(options.schemes === undefined ? {} : { schemes: options.schemes }),
  });
  const stopHost = async () => {
    if (options.keepHost !== true) await host.stop();
  };
  try {
    await server.start();
  } catch (error) {
    await server.stop().catch(() => undefined);
    await stopHost();
    store.close();
    throw error;
  }
  writeContact(options.dataDir, { peer: host.peer, ...contactTrust(options.authority) });
  return {
    host,
    server,
    store,
    stop: async () => {
      await server.stop();
      await stopHost();
      store.close();
    },
  };
}

export interface RingAuthorityNodeOptions {
  /** The ring-authority key: certifies views and map updates unless `certify` is given. */
  readonly key?: Ed25519KeyPair;
  /** Certifies instead of the key, e.g. `ManagerServer.ringCertify()` (a manager quorum). */
  readonly certify?: Certify;
  /** Whom the servers trust, for the contact file (default: the key). */
  readonly certifiers?: CertifiersLike;
  readonly nodeKey: Ed25519KeyPair;
  readonly host?: Host;
  readonly genesis: RingMap | ((self: PeerRef) => RingMap);
  /** The contact file, and the record of the highest epoch certified (epoch-record.ts). */
  readonly dataDir?: string;
  readonly listen?: readonly string[];
  readonly connections?: ConnectionOptions;
  readonly logger?: Logger;
  readonly reportsNeeded?: number;
  readonly mergeAfterMs?: number;
  /** Whether a new server may join (RingAuthorityOptions.admitJoin). */
  readonly admitJoin?: (peer: string, unity: string | undefined) => boolean;
}

export interface RingAuthorityNode {
  readonly host: Host;
  readonly authority: RingAuthority;
  stop(): Promise<void>;
}

export async function startRingAuthorityNode(options: RingAuthorityNodeOptions): Promise<RingAuthorityNode> {
  const certify = options.certify ?? (options.key === undefined ? undefined : authorityCertify(options.key));
  if (certify === undefined) throw new RingError('UNSUPPORTED', 'the ring authority needs a key or a certify function');
  if (options.dataDir !== undefined) mkdirSync(options.dataDir, { recursive: true });
  const host = options.host ?? (await startHost(options.nodeKey, options.listen, options.logger, options.connections));
  const genesis = typeof options.genesis === 'function' ? options.genesis(host.peer) : options.genesis;
  const authority = new RingAuthority({
    rpc: host.rpc,
    clock: systemClock,
    certify: options.dataDir === undefined ? certify : recordingEpochs(certify, options.dataDir),
    genesis,
    ...(options.reportsNeeded === undefined ? {} : { reportsNeeded: options.reportsNeeded }),
    ...(options.mergeAfterMs === undefined ? {} : { mergeAfterMs: options.mergeAfterMs }),
    ...(options.admitJoin === undefined ? {} : { admitJoin: options.admitJoin }),
    ...(options.logger === undefined ? {} : { logger: options.logger.child({ mod: 'ring-authority' }) }),
  });
  await authority.start();
  const trust = options.certifiers ?? options.key?.publicKey;
  if (options.dataDir !== undefined && trust !== undefined) writeContact(options.dataDir, { peer: host.peer, ...contactTrust(trust) });
  return {
    host,
    authority,
    stop: async () => {
      await authority.stop();
      await host.stop();
    },
  };
}
