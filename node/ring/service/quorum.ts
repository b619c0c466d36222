/**
 * Waits for enough of a set of parallel calls: resolves as soon as `need` of them counted, or once all settled
 * with fewer. Calls still running go on in the background (a slow replica still gets its write); their failures
 * are collected, never left unhandled.
 */
export interface QuorumResult<T> {
  readonly ok: readonly T[];
  readonly failed: readonly unknown[];
  /** Resolves when every call has settled, with every result (for repair after a read). */
  readonly all: Promise<{ readonly ok: readonly T[]; readonly failed: readonly unknown[] }>;
}

export function quorum<T>(calls: readonly (() => Promise<T>)[], need: number, counts: (r: T) => boolean = () => true): Promise<QuorumResult<T>> {
  const ok: T[] = [];
  const failed: unknown[] = [];
  let counted = 0;
  let settled = 0;
  let finishAll: (v: { ok: readonly T[]; failed: readonly unknown[] }) => void = () => {};
  const all = new Promise<{ ok: readonly T[]; failed: readonly unknown[] }>((resolve) => (finishAll = resolve));
  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (!done && (counted >= need || settled === calls.length)) {
        done = true;
        resolve({ ok: [...ok], failed: [...failed], all });
      }
      if (settled === calls.length) finishAll({ ok, failed });
    };
    if (calls.length === 0) finish();
    for (const call of calls) {
      let promise: Promise<T>;
      try {
        promise = call();
      } catch (error) {
        promise = Promise.reject(error);
      }
      promise.then(
        (result) => {
          ok.push(result);
          if (counts(result)) counted++;
          settled++;
          finish();
        },
        (error: unknown) => {
          failed.push(error);
          settled++;
          finish();
        },
      );
    }
  });
}
