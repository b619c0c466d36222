/**
 * Typed errors of the fleet's embedded broker. Refused logins are FleetProtoErrors when the token is at fault
 * (EXPIRED, WRONG_BROKER, BAD_SIGNATURE, …) and BrokerErrors when the client is (an unknown username, a client id
 * that is not its own); the broker logs the code and answers the client only with MQTT's CONNACK code.
 */
import { AmeError } from '../../node/crypto/index.ts';

export type BrokerErrorCode =
  | 'BAD_OPTIONS' // a broker id or listen address the broker cannot use
  | 'UNKNOWN_CLIENT' // a username that is neither an enrolled device nor a controller identity
  | 'BAD_CLIENT_ID' // an MQTT client id other than the identity's own (it would take over another's session)
  | 'NOT_ALLOWED' // a publish the ACL refuses (aedes then closes the client's connection: 3.1.1 has no reason codes)
  | 'LISTEN_FAILED' // the TCP listener could not be opened (cause: the system error)
  | 'NOT_STARTED' // the address of a broker that is not listening
  | 'CLOSED'; // a broker started twice, or after stop

export const BROKER_ERROR_CODES: readonly BrokerErrorCode[] = [
  'BAD_OPTIONS',
  'UNKNOWN_CLIENT',
  'BAD_CLIENT_ID',
  'NOT_ALLOWED',
  'LISTEN_FAILED',
  'NOT_STARTED',
  'CLOSED',
];

export class BrokerError extends AmeError {
  declare readonly code: BrokerErrorCode;

  constructor(code: BrokerErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
