/**
 * `npm run build:bundle -- --arch arm64|x64 [options]`: builds dist/ame-<version>-<arch>.tar.gz and prints
 * `<sha256>  <path>` on stdout (progress on stderr). See docs/image.md.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { findNpm } from './deps.ts';
import { BundleBuildError } from './errors.ts';
import { runCommand } from './exec.ts';
import { buildRelease, type Release } from './release.ts';
import type { SourceSpec } from './sources.ts';
import { hostArch, parseArch } from './target.ts';

const USAGE = `usage: node scripts/bundle/build.ts --arch arm64|x64 [--out DIR] [--rev REV | --tree] [--version V]
                                   [--cache DIR] [--work DIR]
  --arch     the target CPU (required)
  --out      where the bundle is written (default: dist/)
  --rev      the commit to build (default: HEAD in a git checkout)
  --tree     build the files as they are in the folder instead (default outside a git checkout)
  --version  the release version (default: package.json's, plus +g<commit> when built from git)
  --cache    where the Node runtime tarballs are kept (default: $AME_NODE_CACHE/bundle or ~/.cache/ame/bundle)
  --work     a scratch folder to keep for inspection (default: a temporary one, removed afterwards)`;

export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  const base = env['AME_NODE_CACHE'] ?? join(env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'ame');
  return join(base, 'bundle');
}

export async function main(argv: readonly string[], root: string): Promise<Release> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      arch: { type: 'string' },
      out: { type: 'string' },
      rev: { type: 'string' },
      tree: { type: 'boolean' },
      version: { type: 'string' },
      cache: { type: 'string' },
      work: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (values.tree && values.rev !== undefined) throw new BundleBuildError('BAD_ARGUMENT', '--tree and --rev exclude each other');
  const arch = parseArch(values.arch);
  const source: SourceSpec =
    values.tree || (values.rev === undefined && !existsSync(join(root, '.git'))) ? { kind: 'tree' } : { kind: 'git', rev: values.rev ?? 'HEAD' };
  const outDir = resolve(values.out ?? join(root, 'dist'));
  await mkdir(outDir, { recursive: true });
  // Build output never belongs in the repository; this keeps dist/ out of git without touching the root ignore file.
  if (!existsSync(join(outDir, '.gitignore'))) await writeFile(join(outDir, '.gitignore'), '*\n');
  return buildRelease({
    root,
    arch,
    host: hostArch(process.arch),
    source,
    outDir,
    cacheDir: resolve(values.cache ?? defaultCacheDir(process.env)),
    ...(values.version !== undefined ? { version: values.version } : {}),
    ...(values.work !== undefined ? { workDir: resolve(values.work) } : {}),
    npm: findNpm(process.execPath),
    env: process.env,
    execPath: process.execPath,
    run: runCommand,
    log: (line) => console.error(`bundle: ${line}`),
  });
}

if (import.meta.main) {
  const root = resolve(new URL('../..', import.meta.url).pathname);
  const t0 = Date.now();
  main(process.argv.slice(2), root).then(
    (r) => {
      console.error(
        `bundle: ${r.name}: ${r.length} bytes (${(r.length / 2 ** 20).toFixed(1)} MiB), ${r.files} files, ` +
          `${(r.unpackedSize / 2 ** 20).toFixed(1)} MiB unpacked, built in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
      console.log(`${r.sha256}  ${r.path}`);
    },
    (err: unknown) => {
      const code = err instanceof Error && 'code' in err ? ` [${String(err.code)}]` : '';
      console.error(`bundle: failed${code}: ${err instanceof Error ? err.message : String(err)}`);
      if (err instanceof Error && err.message.startsWith('Unknown option')) console.error(USAGE);
      process.exit(1);
    },
  );
}
