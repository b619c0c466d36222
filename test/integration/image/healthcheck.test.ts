import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkHealth, judgeStatus } from '../../../image/healthcheck.ts';
import { repoRoot } from '../../support/cli.ts';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** A stand-in dashboard on 127.0.0.1 port 0 that answers /api/status with the given status and body. */
async function dashboard(status: number, body: unknown, seen: IncomingMessage[] = []): Promise<string> {
  server = createServer((req, res) => {
    seen.push(req);
    res.writeHead(req.url === '/api/status' ? status : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return String((server.address() as AddressInfo).port);
}

describe('judgeStatus', () => {
  it('is healthy only for a 200 whose health.healthy is true', () => {
    expect(judgeStatus(200, { health: { healthy: true, problems: [] } })).toEqual({ healthy: true, reason: 'healthy' });
    expect(judgeStatus(200, { health: { healthy: false, problems: ['data dir'] } })).toEqual({ healthy: false, reason: 'unhealthy: ["data dir"]' });
    expect(judgeStatus(200, { health: { healthy: 'yes' } }).healthy).toBe(false);
    expect(judgeStatus(200, null)).toEqual({ healthy: false, reason: 'no health in /api/status' });
    expect(judgeStatus(403, { health: { healthy: true } })).toEqual({ healthy: false, reason: 'dashboard answered HTTP 403' });
  });
});

describe('checkHealth against a dashboard', () => {
  it('asks /api/status on 127.0.0.1 at AME_DASHBOARD_PORT, with Basic auth when a password is set', async () => {
    const seen: IncomingMessage[] = [];
    const port = await dashboard(200, { health: { healthy: true } }, seen);
    expect(await checkHealth({ AME_DASHBOARD_PORT: port, AME_DASHBOARD_PASSWORD: 'correct horse' })).toEqual({ healthy: true, reason: 'healthy' });
    expect(seen[0]?.url).toBe('/api/status');
    const auth = seen[0]?.headers.authorization ?? '';
    expect(Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString()).toBe('healthcheck:correct horse');
  });

  it('is unhealthy when nothing listens', async () => {
    const port = await dashboard(200, {});
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    const verdict = await checkHealth({ AME_DASHBOARD_PORT: port });
    expect(verdict.healthy).toBe(false);
    expect(verdict.reason).toContain(`dashboard on port ${port} unreachable`);
  });

  it('exits 0 when healthy and 1 when not, as Docker reads it', async () => {
    const script = join(repoRoot, 'image/healthcheck.ts');
    const run = async (healthy: boolean): Promise<{ status: number | null; stdout: string }> => {
      const port = await dashboard(200, { health: { healthy, problems: healthy ? [] : ['stale rounds'] } });
      // Not spawnSync: it would block the event loop that serves the stand-in dashboard.
      const child = await new Promise<{ status: number | null; stdout: string }>((resolve) => {
        execFile(process.execPath, [script], { env: { AME_DASHBOARD_PORT: port } }, (err, stdout) => {
          resolve({ status: err ? ((err as { code?: number }).code ?? null) : 0, stdout });
        });
      });
      await new Promise((resolve) => server!.close(resolve));
      server = undefined;
      return child;
    };
    expect(await run(true)).toEqual({ status: 0, stdout: 'healthy\n' });
    expect(await run(false)).toEqual({ status: 1, stdout: 'unhealthy: ["stale rounds"]\n' });
  });
});
