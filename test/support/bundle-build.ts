/**
 * Builds release bundles with the real `scripts/bundle/build.ts` (as `npm run build:bundle` does) for the long image
 * tests: one commit for every build of a run, even if HEAD moves while the tests run.
 */
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { TargetArch } from '../../scripts/bundle/target.ts';
import { repoRoot } from './cli.ts';

export const bundleCommit = execFileSync('git', ['-C', repoRoot, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
const packageVersion = (JSON.parse(execFileSync('git', ['-C', repoRoot, 'show', `${bundleCommit}:package.json`], { encoding: 'utf8' })) as { version: string }).version;
/** The version build.ts gives a bundle of `bundleCommit` without --version. */
export const bundleVersion = `${packageVersion}+g${bundleCommit.slice(0, 7)}`;

export interface BuiltBundle {
  readonly path: string;
  readonly sha256: string;
  /** Wall-clock milliseconds the build took. */
  readonly ms: number;
}

/**
 * `build.ts --arch ARCH --rev <bundleCommit> --out OUT [--version V]`, without --work: each build stages in its own
 * fresh temporary folder. Rejects with the script's stderr when it fails.
 */
export function buildBundleOf(arch: TargetArch, out: string, options: { version?: string } = {}): Promise<BuiltBundle> {
  const args = [join(repoRoot, 'scripts/bundle/build.ts'), '--arch', arch, '--rev', bundleCommit, '--out', out];
  if (options.version !== undefined) args.push('--version', options.version);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`build.ts --arch ${arch} exited with ${code}:\n${stderr}`));
      const [sha256, path] = stdout.trim().split(/\s+/);
      resolve({ path: path!, sha256: sha256!, ms: Date.now() - started });
    });
  });
}
