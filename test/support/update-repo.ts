/**
 * TEST ONLY: a fleet's release side for the update agent's tests: an image repository and a director
 * (node/update) on a ManualClock, small bundles in the real format (buildBundle from temporary folders), and a
 * real HTTP server on 127.0.0.1 port 0 serving them at node/fleetproto's repository paths, targets with Range.
 * Knobs let a test play the attacker or a bad network: replace a document's bytes, stream one forever, or drop
 * a target's connection part-way once.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ManualClock } from '../../hal/index.ts';
import { Ed25519KeyPair, sha256, utf8 } from '../../node/crypto/index.ts';
import type { UpdateOffer } from '../../node/fleetproto/index.ts';
import { buildBundle, bundleTargetName, Director, ImageRepository, type RoleKeyConfig } from '../../node/update/index.ts';

export const REPO_T0 = Date.UTC(2027, 0, 1);

export const updateKeyOf = (label: string): Ed25519KeyPair => Ed25519KeyPair.fromSeed(sha256(utf8(`update-repo ${label}`)));

export interface Release {
  readonly name: string;
  readonly version: string;
  readonly bytes: Uint8Array;
  readonly files: Readonly<Record<string, string>>;
}

export interface UpdateRepo {
  readonly url: string;
  readonly clock: ManualClock;
  readonly image: ImageRepository;
  readonly director: Director;
  readonly initialRoots: { readonly image: Uint8Array; readonly director: Uint8Array };
  readonly keys: { readonly timestamp: Ed25519KeyPair; readonly snapshot: Ed25519KeyPair; readonly targets: Ed25519KeyPair };
  /** Builds a bundle of `files` (path → text), publishes it, keeps it to serve. */
  release(version: string, files: Readonly<Record<string, string>>): Promise<Release>;
  /** Serves `bytes` under a target name without listing it (an attacker's file). */
  serveTarget(name: string, bytes: Uint8Array): void;
  /** Signs the next director document for `deviceId` naming `release` and returns the offer carrying it. */
  assign(deviceId: string, release: Pick<Release, 'name' | 'bytes'>): UpdateOffer;
  /** Serve these bytes at `path` (e.g. `metadata/timestamp`) instead of the real ones; undefined restores. */
  override(path: string, bytes: Uint8Array | 'endless' | undefined): void;
  /** The next request for target `name` sends `bytes` bytes and then drops the connection. */
  dropOnce(name: string, bytes: number): void;
  /** Every request as `path` or `path range=<Range header>`. */
  readonly requests: string[];
  close(): Promise<void>;
}

function role(label: string): RoleKeyConfig {
  return { keys: [updateKeyOf(label)], threshold: 1 };
}

function streamForever(res: ServerResponse): void {
  const chunk = Buffer.alloc(16 * 1024, 0x41);
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  const pump = () => {
    while (!res.destroyed && res.write(chunk));
  };
  res.on('drain', pump);
  pump();
}

export async function startUpdateRepo(): Promise<UpdateRepo> {
  const clock = new ManualClock(REPO_T0);
  const now = () => clock.now();
  const image = new ImageRepository({
    roles: { root: role('image root'), targets: role('targets'), snapshot: role('snapshot'), timestamp: role('timestamp') },
    now,
  });
  const director = new Director({ roles: { root: role('director root'), targets: role('director targets') }, now });
  const targets = new Map<string, Uint8Array>();
  const overrides = new Map<string, Uint8Array | 'endless'>();
  const drops = new Map<string, number>();
  const requests: string[] = [];
  const work = mkdtempSync(join(tmpdir(), 'ame-update-repo-'));

  function document(path: string): Uint8Array | undefined {
    const meta = image.metadata();
    if (path === 'metadata/timestamp') return meta.timestamp;
    if (path === 'metadata/snapshot') return meta.snapshot;
    if (path === 'metadata/targets') return meta.targets;
    const root = /^metadata\/root\/(\d+)$/.exec(path);
    if (root !== null) return meta.imageRoots[Number(root[1]) - 1];
    return undefined;
  }

  function serveTarget(req: IncomingMessage, res: ServerResponse, name: string, bytes: Uint8Array): void {
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const from = range === null ? 0 : Number(range[1]);
    if (from >= bytes.length) {
      res.writeHead(416, { 'content-range': `bytes */${bytes.length}` }).end();
      return;
    }
    const body = bytes.subarray(from);
    const headers = { 'content-type': 'application/gzip', 'content-length': String(body.length), 'accept-ranges': 'bytes' };
    if (range === null) res.writeHead(200, headers);
    else res.writeHead(206, { ...headers, 'content-range': `bytes ${from}-${bytes.length - 1}/${bytes.length}` });
    const drop = drops.get(name);
    if (drop !== undefined) {
      drops.delete(name);
      res.write(body.subarray(0, drop), () => setTimeout(() => res.destroy(), 20));
      return;
    }
    res.end(body);
  }

  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/repo\//, ''));
    requests.push(req.headers.range === undefined ? path : `${path} range=${req.headers.range}`);
    const override = overrides.get(path);
    if (override === 'endless') return streamForever(res);
    const target = path.startsWith('targets/') ? path.slice('targets/'.length) : undefined;
    const bytes = override ?? (target === undefined ? document(path) : targets.get(target));
    if (bytes === undefined) return void res.writeHead(404).end();
    if (target !== undefined && override === undefined) return serveTarget(req, res, target, bytes);
    res.writeHead(200, { 'content-type': 'application/cbor', 'content-length': String(bytes.length) }).end(bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/repo/`;

  return {
    url,
    clock,
    image,
    director,
    initialRoots: { image: image.initialRoot(), director: director.initialRoot() },
    keys: { timestamp: updateKeyOf('timestamp'), snapshot: updateKeyOf('snapshot'), targets: updateKeyOf('targets') },
    async release(version, files) {
      const dir = join(work, version);
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      const built = await buildBundle({ dir, name: 'ame', version, arch: 'x64' });
      const name = bundleTargetName(built.manifest);
      image.publish(name, { length: built.length, sha256: built.sha256, custom: { name: 'ame', version, arch: 'x64' } });
      targets.set(name, built.bytes);
      return { name, version, bytes: built.bytes, files };
    },
    serveTarget: (name, bytes) => void targets.set(name, bytes),
    assign(deviceId, release) {
      const doc = director.assign(deviceId, { name: release.name, length: release.bytes.length, sha256: sha256(release.bytes) });
      return { director: doc, directorRoots: director.roots().slice(1), repository: url };
    },
    override(path, bytes) {
      if (bytes === undefined) overrides.delete(path);
      else overrides.set(path, bytes);
    },
    dropOnce: (name, bytes) => void drops.set(name, bytes),
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(work, { recursive: true, force: true });
    },
  };
}
