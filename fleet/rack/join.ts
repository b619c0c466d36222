/**
 * `ame fleet rack provision --join EXISTING_DIR`: six new hosts join the Manager Ring of an existing rack instead
 * of starting a chain. Their servers get new node keys and the existing genesis; reconfigures signed by two thirds
 * of the current manager set (SPEC §7: the rack records hold those node keys; the governance keys only when they
 * cannot) add them to the manager set a few at a time (join-plan.ts `joinSteps`),
 * each submitted through an existing server's explorer API; after each is final its servers start with state sync
 * and must have synced before the next step. The join ends when a probe transaction is final and every server, old
 * and new, has its block.
 *
 * What the ring is after a join: one manager set of twelve in ledger order, the existing six as members 0–5 with
 * roles 0–5 and the joined six as members 6–11, further standbys (node/manager/roles.ts) — not a second Unity with
 * roles of its own: the manager server runs one Unity per manager set (docs/fleet-rack.md "Join").
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Ed25519KeyPair, fromHex, toHex } from '../../node/crypto/index.ts';
import { encodeTx, seedKey, seedWallet, signGovernanceTx, signManagersTx, type Tx } from '../../node/ledger/index.ts';
import { ExplorerError } from '../../node/manager/explorer/index.ts';
import { MICRO_PER_UNIT } from '../../node/wire/index.ts';
import { RackError } from './errors.ts';
import { quorumOf, type RackStatus } from './health.ts';
import { checkHostsApart, joinSteps, readJoinSource, type JoinSource } from './join-plan.ts';
import { layoutRack, rackPeers, RACK_SIZE, type HostLayout, type RackPlan } from './plan.ts';
import { finalHeight, mostCaughtUp, transferFinal } from './probe.ts';
import { probeRack, rackLayout, waitForRack, type RackDeps } from './provision.ts';
import { hasRecord, newRecord, RACK_GENESIS_FILE, withServer, writeRecord, type JoinSecrets, type RackRecord } from './record.ts';

/** What the join moves to the joined rack's probe wallet: its probes' fees for a long while. */
export const JOIN_PROBE_FUNDS = 100n * MICRO_PER_UNIT;

export interface JoinOptions {
  /** How long each step may take: a reconfigure to become final, the added servers to sync (default 90 s). */
  readonly timeoutMs?: number;
}

interface SetEntry {
  readonly key: Uint8Array;
  readonly account: string;
}

const hex = (deps: RackDeps) => toHex(deps.random(32));

/** The manager set of the final state, in ledger order, with each manager's payout account (the reconfigure names both). */
async function currentSet(existing: readonly HostLayout[], deps: RackDeps): Promise<SetEntry[]> {
  const client = await mostCaughtUp(existing);
  const response = await deps.fetch(`${client.baseUrl}/api/ring`, { signal: AbortSignal.timeout(5_000) });
  const ring = (response.ok ? await response.json().catch(() => undefined) : undefined) as { managers?: unknown } | undefined;
  if (!Array.isArray(ring?.managers)) throw new RackError('NOT_HEALTHY', `${client.baseUrl}/api/ring: no manager set in the answer (HTTP ${response.status})`);
  const { nodes } = await client.nodes();
  return ring.managers.map((key: unknown) => {
    const node = nodes.find((n) => n.key === key);
    if (typeof key !== 'string' || node === undefined) throw new RackError('NOT_HEALTHY', `${client.baseUrl}: manager ${String(key)} has no node record`);
    return { key: fromHex(key, 'manager key', 32), account: node.account };
  });
}

/** The nonce a BAD_NONCE refusal names (governance transactions may not run ahead of chain.govNonce). */
function expectedNonce(error: unknown): bigint | undefined {
  if (!(error instanceof ExplorerError) || !/BAD_NONCE/.test(error.reason ?? error.message)) return undefined;
  const found = /expected nonce (\d+)/.exec(error.message);
  return found === null ? undefined : BigInt(found[1]!);
}

/**
 * How a reconfigure from `current` is signed: by ⌊2n/3⌋ + 1 members of the current set whose node keys the rack
 * records hold (SPEC §7's usual way), else — a set these racks do not hold enough of — by the governance keys.
 */
function reconfigureSigner(source: JoinSource, current: readonly SetEntry[], held: ReadonlyMap<string, Ed25519KeyPair>): (fields: Parameters<typeof signManagersTx>[0]) => Tx {
  const members = current.flatMap((entry, index) => {
    const key = held.get(toHex(entry.key));
    return key === undefined ? [] : [{ index, key }];
  });
  const quorum = quorumOf(current.length);
  if (members.length >= quorum) return (fields) => signManagersTx(fields, members.slice(0, quorum));
  return (fields) => signGovernanceTx(fields, source.signers);
}

/** A reconfigure from `current` to `managers`, submitted and final: its hash and block height. */
async function reconfigure(
  existing: readonly HostLayout[],
  source: JoinSource,
  current: readonly SetEntry[],
  managers: readonly SetEntry[],
  held: ReadonlyMap<string, Ed25519KeyPair>,
  deps: RackDeps,
  timeoutMs: number,
): Promise<{ hash: string; height: number }> {
  const deadline = deps.now() + timeoutMs;
  const client = await mostCaughtUp(existing);
  const sign = reconfigureSigner(source, current, held);
  // chain.govNonce is not in the explorer's answers: the ledger's refusal names it (its signatures were checked first).
  let nonce = 0n;
  for (;;) {
    const tx = sign({ chain: fromHex(source.record.chainId), kind: 'reconfigure', nonce, body: { managers } });
    let hash: string;
    try {
      hash = await client.submit(encodeTx(tx));
    } catch (error) {
      const expected = expectedNonce(error);
      if (expected === undefined || expected === nonce || deps.now() > deadline) {
        throw new RackError('EXECUTOR_FAILED', `the reconfigure to ${managers.length} managers was refused by ${client.baseUrl}: ${(error as Error).message}`, { cause: error });
      }
      nonce = expected;
      continue;
    }
    return { hash, height: await finalHeight(existing, client, hash, deps, deadline, timeoutMs) };
  }
}

/**
 * Waits until block `height` has its ledger certificate at a server of the existing ring: state sync verifies the
 * block it copies the state of by its certificate, so a server started before that would find no member to copy.
 */
async function certified(existing: readonly HostLayout[], height: number, deps: RackDeps, timeoutMs: number): Promise<void> {
  const deadline = deps.now() + timeoutMs;
  for (;;) {
    const block = await (await mostCaughtUp(existing)).block(String(height)).catch(() => undefined);
    if (block !== undefined && block.certificate.length > 0) return;
    if (deps.now() > deadline) throw new RackError('NOT_HEALTHY', `the reconfigure's block ${height} got no ledger certificate within ${timeoutMs / 1000} s`);
    await deps.sleep(250);
  }
}

function joinSecrets(deps: RackDeps): JoinSecrets {
  return {
    managers: Array.from({ length: RACK_SIZE }, () => hex(deps)),
    payouts: Array.from({ length: RACK_SIZE }, () => hex(deps)),
    probe: hex(deps),
  };
}

export async function joinRack(dir: string, requested: RackPlan, existingDir: string, deps: RackDeps, options: JoinOptions = {}): Promise<RackStatus> {
  if (requested.hosts.length !== RACK_SIZE) throw new RackError('BAD_HOSTS', `a rack Unity takes exactly ${RACK_SIZE} hosts, not ${requested.hosts.length}`);
  if (hasRecord(dir)) throw new RackError('ALREADY_PROVISIONED', `${dir} already holds a rack (rack.json); use another folder, or \`ame fleet rack status\``);
  const source = readJoinSource(existingDir);
  checkHostsApart(requested, source.record.plan);
  const plan: RackPlan = { ...requested, chainName: source.genesis.chainName };
  const timeoutMs = options.timeoutMs ?? 90_000;
  const existing = rackLayout(existingDir, source.record);
  const ring = rackPeers(source.record.plan, source.record.secrets.managers);
  const secrets = joinSecrets(deps);
  let record: RackRecord = newRecord(plan, secrets, source.record.chainId, { from: resolve(existingDir), peers: ring, apis: existing.map((l) => l.api), steps: [], probeHeight: null });
  writeRecord(dir, record);
  writeFileSync(join(dir, RACK_GENESIS_FILE), source.genesisBytes);
  const layouts = layoutRack(plan, secrets, source.genesisBytes, ring);
  for (const layout of layouts) {
    for (const file of layout.files) await deps.executor.put(layout.host, file.path, file.bytes, file.mode);
    deps.progress?.(`${layout.host.name}: files written to ${layout.folder}`);
  }

  // The existing ring must finalise before it is changed; the transfer that shows it funds this rack's probes.
  const probeAddress = seedWallet(secrets.probe).account.address;
  const funded = await transferFinal(existing, record.chainId, source.genesis.params, seedWallet(source.record.secrets.wallets.investors), { to: probeAddress, amount: JOIN_PROBE_FUNDS }, deps, timeoutMs);
  deps.progress?.(`the existing ring finalises: probe wallet ${probeAddress} funded in final block ${funded}`);

  let set = await currentSet(existing, deps);
  // Every node key the two racks' records hold: members of the set sign the reconfigures that grow it.
  const held = new Map([...source.record.secrets.managers, ...secrets.managers].map((seed) => [toHex(seedKey(seed).publicKey.bytes), seedKey(seed)]));
  let next = 0;
  for (const count of joinSteps(set.length, layouts.length)) {
    const added = layouts.slice(next, next + count);
    const entries = added.map((_, j) => ({ key: seedKey(secrets.managers[next + j]!).publicKey.bytes, account: seedWallet(secrets.payouts[next + j]!).account.address }));
    const before = set;
    set = [...set, ...entries];
    const step = await reconfigure(existing, source, before, set, held, deps, timeoutMs);
    deps.progress?.(`reconfigure ${step.hash}: ${set.length} managers from final block ${step.height}`);
    record = { ...record, join: { ...record.join!, steps: [...record.join!.steps, { ...step, added: added.map((l) => l.host.name), managers: set.length }] } };
    writeRecord(dir, record);
    await certified(existing, step.height, deps, timeoutMs);
    for (const [j, layout] of added.entries()) {
      const pid = await deps.executor.launch(layout.host, [...plan.command, ...layout.args], layout.logFile);
      record = withServer(record, layout.host.name, { pid, startedAt: deps.now() });
      writeRecord(dir, record);
      deps.progress?.(`${layout.host.name}: member ${set.length - count + j} started (pid ${pid}), state sync`);
    }
    const synced = (s: RackStatus) => s.servers.every((x) => x.reachable && (x.height ?? 0) >= step.height);
    await waitForRack(added, deps, timeoutMs, `${added.map((l) => l.host.name).join(', ')} did not sync to final block ${step.height}`, synced);
    next += count;
  }

  const all = [...existing, ...layouts];
  const final = await probeRack(all, record, source.genesis, deps, timeoutMs);
  const status = await waitForRack(all, deps, timeoutMs, `not every server, old and new, reached final block ${final}`, (s) => s.servers.every((x) => (x.height ?? 0) >= final));
  record = { ...record, join: { ...record.join!, probeHeight: final } };
  writeRecord(dir, record);
  deps.progress?.(`the ring of ${set.length} finalises: a probe transaction in final block ${final}, every server has it`);
  return status;
}
