/**
 * Typed errors of the wire layer. Decoders of untrusted bytes throw nothing else, so a caller can map any failure
 * to a protocol answer (RLDP BAD_REQUEST, a dropped datagram, a CLI message) by its code alone.
 */
import { AmeError } from '../crypto/errors.ts';

export type WireErrorCode =
  | 'MALFORMED' // not well-formed CBOR: truncated, trailing bytes, reserved encodings, invalid UTF-8
  | 'NON_CANONICAL' // well-formed CBOR, but not AME's deterministic profile (RFC 8949 §4.2.1 plus the data model)
  | 'UNKNOWN_TYPE' // an envelope whose message type the registry does not know
  | 'UNSUPPORTED_VERSION' // a known message type in a version the registry does not know
  | 'TOO_LARGE' // input over its size limit, or nested deeper than the depth limit
  | 'BAD_SIGNATURE' // an envelope whose signature does not verify under its `from` key
  | 'SCHEMA' // decoded value does not match the expected shape; the message starts with the field path
  | 'BAD_AMOUNT' // an amount string or value that is not a valid AME amount
  | 'UNENCODABLE' // a value handed to the encoder that is outside the CBOR data model (a caller's bug)
  | 'BAD_DEFINITION'; // a message definition or registry that cannot work (bad name, duplicate type/version)

export const WIRE_ERROR_CODES: readonly WireErrorCode[] = [
  'MALFORMED',
  'NON_CANONICAL',
  'UNKNOWN_TYPE',
  'UNSUPPORTED_VERSION',
  'TOO_LARGE',
  'BAD_SIGNATURE',
  'SCHEMA',
  'BAD_AMOUNT',
  'UNENCODABLE',
  'BAD_DEFINITION',
];

export class WireError extends AmeError {
  declare readonly code: WireErrorCode;

  constructor(code: WireErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
