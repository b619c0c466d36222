/**
 * The owner's side of the prekeys: the secrets behind what the directory publishes, kept on the client and
 * persisted with `serialize` (the bytes are secret). A one-time prekey's secret is deleted the moment a session
 * start that used it succeeds, which is what makes it one-time even against a relay that hands it out twice.
 *
 * The previous signed prekey is kept after a rotation so that session starts already in flight still open; the
 * handshakes seen on each kept signed prekey are remembered, so a replayed start that used no one-time prekey is
 * refused (REPLAY) for as long as its signed prekey lives.
 */
import { bytesEqual, KEM_SEED_LENGTH, KemKeyPair, type RandomSource } from '../../crypto/index.ts';
import { s } from '../../wire/index.ts';
import { ServiceError } from '../errors.ts';
import { decodeWith, encodeValue, wrapLower } from './codec.ts';
import { MessagingIdentity } from './identity.ts';
import { encodeUpload, MAX_PREKEY_ID, MAX_UPLOAD_PREKEYS, signPrekey, type SignedPrekey } from './prekeys.ts';

/** One-time prekey secrets held at most; the owner uploads more only while it holds fewer. */
export const MAX_HELD_PREKEYS = 1000;
/** Signed prekeys kept: the current one and the one before it. */
export const SIGNED_PREKEYS_KEPT = 2;
/** Session starts remembered (on the kept signed prekeys), oldest forgotten first. */
export const MAX_SEEN_HANDSHAKES = 1024;
const MAX_SECRETS_SIZE = 64 + MAX_HELD_PREKEYS * (KEM_SEED_LENGTH + 32) + MAX_SEEN_HANDSHAKES * 48 + 1024;

const heldSchema = s.struct({ id: s.uint({ max: MAX_PREKEY_ID }), seed: s.bytes({ len: KEM_SEED_LENGTH }) });
const secretsSchema = s.struct({
  v: s.literal(1),
  sign: s.bytes({ len: 32 }),
  dh: s.bytes({ len: 32 }),
  spks: s.array(heldSchema, { min: 1, max: SIGNED_PREKEYS_KEPT }),
  opks: s.array(heldSchema, { max: MAX_HELD_PREKEYS }),
  nextOpk: s.uint({ max: MAX_PREKEY_ID }),
  seen: s.array(s.struct({ spk: s.uint({ max: MAX_PREKEY_ID }), id: s.bytes({ len: 32 }) }), { max: MAX_SEEN_HANDSHAKES }),
});

interface Held {
  readonly id: number;
  readonly seed: Uint8Array;
}

export interface PrekeySecretsOptions {
  readonly random: RandomSource;
}

export class PrekeySecrets {
  readonly identity: MessagingIdentity;
  readonly #random: RandomSource;
  /** Current signed prekey first. */
  #signed: Held[];
  readonly #oneTime = new Map<number, Uint8Array>();
  #nextOneTime: number;
  #seen: { spk: number; id: Uint8Array }[];
  /** Key pairs rebuilt from seeds, by 's<id>' / 'o<id>' (an ML-KEM key generation costs milliseconds). */
  readonly #pairs = new Map<string, KemKeyPair>();

  private constructor(identity: MessagingIdentity, random: RandomSource, signed: Held[], nextOneTime: number) {
    this.identity = identity;
    this.#random = random;
    this.#signed = signed;
    this.#nextOneTime = nextOneTime;
    this.#seen = [];
  }

  /** Fresh secrets with a first signed prekey (id 1) and no one-time prekeys yet. */
  static create(identity: MessagingIdentity, options: PrekeySecretsOptions): PrekeySecrets {
    return new PrekeySecrets(identity, options.random, [{ id: 1, seed: options.random(KEM_SEED_LENGTH) }], 1);
  }

  static restore(bytes: Uint8Array, options: PrekeySecretsOptions): PrekeySecrets {
    const raw = decodeWith(bytes, MAX_SECRETS_SIZE, secretsSchema, 'prekey secrets');
    if (raw.spks.some((held, i) => i > 0 && held.id >= raw.spks[i - 1]!.id)) {
      throw new ServiceError('MALFORMED', 'prekey secrets: signed prekeys must be newest first');
    }
    const identity = MessagingIdentity.fromSecrets(raw.sign, raw.dh);
    const signed = raw.spks.map((h) => ({ id: h.id, seed: h.seed }));
    const secrets = new PrekeySecrets(identity, options.random, signed, raw.nextOpk);
    for (const held of raw.opks) {
      if (held.id >= raw.nextOpk || secrets.#oneTime.has(held.id)) {
        throw new ServiceError('MALFORMED', `prekey secrets: one-time prekey ${held.id} out of place`);
      }
      secrets.#oneTime.set(held.id, held.seed);
    }
    secrets.#seen = raw.seen.map((x) => ({ spk: x.spk, id: x.id }));
    return secrets;
  }

  serialize(): Uint8Array {
    const { signingSeed, dhSecret } = this.identity.secrets();
    return encodeValue(
      {
        v: 1,
        sign: signingSeed,
        dh: dhSecret,
        spks: this.#signed,
        opks: [...this.#oneTime].map(([id, seed]) => ({ id, seed })),
        nextOpk: this.#nextOneTime,
        seen: this.#seen,
      },
      'prekey secrets',
    );
  }

  get signedPrekeyId(): number {
    return this.#signed[0]!.id;
  }

  get oneTimeCount(): number {
    return this.#oneTime.size;
  }

  /** Makes `count` new one-time prekeys; returns the encoded upload (signed prekey + the new ones) to publish. */
  addOneTimePrekeys(count: number): Uint8Array {
    if (!Number.isSafeInteger(count) || count < 0 || count > MAX_UPLOAD_PREKEYS) {
      throw new ServiceError('TOO_LARGE', `an upload carries 0…${MAX_UPLOAD_PREKEYS} one-time prekeys`);
    }
    if (this.#oneTime.size + count > MAX_HELD_PREKEYS) {
      throw new ServiceError('PREKEYS_FULL', `at most ${MAX_HELD_PREKEYS} one-time prekeys are held`);
    }
    if (this.#nextOneTime + count > MAX_PREKEY_ID) throw new ServiceError('PREKEYS_FULL', 'one-time prekey ids exhausted');
    const published: SignedPrekey[] = [];
    for (let i = 0; i < count; i++) {
      const id = this.#nextOneTime++;
      const seed = this.#random(KEM_SEED_LENGTH);
      this.#oneTime.set(id, seed);
      published.push(signPrekey(this.identity, 'one-time', id, this.#pair(`o${id}`, seed).publicKey));
    }
    return this.#upload(published);
  }

  /** Replaces the signed prekey (the previous one stays for starts in flight); returns the upload to publish. */
  rotateSignedPrekey(): Uint8Array {
    const id = this.signedPrekeyId + 1;
    if (id > MAX_PREKEY_ID) throw new ServiceError('PREKEYS_FULL', 'signed prekey ids exhausted');
    this.#signed = [{ id, seed: this.#random(KEM_SEED_LENGTH) }, ...this.#signed].slice(0, SIGNED_PREKEYS_KEPT);
    const kept = new Set(this.#signed.map((h) => h.id));
    this.#seen = this.#seen.filter((x) => kept.has(x.spk));
    for (const key of [...this.#pairs.keys()]) {
      if (key.startsWith('s') && !kept.has(Number(key.slice(1)))) this.#pairs.delete(key);
    }
    return this.#upload([]);
  }

  /** The current signed prekey as published, without one-time prekeys (to publish to another directory). */
  upload(): Uint8Array {
    return this.#upload([]);
  }

  /** The key pair of a kept signed prekey; NOT_FOUND once rotated out. */
  signedPrekey(id: number): KemKeyPair {
    const held = this.#signed.find((h) => h.id === id);
    if (held === undefined) throw new ServiceError('NOT_FOUND', `signed prekey ${id} is not (or no longer) held`);
    return this.#pair(`s${id}`, held.seed);
  }

  /** The key pair of an unused one-time prekey; NOT_FOUND once used (or never made). */
  oneTimePrekey(id: number): KemKeyPair {
    const seed = this.#oneTime.get(id);
    if (seed === undefined) throw new ServiceError('NOT_FOUND', `one-time prekey ${id} is not held (used already?)`);
    return this.#pair(`o${id}`, seed);
  }

  hasSeen(startId: Uint8Array): boolean {
    return this.#seen.some((x) => bytesEqual(x.id, startId));
  }

  /** Records a successful session start: its one-time prekey secret is deleted and its id remembered. */
  consume(signedId: number, oneTimeId: number | undefined, startId: Uint8Array): void {
    if (oneTimeId !== undefined) {
      this.#pairs.delete(`o${oneTimeId}`);
      this.#oneTime.delete(oneTimeId);
    }
    this.#seen.push({ spk: signedId, id: Uint8Array.from(startId) });
    if (this.#seen.length > MAX_SEEN_HANDSHAKES) this.#seen.shift();
  }

  #pair(key: string, seed: Uint8Array): KemKeyPair {
    let pair = this.#pairs.get(key);
    if (pair === undefined) {
      pair = wrapLower('MALFORMED', 'prekey seed', () => KemKeyPair.fromSeed(seed));
      this.#pairs.set(key, pair);
    }
    return pair;
  }

  #upload(oneTime: readonly SignedPrekey[]): Uint8Array {
    const current = this.#signed[0]!;
    const signedPrekey = signPrekey(this.identity, 'signed', current.id, this.#pair(`s${current.id}`, current.seed).publicKey);
    return encodeUpload({ identity: this.identity.public, signedPrekey, oneTimePrekeys: oneTime });
  }
}
