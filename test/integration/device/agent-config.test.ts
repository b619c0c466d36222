/**
 * Done-when #6: bad config — from the environment, the config file or the fleet's desired state — is refused with
 * a message that names the field, and the agent keeps its last good config (and acts on it).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { STATE_PATTERNS } from '../../../hal/index.ts';
import { statusLines } from '../../../device/index.ts';
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

async function servingRig(d: DeviceDirs, env: Record<string, string>): Promise<DeviceRig> {
  const r = createDeviceRig(d, { env });
  cleanup.push(() => r.stop());
  const up = r.agent.whenState('serving');
  await r.agent.start();
  await up;
  return r;
}

describe('device agent: bad config is refused naming the field, the last good config stays', () => {
  it('a bad desired state from the fleet is refused and the limits in force stay in force', async () => {
    const d = dirs();
    const r = await servingRig(d, { AME_DASHBOARD_PORT: '9000' });

    // A good desired state takes effect: 45 °C (the sim's) is over a 40 °C limit.
    expect(r.agent.applyDesired({ thresholds: { maxTemperatureC: 40 } })).toMatchObject({ ok: true, changed: ['thresholds.maxTemperatureC'] });
    await r.agent.checkHealth();
    expect(r.agent.state()).toEqual({ name: 'degraded', reasons: ['temperature: 45 °C, above the 40 °C limit'], resume: 'serving' });

    const refused = r.agent.applyDesired({ thresholds: { maxTemperatureC: 'hot' }, dashboard: { port: 80 } });
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.error.code).toBe('CONFIG_INVALID');
    expect(!refused.ok && refused.error.message).toBe('thresholds.maxTemperatureC: expected a number 0..150, got "hot" (in the desired state)');
    // Nothing of the refused document applies, not even its good part.
    expect(r.agent.config().dashboard.port).toBe(9000);
    expect(r.agent.config().thresholds.maxTemperatureC).toBe(40);
    await r.agent.checkHealth();
    expect(r.agent.state().name).toBe('degraded');
    expect(r.hal.led.pattern()).toBe(STATE_PATTERNS.degraded);

    const status = statusLines(await r.agent.status());
    expect(status).toContain('config refused: desired: thresholds.maxTemperatureC: expected a number 0..150, got "hot" (in the desired state)');
    expect(r.agent.events(20).map((e) => e.message)).toContain('config changed: thresholds.maxTemperatureC');

    const unknown = r.agent.applyDesired({ thresholds: { maxTemperature: 70 } });
    expect(!unknown.ok && unknown.error.field).toBe('thresholds.maxTemperature');
    expect(r.agent.config().thresholds.maxTemperatureC).toBe(40);
  });

  it('a bad config file is refused on reload and the running config stays', async () => {
    const d = dirs();
    const r = await servingRig(d, {});
    writeJsonFile(d.layout.configFile, { thresholds: { minFreeBytes: 1 } });
    expect(r.agent.reloadConfig()).toMatchObject({ ok: true, changed: ['thresholds.minFreeBytes'] });
    const before = r.agent.config();

    writeJsonFile(d.layout.configFile, { thresholds: { minFreeBytes: -1 } });
    const refused = r.agent.reloadConfig();
    expect(!refused.ok && refused.error.message).toBe(`thresholds.minFreeBytes: expected an integer 0..9007199254740991, got -1 (in ${d.layout.configFile})`);
    expect(r.agent.config()).toBe(before);

    writeFileSync(d.layout.configFile, '{"thresholds": {');
    const broken = r.agent.reloadConfig();
    expect(!broken.ok && broken.error).toMatchObject({ code: 'CONFIG_UNREADABLE', field: d.layout.configFile });
    expect(r.agent.config()).toBe(before);
    expect(r.agent.state()).toEqual({ name: 'serving' });
  });

  it('a bad environment variable at the next start: the last good config runs, the refusal names the variable', async () => {
    const d = dirs();
    writeJsonFile(join(d.bootDir, 'ame.json'), { network: { name: 'testnet' } });
    const first = await servingRig(d, { AME_DASHBOARD_PORT: '9000', AME_MQTT_URL: 'mqtt://fleet.local:1883' });
    expect(first.agent.config().network.name).toBe('testnet');
    await first.stop();

    // A fleet-wide variable change: one good, one bad. Neither may apply; the box must not fall back to defaults.
    const r = await servingRig(d, { AME_DASHBOARD_PORT: 'abc', AME_MQTT_URL: 'mqtt://elsewhere:1883' });
    expect(r.agent.config().dashboard.port).toBe(9000);
    expect(r.agent.config().mqtt.url).toBe('mqtt://fleet.local:1883');
    expect(r.agent.config().network.name).toBe('testnet');
    const status = await r.agent.status();
    expect(status.config.basis).toBe('last-good');
    expect(status.config.problems).toEqual(['env: AME_DASHBOARD_PORT: expected an integer 0..65535, got "abc" (in the environment)']);
    expect(statusLines(status)).toContain('config: running on the last good config (a layer was refused)');
    expect(r.agent.events(50).map((e) => e.message)).toContain(
      'config refused: env: AME_DASHBOARD_PORT: expected an integer 0..65535, got "abc" (in the environment)',
    );
    // It still serves, on the config it had.
    expect(r.runtimes.current().context.config.dashboard.port).toBe(9000);
  });

  it('a bad first-boot file on a first boot: the rest applies and the refusal names the field', async () => {
    const d = dirs();
    writeJsonFile(join(d.bootDir, 'ame.json'), { payoutAddress: 'not-an-address' });
    const r = await servingRig(d, { AME_NETWORK_NAME: 'devnet' });
    expect(r.agent.config().payoutAddress).toBeNull();
    expect(r.agent.config().network.name).toBe('devnet');
    const [problem] = (await r.agent.status()).config.problems;
    expect(problem).toMatch(new RegExp(`^boot: payoutAddress: expected an AME address \\(A… or F…\\) or null, got "not-an-address" .*\\(in ${join(d.bootDir, 'ame.json')}\\)$`));
  });
});
