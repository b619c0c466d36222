/**
 * Typed errors of the network layer. The first six codes travel on the wire as RLDP error replies (SPEC.md §4);
 * the rest are local conditions a caller can act on.
 */
import { AmeError } from '../crypto/errors.ts';

export type RemoteErrorCode =
  | 'TIMEOUT' // the request's deadline passed before a reply arrived
  | 'TOO_LARGE' // a request or reply over the size limit
  | 'BAD_REQUEST' // the peer could not decode or accept the request
  | 'UNAVAILABLE' // no handler for the method, the peer is overloaded, or it could not be reached
  | 'UNAUTHORIZED' // the peer refuses this caller
  | 'WRONG_EPOCH'; // the request named a stale ring epoch; `data` carries the fresh routing slice

export type NetErrorCode =
  | RemoteErrorCode
  | 'MALFORMED_FRAME' // bytes on a stream that are not a valid RLDP frame (the connection is dropped)
  | 'PEER_LIMIT' // this peer has too many requests in flight or bytes buffered
  | 'CLOSED'; // the host was stopped, or the stream closed with the request unanswered

export const REMOTE_ERROR_CODES: readonly RemoteErrorCode[] = [
  'TIMEOUT',
  'TOO_LARGE',
  'BAD_REQUEST',
  'UNAVAILABLE',
  'UNAUTHORIZED',
  'WRONG_EPOCH',
];

export class NetError extends AmeError {
  declare readonly code: NetErrorCode;
  /** Opaque detail for the caller's layer (WRONG_EPOCH: the encoded fresh slice). */
  readonly data: Uint8Array | undefined;
  /** True when the error was sent by the peer rather than raised locally. */
  readonly remote: boolean;

  constructor(code: NetErrorCode, message: string, options?: ErrorOptions & { data?: Uint8Array; remote?: boolean }) {
    super(code, message, options);
    this.data = options?.data;
    this.remote = options?.remote ?? false;
  }
}
