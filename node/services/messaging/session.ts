/**
 * A client's end-to-end session with one peer: the handshake (handshake.ts) followed by the Double Ratchet
 * (ratchet.ts), with envelopes in and out and the whole state as canonical CBOR for the client to persist.
 *
 * A failed decrypt changes nothing, so a client may feed a session anything a relay hands it. The client persists
 * the state after every encrypt and decrypt (and the prekey secrets after `respond`): a state restored from an
 * older copy would reuse message keys. Routing: `decodeEnvelope(bytes).sessionId` names the session; an envelope
 * with a `start` and no session yet goes to `Session.respond`.
 */
import { bytesEqual, type RandomSource } from '../../crypto/index.ts';
import { s } from '../../wire/index.ts';
import { ServiceError } from '../errors.ts';
import { decodeWith, encodeValue } from './codec.ts';
import { decodeEnvelope, encodeEnvelope, MAX_PLAINTEXT_SIZE } from './envelope.ts';
import {
  initiateHandshake,
  respondHandshake,
  SESSION_ID_LENGTH,
  type SessionStart,
  sessionStartSchema,
  startId,
} from './handshake.ts';
import { messagingAddress, type MessagingIdentity, publicIdentitySchema, type PublicIdentity } from './identity.ts';
import type { PrekeySecrets } from './prekey-secrets.ts';
import { decodeBundle, type PrekeyBundle } from './prekeys.ts';
import { initReceiver, initSender, ratchetDecrypt, ratchetEncrypt } from './ratchet.ts';
import {
  MAX_SKIPPED_KEYS,
  ratchetStateFrom,
  ratchetStateSchema,
  ratchetStateValue,
  type RatchetState,
} from './ratchet-state.ts';

const MAX_STATE_SIZE = 8192 + MAX_SKIPPED_KEYS * 96;

const stateSchema = s.struct({
  v: s.literal(1),
  sid: s.bytes({ len: SESSION_ID_LENGTH }),
  ad: s.bytes({ len: 32 }),
  peer: publicIdentitySchema,
  r: ratchetStateSchema,
  start: s.optional(sessionStartSchema),
  startId: s.optional(s.bytes({ len: 32 })),
});

export interface SessionOptions {
  readonly random: RandomSource;
  /** Message keys one message may skip; at most (and by default) MAX_SKIP. */
  readonly maxSkip?: number;
}

export class Session {
  /** 16 bytes, carried by every envelope of the session. */
  readonly id: Uint8Array;
  /** The other party's identity, checked during the handshake. */
  readonly peer: PublicIdentity;
  readonly #ad: Uint8Array;
  readonly #options: SessionOptions;
  #ratchet: RatchetState;
  /** The initiator's session start, sent with every message until the first answer arrives. */
  #start: SessionStart | undefined;
  /** The responder's record of the start it accepted, so a repeat of it with altered bytes is refused. */
  readonly #startId: Uint8Array | undefined;

  private constructor(
    id: Uint8Array,
    peer: PublicIdentity,
    ad: Uint8Array,
    ratchet: RatchetState,
    start: SessionStart | undefined,
    acceptedStart: Uint8Array | undefined,
    options: SessionOptions,
  ) {
    this.id = id;
    this.peer = peer;
    this.#ad = ad;
    this.#ratchet = ratchet;
    this.#start = start;
    this.#startId = acceptedStart;
    this.#options = options;
  }

  /**
   * Starts a session with the owner of `peerAddress` from a bundle a directory handed out. BAD_SIGNATURE when the
   * bundle is forged or someone else's; MALFORMED / BAD_KEY for a bundle that does not decode or cannot be used.
   */
  static initiate(
    identity: MessagingIdentity,
    bundle: PrekeyBundle | Uint8Array,
    peerAddress: Uint8Array,
    options: SessionOptions,
  ): Session {
    const parsed = bundle instanceof Uint8Array ? decodeBundle(bundle) : bundle;
    const keys = initiateHandshake(identity, parsed, peerAddress, options.random);
    const ratchet = initSender(keys.sharedKey, keys.remoteRatchetKey, options.random);
    return new Session(keys.sessionId, keys.peer, keys.associatedData, ratchet, keys.start, undefined, options);
  }

  /**
   * Accepts a session start: the new session and the first message's plaintext. The one-time prekey it used is
   * consumed from `secrets` only once the message has opened. REPLAY (a start seen before), NOT_FOUND (its
   * prekey is not held: used, rotated out, never made), BAD_SIGNATURE, DECRYPT_FAILED, MALFORMED.
   */
  static respond(
    secrets: PrekeySecrets,
    envelope: Uint8Array,
    options: SessionOptions,
  ): { session: Session; plaintext: Uint8Array } {
    const message = decodeEnvelope(envelope);
    const start = message.start;
    if (start === undefined) throw new ServiceError('MALFORMED', 'envelope does not start a session');
    const id = startId(start);
    if (secrets.hasSeen(id)) throw new ServiceError('REPLAY', 'this session start was received before');
    const keys = respondHandshake(secrets, start);
    if (!bytesEqual(keys.sessionId, message.sessionId)) {
      throw new ServiceError('DECRYPT_FAILED', 'envelope session id does not match its start');
    }
    const first = ratchetDecrypt(
      initReceiver(keys.sharedKey, keys.ratchetSecret),
      message.header,
      message.ciphertext,
      keys.associatedData,
      options,
    );
    secrets.consume(start.spk, start.opk, id);
    const session = new Session(keys.sessionId, keys.peer, keys.associatedData, first.state, undefined, id, options);
    return { session, plaintext: first.plaintext };
  }

  /** A session from `serialize`'s bytes; MALFORMED when they are not a complete session state. */
  static restore(bytes: Uint8Array, options: SessionOptions): Session {
    const raw = decodeWith(bytes, MAX_STATE_SIZE, stateSchema, 'session state');
    const ratchet = ratchetStateFrom(raw.r);
    if (ratchet.cks === undefined || ratchet.dhr === undefined) {
      throw new ServiceError('MALFORMED', 'session state: a session has a sending chain and a remote ratchet key');
    }
    if (raw.start !== undefined && raw.startId !== undefined) {
      throw new ServiceError('MALFORMED', 'session state: a session is either the initiator or the responder');
    }
    return new Session(raw.sid, raw.peer, raw.ad, ratchet, raw.start, raw.startId, options);
  }

  get peerAddress(): Uint8Array {
    return messagingAddress(this.peer.sign);
  }

  /** True while the initiator has not heard back, so its messages still carry the session start. */
  get awaitingReply(): boolean {
    return this.#start !== undefined;
  }

  /** The envelope of one message. TOO_LARGE above MAX_PLAINTEXT_SIZE. */
  encrypt(plaintext: Uint8Array): Uint8Array {
    if (plaintext.length > MAX_PLAINTEXT_SIZE) {
      throw new ServiceError('TOO_LARGE', `a message holds at most ${MAX_PLAINTEXT_SIZE} bytes; send files as attachments`);
    }
    const out = ratchetEncrypt(this.#ratchet, plaintext, this.#ad);
    const envelope = encodeEnvelope({
      sessionId: this.id,
      header: out.header,
      ciphertext: out.ciphertext,
      ...(this.#start === undefined ? {} : { start: this.#start }),
    });
    this.#ratchet = out.state;
    return envelope;
  }

  /**
   * The plaintext of one envelope of this session. NOT_FOUND (another session's), REPLAY, TOO_MANY_SKIPPED,
   * DECRYPT_FAILED, BAD_KEY, MALFORMED; on any error the session is unchanged.
   */
  decrypt(envelope: Uint8Array): Uint8Array {
    const message = decodeEnvelope(envelope);
    if (!bytesEqual(message.sessionId, this.id)) throw new ServiceError('NOT_FOUND', 'envelope of another session');
    // A start is only ever the initiator's, and must be the very one the responder accepted: every byte counts.
    if (message.start !== undefined && (this.#startId === undefined || !bytesEqual(startId(message.start), this.#startId))) {
      throw new ServiceError('DECRYPT_FAILED', 'envelope carries a session start that is not this session\'s');
    }
    const out = ratchetDecrypt(this.#ratchet, message.header, message.ciphertext, this.#ad, this.#options);
    this.#ratchet = out.state;
    // Only the responder's messages come without a start; the first of them proves it holds the session.
    if (message.start === undefined) this.#start = undefined;
    return out.plaintext;
  }

  serialize(): Uint8Array {
    const value: Record<string, unknown> = {
      v: 1,
      sid: this.id,
      ad: this.#ad,
      peer: this.peer,
      r: ratchetStateValue(this.#ratchet),
    };
    if (this.#start !== undefined) value['start'] = this.#start;
    if (this.#startId !== undefined) value['startId'] = this.#startId;
    return encodeValue(value, 'session state');
  }
}
