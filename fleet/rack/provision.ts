/**
 * `ame fleet rack provision`: six hosts become a Manager Ring Unity. New secrets (node keys, governance and account
 * wallets) and a genesis naming the six servers in role order are made here and kept in DIR (rack.json, mode 0600);
 * every host gets its node key, the genesis and its `ame manager run` config through the executor; the servers are
 * started detached; provisioning ends when every server answers and the Unity has finalised new blocks.
 *
 * `provision --join` (join.ts) instead adds six servers to an existing rack's ring.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../../node/crypto/index.ts';
import { decodeGenesis, encodeGenesis, genesisFromSecrets, genesisId, newGenesisSecrets, seedWallet, type GenesisConfig, type LedgerParams } from '../../node/ledger/index.ts';
import { MICRO_PER_UNIT } from '../../node/wire/index.ts';
import { RackError } from './errors.ts';
import type { HostExecutor } from './executor.ts';
import { rackStatus, type Fetch, type RackStatus } from './health.ts';
import { probeFinality } from './probe.ts';
import { layoutRack, RACK_SIZE, type HostLayout, type RackPlan } from './plan.ts';
import { hasRecord, newRecord, probeWalletOf, RACK_GENESIS_FILE, readRecord, withServer, writeRecord, type RackRecord } from './record.ts';

/** What the rack tools need from their surroundings; all injected so tests drive them. */
export interface RackDeps {
  readonly executor: HostExecutor;
  readonly fetch: Fetch;
  readonly random: (n: number) => Uint8Array;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Progress lines for the operator (the CLI prints them). */
  readonly progress?: (line: string) => void;
  /**
   * Proves the Unity finalises and resolves with the height of the block that shows it; default: a probe
   * transaction through the servers' explorer APIs (probe.ts).
   */
  readonly probe?: (layouts: readonly HostLayout[], record: RackRecord, genesis: GenesisConfig, timeoutMs: number) => Promise<number>;
}

/** A rack chain's supply: 100 million ABC, as the local network's. */
export const RACK_SUPPLY = 100_000_000n * MICRO_PER_UNIT;

export interface ProvisionOptions {
  readonly params: LedgerParams;
  /** How long the Unity may take to answer and finalise (default 90 s). */
  readonly timeoutMs?: number;
}

export function rackLayout(dir: string, record: RackRecord): HostLayout[] {
  return layoutRack(record.plan, record.secrets, new Uint8Array(readFileSync(join(dir, RACK_GENESIS_FILE))), record.join?.peers);
}

export function rackGenesis(dir: string): GenesisConfig {
  return decodeGenesis(new Uint8Array(readFileSync(join(dir, RACK_GENESIS_FILE))));
}

/**
 * A probe transaction in a final block: the height of that block. From the investors' genesis account, or a joined
 * rack's probe wallet.
 */
export function probeRack(layouts: readonly HostLayout[], record: RackRecord, genesis: GenesisConfig, deps: RackDeps, timeoutMs: number): Promise<number> {
  if (deps.probe !== undefined) return deps.probe(layouts, record, genesis, timeoutMs);
  return probeFinality(layouts, record.chainId, genesis.params, seedWallet(probeWalletOf(record.secrets)), deps, timeoutMs);
}

function describeStatus(status: RackStatus): string {
  const down = status.servers.filter((s) => !s.reachable).map((s) => `${s.name} (${s.error ?? 'no answer'})`);
  return `height ${status.height}, ${status.reachable} of ${status.servers.length} servers answer${down.length > 0 ? `; not answering: ${down.join(', ')}` : ''}`;
}

/** Polls until `done(status)` holds; NOT_HEALTHY with the last status after `timeoutMs`. */
export async function waitForRack(
  layouts: readonly HostLayout[],
  deps: RackDeps,
  timeoutMs: number,
  what: string,
  done: (status: RackStatus) => boolean,
  code: 'NOT_HEALTHY' | 'QUORUM_AT_RISK' = 'NOT_HEALTHY',
  explain: (status: RackStatus) => string = describeStatus,
): Promise<RackStatus> {
  const deadline = deps.now() + timeoutMs;
  for (;;) {
    const status = await rackStatus(layouts, deps.fetch);
    if (done(status)) return status;
    if (deps.now() > deadline) throw new RackError(code, `${what} within ${timeoutMs / 1000} s: ${explain(status)}`);
    await deps.sleep(500);
  }
}

export async function provisionRack(dir: string, plan: RackPlan, deps: RackDeps, options: ProvisionOptions): Promise<RackStatus> {
  if (plan.hosts.length !== RACK_SIZE) throw new RackError('BAD_HOSTS', `a rack Unity takes exactly ${RACK_SIZE} hosts, not ${plan.hosts.length}`);
  if (hasRecord(dir)) throw new RackError('ALREADY_PROVISIONED', `${dir} already holds a rack (rack.json); use another folder, or \`ame fleet rack status\``);
  const secrets = newGenesisSecrets(RACK_SIZE, deps.random);
  const genesis = genesisFromSecrets(secrets, { chainName: plan.chainName, supply: RACK_SUPPLY, timeMs: deps.now(), params: options.params, rs0: deps.random(32) });
  const genesisBytes = encodeGenesis(genesis);
  let record = newRecord(plan, secrets, toHex(genesisId(genesis)));
  // The secrets are on disk before any host is touched: a failure below leaves a rack that status and stop reach.
  writeRecord(dir, record);
  writeFileSync(join(dir, RACK_GENESIS_FILE), genesisBytes);
  const layouts = layoutRack(plan, secrets, genesisBytes);
  for (const layout of layouts) {
    for (const file of layout.files) await deps.executor.put(layout.host, file.path, file.bytes, file.mode);
    deps.progress?.(`${layout.host.name}: files written to ${layout.folder}`);
  }
  for (const layout of layouts) {
    const pid = await deps.executor.launch(layout.host, [...plan.command, ...layout.args], layout.logFile);
    record = withServer(record, layout.host.name, { pid, startedAt: deps.now() });
    writeRecord(dir, record);
    deps.progress?.(`${layout.host.name}: role ${layout.role} started (pid ${pid})`);
  }
  const timeoutMs = options.timeoutMs ?? 90_000;
  const answering = await waitForRack(layouts, deps, timeoutMs, 'the servers did not all answer', (s) => s.reachable === layouts.length);
  deps.progress?.(`all ${layouts.length} servers answer at height ${answering.height}`);
  const final = await probeRack(layouts, record, genesis, deps, timeoutMs);
  deps.progress?.(`the Unity finalises: a probe transaction in final block ${final}, chain ${record.chainId}`);
  return waitForRack(layouts, deps, timeoutMs, `not every server reached height ${final}`, (s) => s.servers.every((x) => (x.height ?? 0) >= final));
}

/** Stops every server the record says runs (SIGTERM, SIGKILL after `graceMs`); the rack can be started again. */
export async function stopRack(dir: string, deps: RackDeps, graceMs = 10_000): Promise<void> {
  let record = readRecord(dir);
  for (const [i, server] of record.servers.entries()) {
    if (server.pid === null) continue;
    await stopServer(record.plan.hosts[i]!, server.pid, deps, graceMs);
    record = withServer(record, server.name, { pid: null, startedAt: null });
    writeRecord(dir, record);
    deps.progress?.(`${server.name}: stopped`);
  }
}

export async function stopServer(host: RackPlan['hosts'][number], pid: number, deps: RackDeps, graceMs: number): Promise<void> {
  if (!(await deps.executor.signal(host, pid, 'SIGTERM'))) return;
  const deadline = deps.now() + graceMs;
  let killed = false;
  while (await deps.executor.alive(host, pid)) {
    if (deps.now() > deadline && !killed) {
      killed = true;
      await deps.executor.signal(host, pid, 'SIGKILL');
    } else if (deps.now() > deadline + graceMs) {
      throw new RackError('EXECUTOR_FAILED', `${host.name}: pid ${pid} still runs after SIGTERM and SIGKILL`);
    }
    await deps.sleep(100);
  }
}

/** Starts every server of the record that does not run (after a reboot, a crash or `stop`), with its own command. */
export async function startRack(dir: string, deps: RackDeps): Promise<void> {
  let record = readRecord(dir);
  const layouts = rackLayout(dir, record);
  for (const [i, server] of record.servers.entries()) {
    const host = record.plan.hosts[i]!;
    if (server.pid !== null && (await deps.executor.alive(host, server.pid))) continue;
    const pid = await deps.executor.launch(host, [...server.command, ...layouts[i]!.args], layouts[i]!.logFile);
    record = withServer(record, server.name, { pid, startedAt: deps.now() });
    writeRecord(dir, record);
    deps.progress?.(`${server.name}: started (pid ${pid})`);
  }
}
