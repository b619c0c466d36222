import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { UpdateError } from '../../../../node/update/index.ts';
import { createRepositoryClient, MAX_NEW_ROOTS } from '../../../../device/update/repository-client.ts';
import { readTrust } from '../../../../device/update/update-state.ts';
import { startUpdateRepo } from '../../../support/update-repo.ts';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server === undefined ? resolve(undefined) : server.close(resolve)));
  server = undefined;
});

/** A server answering every path with `answer(path)`: [status, body]. Returns its base URL and the paths asked. */
async function serve(answer: (path: string) => [number, string]): Promise<{ base: string; asked: string[] }> {
  const asked: string[] = [];
  server = createServer((req, res) => {
    asked.push(req.url!);
    const [status, body] = answer(req.url!);
    res.writeHead(status).end(body);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/r`, asked };
}

async function trust() {
  const repo = await startUpdateRepo();
  await repo.close();
  return readTrust('/nonexistent/trust.json', repo.initialRoots);
}

const refusal = async (promise: Promise<unknown>) => {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(UpdateError);
  return `${(error as UpdateError).code}: ${(error as UpdateError).message}`;
};

describe('repository client', () => {
  it('walks new roots until a 404, then reads the three documents under the base path', async () => {
    const { base, asked } = await serve((path) => (path === '/r/metadata/root/3' ? [404, ''] : [200, path]));
    const client = createRepositoryClient({ base, fetch, signal: new AbortController().signal });
    const metadata = await client.imageMetadata(await trust());
    expect(asked).toEqual(['/r/metadata/root/2', '/r/metadata/root/3', '/r/metadata/timestamp', '/r/metadata/snapshot', '/r/metadata/targets']);
    expect(new TextDecoder().decode(metadata.timestamp)).toBe('/r/metadata/timestamp');
    expect(metadata.imageRoots).toHaveLength(1);
  });

  it(`stops after ${MAX_NEW_ROOTS} new roots from a server that answers every version`, async () => {
    const { base, asked } = await serve(() => [200, 'x']);
    const metadata = await createRepositoryClient({ base, fetch, signal: new AbortController().signal }).imageMetadata(await trust());
    expect(metadata.imageRoots).toHaveLength(MAX_NEW_ROOTS);
    expect(asked.filter((p) => p.includes('/root/'))).toHaveLength(MAX_NEW_ROOTS);
  });

  it('calls an HTTP error or an unreachable server INCOMPLETE, and a document over its cap TOO_LARGE', async () => {
    let timestampStatus = 500;
    const { base } = await serve((path) => {
      if (path.includes('/root/')) return [404, ''];
      if (path.endsWith('/timestamp')) return [timestampStatus, 't'];
      return [200, 'y'.repeat(16 * 1024 + 1)];
    });
    const client = createRepositoryClient({ base, fetch, signal: new AbortController().signal });
    expect(await refusal(client.imageMetadata(await trust()))).toMatch(/^INCOMPLETE: GET .*\/r\/metadata\/timestamp: HTTP 500$/);
    timestampStatus = 200;
    expect(await refusal(client.imageMetadata(await trust()))).toMatch(/^TOO_LARGE: GET .*\/r\/metadata\/snapshot: more than 16384 bytes$/);
    const gone = createRepositoryClient({ base: 'http://127.0.0.1:1/r/', fetch, signal: new AbortController().signal });
    expect(await refusal(gone.imageMetadata(await trust()))).toMatch(/^INCOMPLETE: GET http:\/\/127\.0\.0\.1:1\/r\/metadata\/root\/2: /);
  });
});
