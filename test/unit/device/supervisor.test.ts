import { describe, expect, it } from 'vitest';
import { createSimWatchdog, ManualClock } from '../../../hal/index.ts';
import { createSupervisor, type CheckOutcome, type HealthCheck } from '../../../device/index.ts';

/** Advances in steps, letting the keeper's and the rounds' promise chains settle between them. */
async function advance(clock: ManualClock, ms: number, step = 500): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(Math.min(step, ms - t));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function settable(name: string, severity: HealthCheck['severity']) {
  let outcome: CheckOutcome = { ok: true };
  let hang = false;
  const check: HealthCheck = { name, severity, run: () => (hang ? new Promise<CheckOutcome>(() => {}) : Promise.resolve(outcome)) };
  return {
    check,
    fail: (reason: string) => (outcome = { ok: false, reason }),
    pass: () => (outcome = { ok: true }),
    hang: () => (hang = true),
  };
}

function rig(checks: HealthCheck[]) {
  const clock = new ManualClock();
  const watchdog = createSimWatchdog({ clock, timeoutMs: 15_000 });
  const supervisor = createSupervisor({ watchdog, clock, checks: () => checks, intervalMs: () => 5_000 });
  return { clock, watchdog, supervisor };
}

describe('supervisor', () => {
  it('kicks the watchdog every third of its timeout while every check passes', async () => {
    const { clock, watchdog, supervisor } = rig([settable('a', 'fatal').check]);
    await supervisor.start();
    expect(watchdog.armed()).toBe(true);
    await advance(clock, 60_000);
    expect(watchdog.starvations()).toEqual([]);
    expect(watchdog.kicks().length).toBe(13); // at arming, then every 5 s
    expect(supervisor.healthy()).toBe(true);
    expect(supervisor.lastRound()?.failures).toEqual([]);
    await supervisor.stop();
    expect(watchdog.closedCleanly()).toBe(true);
  });

  it('a failing fatal check stops the kicks, so the hardware would reset; recovery resumes them', async () => {
    const fatal = settable('runtime', 'fatal');
    const { clock, watchdog, supervisor } = rig([fatal.check]);
    await supervisor.start();
    await advance(clock, 5_000);
    fatal.fail('node does not answer');
    await advance(clock, 5_000); // the round at 10 s sees it
    expect(supervisor.healthy()).toBe(false);
    expect(supervisor.lastRound()?.failures).toEqual([{ name: 'runtime', severity: 'fatal', reason: 'node does not answer' }]);
    const kicksBefore = watchdog.kicks().length;
    await advance(clock, 15_000);
    expect(watchdog.kicks().length).toBe(kicksBefore);
    expect(watchdog.starvations()).toHaveLength(1);
    fatal.pass();
    await advance(clock, 10_000);
    expect(supervisor.healthy()).toBe(true);
    expect(watchdog.kicks().length).toBeGreaterThan(kicksBefore);
    await supervisor.stop();
  });

  it('a check that hangs wedges the rounds: after three intervals the kicks stop', async () => {
    const stuck = settable('disk', 'degraded');
    const { clock, watchdog, supervisor } = rig([stuck.check]);
    await supervisor.start();
    await advance(clock, 5_000);
    stuck.hang();
    await advance(clock, 14_000);
    expect(supervisor.healthy()).toBe(true);
    await advance(clock, 6_000);
    expect(supervisor.healthy()).toBe(false);
    await advance(clock, 20_000);
    expect(watchdog.starvations().length).toBeGreaterThan(0);
    await supervisor.stop();
  });

  it('a degraded failure is reported but the kicks go on', async () => {
    const warm = settable('temperature', 'degraded');
    const { clock, watchdog, supervisor } = rig([warm.check]);
    const reports: string[][] = [];
    supervisor.onRound((r) => reports.push(r.failures.map((f) => f.reason)));
    await supervisor.start();
    warm.fail('85 °C');
    await advance(clock, 30_000);
    expect(reports.at(-1)).toEqual(['85 °C']);
    expect(supervisor.healthy()).toBe(true);
    expect(watchdog.starvations()).toEqual([]);
    await supervisor.stop();
  });

  it('runRound() never overlaps rounds: a second call runs after the first, and sees what changed since', async () => {
    let runs = 0;
    let active = 0;
    let release!: () => void;
    let outcome: CheckOutcome = { ok: true };
    const check: HealthCheck = {
      name: 'slow',
      severity: 'degraded',
      run: () => {
        runs += 1;
        active += 1;
        expect(active).toBe(1);
        return new Promise((resolve) =>
          (release = () => {
            active -= 1;
            resolve(outcome);
          }),
        );
      },
    };
    const { supervisor } = rig([check]);
    const a = supervisor.runRound();
    const b = supervisor.runRound();
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toBe(1);
    outcome = { ok: false, reason: 'changed' };
    release();
    expect((await a).failures).toEqual([{ name: 'slow', severity: 'degraded', reason: 'changed' }]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toBe(2);
    release();
    expect((await b).failures).toHaveLength(1);
  });

  it('a watchdog that cannot be armed does not stop the supervisor', async () => {
    const clock = new ManualClock();
    const errors: string[] = [];
    const logger = { error: (_o: object, m: string) => errors.push(m), warn: () => {}, info: () => {} } as never;
    const supervisor = createSupervisor({
      watchdog: { kind: 'dev', timeoutMs: 15_000, start: () => Promise.reject(new Error('EBUSY')), stop: async () => {}, kick: async () => {} },
      clock,
      checks: () => [],
      intervalMs: () => 1_000,
      logger,
    });
    await supervisor.start();
    expect(errors).toEqual(['the watchdog could not be armed: nothing resets the box if the agent hangs']);
    await advance(clock, 1_000);
    expect(supervisor.lastRound()).not.toBeNull();
    await supervisor.stop();
  });
});
