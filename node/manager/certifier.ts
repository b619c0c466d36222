/**
 * Ledger certificates for blocks ACP made final. ACP's commit certificate signs ACP's block id, not the ledger
 * header, so after a manager applies a final block it signs `certificateMessage(headerHash)` with its node key and
 * sends the signature to every member (`manager/cert`); each manager gathers the members' signatures for the
 * blocks it applied and, at a quorum (⌊2n/3⌋ + 1, the ledger's rule), holds the block's ledger certificate. That
 * certificate is what light clients, explorers and state sync check, and what the next block carries as
 * `parentCertificate` (which pays the verifiers). A signature therefore attests "I applied this header, state
 * root included" — a manager never signs a block it has not executed itself.
 *
 * Signatures may arrive before this manager applied the block (a faster member): they are held, bounded, until
 * it does, and checked then against the block's hash.
 *
 * The block that changed the manager set (a reconfigure in a normal block) ends the era that decided it, so the
 * next era's certifier gathers its certificate — the `handover` — from the set before it, which is what the ledger
 * checks it against (`meta/previous-managers`) and what state sync needs to verify that block. Signatures that
 * reached the old era's certifier before this manager applied the block are carried over (`earlySignatures`).
 */
import { toHex, type Ed25519KeyPair } from '../crypto/index.ts';
import { type Certificate, certificateMessage, ed25519Verify, quorum } from '../ledger/index.ts';
import { NetError, type NetLogger, type PeerRef, type RequestContext, type Rpc } from '../net/index.ts';
import { decodeCbor, encodeCbor, s } from '../wire/index.ts';

export const CERT_METHOD = 'manager/cert';

/** Heights kept: signatures for blocks this far behind the newest applied one are dropped. */
const KEEP_HEIGHTS = 64n;
/** Early signatures held per member (for blocks not applied here yet). */
const EARLY_PER_MEMBER = 16;

const certMessageSchema = s.struct({ height: s.u64(), hash: s.bytes({ len: 32 }), sig: s.bytes({ len: 64 }) });

export interface CertifierMember {
  readonly peer: PeerRef;
  /** The member's Ed25519 node key (the ledger's manager key). */
  readonly key: Uint8Array;
}

/** A signature held until this manager applies the block it signs. */
export interface EarlySignature {
  readonly height: bigint;
  readonly hash: string;
  readonly sig: Uint8Array;
}

export interface CertifierOptions {
  readonly rpc: Rpc;
  readonly nodeKey: Ed25519KeyPair;
  /** The manager set that certifies, in order; this host is one of them. */
  readonly members: readonly CertifierMember[];
  /** A block's certificate reached a quorum (called once per block; later signatures are still added). */
  readonly onCertified?: (height: bigint, hash: Uint8Array, certificate: Certificate) => void;
  /** The block that installed `members`, still without a certificate: certified by the set before it, `members` here. */
  readonly handover?: { readonly height: bigint; readonly hash: Uint8Array; readonly members: readonly CertifierMember[] } | undefined;
  /** Signatures the previous era's certifier held for blocks it had not applied, by member key (hex). */
  readonly early?: ReadonlyMap<string, readonly EarlySignature[]> | undefined;
  readonly timeoutMs?: number;
  readonly logger?: NetLogger;
}

interface Gathering {
  readonly height: bigint;
  readonly hash: Uint8Array;
  /** The set whose quorum certifies it: this era's, or the one before it for the handover block. */
  readonly members: readonly CertifierMember[];
  readonly need: number;
  readonly sigs: Map<string, Uint8Array>;
  done: boolean;
}

export class Certifier {
  readonly #o: CertifierOptions;
  readonly #byPeer = new Map<string, CertifierMember>();
  readonly #need: number;
  /** Applied blocks by hash (hex). */
  readonly #blocks = new Map<string, Gathering>();
  readonly #early = new Map<string, EarlySignature[]>();
  /** The handover block's signers by peer id (they may have left the set). */
  readonly #handoverByPeer = new Map<string, CertifierMember>();
  #running = false;
  #newest = 0n;

  constructor(options: CertifierOptions) {
    this.#o = options;
    for (const m of options.members) this.#byPeer.set(m.peer.id, m);
    for (const m of options.handover?.members ?? []) this.#handoverByPeer.set(m.peer.id, m);
    for (const [member, list] of options.early ?? []) this.#early.set(member, [...list]);
    this.#need = quorum(options.members.length);
  }

  start(): void {
    this.#running = true;
    this.#o.rpc.handle(CERT_METHOD, async (body, ctx) => this.#onSignature(body, ctx));
    const handover = this.#o.handover;
    // Only a member of the set before signs the handover block (a joining manager did not certify under it).
    if (handover !== undefined && handover.members.some((m) => m.peer.id === this.#o.rpc.self.id)) {
      this.#gather(handover.height, handover.hash, handover.members);
    }
  }

  /** The signatures held for blocks not applied here (the next era's certifier takes them over). */
  earlySignatures(): ReadonlyMap<string, readonly EarlySignature[]> {
    return this.#early;
  }

  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#o.rpc.unhandle(CERT_METHOD);
  }

  /** The certificate of a block this manager applied, once it has a quorum. */
  certificate(hash: Uint8Array): Certificate | undefined {
    const g = this.#blocks.get(toHex(hash));
    return g?.done === true ? this.#certificateOf(g) : undefined;
  }

  /** This manager applied `hash` at `height`: sign it, tell the members, and gather theirs. */
  applied(height: bigint, hash: Uint8Array): void {
    this.#gather(height, hash, this.#o.members);
  }

  #gather(height: bigint, hash: Uint8Array, members: readonly CertifierMember[]): void {
    const hex = toHex(hash);
    if (this.#blocks.has(hex)) return;
    const g: Gathering = { height, hash, members, need: members === this.#o.members ? this.#need : quorum(members.length), sigs: new Map(), done: false };
    this.#blocks.set(hex, g);
    if (height > this.#newest) this.#newest = height;
    const sig = this.#o.nodeKey.sign(certificateMessage(hash));
    this.#add(g, toHex(this.#o.nodeKey.publicKey.bytes), sig);
    const body = encodeCbor({ height, hash, sig });
    const self = this.#o.rpc.self.id;
    for (const m of members) {
      if (m.peer.id === self) continue;
      this.#o.rpc.request(m.peer, CERT_METHOD, body, { timeoutMs: this.#o.timeoutMs ?? 2_000 }).catch((err: unknown) => {
        if (this.#running) this.#o.logger?.debug({ err, peer: m.peer.id }, 'certificate signature not delivered');
      });
    }
    for (const [member, list] of this.#early) {
      const mine = list.filter((e) => e.hash === hex);
      if (mine.length === 0) continue;
      this.#early.set(member, list.filter((e) => e.hash !== hex));
      if (!members.some((m) => toHex(m.key) === member)) continue;
      for (const e of mine) this.#addChecked(g, member, e.sig);
    }
    this.#prune();
  }

  #onSignature(body: Uint8Array, ctx: RequestContext): Uint8Array {
    const member = this.#byPeer.get(ctx.peer) ?? this.#handoverByPeer.get(ctx.peer);
    if (member === undefined || ctx.peer === this.#o.rpc.self.id) throw new NetError('UNAUTHORIZED', 'not a member of this ring');
    let m: { height: bigint; hash: Uint8Array; sig: Uint8Array };
    try {
      m = certMessageSchema.parse(decodeCbor(body, { maxSize: 512 }), 'certificate signature');
    } catch (cause) {
      throw new NetError('BAD_REQUEST', `certificate signature: ${(cause as Error).message}`);
    }
    const keyHex = toHex(member.key);
    const g = this.#blocks.get(toHex(m.hash));
    // A signer counts only for a block its set certifies (one outside this era's set, for the handover block only).
    if (g !== undefined && !g.members.some((x) => x.peer.id === ctx.peer)) throw new NetError('UNAUTHORIZED', 'not a member of the set that certifies this block');
    if (g === undefined && !this.#byPeer.has(ctx.peer)) throw new NetError('UNAUTHORIZED', 'not a member of this ring');
    if (g !== undefined) {
      if (!this.#addChecked(g, keyHex, m.sig)) throw new NetError('BAD_REQUEST', 'the signature does not verify');
    } else if (m.height + KEEP_HEIGHTS > this.#newest) {
      const list = this.#early.get(keyHex) ?? [];
      list.push({ height: m.height, hash: toHex(m.hash), sig: m.sig });
      this.#early.set(keyHex, list.slice(-EARLY_PER_MEMBER));
    }
    return new Uint8Array(0);
  }

  #addChecked(g: Gathering, keyHex: string, sig: Uint8Array): boolean {
    if (g.sigs.has(keyHex)) return true;
    if (!ed25519Verify(Buffer.from(keyHex, 'hex'), certificateMessage(g.hash), sig)) return false;
    this.#add(g, keyHex, sig);
    return true;
  }

  #add(g: Gathering, keyHex: string, sig: Uint8Array): void {
    g.sigs.set(keyHex, sig);
    if (!g.done && g.sigs.size >= g.need) {
      g.done = true;
      this.#o.onCertified?.(g.height, g.hash, this.#certificateOf(g));
    }
  }

  /** In manager-set order, so every manager holding the same signatures builds the same certificate. */
  #certificateOf(g: Gathering): Certificate {
    const out: { member: Uint8Array; sig: Uint8Array }[] = [];
    for (const m of g.members) {
      const sig = g.sigs.get(toHex(m.key));
      if (sig !== undefined) out.push({ member: m.key, sig });
    }
    return out;
  }

  #prune(): void {
    const floor = this.#newest - KEEP_HEIGHTS;
    for (const [hex, g] of this.#blocks) if (g.height < floor) this.#blocks.delete(hex);
    for (const [member, list] of this.#early) this.#early.set(member, list.filter((e) => e.height >= floor));
  }
}
