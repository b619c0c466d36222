/**
 * Typed errors of the device–fleet MQTT contract. Whatever a broker, a device or a controller refuses (a login
 * token, a command, a topic, a payload) is a FleetProtoError, so the broker maps one class to a CONNACK code and a
 * device maps one class to a `cmd/result` reason without knowing the layers below.
 */
import { AmeError } from '../crypto/index.ts';

export type FleetProtoErrorCode =
  | 'BAD_DEVICE_ID' // not the canonical text of an Ed25519 PeerId
  | 'BAD_TOPIC' // a topic outside ame/v1/devices/<deviceId>/<kind>, or of a kind the contract does not name
  | 'MALFORMED' // bytes or text that do not decode as the token, envelope or JSON expected (cause: the WireError)
  | 'TOO_LARGE' // input over its size limit
  | 'UNSIGNED' // a command or desired state that carries no signature (plain JSON, or an envelope without `sig`)
  | 'BAD_SIGNATURE' // a signature that does not verify, or one made by a key other than the enrolled or command key
  | 'WRONG_TYPE' // an envelope of another kind than the topic carries (desired state on `cmd`, a token as a command)
  | 'WRONG_DEVICE' // a token or command that names another device
  | 'WRONG_BROKER' // a login token made for another broker
  | 'EXPIRED' // a login token at or past its expiry at the verifier's clock
  | 'NOT_YET_VALID' // a login token issued later than the verifier's clock allows
  | 'BAD_LIFETIME' // a login token whose lifetime exceeds what the verifier accepts
  | 'STALE' // a command sequence number below the last one accepted
  | 'REPLAY' // a command sequence number equal to the last one accepted: the same command again
  | 'STORE_FAILED'; // the sequence store failed; nothing was accepted (cause: its error)

export const FLEETPROTO_ERROR_CODES: readonly FleetProtoErrorCode[] = [
  'BAD_DEVICE_ID',
  'BAD_TOPIC',
  'MALFORMED',
  'TOO_LARGE',
  'UNSIGNED',
  'BAD_SIGNATURE',
  'WRONG_TYPE',
  'WRONG_DEVICE',
  'WRONG_BROKER',
  'EXPIRED',
  'NOT_YET_VALID',
  'BAD_LIFETIME',
  'STALE',
  'REPLAY',
  'STORE_FAILED',
];

export interface FleetProtoErrorOptions extends ErrorOptions {
  /** The sequence number of the refused command, when it got far enough to have one. */
  readonly seq?: number;
}

export class FleetProtoError extends AmeError {
  declare readonly code: FleetProtoErrorCode;
  readonly seq: number | undefined;

  constructor(code: FleetProtoErrorCode, message: string, options: FleetProtoErrorOptions = {}) {
    const { seq, ...rest } = options;
    super(code, message, rest);
    this.seq = seq;
  }
}
