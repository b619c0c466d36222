/**
 * What a caller learns when a handler fails: a NetError with a wire code (TIMEOUT … WRONG_EPOCH) travels with its
 * message and data; anything else becomes UNAVAILABLE with a fixed message, so internals never leak to peers.
 */
import { NetError, REMOTE_ERROR_CODES, type RemoteErrorCode } from '../errors.ts';

export interface WireFailure {
  readonly code: RemoteErrorCode;
  readonly message: string;
  readonly data: Uint8Array | undefined;
}

export const HANDLER_FAILED = 'the handler failed';

/** The failure to send for `error`, and whether it was a plain failure the server should log. */
export function wireFailure(error: unknown): { failure: WireFailure; unexpected: boolean } {
  if (error instanceof NetError && (REMOTE_ERROR_CODES as readonly string[]).includes(error.code)) {
    const failure = { code: error.code as RemoteErrorCode, message: error.message, data: error.data };
    return { failure, unexpected: false };
  }
  return { failure: { code: 'UNAVAILABLE', message: HANDLER_FAILED, data: undefined }, unexpected: true };
}

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
