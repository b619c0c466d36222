/**
 * Keystore cryptography (format: keystore-format.ts). scrypt yields 64 bytes: the first 32 are the AES-256-GCM key,
 * the last 32 feed `check` = first 16 bytes of SHA-256('AME-KEYSTORE-v1 check' ‖ 0x00 ‖ dk[32..64]), which tells a
 * wrong password apart from a tampered file; guessing passwords against it costs the same scrypt as guessing against
 * the GCM tag, so it gives nothing away. The GCM associated data binds every header field except phraseShown:
 * AAD = 'AME-KEYSTORE-v1' ‖ 0x00 ‖ JSON of [format, version, scheme, address, publicKey, created, kdf, N, r, p, salt,
 * cipher]. After decrypting (or reading a plain file), the key is re-derived and must give the stored public key and
 * address, so an edited plain file is caught too.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import { CryptoError } from './errors.ts';
import { bytesEqual, domainSeparated, fromHex, sha256, toHex, utf8, type RandomSource } from './hash.ts';
import {
  CHECK_LENGTH,
  DEFAULT_SCRYPT,
  IV_LENGTH,
  KEYSTORE_FORMAT,
  KEYSTORE_VERSION,
  parseKeystore,
  SALT_LENGTH,
  scryptParamsProblem,
  TAG_LENGTH,
  type EncryptedSecret,
  type KeystoreFile,
  type KeystoreHeader,
  type ScryptParams,
} from './keystore-format.ts';
import type { Scheme } from './scheme.ts';
import { Wallet } from './wallet.ts';

const AAD_TAG = 'AME-KEYSTORE-v1';
const CHECK_TAG = 'AME-KEYSTORE-v1 check';

/** What `ame wallet show` prints; available without the password. */
export interface KeystorePublic {
  readonly scheme: Scheme;
  readonly address: string;
  readonly publicKey: Uint8Array;
  readonly publicKeyHex: string;
  readonly created: string;
  readonly phraseShown: boolean;
  readonly encrypted: boolean;
}

export interface EncodeKeystoreOptions {
  /** Omit for a plain keystore (headless device without a password). */
  readonly password?: string;
  /** DEFAULT_SCRYPT unless given; tests pass TEST_SCRYPT. */
  readonly scrypt?: ScryptParams;
  readonly random?: RandomSource;
  readonly phraseShown?: boolean;
}

function deriveKey(password: string, salt: Uint8Array, params: ScryptParams): Promise<Uint8Array> {
  const { N, r, p } = params;
  // node:crypto refuses anything above maxmem (32 MiB by default), so allow what these parameters need.
  const maxmem = 128 * N * r * p + 2 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(utf8(password.normalize('NFC')), salt, 64, { N, r, p, maxmem }, (error, key) => {
      if (error) reject(new CryptoError('BAD_KEYSTORE', `scrypt failed: ${error.message}`, { cause: error }));
      else resolve(new Uint8Array(key));
    });
  });
}

function passwordCheck(derived: Uint8Array): Uint8Array {
  return sha256(domainSeparated(CHECK_TAG, derived.subarray(32))).subarray(0, CHECK_LENGTH);
}

function associatedData(header: KeystoreHeader, secret: EncryptedSecret): Uint8Array {
  const { format, version, scheme, address, publicKey, created } = header;
  const { kdf, kdfParams, cipher } = secret;
  const fields: (string | number)[] = [format, version, scheme, address, publicKey, created, kdf];
  fields.push(kdfParams.N, kdfParams.r, kdfParams.p, kdfParams.salt, cipher);
  return domainSeparated(AAD_TAG, utf8(JSON.stringify(fields)));
}

/** A keystore for `wallet`; `nowMs` (unix ms) becomes `created`. Encrypts when a password is given. */
export async function encodeKeystore(
  wallet: Wallet,
  options: EncodeKeystoreOptions,
  nowMs: number,
): Promise<KeystoreFile> {
  const account = wallet.account;
  const header: KeystoreHeader = {
    format: KEYSTORE_FORMAT,
    version: KEYSTORE_VERSION,
    scheme: wallet.scheme,
    address: account.address,
    publicKey: toHex(account.publicKey),
    created: new Date(nowMs).toISOString(),
    phraseShown: options.phraseShown ?? false,
  };
  if (options.password === undefined) return { ...header, plain: { entropy: toHex(wallet.entropy()) } };
  if (options.password === '') throw new CryptoError('BAD_PASSWORD', 'password must not be empty');

  const params = options.scrypt ?? DEFAULT_SCRYPT;
  const problem = scryptParamsProblem(params);
  if (problem !== undefined) throw new CryptoError('BAD_KEYSTORE', `scrypt ${problem}`);
  const random = options.random ?? randomBytes;
  const salt = random(SALT_LENGTH);
  const iv = random(IV_LENGTH);
  const derived = await deriveKey(options.password, salt, params);
  const secretShape: EncryptedSecret = {
    kdf: 'scrypt',
    kdfParams: { N: params.N, r: params.r, p: params.p, salt: toHex(salt) },
    cipher: 'aes-256-gcm',
    iv: toHex(iv),
    ciphertext: '',
    tag: '',
    check: toHex(passwordCheck(derived)),
  };
  const cipher = createCipheriv('aes-256-gcm', derived.subarray(0, 32), iv, { authTagLength: TAG_LENGTH });
  cipher.setAAD(associatedData(header, secretShape));
  const ciphertext = Buffer.concat([cipher.update(wallet.entropy()), cipher.final()]);
  const encrypted = { ...secretShape, ciphertext: toHex(ciphertext), tag: toHex(cipher.getAuthTag()) };
  return { ...header, encrypted };
}

/**
 * Decrypts and re-derives the wallet. BAD_PASSWORD for a missing or wrong password, BAD_KEYSTORE for a file that
 * is malformed or was altered, UNSUPPORTED for a newer version.
 */
export async function unlockKeystore(keystore: KeystoreFile | string, password?: string): Promise<Wallet> {
  const ks = parseKeystore(keystore);
  let entropy: Uint8Array;
  if (ks.encrypted !== undefined) {
    if (password === undefined || password === '') {
      throw new CryptoError('BAD_PASSWORD', 'this keystore is encrypted: a password is needed');
    }
    entropy = await decryptSecret(ks, ks.encrypted, password);
  } else {
    entropy = fromHex(ks.plain.entropy, 'entropy');
  }
  const wallet = Wallet.fromEntropy(entropy, ks.scheme);
  const account = wallet.account;
  if (account.address !== ks.address || toHex(account.publicKey) !== ks.publicKey) {
    throw new CryptoError('BAD_KEYSTORE', 'keystore secret does not belong to its address: the file was altered');
  }
  return wallet;
}

async function decryptSecret(
  header: KeystoreHeader,
  secret: EncryptedSecret,
  password: string,
): Promise<Uint8Array> {
  const derived = await deriveKey(password, fromHex(secret.kdfParams.salt), secret.kdfParams);
  if (!bytesEqual(passwordCheck(derived), fromHex(secret.check))) {
    throw new CryptoError('BAD_PASSWORD', 'wrong password (or the key-derivation parameters were altered)');
  }
  const decipher = createDecipheriv('aes-256-gcm', derived.subarray(0, 32), fromHex(secret.iv), {
    authTagLength: TAG_LENGTH,
  });
  decipher.setAAD(associatedData(header, secret));
  decipher.setAuthTag(fromHex(secret.tag));
  try {
    return new Uint8Array(Buffer.concat([decipher.update(fromHex(secret.ciphertext)), decipher.final()]));
  } catch (cause) {
    throw new CryptoError('BAD_KEYSTORE', 'keystore header or ciphertext was altered (authentication failed)', {
      cause,
    });
  }
}

/** The public part, without a password. Validates the whole file as parseKeystore does. */
export function decodeKeystorePublic(keystore: KeystoreFile | string): KeystorePublic {
  const ks = parseKeystore(keystore);
  return {
    scheme: ks.scheme,
    address: ks.address,
    publicKey: fromHex(ks.publicKey),
    publicKeyHex: ks.publicKey,
    created: ks.created,
    phraseShown: ks.phraseShown,
    encrypted: ks.encrypted !== undefined,
  };
}

/** The same keystore with the phrase marked as shown (the flag is outside the authenticated data). */
export function markPhraseShown(keystore: KeystoreFile | string): KeystoreFile {
  return { ...parseKeystore(keystore), phraseShown: true };
}
