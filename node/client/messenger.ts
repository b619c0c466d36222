/**
 * A client's end-to-end messaging state on disk (SPEC §3 "End-to-end messages"): its identity and prekey secrets,
 * its sessions, and the messages it already opened. Workers only ever see what `seal` returns.
 *
 *   messaging/prekeys.bin     PrekeySecrets (identity keys included), canonical CBOR (mode 0600)
 *   messaging/sessions.json   one entry per session: id, peer address, ratchet state (hex CBOR; mode 0600)
 *   messaging/received.json   messages opened but not yet acknowledged at the worker (mode 0600)
 *
 * Why `received.json`: a Double Ratchet message opens once (its key is deleted, a second try is a REPLAY), but
 * the worker keeps it until it is acknowledged; a listing that does not acknowledge must still show it next time.
 * Order of writes: an opened message is recorded before the session state that consumed its key, and a session
 * state is saved before its envelope leaves, so a crash never reuses a message key nor loses a plaintext.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesEqual, fromHex, sha256, toHex } from '../crypto/index.ts';
import {
  decodeBundle,
  decodeContent,
  decodeEnvelope,
  decodeUpload,
  encodeBundle,
  encodeContent,
  MessagingIdentity,
  PrekeySecrets,
  Session,
  verifyBundle,
} from '../services/messaging/index.ts';
import { ClientError } from './errors.ts';
import { isHex, readJson, SECRET_MODE, writeFileAtomic, writeJson } from './json-file.ts';

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

interface SessionEntry {
  readonly id: string;
  readonly peer: string;
  readonly state: string;
}

export interface OpenedMessage {
  readonly seq: number;
  /** The sender's messaging address (hex), as the handshake authenticated it. */
  readonly from?: string;
  readonly text?: string;
  /** Why the envelope did not open (a typed error's code and message). */
  readonly error?: string;
}

interface ReceivedEntry {
  readonly worker: string;
  readonly seq: number;
  readonly hash: string;
  readonly from: string;
  readonly text: string;
}

export class Messenger {
  readonly #dir: string;
  readonly #secrets: PrekeySecrets;
  #sessions: SessionEntry[];

  private constructor(dir: string, secrets: PrekeySecrets, sessions: SessionEntry[]) {
    this.#dir = dir;
    this.#secrets = secrets;
    this.#sessions = sessions;
  }

  /** The messaging state in `dir`; a new identity (and signed prekey) the first time. */
  static open(dir: string): Messenger {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const prekeys = join(dir, 'prekeys.bin');
    let secrets: PrekeySecrets;
    if (existsSync(prekeys)) {
      secrets = PrekeySecrets.restore(new Uint8Array(readFileSync(prekeys)), { random });
    } else {
      secrets = PrekeySecrets.create(MessagingIdentity.generate(random), { random });
      writeFileAtomic(prekeys, secrets.serialize(), SECRET_MODE);
    }
    const path = join(dir, 'sessions.json');
    const raw = readJson(path) as { sessions?: SessionEntry[] } | undefined;
    const sessions = raw?.sessions ?? [];
    if (!Array.isArray(sessions) || !sessions.every((s) => isHex(s?.id, 16) && isHex(s.peer, 32) && isHex(s.state))) {
      throw new ClientError('BAD_STATE', `${path}: not a list of sessions`);
    }
    return new Messenger(dir, secrets, sessions);
  }

  /** The messaging address (mailbox and prekeys live under it). */
  get address(): Uint8Array {
    return this.#secrets.identity.address;
  }

  get identity(): MessagingIdentity {
    return this.#secrets.identity;
  }

  /**
   * A prekey bundle for a peer to start a session with: the identity and the signed prekey, no one-time prekey —
   * the bundle is handed over as a file that may be used more than once, and a one-time prekey used twice would
   * make the second start fail (its secret is gone). PQXDH allows a start on the signed prekey alone.
   */
  bundle(): Uint8Array {
    const upload = decodeUpload(this.#secrets.upload());
    return encodeBundle({ identity: upload.identity, signedPrekey: upload.signedPrekey });
  }

  /** Whether a session with the owner of `peer` exists (so no bundle is needed). */
  hasSession(peer: Uint8Array): boolean {
    return this.#sessions.some((s) => s.peer === toHex(peer));
  }

  /**
   * The envelope carrying `text` to the owner of `to`: on the latest session with it, or on a new one started from
   * `bundle` (checked to be `to`'s). NO_SESSION when there is neither.
   */
  seal(to: Uint8Array, text: string, bundle?: Uint8Array): Uint8Array {
    const peer = toHex(to);
    const entry = this.#sessions.findLast((s) => s.peer === peer);
    let session: Session;
    if (entry !== undefined) {
      session = Session.restore(fromHex(entry.state), { random });
    } else if (bundle !== undefined) {
      const parsed = decodeBundle(bundle);
      verifyBundle(parsed, to);
      session = Session.initiate(this.#secrets.identity, parsed, to, { random });
    } else {
      throw new ClientError('NO_SESSION', `no session with ${peer} yet: pass the prekey bundle its owner exported (--bundle FILE)`);
    }
    const envelope = session.encrypt(encodeContent({ text, attachments: [] }));
    this.#saveSession(session);
    return envelope;
  }

  /** Opens the items of `worker`'s mailbox (oldest first); what was opened before comes from received.json. */
  open(worker: string, items: readonly { seq: number; envelope: Uint8Array }[]): OpenedMessage[] {
    const received = this.#received();
    const out: OpenedMessage[] = [];
    for (const item of items) {
      const hash = toHex(sha256(item.envelope));
      const known = received.find((r) => r.hash === hash);
      if (known !== undefined) {
        out.push({ seq: item.seq, from: known.from, text: known.text });
        continue;
      }
      try {
        const { session, plaintext, started } = this.#decrypt(item.envelope);
        const entry = { worker, seq: item.seq, hash, from: toHex(session.peerAddress), text: decodeContent(plaintext).text };
        received.push(entry);
        this.#saveReceived(received);
        this.#saveSession(session);
        if (started) writeFileAtomic(join(this.#dir, 'prekeys.bin'), this.#secrets.serialize(), SECRET_MODE);
        out.push({ seq: item.seq, from: entry.from, text: entry.text });
      } catch (error) {
        // Anyone may pay to deposit into a mailbox: what does not open is reported, not fatal.
        const code = (error as { code?: unknown }).code;
        if (typeof code !== 'string') throw error;
        out.push({ seq: item.seq, error: `${code}: ${(error as Error).message}` });
      }
    }
    return out;
  }

  /** Forgets the opened copies of messages acknowledged at `worker`. */
  forget(worker: string, seqs: readonly number[]): void {
    const left = this.#received().filter((r) => !(r.worker === worker && seqs.includes(r.seq)));
    this.#saveReceived(left);
  }

  #decrypt(envelope: Uint8Array): { session: Session; plaintext: Uint8Array; started: boolean } {
    const sessionId = decodeEnvelope(envelope).sessionId;
    const entry = this.#sessions.find((s) => bytesEqual(fromHex(s.id), sessionId));
    if (entry !== undefined) {
      const session = Session.restore(fromHex(entry.state), { random });
      return { session, plaintext: session.decrypt(envelope), started: false };
    }
    const { session, plaintext } = Session.respond(this.#secrets, envelope, { random });
    return { session, plaintext, started: true };
  }

  /** Saves one session's state, as the most recently used (sending picks the latest session with a peer). */
  #saveSession(session: Session): void {
    const id = toHex(session.id);
    const entry = { id, peer: toHex(session.peerAddress), state: toHex(session.serialize()) };
    this.#sessions = [...this.#sessions.filter((s) => s.id !== id), entry];
    writeJson(join(this.#dir, 'sessions.json'), { sessions: this.#sessions }, SECRET_MODE);
  }

  #received(): ReceivedEntry[] {
    const raw = readJson(join(this.#dir, 'received.json')) as { received?: ReceivedEntry[] } | undefined;
    return Array.isArray(raw?.received) ? raw.received.filter((r) => isHex(r?.hash, 32)) : [];
  }

  #saveReceived(received: readonly ReceivedEntry[]): void {
    writeJson(join(this.#dir, 'received.json'), { received }, SECRET_MODE);
  }
}
