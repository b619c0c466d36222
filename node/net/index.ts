/** node/net: the libp2p host, RLDP request/response and ARNL datagrams (SPEC.md §4). Other layers import from here. */
export type {
  Clock,
  ClockTimer,
  DatagramHandler,
  Datagrams,
  Lifecycle,
  PeerRef,
  Random,
  RequestContext,
  RequestHandler,
  RequestOptions,
  Rpc,
} from './types.ts';
export { NetError, REMOTE_ERROR_CODES, type NetErrorCode, type RemoteErrorCode } from './errors.ts';
export { systemClock, systemRandom } from './clock.ts';
export type { NetLogger } from './logger.ts';
export { createHost, type ConnectionOptions, type Host, type HostOptions, type NatOptions, type RelayServerOptions } from './host.ts';
export { isCircuitAddr, isLoopbackAddr, isPublicAddr, peersOfMultiaddrs } from './multiaddrs.ts';
export { DEFAULT_RLDP_LIMITS, resolveLimits, type RldpLimits } from './rldp/limits.ts';
export type { SessionStats } from './rldp/session.ts';
export { MAX_DATAGRAM_BYTES, RLDP_PROTOCOL } from './rldp/frame.ts';
export { AddressBook, DEFAULT_ADDRESS_BOOK_CAPACITY } from './arnl/address-book.ts';
export { DatagramRouter } from './arnl/datagrams.ts';
export {
  ABSTRACT_ADDRESS_LENGTH,
  abstractAddress,
  type IdentityRecord,
  identityRecordType,
  openIdentityRecord,
  signIdentityRecord,
} from './arnl/record.ts';
