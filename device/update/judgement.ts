/**
 * The health judgement of a newly installed version: `checks` calls of the device's real health check spread over
 * `windowMs` (the first after one interval, so the new version has come up), every one of which must pass. A check
 * that throws fails like one that answers not ok. Timed on the injected clock; an abort ends it without a verdict.
 */
import type { Clock } from '../../hal/index.ts';

export interface Judgement {
  /** How long the new version is watched. */
  readonly windowMs: number;
  /** How many health checks in that window; every one must pass. */
  readonly checks: number;
  /** Starts of the new version allowed before it counts as a crash loop and is rolled back unjudged. */
  readonly bootsAllowed: number;
}

export interface HealthVerdict {
  readonly ok: boolean;
  readonly reason?: string;
}

export type HealthCheck = () => Promise<HealthVerdict>;

/** Thrown (only) when the signal aborts a judgement or a wait. */
export class Aborted extends Error {}

export function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Aborted('stopped'));
    const onAbort = () => {
      clock.clearTimeout(timer);
      reject(new Aborted('stopped'));
    };
    const timer = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export async function judgeHealth(health: HealthCheck, judgement: Judgement, clock: Clock, signal: AbortSignal): Promise<HealthVerdict> {
  const interval = judgement.windowMs / judgement.checks;
  for (let i = 1; i <= judgement.checks; i += 1) {
    await sleep(clock, interval, signal);
    let verdict: HealthVerdict;
    try {
      verdict = await health();
    } catch (error) {
      verdict = { ok: false, reason: `the health check threw: ${(error as Error).message}` };
    }
    if (signal.aborted) throw new Aborted('stopped');
    if (!verdict.ok) return { ok: false, reason: `check ${i} of ${judgement.checks} failed: ${verdict.reason ?? 'not healthy'}` };
  }
  return { ok: true };
}
