/**
 * A local stand-in for balenaCloud's API: the subset of the v7 OData resources balena-sdk 23 touches when the fleet
 * controller pins devices and fleets to releases, sets variables and reads device status — one fleet
 * (application), its releases and devices, device tags and environment variables. balenaCloud cannot be reached
 * from the test machines, so fleet/balena is tested with the real SDK over HTTP against this server.
 *
 * Requests it does not understand are answered 501 (unknown route or resource) or 400 (an OData expression it
 * cannot parse) and recorded in `unsupported()`, which tests assert empty: nothing the SDK asks is silently
 * half-answered. `tick()` plays balena's supervisor (install the target release on every online device) and our
 * agent on balenaOS (write its verdict to the device tag AME_UPDATE_STATUS).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AGENT_STATUS_TAG, formatAgentStatus } from '../../fleet/balena/index.ts';
import { ODataError, parseKey, parseOptions, type Literal } from './balena-odata.ts';
import { ApiError, createTables, type Row } from './balena-tables.ts';

/** A request as the server saw it; `devices` are the uuids a device PATCH changed, `body` the JSON sent. */
export interface LoggedRequest {
  readonly method: string;
  readonly url: string;
  readonly resource: string | null;
  readonly status: number;
  readonly body: unknown;
  readonly devices: readonly string[];
}

export interface FakeDevice {
  readonly uuid: string;
  readonly name?: string;
  readonly online?: boolean;
  /** The release it runs (a commit of the fleet's releases). */
  readonly running: string;
  readonly tags?: Readonly<Record<string, string>>;
}

export interface BalenaApiOptions {
  readonly token: string;
  readonly fleet: { readonly slug: string; readonly pinned: string };
  /** Release commits, oldest first; all `success`. */
  readonly releases: readonly string[];
  readonly devices: readonly FakeDevice[];
}

export type AgentVerdict = 'failed' | 'rolled-back';

export interface DeviceView {
  readonly running: string | null;
  readonly pinned: string | null;
  readonly target: string | null;
  readonly online: boolean;
  readonly tags: Readonly<Record<string, string>>;
  readonly env: Readonly<Record<string, string>>;
}

export interface BalenaApi {
  readonly url: string;
  requests(): readonly LoggedRequest[];
  /** Requests answered 400/501 because this server does not know them: a test asserts this is empty. */
  unsupported(): readonly LoggedRequest[];
  /**
   * Our agent on `uuid` judges `commit` bad (failed health, or not what the signed targets metadata names): at
   * `tick()` the device stays on the release it ran and its AME_UPDATE_STATUS tag says `<verdict> <commit>`.
   */
  markBad(uuid: string, commit: string, verdict?: AgentVerdict): void;
  setOnline(uuid: string, online: boolean): void;
  /** One round of balena's supervisor and our agent on every online device. */
  tick(): void;
  device(uuid: string): DeviceView;
  fleet(): { readonly pinned: string | null; readonly env: Readonly<Record<string, string>> };
  close(): Promise<void>;
}

export async function startBalenaApi(o: BalenaApiOptions): Promise<BalenaApi> {
  const { table, insert, byId, value, query, keyed, writable, isResource, uniqueKeys } = createTables();
  const log: LoggedRequest[] = [];
  const bad = new Map<string, AgentVerdict>();
  const commitOf = (releaseId: Literal): string | null => (byId('release', releaseId)?.commit as string | undefined) ?? null;
  const releaseId = (commit: string): number => {
    const row = table('release').find((r) => r.commit === commit);
    if (row === undefined) throw new Error(`no release ${commit}`);
    return row.id as number;
  };

  const app = insert('application', { app_name: o.fleet.slug.split('/').pop() ?? o.fleet.slug, slug: o.fleet.slug, uuid: 'a1'.repeat(16), should_track_latest_release: false });
  o.releases.forEach((commit, i) => insert('release', { commit, status: 'success', created_at: new Date(Date.UTC(2026, 0, 1 + i)).toISOString(), belongs_to__application: app.id as number }));
  app.should_be_running__release = releaseId(o.fleet.pinned);
  for (const d of o.devices) {
    const row = insert('device', { uuid: d.uuid, device_name: d.name ?? d.uuid.slice(0, 7), is_online: d.online ?? true, belongs_to__application: app.id as number, is_running__release: releaseId(d.running), is_pinned_on__release: null });
    for (const [tag_key, value] of Object.entries(d.tags ?? {})) insert('device_tag', { device: row.id as number, tag_key, value });
  }

  const handle = (method: string, url: URL, body: unknown): { status: number; json?: unknown; text?: string; devices?: string[] } => {
    const match = /^\/v7\/([a-z_]+)(?:\((.*)\))?$/.exec(decodeURIComponent(url.pathname));
    if (match === null) throw new ApiError(501, `no route ${method} ${url.pathname}`);
    const resource = match[1] as string;
    if (!isResource(resource)) throw new ApiError(501, `resource ${resource} is not served here`);
    const q = parseOptions(url.searchParams.entries());
    const selected = match[2] === undefined ? table(resource) : keyed(resource, parseKey(match[2]));
    if (method === 'GET') return { status: 200, json: { d: query(resource, selected, q) } };
    if (method === 'PATCH') {
      if (match[2] === undefined && q.filter === undefined) throw new ApiError(400, 'a PATCH of a whole resource needs $filter or a key');
      const changes = writable(resource, body);
      const rows = query(resource, selected, { ...(q.filter === undefined ? {} : { filter: q.filter }), select: ['id'] }).map((r) => byId(resource, r.id ?? null) as Row);
      for (const row of rows) Object.assign(row, changes);
      return { status: 200, text: 'OK', devices: resource === 'device' ? rows.map((r) => r.uuid as string) : [] };
    }
    if (method === 'POST') {
      if (match[2] !== undefined) throw new ApiError(501, 'POST to a keyed resource');
      const row = writable(resource, body);
      for (const key of uniqueKeys(resource)) {
        if (table(resource).some((r) => key.every((f) => r[f] === row[f]))) {
          throw new ApiError(409, `"${resource}" must be unique on ${key.join(', ')}: Unique key constraint violated`);
        }
      }
      return { status: 201, json: query(resource, [insert(resource, row)], {})[0] };
    }
    throw new ApiError(501, `method ${method} is not served here`);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = req.method ?? 'GET';
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = null;
      let answer: { status: number; json?: unknown; text?: string; devices?: string[] };
      let resource: string | null = null;
      try {
        resource = /^\/v7\/([a-z_]+)/.exec(url.pathname)?.[1] ?? null;
        if (req.headers.authorization !== `Bearer ${o.token}`) throw new ApiError(401, 'Unauthorized');
        if (raw !== '') {
          try {
            body = JSON.parse(raw);
          } catch {
            throw new ApiError(400, 'the body is not JSON');
          }
        }
        answer = method === 'GET' && url.pathname === '/actor/v1/whoami' ? { status: 200, json: { id: 1, actorType: 'user', actorTypeId: 1, username: 'fleet-admin' } } : handle(method, url, body);
      } catch (error) {
        if (error instanceof ApiError) answer = { status: error.status, text: error.message };
        else if (error instanceof ODataError) answer = { status: 400, text: error.message };
        else answer = { status: 500, text: String(error) };
      }
      log.push({ method, url: decodeURIComponent(req.url ?? ''), resource, status: answer.status, body, devices: answer.devices ?? [] });
      res.statusCode = answer.status;
      if (answer.json !== undefined) {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(answer.json));
      } else {
        res.setHeader('content-type', 'text/plain');
        res.end(answer.text ?? '');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const deviceRow = (uuid: string): Row => {
    const row = table('device').find((r) => r.uuid === uuid);
    if (row === undefined) throw new Error(`no device ${uuid}`);
    return row;
  };
  const pairs = (resource: string, via: string, id: Literal, k: string): Record<string, string> =>
    Object.fromEntries(table(resource).filter((r) => r[via] === id).map((r) => [r[k] as string, r.value as string]));
  const setTag = (device: Row, tag_key: string, v: string) => {
    const existing = table('device_tag').find((r) => r.device === device.id && r.tag_key === tag_key);
    if (existing !== undefined) existing.value = v;
    else insert('device_tag', { device: device.id as number, tag_key, value: v });
  };

  return {
    url: `http://127.0.0.1:${port}/`,
    requests: () => [...log],
    unsupported: () => log.filter((r) => r.status === 400 || r.status === 501 || r.status === 500),
    markBad: (uuid, commit, verdict = 'failed') => void bad.set(`${uuid} ${commit}`, verdict),
    setOnline: (uuid, online) => void (deviceRow(uuid).is_online = online),
    tick() {
      for (const row of table('device')) {
        if (row.is_online !== true) continue;
        const target = value('device', row, 'should_be_running__release');
        const commit = commitOf(target);
        if (target === null || commit === null) continue;
        const verdict = bad.get(`${row.uuid as string} ${commit}`);
        if (verdict !== undefined) {
          // Our agent found the release failing health (or not matching the signed targets): it stays off it
          // and says so; balena's supervisor itself has no notion of a rollback.
          setTag(row, AGENT_STATUS_TAG, formatAgentStatus({ status: verdict, release: commit }));
          continue;
        }
        row.is_running__release = target;
        setTag(row, AGENT_STATUS_TAG, formatAgentStatus({ status: 'healthy', release: commit }));
      }
    },
    device(uuid) {
      const row = deviceRow(uuid);
      return {
        running: commitOf(row.is_running__release ?? null),
        pinned: commitOf(row.is_pinned_on__release ?? null),
        target: commitOf(value('device', row, 'should_be_running__release')),
        online: row.is_online === true,
        tags: pairs('device_tag', 'device', row.id ?? null, 'tag_key'),
        env: pairs('device_environment_variable', 'device', row.id ?? null, 'name'),
      };
    },
    fleet: () => ({ pinned: commitOf(app.should_be_running__release ?? null), env: pairs('application_environment_variable', 'application', app.id ?? null, 'name') }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}
