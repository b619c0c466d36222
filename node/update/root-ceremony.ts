/**
 * Offline root keys (TUF §6.1: the root role's keys never touch an online machine). A new root is a draft with no
 * signatures, carried from machine to machine; each root-key holder adds their signature where their key lives;
 * when a threshold of the previous root's root keys and of the draft's own have signed, the root is complete and
 * the online side installs it (RootKeeper.adopt / install). Pure: keys in, bytes out.
 */
import { Ed25519PublicKey, type Ed25519KeyPair } from '../crypto/index.ts';
import { type CborValue, encodeCbor } from '../wire/index.ts';
import { UpdateError } from './errors.ts';
import { checkThreshold, decodeDocument, type Signature } from './metadata.ts';
import { keyIdOf, parseSigned, type Repository, type RootSigned, SPEC_VERSION } from './roles.ts';

/** One role of a draft: public keys only (the root role's private keys stay offline). */
export interface PublicRole {
  readonly keys: readonly Uint8Array[];
  readonly threshold: number;
}

export interface RootDraft {
  readonly repository: Repository;
  readonly version: number;
  readonly expires: number;
  readonly roles: Readonly<Record<string, PublicRole>>;
}

/** The unsigned root document: what every root-key holder signs. MALFORMED when the roles do not make a root. */
export function draftRoot(draft: RootDraft): Uint8Array {
  const keys: Record<string, RootSigned['keys'][string]> = {};
  const roles: Record<string, RootSigned['roles'][string]> = {};
  for (const [name, role] of Object.entries(draft.roles)) {
    const keyids = role.keys.map((key) => {
      new Ed25519PublicKey(key); // throws on bytes that are not a public key
      return keyIdOf(key);
    });
    role.keys.forEach((key, i) => (keys[keyids[i]!] = { scheme: 'ed25519', public: key }));
    roles[name] = { keyids, threshold: role.threshold };
  }
  const signed: RootSigned = { type: 'root', spec: SPEC_VERSION, repository: draft.repository, version: draft.version, expires: draft.expires, keys, roles };
  parseSigned('root', signed, `${draft.repository} root draft v${draft.version}`);
  return encodeCbor({ signed: signed as unknown as CborValue, signatures: [] });
}

/**
 * Adds `key`'s signature to a root document (draft or partly signed). The key must be a root key of the document
 * itself or of `previous` (the root it follows) — no other signature can count. Signing twice is a no-op.
 */
export function signRoot(bytes: Uint8Array, key: Ed25519KeyPair, previous?: Uint8Array): Uint8Array {
  const doc = decodeDocument('root', bytes);
  const keyid = keyIdOf(key.publicKey.bytes);
  const rootKeysOf = (signed: RootSigned) => signed.roles.root?.keyids ?? [];
  const allowed = new Set([...rootKeysOf(doc.signed), ...(previous === undefined ? [] : rootKeysOf(decodeDocument('root', previous).signed))]);
  if (!allowed.has(keyid)) {
    throw new UpdateError('BAD_ARGUMENT', `key ${keyid.slice(0, 16)}… is not a root key of ${doc.signed.repository} root v${doc.signed.version}${previous === undefined ? '' : ' or of the root before it'}`);
  }
  if (doc.signatures.some((s) => s.keyid === keyid)) return bytes;
  const signatures: Signature[] = [...doc.signatures, { keyid, sig: key.sign(doc.message) }];
  return encodeCbor({ signed: doc.signed as unknown as CborValue, signatures: signatures.map((s) => ({ keyid: s.keyid, sig: s.sig })) });
}

/** How far a root is from complete: the valid root-key signatures it has under itself and under `previous`. */
export interface RootProgress {
  readonly version: number;
  readonly own: { readonly signed: number; readonly threshold: number };
  readonly previous: { readonly signed: number; readonly threshold: number } | null;
  readonly complete: boolean;
}

export function rootProgress(bytes: Uint8Array, previous?: Uint8Array): RootProgress {
  const doc = decodeDocument('root', bytes);
  const count = (root: RootSigned) => {
    const listed = new Set(root.roles.root?.keyids ?? []);
    const valid = new Set(
      doc.signatures
        .filter((s) => listed.has(s.keyid) && root.keys[s.keyid] !== undefined && new Ed25519PublicKey(root.keys[s.keyid]!.public).verify(doc.message, s.sig))
        .map((s) => s.keyid),
    );
    return { signed: valid.size, threshold: root.roles.root?.threshold ?? 1 };
  };
  const own = count(doc.signed);
  const before = previous === undefined ? null : count(decodeDocument('root', previous).signed);
  return { version: doc.signed.version, own, previous: before, complete: own.signed >= own.threshold && (before === null || before.signed >= before.threshold) };
}

/**
 * Throws unless `bytes` is the complete next root after `previous` (or a complete version 1 without one): the next
 * version, the same repository, a threshold of both root key sets. ROLLBACK, MALFORMED, THRESHOLD, BAD_SIGNATURE.
 */
export function checkNextRoot(bytes: Uint8Array, previous: Uint8Array | undefined, repository: Repository): RootSigned {
  const doc = decodeDocument('root', bytes, `${repository} root`);
  const what = `${repository} root v${doc.signed.version}`;
  if (doc.signed.repository !== repository) throw new UpdateError('MALFORMED', `${what}: is a root of the ${doc.signed.repository} repository`);
  if (previous === undefined) {
    if (doc.signed.version !== 1) throw new UpdateError('MALFORMED', `${what}: the first root must be version 1`);
  } else {
    const before = decodeDocument('root', previous, `${repository} root`).signed;
    if (doc.signed.version !== before.version + 1) {
      throw new UpdateError(doc.signed.version <= before.version ? 'ROLLBACK' : 'MALFORMED', `${what}: the next root must be version ${before.version + 1}`);
    }
    checkThreshold(doc, before, 'root', `${what} under root v${before.version}`);
  }
  checkThreshold(doc, doc.signed, 'root', `${what} under its own keys`);
  return doc.signed;
}
