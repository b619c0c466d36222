/**
 * The device agent on the sim HAL (Done-when #1): each state shows its LED pattern, a short press identifies, a
 * 10 s hold wipes config, data and node identity but keeps the wallet; plus the checks before serving and the
 * watchdog. Everything timed runs on a ManualClock; waits are on states, gates and events, never on sleeps.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HOLD_WARNING_PATTERN, IDENTIFY_PATTERN, RESET_ACK_PATTERN, STATE_PATTERNS } from '../../../hal/index.ts';
import { InMemoryRuntimes } from '../../support/device-runtime.ts';
import { createDeviceRig, makeDeviceDirs, writeJsonFile, type DeviceDirs, type DeviceRig } from '../../support/device-rig.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function dirs(): DeviceDirs {
  const d = makeDeviceDirs();
  cleanup.push(() => d.remove());
  return d;
}

function rig(d: DeviceDirs, options: Parameters<typeof createDeviceRig>[1] = {}): DeviceRig {
  const r = createDeviceRig(d, options);
  cleanup.push(() => r.stop());
  return r;
}

/** Lets promise chains and worker threads move on until `cond` holds (no wall-clock waiting: it fails after many yields). */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100_000; i++) {
    if (cond()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`never happened: ${what}`);
}

/** Moves the clock in steps, letting the event loop turn between them as it would while time passes. */
async function advance(r: DeviceRig, ms: number, step = 500): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    r.clock.advance(Math.min(step, ms - t));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function serving(r: DeviceRig): Promise<void> {
  const reached = r.agent.whenState('serving');
  await r.agent.start();
  await reached;
}

describe('device agent: states and the LED', () => {
  it('first boot: booting → provisioning → connecting → registering → serving → promoted, each with its pattern', async () => {
    const d = dirs();
    const runtimes = new InMemoryRuntimes();
    const connect = runtimes.gate('connect');
    const register = runtimes.gate('register');
    const r = rig(d, { runtimes });
    expect(r.hal.led.pattern()).toBe(STATE_PATTERNS.booting);
    await r.agent.start();

    await connect.reached;
    expect(r.agent.state()).toEqual({ name: 'connecting' });
    expect(r.hal.led.pattern()).toBe(STATE_PATTERNS.connecting);
    // connecting blinks 250/250 ms on the clock.
    const t0 = r.clock.now();
    expect(r.hal.led.litAt(t0)).toBe(true);
    r.clock.advance(250);
    expect(r.hal.led.lit()).toBe(false);

    connect.release();
    await register.reached;
    expect(r.agent.state()).toEqual({ name: 'registering' });
    expect(r.hal.led.pattern()).toBe(STATE_PATTERNS.registering);

    const servingNow = r.agent.whenState('serving');
    register.release();
    await servingNow;
    expect(r.hal.led.pattern()).toBe(STATE_PATTERNS.serving);
    // The heartbeat: 100 ms on, then off until the next 3 s cycle.
    const s0 = r.clock.now();
    r.clock.advance(100);
    expect(r.hal.led.lit()).toBe(false);
    r.clock.advance(2_900);
    expect(r.hal.led.lit()).toBe(true);
    expect(r.hal.led.levels().slice(-3)).toEqual([
      { at: s0, lit: true },
      { at: s0 + 100, lit: false },
      { at: s0 + 3_000, lit: true },
    ]);

    r.runtimes.current().set({ promoted: true });
    await r.agent.checkHealth();
    expect(r.agent.state()).toEqual({ name: 'promoted' });
    expect(r.hal.led.pattern()).toBe(STATE_PATTERNS.promoted);
    // The whole timeline: set at construction, shown again when the LED starts, then one pattern per state.
    expect(r.ledShown()).toEqual(['booting', 'booting', 'provisioning', 'connecting', 'registering', 'serving', 'promoted']);
    expect(runtimes.calls).toEqual(['connect', 'register', 'serve']);
  });

  it('a later boot skips provisioning; degraded shows with its reasons and clears back', async () => {
    const d = dirs();
    const first = rig(d);
    await serving(first);
    await first.stop();

    const r = rig(d);
    await serving(r);
    expect(r.ledShown()).toEqual(['booting', 'booting', 'connecting', 'registering', 'serving']);
    r.hal.sysinfo.set({ temperatureC: 91 });
    r.runtimes.current().set({ problems: ['audit failed: blob 3f… did not match'] });
    await r.agent.checkHealth();
    expect(r.agent.state()).toEqual({
      name: 'degraded',
      reasons: ['temperature: 91 °C, above the 80 °C limit', 'audit failed: blob 3f… did not match'],
      resume: 'serving',
    });
    expect(r.hal.led.pattern()).toBe(STATE_PATTERNS.degraded);
    r.hal.sysinfo.set({ temperatureC: 50 });
    r.runtimes.current().set({ problems: [] });
    await r.agent.checkHealth();
    expect(r.agent.state()).toEqual({ name: 'serving' });
    expect(r.ledShown().slice(-3)).toEqual(['serving', 'degraded', 'serving']);
    // Supervisor rounds run on the clock too: the next one at the health interval finds the heat again.
    r.hal.sysinfo.set({ temperatureC: 99 });
    const degraded = r.nextState('degraded');
    r.clock.advance(5_000);
    await degraded;
  });

  it('a failure to start serving is the error state with its reason', async () => {
    const d = dirs();
    const runtimes = new InMemoryRuntimes();
    runtimes.gate('serve').fail(new Error('port 4001 in use'));
    const r = rig(d, { runtimes });
    const error = r.agent.whenState('error');
    await r.agent.start();
    expect(await error).toEqual({ name: 'error', reason: 'the node did not start serving (port 4001 in use)' });
    expect(r.hal.led.pattern()).toBe(STATE_PATTERNS.error);
    expect(r.agent.events(5).map((e) => e.message)).toContain('state: error (the node did not start serving (port 4001 in use))');
  });

  it('connect is retried with back-off on the clock while the LED keeps saying connecting', async () => {
    const d = dirs();
    const runtimes = new InMemoryRuntimes();
    runtimes.gate('connect').fail(new Error('no route to host'));
    const second = runtimes.gate('connect');
    const r = rig(d, { runtimes });
    await r.agent.start();
    await until(() => r.agent.events(20).some((e) => e.message.startsWith('connect failed, retrying in 1 s')), 'the retry note');
    expect(r.agent.state().name).toBe('connecting');
    r.clock.advance(999);
    expect(runtimes.calls).toEqual(['connect']);
    r.clock.advance(1);
    await second.reached;
    expect(runtimes.calls).toEqual(['connect', 'connect']);
    const up = r.agent.whenState('serving');
    second.release();
    await up;
    expect(r.ledShown().filter((n) => n === 'connecting')).toEqual(['connecting']);
  });
});

describe('device agent: the button', () => {
  it('a short press blinks identify over the state pattern, then the state pattern again', async () => {
    const d = dirs();
    const r = rig(d);
    await serving(r);
    r.hal.button.press();
    r.clock.advance(300);
    r.hal.button.release();
    r.clock.advance(50); // the release is confirmed after the debounce time
    expect(r.hal.led.showing()).toBe(IDENTIFY_PATTERN);
    expect(r.hal.led.pattern()).toBe(STATE_PATTERNS.serving);
    r.clock.advance(3_000); // 30 blinks of 50/50 ms
    expect(r.hal.led.showing()).toBe(STATE_PATTERNS.serving);
    expect(r.ledShown().slice(-2)).toEqual(['identify', 'serving']);
    expect(r.agent.state()).toEqual({ name: 'serving' });
  });

  it('a 10 s hold: graceful exit, then config, data and node identity are wiped, the wallet kept, and it boots again', async () => {
    const d = dirs();
    const r = rig(d);
    await serving(r);
    const before = await r.agent.status();
    const walletBytes = readFileSync(d.layout.walletFile);
    writeJsonFile(d.layout.configFile, { dashboard: { port: 1234 } });
    expect(r.agent.reloadConfig().ok).toBe(true);
    expect(r.agent.applyDesired({ thresholds: { maxTemperatureC: 70 } }).ok).toBe(true);
    mkdirSync(join(d.layout.nodeDir, 'worker'), { recursive: true });
    writeFileSync(join(d.layout.nodeDir, 'worker', 'receipts.sqlite'), 'node data');

    const servingAgain = r.nextState('serving');
    r.hal.button.press();
    r.clock.advance(2_000);
    expect(r.hal.led.showing()).toBe(HOLD_WARNING_PATTERN);
    r.clock.advance(8_000);
    expect(r.hal.led.showing()).toBe(RESET_ACK_PATTERN);
    await r.runtimes.whenBuilt(2);
    r.hal.button.release();
    await servingAgain;

    expect(r.runtimes.calls).toEqual(['connect', 'register', 'serve', 'gracefulExit', 'stop', 'connect', 'register', 'serve']);
    expect(readdirSync(d.dataDir).sort()).toEqual(['agent', 'identity', 'node', 'wallet']);
    expect(readdirSync(d.layout.nodeDir)).toEqual([]);
    expect(existsSync(d.layout.configFile)).toBe(false);
    expect(existsSync(d.layout.desiredFile)).toBe(false);
    expect(readFileSync(d.layout.walletFile)).toEqual(walletBytes);
    const after = await r.agent.status();
    expect(after.peerId).not.toBe(before.peerId);
    expect(after.payout).toEqual(before.payout);
    expect(r.agent.config().dashboard.port).toBe(8080);
    expect(r.agent.config().thresholds.maxTemperatureC).toBe(80);
    expect(r.runtimes.current().context.identity.peerId).toBe(after.peerId);
    // Warning, acknowledgement, then a first boot again.
    expect(r.ledShown().slice(6)).toEqual(['hold-warning', 'reset-ack', 'booting', 'provisioning', 'connecting', 'registering', 'serving']);
  });

  it('a hold released between 2 and 10 s does nothing', async () => {
    const d = dirs();
    const r = rig(d);
    await serving(r);
    r.hal.button.press();
    r.clock.advance(6_000);
    r.hal.button.release();
    r.clock.advance(50);
    expect(r.hal.led.showing()).toBe(STATE_PATTERNS.serving);
    expect(r.runtimes.calls).toEqual(['connect', 'register', 'serve']);
    expect(existsSync(d.layout.nodeKeyFile)).toBe(true);
  });

  it('a reset whose graceful exit fails wipes nothing and the node keeps serving', async () => {
    const d = dirs();
    const r = rig(d);
    await serving(r);
    r.runtimes.gate('gracefulExit').fail(new Error('the ledger refused the exit'));
    const key = readFileSync(d.layout.nodeKeyFile);
    await expect(r.agent.factoryReset({ wipeWallet: false })).rejects.toMatchObject({ code: 'RESET_FAILED' });
    expect(readFileSync(d.layout.nodeKeyFile)).toEqual(key);
    expect(r.agent.state()).toEqual({ name: 'serving' });
    expect(r.hal.led.showing()).toBe(STATE_PATTERNS.serving);
    expect(r.runtimes.calls).toEqual(['connect', 'register', 'serve', 'gracefulExit']);
  });
});

describe('device agent: checks before serving and the watchdog', () => {
  async function uncleanStopWith(d: DeviceDirs, damage: () => void): Promise<void> {
    const first = rig(d);
    await serving(first);
    await first.stop();
    expect(existsSync(d.layout.runningMarker)).toBe(false);
    // What a power cut leaves: the marker of a run that never stopped.
    writeFileSync(d.layout.runningMarker, '0\n');
    damage();
  }

  it('after an unclean stop a damaged database is the error state: the node is not even built', async () => {
    const d = dirs();
    await uncleanStopWith(d, () => {
      mkdirSync(join(d.layout.nodeDir, 'worker'), { recursive: true });
      writeFileSync(join(d.layout.nodeDir, 'worker', 'blobs.sqlite'), Buffer.alloc(4096, 1));
    });
    const r = rig(d);
    const error = r.agent.whenState('error');
    await r.agent.start();
    const state = await error;
    expect(state.name === 'error' && state.reason).toMatch(/^not serving on this data: sqlite: node\/worker\/blobs\.sqlite: file is not a database/);
    expect(r.hal.led.pattern()).toBe(STATE_PATTERNS.error);
    expect(r.runtimes.built).toHaveLength(0);
    expect((await r.agent.status()).uncleanStop).toBe(true);
    // In the error state the watchdog is still kicked: a reboot would not repair the database.
    await advance(r, 60_000);
    expect(r.hal.watchdog.kicks().length).toBeGreaterThanOrEqual(12);
    expect(r.hal.watchdog.starvations()).toEqual([]);
  });

  it("after an unclean stop the runtime's own checks run too, and the full check runs once serving", async () => {
    const d = dirs();
    await uncleanStopWith(d, () => {});
    const runtimes = new InMemoryRuntimes();
    runtimes.preServingChecks = [{ name: 'service-log', severity: 'fatal', run: async () => ({ ok: false, reason: 'chain broken at entry 17' }) }];
    const r = rig(d, { runtimes });
    const error = r.agent.whenState('error');
    await r.agent.start();
    expect(await error).toEqual({ name: 'error', reason: 'not serving on this data: service-log: chain broken at entry 17' });
    expect(runtimes.calls).toEqual([]);

    await r.stop();
    writeFileSync(d.layout.runningMarker, '0\n');
    const r2 = rig(d);
    await serving(r2);
    await until(() => r2.agent.events(50).some((e) => e.message.startsWith('full integrity check:')), 'the background integrity check');
    expect((await r2.agent.status()).integrity).toBe('ok');
  });

  it('free space below the threshold stops the agent before serving', async () => {
    const d = dirs();
    const r = rig(d, { env: { AME_THRESHOLDS_MIN_FREE_BYTES: String(Number.MAX_SAFE_INTEGER) } });
    const error = r.agent.whenState('error');
    await r.agent.start();
    const state = await error;
    expect(state.name === 'error' && state.reason).toMatch(/free-space: .* free on the data mount, below the .* required/);
  });

  it('a node that stops answering stops the watchdog kicks, so the hardware resets the box', async () => {
    const d = dirs();
    const r = rig(d);
    await serving(r);
    await advance(r, 20_000);
    expect(r.hal.watchdog.starvations()).toEqual([]);
    r.runtimes.statusFailure = new Error('event loop of the node wedged');
    const report = await r.agent.checkHealth();
    expect(report.failures).toEqual([{ name: 'runtime', severity: 'fatal', reason: 'event loop of the node wedged' }]);
    expect((await r.agent.status()).healthy).toBe(false);
    await advance(r, 15_000);
    expect(r.hal.watchdog.starvations()).toHaveLength(1);
  });

  it('a clean stop removes the unclean-stop marker and disarms the watchdog', async () => {
    const d = dirs();
    const r = rig(d);
    await serving(r);
    expect(existsSync(d.layout.runningMarker)).toBe(true);
    expect(r.hal.watchdog.armed()).toBe(true);
    await r.stop();
    expect(existsSync(d.layout.runningMarker)).toBe(false);
    expect(r.hal.watchdog.closedCleanly()).toBe(true);
    expect(r.runtimes.calls.at(-1)).toBe('stop');
  });
});
