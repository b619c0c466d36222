/**
 * The Docker HEALTHCHECK of the device image, run by the bundle's own Node (the slim base has no curl): healthy
 * when the agent's dashboard answers `/api/status` and reports the same `health.healthy` that keeps the hardware
 * watchdog kicked (docs/device.md "Supervisor"), so Docker and the watchdog judge the agent alike.
 *
 * Reads AME_DASHBOARD_PORT (default 8080) and, when the dashboard is password-protected, AME_DASHBOARD_PASSWORD.
 * Exit 0 healthy, 1 not; one line on stdout says why (Docker keeps it in `docker inspect`).
 */
const TIMEOUT_MS = 5_000;

export interface HealthVerdict {
  readonly healthy: boolean;
  readonly reason: string;
}

/** Judges the dashboard's answer; anything but a 200 with `health.healthy === true` is unhealthy. */
export function judgeStatus(httpStatus: number, body: unknown): HealthVerdict {
  if (httpStatus !== 200) return { healthy: false, reason: `dashboard answered HTTP ${httpStatus}` };
  const health = typeof body === 'object' && body !== null ? (body as { health?: unknown }).health : undefined;
  const healthy = typeof health === 'object' && health !== null ? (health as { healthy?: unknown }).healthy : undefined;
  if (healthy === true) return { healthy: true, reason: 'healthy' };
  const problems = typeof health === 'object' && health !== null ? (health as { problems?: unknown }).problems : undefined;
  return { healthy: false, reason: healthy === false ? `unhealthy: ${JSON.stringify(problems ?? [])}` : 'no health in /api/status' };
}

export async function checkHealth(env: NodeJS.ProcessEnv): Promise<HealthVerdict> {
  const port = env['AME_DASHBOARD_PORT'] || '8080';
  const password = env['AME_DASHBOARD_PASSWORD'];
  const headers: Record<string, string> = {};
  if (password) headers['authorization'] = `Basic ${Buffer.from(`healthcheck:${password}`).toString('base64')}`;
  try {
    const res = await fetch(`http://127.0.0.1:${port}/api/status`, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
    const body: unknown = res.headers.get('content-type')?.includes('json') ? await res.json() : undefined;
    return judgeStatus(res.status, body);
  } catch (err) {
    return { healthy: false, reason: `dashboard on port ${port} unreachable: ${err instanceof Error ? err.message : String(err)}` };
  }
}

if (import.meta.main) {
  const verdict = await checkHealth(process.env);
  console.log(verdict.reason);
  process.exitCode = verdict.healthy ? 0 : 1;
}
