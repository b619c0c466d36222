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
