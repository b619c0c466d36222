/**
 * Reads the image repository over HTTP at the paths node/fleetproto fixes (`repositoryPath`): the new image roots
 * one version at a time until a 404, then timestamp, snapshot and targets, each read under node/update's size cap
 * for its role so an endless answer costs one chunk past the cap; and a target's bytes through Range requests.
 * Every failure is an UpdateError: an HTTP error or a dropped connection is INCOMPLETE (worth retrying), bytes
 * over a cap TOO_LARGE. What the bytes mean is verifyUpdate's to judge, not this module's.
 */
import { repositoryPath, type RepositoryDocument } from '../../node/fleetproto/index.ts';
import {
  type FetchRange,
  httpRangeFetcher,
  MAX_DOCUMENT_SIZE,
  type TrustState,
  type UpdateMetadata,
  UpdateError,
} from '../../node/update/index.ts';

/** New roots fetched in one check at most: a repository that answers every version cannot keep the device busy. */
export const MAX_NEW_ROOTS = 32;

export interface RepositoryClientOptions {
  /** The offer's repository URL. */
  readonly base: string;
  readonly fetch: typeof fetch;
  /** Aborts every request (the agent's stop). */
  readonly signal: AbortSignal;
}

export interface RepositoryClient {
  /** The image documents for one check; the director part comes from the offer. */
  imageMetadata(trust: TrustState): Promise<Omit<UpdateMetadata, 'directorRoots' | 'director'>>;
  target(name: string): FetchRange;
}

async function readCapped(response: Response, max: number, url: string): Promise<Uint8Array> {
  if (response.body === null) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.length;
    if (size > max) {
      // Leaving the loop cancels the body: the rest of an endless answer is never read.
      throw new UpdateError('TOO_LARGE', `GET ${url}: more than ${max} bytes`);
    }
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

export function createRepositoryClient(options: RepositoryClientOptions): RepositoryClient {
  const base = options.base.endsWith('/') ? options.base : `${options.base}/`;
  const fetchWithSignal: typeof fetch = (input, init) => options.fetch(input, { ...init, signal: options.signal });

  /** The document at `path`, or undefined on a 404 when `missingOk`. */
  async function get(path: string, max: number, missingOk: boolean): Promise<Uint8Array | undefined> {
    const url = new URL(path, base).href;
    let response: Response;
    try {
      response = await fetchWithSignal(url);
    } catch (cause) {
      if (options.signal.aborted) throw cause;
      throw new UpdateError('INCOMPLETE', `GET ${url}: ${(cause as Error).message}`, { cause });
    }
    if (missingOk && response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new UpdateError('INCOMPLETE', `GET ${url}: HTTP ${response.status}`);
    }
    try {
      return await readCapped(response, max, url);
    } catch (cause) {
      if (cause instanceof UpdateError || options.signal.aborted) throw cause;
      throw new UpdateError('INCOMPLETE', `GET ${url}: ${(cause as Error).message}`, { cause });
    }
  }

  const document = async (name: RepositoryDocument) => (await get(repositoryPath({ document: name }), MAX_DOCUMENT_SIZE[name], false))!;

  return {
    async imageMetadata(trust) {
      const imageRoots: Uint8Array[] = [];
      for (let version = trust.imageRoot.signed.version + 1; imageRoots.length < MAX_NEW_ROOTS; version += 1) {
        const root = await get(repositoryPath({ root: version }), MAX_DOCUMENT_SIZE.root, true);
        if (root === undefined) break;
        imageRoots.push(root);
      }
      return {
        imageRoots,
        timestamp: await document('timestamp'),
        snapshot: await document('snapshot'),
        targets: await document('targets'),
      };
    },
    target: (name) => httpRangeFetcher(new URL(repositoryPath({ target: name }), base).href, fetchWithSignal),
  };
}
