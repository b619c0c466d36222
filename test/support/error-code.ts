import { WorkerError } from '../../node/worker/errors.ts';
import { fromRemote } from '../../node/worker/serve/remote-errors.ts';

/**
 * The stable code of the typed error a call throws (undefined when it returns), for tests that check which
 * error, not only that one was thrown. An error of another class is rethrown: a test never mistakes an
 * untyped crash for the expected refusal.
 */
export function codeOf<E extends Error & { code: string }>(
  fn: () => unknown,
  errorClass: abstract new (...args: never[]) => E,
): E['code'] | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof errorClass) return error.code;
    throw error;
  }
  return undefined;
}

/**
 * A worker's refusal across the wire as "Class:CODE" (WorkerError REFUSED's `remote`); undefined when the call
 * succeeds. Anything that is not a typed refusal is rethrown.
 */
export async function remoteRefusal(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    const mapped = fromRemote(error);
    if (mapped instanceof WorkerError && mapped.code === 'REFUSED') return mapped.remote;
    throw mapped;
  }
  return undefined;
}
