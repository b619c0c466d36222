/**
 * Typed errors of the light-client side of node/worker (light-protocol.ts, ledger-proof.ts, ledger-view.ts). Kept
 * apart from WorkerError: these are about what a manager told us, not about what a client sent, and a caller
 * tells "the manager lied" (BAD_PROOF, BAD_HEADER) from "no manager answered" (UNAVAILABLE) by the code.
 */
import { AmeError } from '../crypto/errors.ts';

export type LedgerViewErrorCode =
  | 'BAD_REQUEST' // a light-client request body that does not decode or is out of bounds (what a manager refuses)
  | 'BAD_REPLY' // a manager's reply that does not decode, or does not answer what was asked (heights, paths)
  | 'BAD_HEADER' // a header or certificate the light client refuses (cause: the LedgerError)
  | 'BAD_PROOF' // a record or proof that does not hold against the verified state root: a forgery, or another state
  | 'BAD_RECORD' // a proven record that is not of the kind its path holds (the certified state is not ours)
  | 'BAD_VALUE' // an argument out of range: a key of the wrong length, an empty address
  | 'UNAVAILABLE' // no manager gave a usable answer (unreachable, behind, or every reply refused — see `problems`)
  | 'STOPPED'; // the follower was stopped

export const LEDGER_VIEW_ERROR_CODES: readonly LedgerViewErrorCode[] = [
  'BAD_REQUEST',
  'BAD_REPLY',
  'BAD_HEADER',
  'BAD_PROOF',
  'BAD_RECORD',
  'BAD_VALUE',
  'UNAVAILABLE',
  'STOPPED',
];

export class LedgerViewError extends AmeError {
  declare readonly code: LedgerViewErrorCode;
  /** UNAVAILABLE and the codes it stands for: each manager's refusal, "peer: CODE message". */
  readonly problems: readonly string[];

  constructor(code: LedgerViewErrorCode, message: string, options: ErrorOptions & { readonly problems?: readonly string[] } = {}) {
    const { problems, ...rest } = options;
    super(code, message, rest);
    this.problems = problems ?? [];
  }
}
