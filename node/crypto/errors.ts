/**
 * Typed errors of the crypto layer. Every error of every layer extends AmeError, which lives here because
 * crypto is the lowest layer of node/ and every other layer already imports it.
 */
export class AmeError extends Error {
  /** Stable, machine-readable code; API status codes and CLI exit codes are mapped from it in one place. */
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export type CryptoErrorCode =
  | 'BAD_ENCODING' // not valid Base58 / hex / length for its kind
  | 'BAD_CHECKSUM' // Base58Check checksum does not match
  | 'BAD_ADDRESS' // well-formed Base58Check, but not an AME address (version byte, length, prefix)
  | 'BAD_KEY' // a key of the wrong length or encoding for its scheme
  | 'BAD_SIGNATURE' // a signature that does not verify
  | 'BAD_PHRASE' // a backup phrase that is not a valid 24-word BIP-39 phrase
  | 'BAD_PASSWORD' // a keystore that does not decrypt with the given password
  | 'BAD_KEYSTORE' // a keystore file that is malformed or was tampered with
  | 'EXPIRED' // a session authorisation past its expiry
  | 'UNSUPPORTED'; // a scheme or version this build does not know

export class CryptoError extends AmeError {
  declare readonly code: CryptoErrorCode;

  constructor(code: CryptoErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
