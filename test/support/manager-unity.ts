/**
 * A Manager Ring Unity for integration tests: manager servers on libp2p hosts on 127.0.0.1, each with its own
 * data files, that can be stopped, wiped and restarted (same key, same port), plus replacement managers with keys
 * the genesis does not name. Keys are test/support/ledger-chain.ts's `nodeKey(100 + k)`, so `testGenesis()`'s
 * managers are k = 0…5.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AccountKey, Ed25519KeyPair, sha256, toHex, utf8, vrfProofToHash, vrfProve, vrfVerify } from '../../node/crypto/index.ts';
import { checkInvariants, encodeTx, type GenesisConfig, genesisId, signAccountTx } from '../../node/ledger/index.ts';
import { getHead, type Head, ManagerServer, type ManagerServerOptions } from '../../node/manager/index.ts';
import { createHost, type Host, type NetLogger, type PeerRef } from '../../node/net/index.ts';
import { ABC, accountKey, EARLY, INVESTORS, RESEARCH, RESERVE, testGenesis } from './ledger-chain.ts';
import { until } from './ring-net.ts';

const connections = { inboundConnectionThreshold: 10_000, maxIncomingPendingConnections: 256 };

export const managerSeed = (k: number): Uint8Array => sha256(utf8(`ledger test node ${100 + k}`));

export interface LogLine {
  readonly member: number;
  readonly level: string;
  readonly fields: Record<string, unknown>;
  readonly msg: string;
  readonly at: number;
}

interface Member {
  readonly k: number;
  readonly key: Ed25519KeyPair;
  host: Host;
  server: ManagerServer | undefined;
  port: string | undefined;
}

export interface Transfer {
  readonly from: AccountKey;
  readonly to: string;
  readonly amount: bigint;
  readonly bytes: Uint8Array;
}

export class TestUnity {
  readonly dir = mkdtempSync(join(tmpdir(), 'ame-unity-'));
  readonly genesis: GenesisConfig;
  readonly logs: LogLine[] = [];
  readonly members = new Map<number, Member>();
  readonly nonces = new Map<string, bigint>();
  client!: Host;
  #transfers = 0;
  readonly #extra: Partial<ManagerServerOptions>;

  constructor(genesis: GenesisConfig = testGenesis(), extra: Partial<ManagerServerOptions> = {}) {
    this.genesis = genesis;
    this.#extra = extra;
  }

  /** Starts the genesis managers (k = 0 … n − 1) and a client host. */
  static async start(extra: Partial<ManagerServerOptions> = {}, genesis: GenesisConfig = testGenesis()): Promise<TestUnity> {
    const unity = new TestUnity(genesis, extra);
    unity.client = createHost({ nodeKey: Ed25519KeyPair.fromSeed(sha256(utf8('manager test client'))), connections });
    await unity.client.start();
    const ks = unity.genesis.managers.map((_, k) => k);
    await Promise.all(ks.map((k) => unity.#startHost(k)));
    await unity.connectAll();
    for (const k of ks) await unity.startServer(k);
    return unity;
  }

  get live(): number[] {
    return [...this.members.values()].filter((m) => m.server !== undefined).map((m) => m.k);
  }

  server(k: number): ManagerServer {
    const s = this.members.get(k)?.server;
    if (s === undefined) throw new Error(`manager ${k} is not running`);
    return s;
  }

  host(k: number): Host {
    return this.members.get(k)!.host;
  }

  peers(): PeerRef[] {
    return [...this.members.values()].map((m) => m.host.peer);
  }

  logger(member: number): NetLogger {
    const at = (level: string) => (fields: Record<string, unknown>, msg: string) => {
      if (level !== 'debug') this.logs.push({ member, level, fields, msg, at: Date.now() });
    };
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } as never;
  }

  async #startHost(k: number): Promise<Host> {
    const previous = this.members.get(k);
    const key = previous?.key ?? Ed25519KeyPair.fromSeed(managerSeed(k));
    const listen = previous?.port === undefined ? undefined : [`/ip4/127.0.0.1/tcp/${previous.port}`];
    const host = createHost({ nodeKey: key, connections, logger: this.logger(k), ...(listen === undefined ? {} : { listen }) });
    await host.start();
    const port = /\/tcp\/(\d+)/.exec(host.peer.addrs[0] ?? '')?.[1];
    this.members.set(k, { k, key, host, server: undefined, port });
    return host;
  }

  /** Every member dials every other once, so requests find open connections. */
  async connectAll(): Promise<void> {
    const hosts = [...this.members.values()].map((m) => m.host);
    for (const h of hosts) {
      h.rpc.unhandle('test/ping');
      h.rpc.handle('test/ping', async () => new Uint8Array(0));
    }
    await Promise.all(
      hosts.flatMap((a) => hosts.map((b) => (a === b ? undefined : a.rpc.request(b.peer, 'test/ping', new Uint8Array(0)).catch(() => undefined)))),
    );
  }

  async startServer(k: number, options: { sync?: boolean } = {}): Promise<ManagerServer> {
    const m = this.members.get(k)!;
    const index = k < this.genesis.managers.length ? { index: k } : {};
    const server = new ManagerServer({
      roles: { heartbeatMs: 250, downAfterMs: 2_500 },
      checkInvariants: true,
      logger: this.logger(k),
      ...this.#extra,
      ...index,
      host: m.host,
      nodeKey: m.key,
      seed: managerSeed(k),
      peers: this.peers(),
      genesis: this.genesis,
      storePath: join(this.dir, `manager-${k}.sqlite`),
      vrf: { prove: vrfProve, verify: vrfVerify, proofToHash: vrfProofToHash },
      ...(options.sync === true ? { sync: true } : {}),
    });
    m.server = server;
    await server.start();
    return server;
  }

  /** A manager whose key the genesis does not name (a replacement), on a new host. */
  async addMember(k: number): Promise<Host> {
    const host = await this.#startHost(k);
    await this.connectAll();
    return host;
  }

  async stopMember(k: number): Promise<void> {
    const m = this.members.get(k)!;
    m.server?.stop();
    m.server = undefined;
    await m.host.stop();
  }

  /** Stops a member and starts it again on its data (same key and port). */
  async restart(k: number): Promise<ManagerServer> {
    await this.stopMember(k);
    await this.#startHost(k);
    await this.connectAll();
    return this.startServer(k);
  }

  /** Stops a member, deletes its data, and starts it again (same key and port) with `sync`. */
  async wipeAndRestart(k: number): Promise<ManagerServer> {
    await this.stopMember(k);
    for (const suffix of ['', '-wal', '-shm', '.chain', '.chain-wal', '.chain-shm']) {
      rmSync(join(this.dir, `manager-${k}.sqlite${suffix}`), { force: true });
    }
    await this.#startHost(k);
    await this.connectAll();
    return this.startServer(k, { sync: true });
  }

  /** Signed transfers from the genesis accounts, numbered on from the previous ones. */
  transfers(count: number): Transfer[] {
    const chain = genesisId(this.genesis);
    const senders = [RESERVE, RESEARCH, EARLY, INVESTORS].map(accountKey);
    return Array.from({ length: count }, () => {
      const j = this.#transfers++;
      const from = senders[j % senders.length]!;
      const nonce = this.nonces.get(from.address) ?? 0n;
      this.nonces.set(from.address, nonce + 1n);
      const to = accountKey(500 + j).address;
      const amount = BigInt(j + 1) * ABC + BigInt(j);
      const tx = signAccountTx({ chain, kind: 'transfer', nonce, fee: 0n, body: { to, amount } }, from);
      return { from, to, amount, bytes: encodeTx(tx) };
    });
  }

  applied(k: number, sent: readonly Transfer[]): boolean {
    const view = this.server(k).ledger.finalView();
    return sent.every((t) => view.account(t.to).abc === t.amount);
  }

  sameHeads(ks: readonly number[] = this.live): boolean {
    const keys = ks.map((k) => headKey(this.server(k).head()));
    return new Set(keys).size === 1;
  }

  /** Waits until the given members applied `sent` and agree on their head; returns it (read over the network). */
  async settle(sent: readonly Transfer[], what: string, ks: readonly number[] = this.live, timeoutMs = 30_000): Promise<Head> {
    await until(() => ks.every((k) => this.applied(k, sent)) && this.sameHeads(ks), timeoutMs, what).catch((error: unknown) => {
      const state = ks.map((k) => {
        const s = this.server(k);
        const missing = sent.filter((t) => s.ledger.finalView().account(t.to).abc !== t.amount).length;
        return `manager ${k}: height ${s.head().height} ${toHex(s.head().hash).slice(0, 12)}, missing ${missing}, mempool ${s.mempool.size}, ${JSON.stringify(s.stats())}`;
      });
      throw new Error(`${(error as Error).message}\n${state.join('\n')}`);
    });
    const heads = await Promise.all(ks.map((k) => getHead(this.client.rpc, this.host(k).peer)));
    if (new Set(heads.map(headKey)).size !== 1) throw new Error(`heads over the network differ: ${heads.map(headKey).join(' ')}`);
    for (const k of ks) {
      checkInvariants(this.server(k).ledger.finalView());
      const { invariantViolations, invariantChecks, applied } = this.server(k).stats();
      if (invariantViolations > 0 || invariantChecks < applied) {
        throw new Error(`manager ${k}: invariants failed after ${invariantViolations} of ${invariantChecks} blocks (${applied} applied)`);
      }
    }
    return heads[0]!;
  }

  async stop(): Promise<void> {
    for (const m of this.members.values()) m.server?.stop();
    await Promise.all([...[...this.members.values()].map((m) => m.host.stop()), this.client?.stop()]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export const headKey = (h: Head): string => `${h.height}/${toHex(h.hash)}/${toHex(h.stateRoot)}`;
