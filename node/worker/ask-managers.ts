/**
 * Asking managers in turn (ledger-view.ts): each from a starting index, until one gives an answer the caller
 * accepts. A NetError counts as UNAVAILABLE; a LedgerViewError (a reply refused) is that manager's failure and the
 * next is asked; anything else is a bug and propagates at once. When none answers, the error is the worst
 * refusal seen — a forgery says more than a timeout — with every manager's in `problems`.
 */
import { NetError, type PeerRef } from '../net/index.ts';
import { LedgerViewError, type LedgerViewErrorCode } from './ledger-view-errors.ts';

const SEVERITY: Record<LedgerViewErrorCode, number> = {
  BAD_PROOF: 6,
  BAD_HEADER: 5,
  BAD_RECORD: 4,
  BAD_REPLY: 3,
  BAD_REQUEST: 2,
  BAD_VALUE: 2,
  UNAVAILABLE: 1,
  STOPPED: 0,
};

export interface AskOptions {
  readonly peers: readonly PeerRef[];
  /** The index of the first manager asked. */
  readonly start: number;
  /** What is asked, for the error message. */
  readonly what: string;
  /** Throws (STOPPED) once the asker is stopped: checked before each manager and after each answer. */
  readonly live: () => void;
  /** Counts each reply refused (every failure but UNAVAILABLE). */
  readonly refused: () => void;
}

/** The first accepted answer and the index of the manager that gave it. */
export async function askInTurn<T>(o: AskOptions, call: (peer: PeerRef) => Promise<T>): Promise<{ result: T; index: number }> {
  const failures: LedgerViewError[] = [];
  const problems: string[] = [];
  for (let i = 0; i < o.peers.length; i++) {
    const index = (o.start + i) % o.peers.length;
    const peer = o.peers[index]!;
    o.live();
    try {
      const result = await call(peer);
      o.live();
      return { result, index };
    } catch (error) {
      o.live();
      const typed = error instanceof NetError ? new LedgerViewError('UNAVAILABLE', `${error.code}: ${error.message}`, { cause: error }) : error;
      if (!(typed instanceof LedgerViewError)) throw error;
      if (typed.code !== 'UNAVAILABLE') o.refused();
      failures.push(typed);
      problems.push(`${peer.id}: ${typed.code} ${typed.message}`);
    }
  }
  const worst = failures.reduce<LedgerViewError | undefined>((a, b) => (a === undefined || SEVERITY[b.code] > SEVERITY[a.code] ? b : a), undefined);
  const message = `${o.what}: no manager gave a usable answer${problems.length === 0 ? ' (none known)' : ` — ${problems.join('; ')}`}`;
  throw new LedgerViewError(worst?.code ?? 'UNAVAILABLE', message, { cause: worst, problems });
}
