/**
 * `ame fleet root …`: the offline root-key ceremony (docs/fleet.md "Offline root keys"). Keys are made and used on
 * machines that never run the controller; what moves between machines is a root document, first unsigned (a
 * draft from the controller's folder), then signed by one holder after another, then installed in the folder.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PUBLIC_MODE, SECRET_MODE, writeFileAtomic } from '../../node/client/json-file.ts';
import { Ed25519KeyPair, fromHex, toHex } from '../../node/crypto/index.ts';
import { DAY_MS, decodeDocument, draftRoot, keyIdOf, rootProgress, signRoot, type Repository } from '../../node/update/index.ts';
import { directorRootFolder } from '../../fleet/controller/index.ts';
import { imageRootFolder, installRoot, newestRoot, onlinePublicKeys, storedRoots, type RootFolder } from '../../fleet/repository/index.ts';
import { numberOption, oneOf, parse } from '../args.ts';
import { CliError } from '../errors.ts';
import type { CliIO } from '../io.ts';
import { DEFAULT_FLEET_DIR } from './fleet-run.ts';

const USAGE = `ame fleet root keygen --out FILE                      an offline root key (keep FILE off the controller)
       ame fleet root draft --repository image|director --root-key HEX… --threshold K [--days N] --out FILE [--data DIR]
       ame fleet root sign FILE --key KEYFILE [--data DIR]      add a holder's signature
       ame fleet root status FILE [--data DIR]                 signatures so far
       ame fleet root install FILE [--data DIR]                the complete root; the controller takes it at its next start
  DIR: the controller's folder (default ${DEFAULT_FLEET_DIR}); HEX: a root key's public key, as keygen prints it`;

const SEED = /^[0-9a-f]{64}$/;

function folderOf(repository: Repository, values: { data?: string | undefined }, io: CliIO): RootFolder {
  const dir = resolve(io.cwd, values.data ?? DEFAULT_FLEET_DIR);
  return repository === 'image' ? imageRootFolder(join(dir, 'repository')) : directorRootFolder(join(dir, 'director'));
}

function readDocument(io: CliIO, file: string | undefined): { path: string; bytes: Uint8Array; repository: Repository } {
  if (file === undefined) throw new CliError('USAGE', `name the root FILE\nusage: ${USAGE}`);
  const path = resolve(io.cwd, file);
  if (!existsSync(path)) throw new CliError('USAGE', `${path} does not exist`);
  const bytes = new Uint8Array(readFileSync(path));
  return { path, bytes, repository: decodeDocument('root', bytes, path).signed.repository as Repository };
}

function readKey(io: CliIO, file: string): Ed25519KeyPair {
  const path = resolve(io.cwd, file);
  const text = existsSync(path) ? readFileSync(path, 'utf8').trim() : '';
  if (!SEED.test(text)) throw new CliError('USAGE', `${path} does not hold a root key (64 hex digits, as keygen writes)`);
  return Ed25519KeyPair.fromSeed(fromHex(text, 'seed', 32));
}

function progressLine(bytes: Uint8Array, previous: Uint8Array | undefined): string {
  const p = rootProgress(bytes, previous);
  const before = p.previous === null ? '' : `, ${p.previous.signed} of ${p.previous.threshold} from root v${p.version - 1}'s root keys`;
  return `root v${p.version}: ${p.own.signed} of ${p.own.threshold} signatures from its own root keys${before} — ${p.complete ? 'complete' : 'not complete'}`;
}

export async function root(args: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parse(
    rest,
    {
      out: { type: 'string' },
      data: { type: 'string' },
      repository: { type: 'string' },
      'root-key': { type: 'string', multiple: true },
      threshold: { type: 'string' },
      days: { type: 'string' },
      key: { type: 'string' },
    },
    USAGE,
  );
  if (sub === 'keygen') {
    if (values.out === undefined) throw new CliError('USAGE', `keygen needs --out FILE\nusage: ${USAGE}`);
    const path = resolve(io.cwd, values.out);
    if (existsSync(path)) throw new CliError('USAGE', `${path} exists: a root key is never overwritten`);
    const seed = new Uint8Array(randomBytes(32));
    writeFileAtomic(path, `${toHex(seed)}\n`, SECRET_MODE);
    const key = Ed25519KeyPair.fromSeed(seed);
    io.stdout.write(`root key written to ${path} (mode 0600)\npublic key ${toHex(key.publicKey.bytes)}\nkey id ${keyIdOf(key.publicKey.bytes)}\n`);
    return 0;
  }
  if (sub === 'draft') {
    const repository = oneOf('repository', values.repository, ['image', 'director'] as const, 'image');
    if (values.repository === undefined || values.out === undefined) throw new CliError('USAGE', `draft needs --repository and --out\nusage: ${USAGE}`);
    const rootKeys = (values['root-key'] ?? []).map((hex) => {
      if (!SEED.test(hex)) throw new CliError('USAGE', `--root-key must be a public key of 64 hex digits, got "${hex}"`);
      return fromHex(hex, 'root key', 32);
    });
    if (rootKeys.length === 0) throw new CliError('USAGE', `draft needs at least one --root-key\nusage: ${USAGE}`);
    const threshold = numberOption('threshold', values.threshold, 1, (n) => Number.isSafeInteger(n) && n >= 1 && n <= rootKeys.length, `an integer 1…${rootKeys.length} (the root keys given)`);
    const days = numberOption('days', values.days, 365, (n) => Number.isSafeInteger(n) && n >= 1 && n <= 3650, 'whole days 1…3650');
    const folder = folderOf(repository, values, io);
    const version = (newestRoot(folder)?.version ?? 0) + 1;
    const online = Object.fromEntries(Object.entries(onlinePublicKeys(folder)).map(([role, key]) => [role, { keys: [key], threshold: 1 }]));
    const bytes = draftRoot({ repository, version, expires: io.now() + days * DAY_MS, roles: { root: { keys: rootKeys, threshold }, ...online } });
    writeFileAtomic(resolve(io.cwd, values.out), bytes, PUBLIC_MODE);
    io.stdout.write(`draft of ${repository} root v${version} written to ${values.out}: ${threshold} of ${rootKeys.length} root keys must sign${version > 1 ? `, and ${newestRoot(folder)!.roles.root!.threshold} of root v${version - 1}'s` : ''}\n`);
    return 0;
  }
  const document = readDocument(io, positionals[0]);
  const folder = folderOf(document.repository, values, io);
  const chain = storedRoots(folder);
  const version = decodeDocument('root', document.bytes).signed.version;
  // The root this one follows, as the controller's folder holds it (signing off the controller: copy it along).
  const previous = version > 1 ? chain[version - 2] : undefined;
  if (version > 1 && previous === undefined) throw new CliError('USAGE', `the folder ${folder.dir} holds no ${document.repository} root v${version - 1}: name the controller's folder with --data`);
  if (sub === 'sign') {
    if (values.key === undefined) throw new CliError('USAGE', `sign needs --key KEYFILE\nusage: ${USAGE}`);
    const signed = signRoot(document.bytes, readKey(io, values.key), previous);
    writeFileAtomic(document.path, signed, PUBLIC_MODE);
    io.stdout.write(`${progressLine(signed, previous)}\n`);
    return 0;
  }
  if (sub === 'status') {
    io.stdout.write(`${progressLine(document.bytes, previous)}\n`);
    return rootProgress(document.bytes, previous).complete ? 0 : 1;
  }
  if (sub === 'install') {
    const installed = installRoot(folder, document.bytes);
    io.stdout.write(`${document.repository} root v${installed.version} installed in ${folder.dir}; the online root key is retired; restart the controller to use it\n`);
    return 0;
  }
  throw new CliError('USAGE', `usage: ${USAGE}`);
}
