/** The public API of node/crypto. Other layers import from here, not from the individual modules. */
export { AmeError, CryptoError, type CryptoErrorCode } from './errors.ts';
export {
  ED25519_PUBLIC_KEY_LENGTH,
  ED25519_SEED_LENGTH,
  ED25519_SIGNATURE_LENGTH,
  Ed25519KeyPair,
  Ed25519PublicKey,
} from './node-key.ts';
export {
  bytesEqual,
  concatBytes,
  domainSeparated,
  fromHex,
  HASH160_LENGTH,
  hash160,
  hkdfSha256,
  type RandomSource,
  SHA256_LENGTH,
  sha256,
  sha256d,
  toHex,
  u64be,
  utf8,
} from './hash.ts';
export {
  BASE58_ALPHABET,
  decodeBase58,
  decodeBase58Check,
  encodeBase58,
  encodeBase58Check,
} from './base58check.ts';
export {
  ADDRESS_VERSION,
  assertPublicKey,
  assertScheme,
  FALCON512_PUBLIC_KEY_HEADER,
  isScheme,
  PUBLIC_KEY_LENGTH,
  type Scheme,
  SCHEMES,
} from './scheme.ts';
export {
  ADDRESS_LENGTH,
  ADDRESS_LETTER,
  addressFromHash160,
  addressFromPublicKey,
  addressMatchesKey,
  FALCON_PREFIX,
  type ParsedAddress,
  parseAddress,
  toFalconForm,
} from './address.ts';
export {
  type AccountKey,
  ECDSA_SECRET_KEY_LENGTH,
  ECDSA_SIGNATURE_LENGTH,
  ecdsaAccountKey,
  FALCON_MAX_SIGNATURE_LENGTH,
  FALCON_SEED_LENGTH,
  falconAccountKey,
  verifySignature,
} from './keys.ts';
export {
  deriveAccountKey,
  FALCON_DERIVATION_INFO,
  PHRASE_WORD_COUNT,
  phraseToEntropy,
  SECP256K1_DERIVATION_INFO,
  Wallet,
  WALLET_ENTROPY_LENGTH,
} from './wallet.ts';
export {
  DEFAULT_SCRYPT,
  type EncryptedSecret,
  KEYSTORE_FORMAT,
  KEYSTORE_VERSION,
  type KeystoreFile,
  type KeystoreHeader,
  parseKeystore,
  type ScryptParams,
  serializeKeystore,
  TEST_SCRYPT,
} from './keystore-format.ts';
export {
  decodeKeystorePublic,
  type EncodeKeystoreOptions,
  encodeKeystore,
  type KeystorePublic,
  markPhraseShown,
  unlockKeystore,
} from './keystore.ts';
export {
  KEYSTORE_FILE_MODE,
  readKeystoreFile,
  type WriteKeystoreOptions,
  writeKeystoreFile,
} from './keystore-file.ts';
export {
  authorizeSession,
  createSession,
  decodeSessionAuthorization,
  encodeSessionAuthorization,
  SESSION_DOMAIN_TAG,
  type SessionAuthorization,
  sessionAuthorizationMessage,
  type SessionFields,
  verifySessionAuthorization,
} from './session.ts';
export { SignatureCache, type SignatureCacheStats, type SigScheme, verifyAny, type VerifySig } from './sig-check.ts';
export {
  createFileBundle,
  decodeFileBundle,
  encodeFileBundle,
  FILE_SIGNATURE_TAG,
  type FileSignatureBundle,
  fileSigningMessage,
  signFile,
  type VerifiedFile,
  verifyFileBundle,
} from './signed-file.ts';
export {
  decapsulate,
  type Encapsulation,
  encapsulate,
  KEM_CIPHERTEXT_LENGTH,
  KEM_DOMAIN_TAG,
  KEM_PUBLIC_KEY_LENGTH,
  KEM_SEED_LENGTH,
  KemKeyPair,
  open,
  seal,
  SEAL_KEY_LENGTH,
  SHARED_SECRET_LENGTH,
} from './kem.ts';
export { ed25519KeyFromPeerId, ed25519PublicKeyFromPeerId, peerIdOf } from './peer-id.ts';
export { VRF_OUTPUT_LENGTH, VRF_PROOF_LENGTH, vrfProofToHash, vrfProve, vrfPublicKey, vrfVerify } from './vrf.ts';
export { merkleLevelUp } from './merkle-level.ts';
