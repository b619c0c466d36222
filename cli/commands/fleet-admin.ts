/**
 * The fleet admin's commands over the controller's JSON API (fleet/controller/api.ts): devices, releases and
 * rollouts. The API and a token come from `--api URL --token T`, else AME_FLEET_API / AME_FLEET_TOKEN, else the
 * `api.json` that `ame fleet run` wrote in its folder (`--fleet DIR`, default .ame/fleet).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RolloutPlan, RolloutProgress } from '../../fleet/rollout/index.ts';
import { numberOption, parse } from '../args.ts';
import { CliError } from '../errors.ts';
import type { CliIO } from '../io.ts';
import { API_FILE, DEFAULT_FLEET_DIR, type ApiContact } from './fleet-run.ts';

export const CONTACT = { fleet: { type: 'string' }, api: { type: 'string' }, token: { type: 'string' }, json: { type: 'boolean' } } as const;

export const ADMIN_USAGE = `ame fleet devices [--group G] [--online true|false] [--json]
       ame fleet command DEVICE identify|status|reload-config [--timeout S] [--json]
       ame fleet release push FILE [--json] | ame fleet release list [--json]
       ame fleet rollout start ID --release R --previous P [--canary GROUP] [--steps 10,50] [--threshold F]
                               [--budget N] [--concurrency N] [--rate N] [--timeout S] [--json]
       ame fleet rollout status ID [--watch] [--json] | pause ID | resume ID | abort ID [--reason TEXT]
  the controller: --api URL --token T, AME_FLEET_API / AME_FLEET_TOKEN, or --fleet DIR (its api.json; default ${DEFAULT_FLEET_DIR})`;

export function contact(values: { fleet?: string | undefined; api?: string | undefined; token?: string | undefined }, io: CliIO): ApiContact {
  const url = values.api ?? io.env['AME_FLEET_API'];
  const token = values.token ?? io.env['AME_FLEET_TOKEN'];
  if (url !== undefined && token !== undefined) return { url, token };
  const path = join(resolve(io.cwd, values.fleet ?? DEFAULT_FLEET_DIR), API_FILE);
  try {
    const held = JSON.parse(readFileSync(path, 'utf8')) as ApiContact;
    return { url: url ?? held.url, token: token ?? held.token };
  } catch (cause) {
    throw new CliError('NOT_FOUND', `no controller to talk to: give --api and --token, or start \`ame fleet run\` (it writes ${path})`, { cause });
  }
}

export async function call<T>(api: ApiContact, method: 'GET' | 'POST', path: string, body?: Uint8Array | string): Promise<T> {
  let response: Response;
  try {
    response = await fetch(new URL(path, api.url), { method, headers: { Authorization: `Bearer ${api.token}` }, ...(body === undefined ? {} : { body }) });
  } catch (cause) {
    throw new CliError('UNAVAILABLE', `the fleet controller at ${api.url} does not answer (${(cause as Error).message}); is \`ame fleet run\` running?`, { cause });
  }
  const reply = (await response.json().catch(() => ({}))) as { error?: string; message?: string };
  if (!response.ok) throw new CliError('REFUSED', `the controller refused ${method} ${path}: ${reply.error ?? response.status} ${reply.message ?? ''}`.trim());
  return reply as T;
}

export const print = (io: CliIO, json: boolean | undefined, value: unknown, text: () => string) => io.stdout.write(json === true ? `${JSON.stringify(value)}\n` : `${text()}\n`);

interface DeviceRow {
  readonly id: string;
  readonly online: boolean;
  readonly version: string | null;
  readonly role: string | null;
  readonly lastSeen: number | null;
  readonly groups: readonly string[];
}

export async function devices(args: string[], io: CliIO): Promise<number> {
  const { values } = parse(args, { ...CONTACT, group: { type: 'string' }, online: { type: 'string' } }, ADMIN_USAGE);
  const query = new URLSearchParams();
  if (values.group !== undefined) query.set('group', values.group);
  if (values.online !== undefined) query.set('online', values.online);
  const page = await call<{ devices: DeviceRow[] }>(contact(values, io), 'GET', `api/devices?${query}`);
  print(io, values.json, page, () =>
    [`${page.devices.length} devices`, ...page.devices.map((d) => `  ${d.id}  ${d.online ? 'online ' : 'offline'}  ${d.version ?? '-'}  ${d.role ?? '-'}  ${d.groups.join(',')}`)].join('\n'),
  );
  return 0;
}

interface CommandAnswer {
  readonly ok: boolean;
  readonly code?: string;
  readonly reason?: string;
  readonly detail?: unknown;
}

/** A command to one device through the controller, and the device's answer (exit 1 when it refused). */
export async function command(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(args, { ...CONTACT, timeout: { type: 'string' } }, ADMIN_USAGE);
  if (positionals.length !== 2) throw new CliError('USAGE', `ame fleet command takes a DEVICE and a command name\nusage: ${ADMIN_USAGE}`);
  const [device, name] = positionals as [string, string];
  const timeoutMs = numberOption('timeout', values.timeout, 10, (n) => n >= 0.1 && n <= 120, 'seconds 0.1…120') * 1000;
  const answer = await call<CommandAnswer>(contact(values, io), 'POST', `api/devices/${encodeURIComponent(device)}/commands`, JSON.stringify({ name, timeoutMs: Math.round(timeoutMs) }));
  print(io, values.json, answer, () =>
    answer.ok ? `${device} ${name}: ok${answer.detail === undefined ? '' : `\n${JSON.stringify(answer.detail, null, 2)}`}` : `${device} refused ${name}: ${answer.code ?? 'FAILED'}${answer.reason === undefined ? '' : ` (${answer.reason})`}`,
  );
  return answer.ok ? 0 : 1;
}

interface ReleaseRow {
  readonly id: string;
  readonly target: string;
  readonly length: number;
}

export async function release(args: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parse(rest, CONTACT, ADMIN_USAGE);
  const api = contact(values, io);
  if (sub === 'push') {
    if (positionals.length !== 1) throw new CliError('USAGE', `release push takes one bundle FILE\nusage: ${ADMIN_USAGE}`);
    let bytes: Buffer;
    try {
      bytes = readFileSync(resolve(io.cwd, positionals[0]!));
    } catch (cause) {
      throw new CliError('NOT_FOUND', `cannot read ${positionals[0]}: ${(cause as Error).message}`, { cause });
    }
    const pushed = await call<ReleaseRow>(api, 'POST', 'api/releases', new Uint8Array(bytes));
    print(io, values.json, pushed, () => `release ${pushed.id} ${pushed.target} (${pushed.length} bytes)`);
    return 0;
  }
  if (sub === 'list') {
    const list = await call<{ releases: ReleaseRow[] }>(api, 'GET', 'api/releases');
    print(io, values.json, list, () => list.releases.map((r) => `${r.id}  ${r.target}  ${r.length} bytes`).join('\n') || 'no releases');
    return 0;
  }
  throw new CliError('USAGE', `ame fleet release push|list\nusage: ${ADMIN_USAGE}`);
}

const BAR = 20;

/** One line per phase: a bar of healthy (#) and failed (x) devices out of the phase's total. */
export function progressLines(p: RolloutProgress): string[] {
  const head = `rollout ${p.id}: ${p.state}${p.phase === null ? '' : `, phase ${p.phase}`}, ${p.inFlight} updating${p.abort === null ? '' : ` — aborted: ${p.abort.code} (${p.abort.reason})`}`;
  return [
    head,
    ...p.phases.map((phase) => {
      const healthy = phase.total === 0 ? 0 : Math.round((phase.healthy / phase.total) * BAR);
      const failed = phase.total === 0 ? 0 : Math.min(BAR - healthy, Math.round((phase.failed / phase.total) * BAR));
      const bar = `${'#'.repeat(healthy)}${'x'.repeat(failed)}${'.'.repeat(BAR - healthy - failed)}`;
      return `  ${phase.name.padEnd(10)} [${bar}] ${phase.healthy}/${phase.total} healthy, ${phase.failed} failed, ${phase.inFlight} updating, ${phase.lockedWaiting} locked, ${phase.reverted} reverted (${phase.state})`;
    }),
  ];
}

function number(name: string, text: string | undefined, fallback: number, check: (n: number) => boolean, must: string): number {
  try {
    return numberOption(name, text, fallback, check, must);
  } catch (error) {
    throw error instanceof CliError ? new CliError('USAGE', `${error.message}\nusage: ${ADMIN_USAGE}`) : error;
  }
}

/** Plan options every rollout command takes (this one and `ame fleet balena rollout start`). */
export const PLAN_OPTIONS = {
  release: { type: 'string' },
  previous: { type: 'string' },
  canary: { type: 'string' },
  steps: { type: 'string' },
  threshold: { type: 'string' },
  budget: { type: 'string' },
  concurrency: { type: 'string' },
  rate: { type: 'string' },
  timeout: { type: 'string' },
} as const;

type PlanValues = { readonly [K in keyof typeof PLAN_OPTIONS]?: string | undefined };

/** The rollout plan the options say: phases canary (if given), each percentage, then all. */
export function rolloutPlan(release: string, previousRelease: string, values: PlanValues): RolloutPlan {
  const steps = (values.steps ?? '').split(',').filter((x) => x !== '').map((x) => number('steps', x, 0, (n) => n > 0 && n <= 100, 'percentages in (0, 100]'));
  const phases = [
    ...(values.canary === undefined ? [] : [{ name: 'canary', group: values.canary }]),
    ...steps.map((percent) => ({ name: `${percent}%`, percent })),
    { name: 'all' },
  ];
  return {
    release,
    previousRelease,
    phases,
    successThreshold: number('threshold', values.threshold, 1, (n) => n > 0 && n <= 1, 'a share in (0, 1]'),
    failureBudget: number('budget', values.budget, 0, (n) => Number.isSafeInteger(n) && n >= 0, 'an integer ≥ 0'),
    concurrency: number('concurrency', values.concurrency, 10, (n) => Number.isSafeInteger(n) && n > 0, 'an integer ≥ 1'),
    ratePerMinute: number('rate', values.rate, 60, (n) => Number.isSafeInteger(n) && n > 0, 'an integer ≥ 1 (per minute)'),
    timeoutMs: number('timeout', values.timeout, 600, (n) => n > 0, 'seconds > 0') * 1000,
  };
}

export async function rollout(args: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parse(
    rest,
    {
      ...CONTACT,
      ...PLAN_OPTIONS,
      reason: { type: 'string' },
      watch: { type: 'boolean' },
    },
    ADMIN_USAGE,
  );
  const id = positionals[0];
  if (id === undefined || positionals.length > 1) throw new CliError('USAGE', `ame fleet rollout ${sub ?? 'start|status|pause|resume|abort'} takes one rollout ID\nusage: ${ADMIN_USAGE}`);
  const api = contact(values, io);
  const show = (p: RolloutProgress) => print(io, values.json, p, () => progressLines(p).join('\n'));
  const path = `api/rollouts/${encodeURIComponent(id)}`;
  if (sub === 'start') {
    if (values.release === undefined || values.previous === undefined) throw new CliError('USAGE', `rollout start needs --release and --previous (release ids)\nusage: ${ADMIN_USAGE}`);
    const plan = rolloutPlan(values.release, values.previous, values);
    show(await call<RolloutProgress>(api, 'POST', 'api/rollouts', JSON.stringify({ id, plan })));
    return 0;
  }
  if (sub === 'status') {
    for (;;) {
      const p = await call<RolloutProgress>(api, 'GET', path);
      if (values.watch !== true || p.state === 'done' || p.state === 'aborted') {
        show(p);
        return p.state === 'aborted' ? 1 : 0;
      }
      if (values.json !== true) io.stdout.write(`${progressLines(p).join('\n')}\n\n`);
      await new Promise((done) => setTimeout(done, 1_000));
    }
  }
  if (sub === 'pause' || sub === 'resume' || sub === 'abort') {
    show(await call<RolloutProgress>(api, 'POST', `${path}/${sub}`, sub === 'abort' && values.reason !== undefined ? JSON.stringify({ reason: values.reason }) : undefined));
    return 0;
  }
  throw new CliError('USAGE', `ame fleet rollout start|status|pause|resume|abort\nusage: ${ADMIN_USAGE}`);
}
