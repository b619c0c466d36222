import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../hal/index.ts';
import { Aborted, judgeHealth, type HealthVerdict } from '../../../../device/update/judgement.ts';

const judgement = { windowMs: 900, checks: 3, bootsAllowed: 1 };
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Runs a judgement on a ManualClock, one interval at a time; returns the verdict and when each check ran. */
async function run(answers: (() => HealthVerdict)[], abortAfter?: number) {
  const clock = new ManualClock(0);
  const controller = new AbortController();
  const calls: number[] = [];
  const health = async () => {
    calls.push(clock.now());
    return answers[calls.length - 1]!();
  };
  let outcome: HealthVerdict | Error | undefined;
  judgeHealth(health, judgement, clock, controller.signal).then(
    (v) => (outcome = v),
    (e: Error) => (outcome = e),
  );
  for (let step = 0; outcome === undefined && step < 20; step += 1) {
    if (step === abortAfter) controller.abort();
    await flush();
    clock.advance(300);
  }
  return { outcome, calls };
}

describe('health judgement', () => {
  it('passes when every check over the window passes, one per interval', async () => {
    const ok = () => ({ ok: true });
    expect(await run([ok, ok, ok])).toEqual({ outcome: { ok: true }, calls: [300, 600, 900] });
  });

  it('fails at the first failing or throwing check, naming it', async () => {
    const ok = () => ({ ok: true });
    expect((await run([ok, () => ({ ok: false, reason: 'no peers' })])).outcome).toEqual({ ok: false, reason: 'check 2 of 3 failed: no peers' });
    const thrown = await run([() => { throw new Error('disk gone'); }]);
    expect(thrown.outcome).toEqual({ ok: false, reason: 'check 1 of 3 failed: the health check threw: disk gone' });
  });

  it('ends without a verdict when aborted', async () => {
    const { outcome, calls } = await run([() => ({ ok: true }), () => ({ ok: true }), () => ({ ok: true })], 1);
    expect(outcome).toBeInstanceOf(Aborted);
    expect(calls.length).toBeLessThan(3);
  });
});
