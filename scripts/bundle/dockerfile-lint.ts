/**
 * Lints the image Dockerfiles with a linter that installs from the npm registry alone (dockerfile-utils, the
 * validator of the VS Code Docker extension: syntax, instruction arguments, flags, JSON forms) and adds the rules
 * SPEC §11 sets for our images, which no generic linter knows: multi-stage, a non-root user, a /data volume, a
 * health check and the OCI labels in the final stage. Any finding, a generic warning included, fails.
 *
 *   node scripts/bundle/dockerfile-lint.ts Dockerfile.arm64 Dockerfile.amd64
 */
import { readFile } from 'node:fs/promises';
import { validate } from 'dockerfile-utils';

export interface Finding {
  /** 1-based. */
  readonly line: number;
  readonly message: string;
}

interface Instruction {
  readonly line: number;
  readonly keyword: string;
  readonly args: string;
}

export const REQUIRED_LABELS: readonly string[] = [
  'org.opencontainers.image.title',
  'org.opencontainers.image.description',
  'org.opencontainers.image.version',
  'org.opencontainers.image.revision',
  'org.opencontainers.image.licenses',
];

/** Instructions with continuation lines joined and comments dropped (enough for the rules below). */
export function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: { line: number; text: string } | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (pending === undefined && (line.trim() === '' || line.trimStart().startsWith('#'))) return;
    if (pending !== undefined && line.trimStart().startsWith('#')) return;
    const continues = line.endsWith('\\');
    const part = continues ? line.slice(0, -1).trimEnd() : line;
    pending = pending === undefined ? { line: i + 1, text: part } : { line: pending.line, text: `${pending.text} ${part.trim()}` };
    if (!continues) {
      const m = /^\s*(\S+)\s*(.*)$/.exec(pending.text);
      if (m) out.push({ line: pending.line, keyword: (m[1] ?? '').toUpperCase(), args: (m[2] ?? '').trim() });
      pending = undefined;
    }
  });
  return out;
}

/** The project's rules for an image Dockerfile, on its final stage. */
export function policyFindings(text: string): Finding[] {
  const all = instructions(text);
  const froms = all.filter((i) => i.keyword === 'FROM');
  const findings: Finding[] = [];
  if (froms.length < 2) findings.push({ line: froms[0]?.line ?? 1, message: 'not multi-stage: build with the toolchain in one stage, run on a slim base in another' });
  const lastFrom = froms[froms.length - 1];
  const final = lastFrom === undefined ? all : all.filter((i) => i.line >= lastFrom.line);
  const at = lastFrom?.line ?? 1;
  const user = final.filter((i) => i.keyword === 'USER').pop();
  if (user === undefined) findings.push({ line: at, message: 'the final stage sets no USER: the container would run as root' });
  else if (/^(root|0)(:|$)/.test(user.args)) findings.push({ line: user.line, message: `USER ${user.args} runs as root` });
  const health = final.filter((i) => i.keyword === 'HEALTHCHECK').pop();
  if (health === undefined || /^NONE$/i.test(health.args)) findings.push({ line: health?.line ?? at, message: 'the final stage has no HEALTHCHECK' });
  if (!final.some((i) => i.keyword === 'VOLUME' && /(^|[\s"[])\/data(["\s,\]]|$)/.test(i.args))) {
    findings.push({ line: at, message: 'the final stage declares no VOLUME /data' });
  }
  const labels = final.filter((i) => i.keyword === 'LABEL').map((i) => i.args).join(' ');
  for (const label of REQUIRED_LABELS) {
    if (!labels.includes(`${label}=`)) findings.push({ line: at, message: `the final stage has no LABEL ${label}` });
  }
  return findings;
}

export function lintDockerfile(text: string): Finding[] {
  const generic = validate(text).map((d) => ({ line: d.range.start.line + 1, message: typeof d.message === 'string' ? d.message : d.message.value }));
  return [...generic, ...policyFindings(text)].sort((a, b) => a.line - b.line);
}

if (import.meta.main) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: node scripts/bundle/dockerfile-lint.ts DOCKERFILE...');
    process.exit(2);
  }
  let failed = 0;
  for (const file of files) {
    const findings = lintDockerfile(await readFile(file, 'utf8'));
    for (const f of findings) console.error(`${file}:${f.line}: ${f.message}`);
    failed += findings.length;
  }
  if (failed > 0) {
    console.error(`dockerfile-lint: ${failed} finding(s) in ${files.join(', ')}`);
    process.exit(1);
  }
}
