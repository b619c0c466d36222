/**
 * Builds one release bundle (SPEC §10) for one CPU: the staged application, its production dependencies for the
 * target, the pinned Node runtime and the launcher, packed by node/update's deterministic `buildBundle`.
 *
 * Layout inside the bundle:
 *   bin/ame              launcher (sh): runtime/bin/node app/cli/main.ts "$@"
 *   runtime/bin/node     Node for the target, from node-linux-<arch>@NODE_RUNTIME.version
 *   runtime/LICENSE
 *   app/                 cli/ device/ fleet/ hal/ node/ (.ts), package.json (release version), package-lock.json,
 *                        node_modules/ (production only, pruned to the target)
 */
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../node/crypto/index.ts';
import { bundleTargetName, buildBundle, readBundle } from '../../node/update/index.ts';
import { installProductionDeps } from './deps.ts';
import { checkNativeBinaries, type NativeBinary } from './elf.ts';
import type { Runner } from './exec.ts';
import { pruneForTarget } from './prune.ts';
import { fetchNodeRuntime, NODE_RUNTIME } from './runtime.ts';
import { releasePackageJson, releaseVersion, type SourceSpec, stageSources } from './sources.ts';
import type { TargetArch } from './target.ts';

export const BUNDLE_NAME = 'ame';

export interface ReleaseOptions {
  /** The repository (or unpacked source tree) to build from. */
  readonly root: string;
  readonly arch: TargetArch;
  readonly host: TargetArch | undefined;
  readonly source: SourceSpec;
  readonly outDir: string;
  /** Where the runtime tarballs are cached between builds. */
  readonly cacheDir: string;
  /** Overrides the version derived from package.json and the commit. */
  readonly version?: string;
  /** A scratch folder; a fresh temporary one (removed afterwards) when absent. */
  readonly workDir?: string;
  readonly npm: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly execPath: string;
  readonly run: Runner;
  readonly log: (line: string) => void;
}

export interface Release {
  readonly path: string;
  readonly name: string;
  readonly version: string;
  readonly arch: TargetArch;
  readonly sha256: string;
  readonly length: number;
  readonly files: number;
  readonly unpackedSize: number;
  readonly nativeBinaries: readonly NativeBinary[];
}

const LAUNCHER = new URL('./launcher.sh', import.meta.url);

async function stageRuntime(runtimeDir: string, stage: string): Promise<void> {
  await mkdir(join(stage, 'runtime/bin'), { recursive: true });
  await copyFile(join(runtimeDir, 'bin/node'), join(stage, 'runtime/bin/node'));
  await chmod(join(stage, 'runtime/bin/node'), 0o755);
  await copyFile(join(runtimeDir, 'LICENSE'), join(stage, 'runtime/LICENSE'));
  await mkdir(join(stage, 'bin'), { recursive: true });
  await copyFile(LAUNCHER, join(stage, 'bin/ame'));
  await chmod(join(stage, 'bin/ame'), 0o755);
}

export async function buildRelease(options: ReleaseOptions): Promise<Release> {
  const { arch, log, run } = options;
  const work = options.workDir ?? (await mkdtemp(join(tmpdir(), 'ame-bundle-')));
  const stage = join(work, 'stage');
  const app = join(stage, 'app');
  try {
    await rm(stage, { recursive: true, force: true });
    await mkdir(app, { recursive: true });
    let t = Date.now();
    const step = (what: string): void => {
      log(`${what} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
      t = Date.now();
    };
    const sources = await stageSources(options.root, app, options.source, run);
    const version = options.version ?? releaseVersion(sources.packageVersion, sources.commit);
    step(`sources of ${sources.commit ?? options.root} staged, version ${version}`);
    const runtimeDir = await fetchNodeRuntime({ arch, cacheDir: options.cacheDir, npm: options.npm, env: options.env, run });
    step(`Node ${NODE_RUNTIME.version} for ${arch} ready`);
    await installProductionDeps({ appDir: app, arch, host: options.host, runtimeDir, npm: options.npm, env: options.env, run }, options.execPath);
    step(`production dependencies installed for ${arch}`);
    const removed = await pruneForTarget(join(app, 'node_modules'), arch);
    step(`node_modules pruned to linux-${arch} (${removed.length} paths removed)`);
    const original = JSON.parse(await readFile(join(app, 'package.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(app, 'package.json'), releasePackageJson(original, version));
    await stageRuntime(runtimeDir, stage);
    const nativeBinaries = await checkNativeBinaries(stage, arch);
    step(`${nativeBinaries.length} native binaries checked: all ${arch}`);
    const built = await buildBundle({ dir: stage, name: BUNDLE_NAME, version, arch });
    // The device's own reader, with its default limits: a bundle it would refuse is not a release.
    const contents = readBundle(built.bytes);
    const unpackedSize = built.manifest.files.reduce((sum, f) => sum + f.size, 0);
    const name = bundleTargetName(built.manifest);
    await mkdir(options.outDir, { recursive: true });
    const path = join(options.outDir, name);
    await writeFile(path, built.bytes);
    step(`${name} written`);
    return {
      path,
      name,
      version,
      arch,
      sha256: toHex(built.sha256),
      length: built.length,
      files: contents.manifest.files.length,
      unpackedSize,
      nativeBinaries,
    };
  } finally {
    if (options.workDir === undefined) await rm(work, { recursive: true, force: true });
  }
}
