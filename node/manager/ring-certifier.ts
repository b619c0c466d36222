/**
 * Ring-map certificates by the Manager Ring (SPEC §5 "Map certificates", docs/manager.md): a `Certify` of one
 * manager server that signs its own share of a ring document (a map update or a Unity view), asks the other
 * members of its ledger's manager set for theirs on `manager/ring-sign`, and assembles a `ManagersCertificate`
 * (node/ring/managers.ts) once ⌊2n/3⌋ + 1 valid shares are there — or fails with QUORUM_TIMEOUT at its deadline
 * (SIGN_REFUSED at once when refusals leave no quorum possible). Unreachable members are asked again until then.
 *
 * A manager (the collector itself included) signs only a document that passes its checks: the caller is a member;
 * the set named is its ledger's current manager set; the tag is the map's or the view's and the bytes decode as
 * that document of the named epoch; and it never signs two different byte strings for one document and epoch, nor
 * an epoch below the last it signed for that document. One document is the map, or one Unity's view (an epoch has
 * a view per Unity, so views are told apart by Unity id).
 *
 * The record of what was signed is written before the share leaves, and to the chain store in a server, not only
 * to memory: safety rests on any two quorums (5 of 6) sharing an honest member that refuses the second document,
 * and an honest member that restarted and forgot would sign it. (A wiped member starts without a record.)
 */
import { AmeError, bytesEqual, type Ed25519KeyPair, peerIdOf, sha256 } from '../crypto/index.ts';
import { type Clock, type ClockTimer, NetError, type NetLogger, type PeerRef, type RequestContext, type Rpc } from '../net/index.ts';
import {
  assembleManagersCertificate,
  checkManagerShare,
  decodeRingMap,
  type EpochDocument,
  MAP_CERTIFICATE_TAG,
  managerQuorum,
  type ManagerSignature,
  type ManagersCertificate,
  MAX_MANAGERS,
  signManagerShare,
} from '../ring/index.ts';
import { decodeView, VIEW_CERTIFICATE_TAG } from '../ring/service/view.ts';
import { decodeCbor, encodeCbor, s } from '../wire/index.ts';
import { ManagerError } from './errors.ts';

export const RING_SIGN_METHOD = 'manager/ring-sign';
/** The ring's document tags a manager signs. */
export const RING_DOCUMENT_TAGS: readonly string[] = [MAP_CERTIFICATE_TAG, VIEW_CERTIFICATE_TAG];
export const DEFAULT_RING_SIGN_TIMEOUT_MS = 5_000;
const RETRY_MS = 250;
/** A document's bytes at most (RLDP carries up to 64 MiB per message). */
export const MAX_RING_DOCUMENT_BYTES = 48 * 1024 * 1024;
const RECORD_PREFIX = 'ring-sign/';

/** Why a manager refuses to sign (`ManagerError('SIGN_REFUSED').reason`); the first three may pass, the rest not. */
export type RingSignRefusal = 'NOT_READY' | 'NOT_MEMBER' | 'WRONG_SET' | 'BAD_TAG' | 'BAD_DOCUMENT' | 'STALE_EPOCH' | 'CONFLICT';
const FINAL_REFUSALS: readonly string[] = ['BAD_TAG', 'BAD_DOCUMENT', 'STALE_EPOCH', 'CONFLICT'];

export interface RingSignRequest extends EpochDocument {
  /** The manager set the certificate is for, in ledger order. */
  readonly managers: readonly Uint8Array[];
}

/** Where a manager records what it signed (a server: its chain store's meta table). */
export interface SignRecords {
  meta(key: string): Uint8Array | undefined;
  setMeta(key: string, value: Uint8Array): void;
}

export function memoryRecords(): SignRecords {
  const held = new Map<string, Uint8Array>();
  return { meta: (key) => held.get(key), setMeta: (key, value) => void held.set(key, value) };
}

const requestSchema = s.struct({
  tag: s.text({ max: 64 }),
  bytes: s.bytes({ min: 1, max: MAX_RING_DOCUMENT_BYTES }),
  epoch: s.u64(),
  managers: s.array(s.bytes({ len: 32 }), { min: 1, max: MAX_MANAGERS }),
});
const replySchema = s.struct({
  ok: s.bool(),
  sig: s.bytes({ max: 64 }),
  reason: s.text({ max: 32 }),
  message: s.text({ max: 1024 }),
});
const recordSchema = s.struct({ epoch: s.u64(), digest: s.bytes({ len: 32 }) });

export function encodeRingSignRequest(request: RingSignRequest): Uint8Array {
  const { tag, bytes, epoch, managers } = request;
  return encodeCbor({ tag, bytes, epoch, managers: [...managers] });
}

/** A `manager/ring-sign` body, or NetError BAD_REQUEST (sent back to the caller as such). */
export function decodeRingSignRequest(body: Uint8Array): RingSignRequest {
  try {
    return requestSchema.parse(decodeCbor(body, { maxSize: MAX_RING_DOCUMENT_BYTES + 16 * 1024 }), 'ring-sign request');
  } catch (cause) {
    throw new NetError('BAD_REQUEST', `ring-sign request: ${(cause as Error).message}`, { cause });
  }
}

function refuse(reason: RingSignRefusal, message: string): ManagerError {
  return new ManagerError('SIGN_REFUSED', message, { reason });
}

/**
 * Asks one member for its share of `request` (already encoded as `body`): the share, checked against the set;
 * ManagerError SIGN_REFUSED (its reason) or BAD_REPLY (undecodable, or a share that does not verify); NetError.
 */
export async function requestRingShare(rpc: Rpc, peer: PeerRef, key: Uint8Array, request: RingSignRequest, timeoutMs: number, body = encodeRingSignRequest(request)): Promise<ManagerSignature> {
  const bytes = await rpc.request(peer, RING_SIGN_METHOD, body, { timeoutMs });
  let reply;
  try {
    reply = replySchema.parse(decodeCbor(bytes, { maxSize: 2048 }), 'ring-sign reply');
  } catch (cause) {
    throw new ManagerError('BAD_REPLY', `ring-sign reply: ${(cause as Error).message}`, { cause });
  }
  if (!reply.ok) throw new ManagerError('SIGN_REFUSED', reply.message, { reason: reply.reason });
  const share = { member: Uint8Array.from(key), sig: reply.sig };
  try {
    checkManagerShare(request.managers, share, request.tag, request.bytes, request.epoch);
  } catch (cause) {
    throw new ManagerError('BAD_REPLY', `ring-sign reply: ${(cause as Error).message}`, { cause });
  }
  return share;
}

/** Retrying cannot change these: a final refusal, a reply or request the other side cannot use. */
function isFinal(error: unknown): boolean {
  if (error instanceof ManagerError) return error.code === 'BAD_REPLY' || FINAL_REFUSALS.includes(error.reason ?? '');
  return error instanceof NetError && (error.code === 'BAD_REQUEST' || error.code === 'TOO_LARGE');
}

export interface RingCertifierOptions {
  readonly rpc: Rpc;
  readonly clock: Clock;
  readonly nodeKey: Ed25519KeyPair;
  /** The ledger's current manager set (`finalView().managers().keys`); undefined before the server has a ledger. */
  readonly managers: () => readonly Uint8Array[] | undefined;
  /** The peer of a manager key (its known addresses). */
  readonly peerOf: (key: Uint8Array) => PeerRef;
  readonly records: SignRecords;
  readonly timeoutMs?: number;
  readonly retryMs?: number;
  readonly logger?: NetLogger | undefined;
}

export class RingCertifier {
  readonly #o: RingCertifierOptions;
  readonly #held = new Map<string, { epoch: bigint; digest: Uint8Array }>();
  #serving = false;

  constructor(options: RingCertifierOptions) {
    this.#o = options;
  }

  /** Registers the responder of `manager/ring-sign`; returns its removal (which also ends retries). */
  serve(): () => void {
    this.#serving = true;
    this.#o.rpc.handle(RING_SIGN_METHOD, async (body, ctx) => this.#onRequest(body, ctx));
    return () => {
      this.#serving = false;
      this.#o.rpc.unhandle(RING_SIGN_METHOD);
    };
  }

  /** This manager's share of a request that passes its checks (recorded first); SIGN_REFUSED otherwise. */
  sign(request: RingSignRequest): ManagerSignature {
    const { tag, bytes, epoch } = request;
    const set = this.#o.managers();
    if (set === undefined) throw refuse('NOT_READY', 'this manager has no ledger yet');
    if (!set.some((k) => bytesEqual(k, this.#o.nodeKey.publicKey.bytes))) throw refuse('NOT_MEMBER', 'this manager is not in its manager set');
    if (request.managers.length !== set.length || !request.managers.every((k, i) => bytesEqual(k, set[i]!))) {
      throw refuse('WRONG_SET', 'the manager set named is not this manager\'s current set');
    }
    const key = RECORD_PREFIX + documentId(tag, bytes, epoch);
    const digest = sha256(bytes);
    const held = this.#record(key);
    if (held !== undefined && epoch < held.epoch) {
      throw refuse('STALE_EPOCH', `${key}: epoch ${epoch} is below epoch ${held.epoch}, signed already`);
    }
    if (held !== undefined && epoch === held.epoch && !bytesEqual(digest, held.digest)) {
      this.#o.logger?.warn({ document: key, epoch: epoch.toString() }, 'refused a second document for a signed epoch');
      throw refuse('CONFLICT', `${key}: another document of epoch ${epoch} is signed already`);
    }
    if (held === undefined || epoch > held.epoch) {
      this.#o.records.setMeta(key, encodeCbor({ epoch, digest }));
      this.#held.set(key, { epoch, digest });
    }
    return signManagerShare(this.#o.nodeKey, tag, bytes, epoch);
  }

  /** The document certified by a quorum of the ledger's current manager set (this manager's share first). */
  async certify(document: EpochDocument, options: { readonly timeoutMs?: number } = {}): Promise<ManagersCertificate> {
    const { rpc, clock, nodeKey } = this.#o;
    const set = this.#o.managers() ?? [];
    const request: RingSignRequest = { tag: document.tag, bytes: document.bytes, epoch: document.epoch, managers: [...set] };
    const shares = new Map([[rpc.self.id, this.sign(request)]]); // by peer: one share each
    const quorum = managerQuorum(set.length);
    if (shares.size >= quorum) return assembleManagersCertificate(set, document.epoch, [...shares.values()]);
    const timeoutMs = options.timeoutMs ?? this.#o.timeoutMs ?? DEFAULT_RING_SIGN_TIMEOUT_MS;
    const deadline = clock.now() + timeoutMs;
    const body = encodeRingSignRequest(request);
    const others = set.filter((k) => !bytesEqual(k, nodeKey.publicKey.bytes));
    const why = new Map<string, string>();
    let finals = 0;
    return new Promise<ManagersCertificate>((resolve, reject) => {
      const timers = new Set<ClockTimer>();
      let done = false;
      const finish = (result: ManagersCertificate | Error) => {
        if (done) return;
        done = true;
        for (const t of timers) clock.clearTimeout(t);
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      const summary = () => [...why].map(([peer, reason]) => `${peer}: ${reason}`).join('; ');
      timers.add(clock.setTimeout(() => {
        finish(new ManagerError('QUORUM_TIMEOUT', `${shares.size} of ${set.length} managers signed in ${timeoutMs} ms, ${quorum} needed (${summary()})`));
      }, timeoutMs));
      const ask = (key: Uint8Array): void => {
        const peer = this.#o.peerOf(key);
        const wait = Math.max(1, deadline - clock.now());
        requestRingShare(rpc, peer, key, request, wait, body).then(
          (share) => {
            if (done) return;
            why.delete(peer.id);
            shares.set(peer.id, share);
            if (shares.size >= quorum) finish(assembleManagersCertificate(set, document.epoch, [...shares.values()]));
          },
          (error: unknown) => {
            if (done) return;
            const code = error instanceof AmeError ? error.code : 'ERROR';
            const reason = error instanceof ManagerError && error.reason !== undefined ? `/${error.reason}` : '';
            why.set(peer.id, `${code}${reason} ${(error as Error).message}`.slice(0, 300));
            if (isFinal(error)) {
              finals += 1;
              if (set.length - finals < quorum) {
                const reasonOf = error instanceof ManagerError && error.reason !== undefined ? { reason: error.reason } : {};
                finish(new ManagerError('SIGN_REFUSED', `no quorum of ${quorum} can sign: ${summary()}`, reasonOf));
              }
              return;
            }
            if (!this.#serving) return; // stopped: the deadline ends the collection
            const t = clock.setTimeout(() => {
              timers.delete(t);
              if (!done) ask(key);
            }, this.#o.retryMs ?? RETRY_MS);
            timers.add(t);
          },
        );
      };
      for (const key of others) ask(key);
    });
  }

  async #onRequest(body: Uint8Array, ctx: RequestContext): Promise<Uint8Array> {
    const set = this.#o.managers();
    if (set === undefined) throw new NetError('UNAVAILABLE', 'this manager has no ledger yet');
    if (ctx.peer === this.#o.rpc.self.id || !set.some((k) => peerIdOf(k) === ctx.peer)) {
      throw new NetError('UNAUTHORIZED', 'not a member of this manager set');
    }
    const request = decodeRingSignRequest(body);
    try {
      const { sig } = this.sign(request);
      return encodeCbor({ ok: true, sig, reason: '', message: '' });
    } catch (error) {
      if (!(error instanceof ManagerError)) throw error;
      this.#o.logger?.debug({ peer: ctx.peer, reason: error.reason, err: error }, 'ring document not signed');
      return encodeCbor({ ok: false, sig: new Uint8Array(0), reason: error.reason ?? '', message: error.message.slice(0, 1024) });
    }
  }

  #record(key: string): { epoch: bigint; digest: Uint8Array } | undefined {
    const cached = this.#held.get(key);
    if (cached !== undefined) return cached;
    const saved = this.#o.records.meta(key);
    if (saved === undefined) return undefined;
    let record;
    try {
      record = recordSchema.parse(decodeCbor(saved, { maxSize: 128 }), key);
    } catch (cause) {
      throw new ManagerError('BAD_CONFIG', `the chain store's ring-sign record ${key} is damaged`, { cause });
    }
    this.#held.set(key, record);
    return record;
  }
}

/** Which document a request is (the map, or one Unity's view), once its bytes decode as it at `epoch`. */
function documentId(tag: string, bytes: Uint8Array, epoch: bigint): string {
  if (!RING_DOCUMENT_TAGS.includes(tag)) throw refuse('BAD_TAG', `${JSON.stringify(tag.slice(0, 64))} is not a ring document tag`);
  let decoded: { epoch: bigint; id: string };
  try {
    if (tag === MAP_CERTIFICATE_TAG) decoded = { epoch: decodeRingMap(bytes, { maxSize: MAX_RING_DOCUMENT_BYTES }).epoch, id: '' };
    else {
      const view = decodeView(bytes);
      decoded = { epoch: view.epoch, id: `/${view.unity.id}` };
    }
  } catch (error) {
    if (!(error instanceof AmeError)) throw error;
    throw refuse('BAD_DOCUMENT', `the bytes are not a ${tag} document: ${error.message}`);
  }
  if (decoded.epoch !== epoch) throw refuse('BAD_DOCUMENT', `the document is of epoch ${decoded.epoch}, not ${epoch}`);
  return `${tag}${decoded.id}`;
}
