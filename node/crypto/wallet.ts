/**
 * Wallets (SPEC §3): 32 bytes of entropy, backed up as a 24-word BIP-39 English phrase. The account key is derived
 * from the entropy, never from the BIP-39 seed (no PBKDF2 passphrase stretching is needed, the entropy is already
 * uniform), so the phrase alone restores the address:
 *
 *   Falcon-512 keygen seed = HKDF-SHA-256(ikm = entropy, salt = empty, info = 'AME wallet falcon-512 v1', 48 bytes)
 *   secp256k1 secret       = HKDF-SHA-256(ikm = entropy, salt = empty, info = 'AME wallet secp256k1 v1', 48 bytes)
 *                            reduced to [1, n−1] as (x mod (n−1)) + 1, FIPS 186-5 A.2.1; the 16 extra bytes keep
 *                            the modulo bias below 2^-128, and no retry loop is needed.
 *
 * The labels carry a version so a future derivation can coexist with wallets made by this one.
 */
import { randomBytes } from 'node:crypto';
import { entropyToMnemonic, mnemonicToEntropy } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { CryptoError } from './errors.ts';
import { hkdfSha256, type RandomSource } from './hash.ts';
import { ecdsaAccountKey, FALCON_SEED_LENGTH, falconAccountKey, type AccountKey } from './keys.ts';
import { assertScheme, type Scheme } from './scheme.ts';

export const WALLET_ENTROPY_LENGTH = 32;
export const PHRASE_WORD_COUNT = 24;
export const FALCON_DERIVATION_INFO = 'AME wallet falcon-512 v1';
export const SECP256K1_DERIVATION_INFO = 'AME wallet secp256k1 v1';
const SECP256K1_DERIVATION_LENGTH = 48;

const WORDS = new Set(wordlist);

/** The account key of `scheme` that `entropy` stands for. Falcon takes ~160 ms; callers cache the result. */
export function deriveAccountKey(scheme: Scheme, entropy: Uint8Array): AccountKey {
  if (entropy.length !== WALLET_ENTROPY_LENGTH) {
    throw new CryptoError('BAD_KEY', `wallet entropy must be ${WALLET_ENTROPY_LENGTH} bytes, got ${entropy.length}`);
  }
  const salt = new Uint8Array(0);
  if (scheme === 'falcon') {
    return falconAccountKey(hkdfSha256(entropy, salt, FALCON_DERIVATION_INFO, FALCON_SEED_LENGTH));
  }
  const wide = hkdfSha256(entropy, salt, SECP256K1_DERIVATION_INFO, SECP256K1_DERIVATION_LENGTH);
  return ecdsaAccountKey(secp256k1.utils.randomSecretKey(wide));
}

/**
 * The 32 bytes a phrase stands for. Words are matched case-insensitively and may be separated by any whitespace.
 * BAD_PHRASE names the problem: word count, the first unknown word, or the checksum.
 */
export function phraseToEntropy(phrase: string): Uint8Array {
  if (typeof phrase !== 'string') throw new CryptoError('BAD_PHRASE', 'backup phrase must be text');
  const words = phrase.normalize('NFKD').trim().toLowerCase().split(/\s+/u).filter((w) => w !== '');
  if (words.length !== PHRASE_WORD_COUNT) {
    throw new CryptoError('BAD_PHRASE', `backup phrase must have ${PHRASE_WORD_COUNT} words, got ${words.length}`);
  }
  const unknown = words.findIndex((w) => !WORDS.has(w));
  if (unknown >= 0) {
    throw new CryptoError(
      'BAD_PHRASE',
      `word ${unknown + 1} (${JSON.stringify(words[unknown])}) is not in the BIP-39 English word list`,
    );
  }
  try {
    return mnemonicToEntropy(words.join(' '), wordlist);
  } catch (cause) {
    throw new CryptoError(
      'BAD_PHRASE',
      'backup phrase checksum does not match: a word is wrong or two words are swapped',
      { cause },
    );
  }
}

export class Wallet {
  readonly scheme: Scheme;
  readonly #entropy: Uint8Array;
  #account: AccountKey | undefined;

  private constructor(scheme: Scheme, entropy: Uint8Array) {
    this.scheme = assertScheme(scheme);
    if (entropy.length !== WALLET_ENTROPY_LENGTH) {
      throw new CryptoError('BAD_KEY', `wallet entropy must be ${WALLET_ENTROPY_LENGTH} bytes, got ${entropy.length}`);
    }
    this.#entropy = Uint8Array.from(entropy);
  }

  /** A new wallet; Falcon is the default (SPEC §3). `random` is injectable for deterministic tests. */
  static generate(scheme: Scheme = 'falcon', random: RandomSource = randomBytes): Wallet {
    return new Wallet(scheme, random(WALLET_ENTROPY_LENGTH));
  }

  static fromEntropy(entropy: Uint8Array, scheme: Scheme): Wallet {
    return new Wallet(scheme, entropy);
  }

  /** Restores a wallet from its 24-word phrase. The phrase does not record the scheme, so the caller names it. */
  static fromPhrase(phrase: string, scheme: Scheme): Wallet {
    return new Wallet(scheme, phraseToEntropy(phrase));
  }

  /** The account key, derived on first use (a Falcon key generation costs ~160 ms). */
  get account(): AccountKey {
    this.#account ??= deriveAccountKey(this.scheme, this.#entropy);
    return this.#account;
  }

  /** The 24-word backup phrase. */
  phrase(): string {
    return entropyToMnemonic(this.#entropy, wordlist);
  }

  /** A copy of the 32 secret bytes; whoever persists them must encrypt them or keep the file private. */
  entropy(): Uint8Array {
    return Uint8Array.from(this.#entropy);
  }
}
