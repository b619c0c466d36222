/** Bundles and release stores on real temporary folders, for the repository's and the controller's tests. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundle, type BuiltBundle } from '../../../../node/update/index.ts';

export interface TempDir {
  readonly dir: string;
  cleanup(): void;
}

export function tempDir(prefix: string): TempDir {
  const dir = mkdtempSync(join(tmpdir(), `ame-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A small real bundle of the app at `version` (its bytes differ per version). */
export async function appBundle(root: string, version: string, size = 3000): Promise<BuiltBundle> {
  const src = join(root, `src-${version}`);
  mkdirSync(join(src, 'bin'), { recursive: true });
  writeFileSync(join(src, 'bin', 'app.js'), `console.log(${JSON.stringify(version)});\n`);
  // Incompressible-ish filler so Range reads cover a few KiB.
  const filler = Buffer.alloc(size);
  for (let i = 0; i < size; i++) filler[i] = (i * 7919 + version.length * 31 + i * i) & 0xff;
  writeFileSync(join(src, 'data.bin'), filler);
  return buildBundle({ dir: src, name: 'ame-app', version, arch: 'arm64' });
}
