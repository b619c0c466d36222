/**
 * `ame fleet run` on Debian's Mosquitto with its dynamic-security plugin, configured from the command line alone:
 * the controller creates its own broker account through the plugin, runs its enrolment broker beside it, and
 * says where devices enrol. Passwords come from a file and the environment, never the command line; options
 * that make no sense without an external broker, or a plugin login without its password, are refused by name.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runAme } from '../../support/cli.ts';
import { tryConnect } from '../../support/fleet-mqtt.ts';
import { startDynsecMosquitto, type DynsecMosquitto } from '../../support/mosquitto-dynsec.ts';

describe('ame fleet run --broker … --dynsec-user …', () => {
  let dir: string;
  let mosquitto: DynsecMosquitto;
  let child: ChildProcess | undefined;
  let out = '';
  const controllerPassword = 'controller-password-from-env';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ame-fleet-dynsec-'));
    mosquitto = await startDynsecMosquitto();
    const adminFile = join(dir, 'dynsec-admin.password');
    writeFileSync(adminFile, `${mosquitto.admin.password}\n`, { mode: 0o600 });
    const main = fileURLToPath(new URL('../../../cli/main.ts', import.meta.url));
    const args = ['fleet', 'run', '--data', join(dir, 'fleet'), '--broker', mosquitto.url, '--broker-user', 'ame-controller', '--dynsec-user', mosquitto.admin.username, '--dynsec-password-file', adminFile, '--history-interval', '30', '--log-level', 'warn'];
    child = spawn(process.execPath, [main, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, AME_FLEET_BROKER_PASSWORD: controllerPassword } });
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`ame fleet run not ready:\n${out}`)), 60_000);
      child!.stdout!.on('data', () => {
        if (/^ready$/m.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child!.once('exit', (code) => reject(new Error(`ame fleet run exited with ${code}:\n${out}`)));
    });
  }, 90_000);

  afterAll(async () => {
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((done) => child!.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    }
    await mosquitto?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs on Mosquitto with its own account made through the plugin, and names the enrolment broker', async () => {
    expect(out).toContain(`broker ${mosquitto.url} `);
    expect(out).toMatch(new RegExp(`^enrolment broker mqtt://127\\.0\\.0\\.1:\\d+ \\(devices enrol here with a provisioning token, then get their own password on ${mosquitto.url.replaceAll('.', '\\.')}\\)$`, 'm'));
    expect(out).not.toContain(controllerPassword);
    expect(out).not.toContain(mosquitto.admin.password);
    const login = await tryConnect(mosquitto.url, { clientId: 'e2e-check', username: 'ame-controller', password: controllerPassword, clean: true });
    expect(login.error).toBeUndefined();
    await login.client!.endAsync(true);
    const wrong = await tryConnect(mosquitto.url, { clientId: 'e2e-check-2', username: 'ame-controller', password: 'not-it', clean: true });
    expect(wrong.error).toBeDefined();
  });

  it('refuses broker options without --broker, a plugin login without passwords, and a bad history setting', async () => {
    const data = ['--data', join(dir, 'refused')];
    const noBroker = await runAme(['fleet', 'run', ...data, '--dynsec-user', 'admin']);
    expect(noBroker.code).not.toBe(0);
    expect(noBroker.stderr).toContain('--dynsec-user needs --broker URL');
    const noPassword = await runAme(['fleet', 'run', ...data, '--broker', mosquitto.url, '--broker-user', 'c', '--dynsec-user', 'admin']);
    expect(noPassword.code).not.toBe(0);
    expect(noPassword.stderr).toContain('--dynsec-user needs its password (AME_FLEET_DYNSEC_PASSWORD or --dynsec-password-file)');
    const days = await runAme(['fleet', 'run', ...data, '--history-days', '0']);
    expect(days.code).not.toBe(0);
    expect(days.stderr).toContain('--history-days must be whole days 1…366, got "0"');
  });
});
