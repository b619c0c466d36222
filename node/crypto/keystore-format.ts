/**
 * The keystore file format (SPEC §3): a wallet's entropy at rest, as JSON, version 1:
 *
 *   {
 *     "format": "ame-keystore",
 *     "version": 1,
 *     "scheme": "falcon" | "ecdsa",
 *     "address": "F…",                  // so `ame wallet show` needs no password
 *     "publicKey": "<hex>",             // must hash to address
 *     "created": "2026-11-24T10:00:00.000Z",
 *     "phraseShown": false,             // the phrase is shown once; not authenticated, it is a UI flag
 *     "encrypted": {                    // exactly one of "encrypted" and "plain"
 *       "kdf": "scrypt", "kdfParams": { "N": 131072, "r": 8, "p": 1, "salt": "<32 bytes hex>" },
 *       "cipher": "aes-256-gcm", "iv": "<12 bytes hex>",
 *       "ciphertext": "<32 bytes hex>", "tag": "<16 bytes hex>",
 *       "check": "<16 bytes hex>"       // tells a wrong password apart from a tampered file
 *     }
 *     "plain": { "entropy": "<32 bytes hex>" }   // headless device without a password; file mode 0600
 *   }
 *
 * This module checks the shape of a file and everything that needs no secret (the public key hashes to the
 * address; scrypt parameters are sane); keystore.ts does the cryptography.
 */
import { addressFromPublicKey } from './address.ts';
import { AmeError, CryptoError } from './errors.ts';
import { fromHex } from './hash.ts';
import { isScheme, publicKeyProblem, type Scheme } from './scheme.ts';
import { WALLET_ENTROPY_LENGTH } from './wallet.ts';

export const KEYSTORE_FORMAT = 'ame-keystore';
export const KEYSTORE_VERSION = 1;

export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** 2^17 · 8 · 128 bytes = 128 MiB and about 0.3–0.5 s on a Pi-class core: the usual interactive setting. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };
/** Only for tests: fast, and far too weak for real keystores. */
export const TEST_SCRYPT: ScryptParams = { N: 2 ** 10, r: 8, p: 1 };
/** A keystore demanding more than this is refused rather than allowed to exhaust memory. */
const MAX_SCRYPT_MEMORY = 1024 * 1024 * 1024;

export const SALT_LENGTH = 32;
export const IV_LENGTH = 12;
export const TAG_LENGTH = 16;
export const CHECK_LENGTH = 16;

export interface EncryptedSecret {
  readonly kdf: 'scrypt';
  readonly kdfParams: ScryptParams & { readonly salt: string };
  readonly cipher: 'aes-256-gcm';
  readonly iv: string;
  readonly ciphertext: string;
  readonly tag: string;
  readonly check: string;
}

export interface KeystoreHeader {
  readonly format: typeof KEYSTORE_FORMAT;
  readonly version: typeof KEYSTORE_VERSION;
  readonly scheme: Scheme;
  readonly address: string;
  readonly publicKey: string;
  readonly created: string;
  readonly phraseShown: boolean;
}

/** The parsed file. `encrypted` and `plain` are declared on both variants so `if (file.encrypted)` narrows. */
export type KeystoreFile = KeystoreHeader &
  (
    | { readonly encrypted: EncryptedSecret; readonly plain?: undefined }
    | { readonly plain: { readonly entropy: string }; readonly encrypted?: undefined }
  );

/** Why scrypt parameters are unacceptable, or undefined if they are fine. */
export function scryptParamsProblem({ N, r, p }: ScryptParams): string | undefined {
  if (!Number.isSafeInteger(N) || N < 2 || (N & (N - 1)) !== 0 || N > 2 ** 24) return 'N must be a power of two';
  if (!Number.isSafeInteger(r) || r < 1 || r > 64) return 'r must be an integer in 1..64';
  if (!Number.isSafeInteger(p) || p < 1 || p > 16) return 'p must be an integer in 1..16';
  if (128 * N * r * p > MAX_SCRYPT_MEMORY) return 'parameters need more than 1 GiB of memory';
  return undefined;
}

/** Two-space indented JSON with a final newline; field order is fixed by construction. */
export function serializeKeystore(keystore: KeystoreFile): string {
  return `${JSON.stringify(parseKeystore(keystore), null, 2)}\n`;
}

/** Validates text or an object as a version-1 keystore and returns a normalised copy. */
export function parseKeystore(input: KeystoreFile | string): KeystoreFile {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (cause) {
      throw new CryptoError('BAD_KEYSTORE', 'keystore is not valid JSON', { cause });
    }
  }
  try {
    return checkKeystore(value);
  } catch (error) {
    if (error instanceof AmeError && error.code !== 'BAD_ENCODING') throw error;
    throw new CryptoError('BAD_KEYSTORE', `malformed keystore: ${(error as Error).message}`, { cause: error });
  }
}

function field<T>(obj: Record<string, unknown>, name: string, check: (v: unknown) => v is T, what: string): T {
  const v = obj[name];
  if (!check(v)) throw new CryptoError('BAD_KEYSTORE', `malformed keystore: "${name}" must be ${what}`);
  return v;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isInt = (v: unknown): v is number => Number.isSafeInteger(v);

function checkKeystore(value: unknown): KeystoreFile {
  if (!isObject(value)) throw new CryptoError('BAD_KEYSTORE', 'keystore must be a JSON object');
  if (value.format !== KEYSTORE_FORMAT) throw new CryptoError('BAD_KEYSTORE', 'not an AME keystore ("format")');
  if (value.version !== KEYSTORE_VERSION) {
    throw new CryptoError('UNSUPPORTED', `keystore version ${JSON.stringify(value.version)} is not supported`);
  }
  const scheme = field(value, 'scheme', isScheme, 'falcon or ecdsa');
  const address = field(value, 'address', isString, 'a string');
  const publicKey = field(value, 'publicKey', isString, 'a hex string');
  const created = field(value, 'created', isString, 'an ISO 8601 time');
  if (Number.isNaN(Date.parse(created))) throw new CryptoError('BAD_KEYSTORE', '"created" is not a time');
  const phraseShown = field(value, 'phraseShown', isBool, 'true or false');
  const pk = fromHex(publicKey, 'publicKey');
  const problem = publicKeyProblem(scheme, pk);
  if (problem !== undefined) throw new CryptoError('BAD_KEYSTORE', problem);
  if (addressFromPublicKey(scheme, pk) !== address) {
    throw new CryptoError('BAD_KEYSTORE', 'keystore public key does not hash to its address: the file was altered');
  }
  const header: KeystoreHeader = {
    format: KEYSTORE_FORMAT,
    version: KEYSTORE_VERSION,
    scheme,
    address,
    publicKey: publicKey.toLowerCase(),
    created,
    phraseShown,
  };

  if ((value.encrypted === undefined) === (value.plain === undefined)) {
    throw new CryptoError('BAD_KEYSTORE', 'keystore must have exactly one of "encrypted" and "plain"');
  }
  if (value.plain !== undefined) {
    const plain = field(value, 'plain', isObject, 'an object');
    const entropy = field(plain, 'entropy', isString, 'a hex string');
    fromHex(entropy, 'entropy', WALLET_ENTROPY_LENGTH);
    return { ...header, plain: { entropy: entropy.toLowerCase() } };
  }
  const enc = field(value, 'encrypted', isObject, 'an object');
  if (enc.kdf !== 'scrypt') throw new CryptoError('UNSUPPORTED', `key derivation ${JSON.stringify(enc.kdf)}`);
  if (enc.cipher !== 'aes-256-gcm') throw new CryptoError('UNSUPPORTED', `cipher ${JSON.stringify(enc.cipher)}`);
  const kp = field(enc, 'kdfParams', isObject, 'an object');
  const params: ScryptParams = {
    N: field(kp, 'N', isInt, 'an integer'),
    r: field(kp, 'r', isInt, 'an integer'),
    p: field(kp, 'p', isInt, 'an integer'),
  };
  const paramsProblem = scryptParamsProblem(params);
  if (paramsProblem !== undefined) throw new CryptoError('BAD_KEYSTORE', `scrypt ${paramsProblem}`);
  const hex = (obj: Record<string, unknown>, name: string, length: number): string => {
    const text = field(obj, name, isString, 'a hex string');
    fromHex(text, name, length);
    return text.toLowerCase();
  };
  const encrypted: EncryptedSecret = {
    kdf: 'scrypt',
    kdfParams: { ...params, salt: hex(kp, 'salt', SALT_LENGTH) },
    cipher: 'aes-256-gcm',
    iv: hex(enc, 'iv', IV_LENGTH),
    ciphertext: hex(enc, 'ciphertext', WALLET_ENTROPY_LENGTH),
    tag: hex(enc, 'tag', TAG_LENGTH),
    check: hex(enc, 'check', CHECK_LENGTH),
  };
  return { ...header, encrypted };
}
