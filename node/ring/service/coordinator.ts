/**
 * Coordinated reads and writes on the replicas of a key (SPEC.md §5 Values), run by any server of the owning
 * Unity. A write is acknowledged once a majority of the key's min(5, servers) replicas hold it durably; a read
 * asks every replica, decides on the first majority of answers by the highest version, and writes the winner back
 * to every replica that answered with less (read repair).
 */
import { NetError } from '../../net/errors.ts';
import type { PeerRef, Rpc } from '../../net/types.ts';
import { RingError } from '../errors.ts';
import type { Key } from '../keyspace.ts';
import { readQuorum, replicaSet, writeQuorum } from '../replicas.ts';
import { bodies, decodeBody, encodeBody, METHOD } from './protocol.ts';
import { quorum } from './quorum.ts';
import { fromRemote } from './remote-errors.ts';
import type { AcceptOutcome, ReplicaStore } from './replica-store.ts';
import { checkRingValue, peekRingValue, versionOf, type RingValue, type ValueSchemes } from './value.ts';
import type { UnityView } from './view.ts';

export interface CoordinatorDeps {
  readonly rpc: Rpc;
  readonly store: ReplicaStore;
  readonly selfId: () => string;
  readonly timeoutMs: number;
  /** Errors of background repairs, for the log. */
  readonly onRepairError?: (error: unknown) => void;
  /** The checked-value schemes a read winner is checked with (value.ts); none by default. */
  readonly schemes?: ValueSchemes;
}

export interface PutResult {
  readonly acks: number;
  readonly replicas: number;
}

/** A replica's answer: its bytes and what they claim (shape only; the winner alone is checked). */
type Answer = {
  readonly server: PeerRef;
  readonly bytes: Uint8Array | undefined;
  readonly value: RingValue | undefined;
  readonly version: number;
};

export class Coordinator {
  private readonly deps: CoordinatorDeps;

  constructor(deps: CoordinatorDeps) {
    this.deps = deps;
  }

  /** Stores `bytes` (a checked value) on a write quorum of its replicas in `view`'s Unity. */
  async put(view: UnityView, key: Key, value: RingValue, bytes: Uint8Array, timeoutMs = this.deps.timeoutMs): Promise<PutResult> {
    const replicas = replicaSet(view.unity, key, view.params.replicas);
    const need = writeQuorum(replicas.length);
    const result = await quorum(
      replicas.map((server) => () => this.replicaPut(view, server, key, value, bytes, timeoutMs)),
      need,
      (outcome) => outcome !== 'newer-held',
    );
    if (result.ok.includes('newer-held')) {
      throw new RingError('STALE_RECORD', 'a replica holds a record with a higher sequence number');
    }
    const acks = result.ok.length;
    if (acks < need) {
      throw new NetError('UNAVAILABLE', `only ${acks} of ${replicas.length} replicas stored the value (${need} needed)`);
    }
    return { acks, replicas: replicas.length };
  }

  /** The value with the highest version among the first majority of answers, or undefined when none has it. */
  async get(view: UnityView, key: Key, timeoutMs = this.deps.timeoutMs): Promise<Uint8Array | undefined> {
    const replicas = replicaSet(view.unity, key, view.params.replicas);
    const need = readQuorum(replicas.length);
    const result = await quorum(
      replicas.map((server) => () => this.replicaGet(view, server, key, timeoutMs)),
      need,
    );
    if (result.ok.length < need) {
      throw new NetError('UNAVAILABLE', `only ${result.ok.length} of ${replicas.length} replicas answered (${need} needed)`);
    }
    const winner = checkedHighest(key, result.ok, this.deps.schemes);
    if (winner !== undefined) void result.all.then(({ ok }) => this.repair(view, key, winner, ok));
    return winner?.bytes;
  }

  private async replicaPut(
    view: UnityView,
    server: PeerRef,
    key: Key,
    value: RingValue,
    bytes: Uint8Array,
    timeoutMs = this.deps.timeoutMs,
  ): Promise<AcceptOutcome> {
    if (server.id === this.deps.selfId()) return this.deps.store.accept(key, value, bytes);
    try {
      const reply = await this.deps.rpc.request(
        server,
        METHOD.replicaPut,
        encodeBody(bodies.putRequest, { epoch: view.epoch, key, value: bytes }),
        { timeoutMs },
      );
      const { outcome } = decodeBody(bodies.replicaPutReply, reply, METHOD.replicaPut);
      if (outcome !== 'stored' && outcome !== 'same' && outcome !== 'newer-held') {
        throw new RingError('MALFORMED', `replica-put: unknown outcome "${outcome}"`);
      }
      return outcome;
    } catch (error) {
      throw fromRemote(error);
    }
  }

  private async replicaGet(view: UnityView, server: PeerRef, key: Key, timeoutMs: number): Promise<Answer> {
    let bytes: Uint8Array | undefined;
    if (server.id === this.deps.selfId()) {
      bytes = this.deps.store.get(key);
    } else {
      const reply = await this.deps.rpc.request(
        server,
        METHOD.replicaGet,
        encodeBody(bodies.keyRequest, { epoch: view.epoch, key }),
        { timeoutMs },
      );
      bytes = decodeBody(bodies.valueReply, reply, METHOD.replicaGet).value;
    }
    // A malformed copy counts as absent; a well-formed one is checked only if it would win (checkedHighest).
    if (bytes === undefined) return { server, bytes, value: undefined, version: -1 };
    try {
      const value = peekRingValue(bytes);
      return { server, bytes, value, version: versionOf(value) };
    } catch {
      return { server, bytes: undefined, value: undefined, version: -1 };
    }
  }

  private async repair(view: UnityView, key: Key, winner: Checked, answers: readonly Answer[]): Promise<void> {
    const { value } = winner;
    const stale = answers.filter((a) => a.version < winner.version);
    await Promise.all(
      stale.map((a) =>
        this.replicaPut(view, a.server, key, value, winner.bytes).catch((error: unknown) => this.deps.onRepairError?.(error)),
      ),
    );
  }
}

type Checked = Answer & { readonly bytes: Uint8Array; readonly value: RingValue };

/**
 * The answer with the highest version whose value checks (key hash, owner's signature, scheme): one check per read in
 * the common case, and a forged copy claiming a higher version is passed over for the next one.
 */
function checkedHighest(key: Key, answers: readonly Answer[], schemes: ValueSchemes = {}): Checked | undefined {
  const present = answers.filter((a): a is Checked => a.bytes !== undefined && a.value !== undefined);
  for (const answer of present.sort((a, b) => b.version - a.version)) {
    try {
      checkRingValue(key, answer.value, schemes);
      return answer;
    } catch {
      // a forged or corrupt copy: try the next
    }
  }
  return undefined;
}
