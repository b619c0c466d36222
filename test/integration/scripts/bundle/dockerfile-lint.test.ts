import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { instructions, lintDockerfile, policyFindings } from '../../../../scripts/bundle/dockerfile-lint.ts';
import { repoRoot } from '../../../support/cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'ame-dockerlint-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const GOOD = `FROM node:24-bookworm AS build
RUN echo build
FROM debian:bookworm-slim
LABEL org.opencontainers.image.title="t" \\
      org.opencontainers.image.description="d" \\
      org.opencontainers.image.version="v" \\
      org.opencontainers.image.revision="r" \\
      org.opencontainers.image.licenses="Apache-2.0"
VOLUME ["/data"]
USER ame
HEALTHCHECK CMD ["true"]
ENTRYPOINT ["/opt/ame/bin/ame"]
`;

function lintCli(...files: string[]): { status: number | null; stderr: string } {
  const run = spawnSync(process.execPath, [join(repoRoot, 'scripts/bundle/dockerfile-lint.ts'), ...files], { cwd: repoRoot, encoding: 'utf8' });
  return { status: run.status, stderr: run.stderr };
}

describe('the image Dockerfiles', () => {
  it.each(['Dockerfile.arm64', 'Dockerfile.amd64'])('%s passes the linter, as scripts/lint.sh runs it', (file) => {
    expect(lintDockerfile(readFileSync(join(repoRoot, file), 'utf8'))).toEqual([]);
    expect(readFileSync(join(repoRoot, 'scripts/lint.sh'), 'utf8')).toContain(`dockerfile-lint.ts Dockerfile.arm64 Dockerfile.amd64`);
  });

  it('build their bundle with the bundle script for their own architecture', () => {
    expect(readFileSync(join(repoRoot, 'Dockerfile.arm64'), 'utf8')).toContain('node scripts/bundle/build.ts --arch arm64');
    expect(readFileSync(join(repoRoot, 'Dockerfile.amd64'), 'utf8')).toContain('node scripts/bundle/build.ts --arch x64');
  });
});

describe('dockerfile-lint', () => {
  it('accepts a Dockerfile that follows the image rules', () => {
    expect(lintDockerfile(GOOD)).toEqual([]);
  });

  it.each([
    ['a single stage', GOOD.replace(/^FROM node[^\n]*\nRUN echo build\n/, ''), 'not multi-stage'],
    ['root', GOOD.replace('USER ame', 'USER root'), 'USER root runs as root'],
    ['uid 0', GOOD.replace('USER ame', 'USER 0:0'), 'runs as root'],
    ['no user', GOOD.replace('USER ame\n', ''), 'sets no USER'],
    ['no health check', GOOD.replace('HEALTHCHECK CMD ["true"]', 'HEALTHCHECK NONE'), 'no HEALTHCHECK'],
    ['no volume', GOOD.replace('VOLUME ["/data"]\n', ''), 'no VOLUME /data'],
    ['another volume', GOOD.replace('VOLUME ["/data"]', 'VOLUME /database'), 'no VOLUME /data'],
    ['a missing label', GOOD.replace('org.opencontainers.image.revision="r" \\\n', ''), 'no LABEL org.opencontainers.image.revision'],
    ['a user only in the build stage', GOOD.replace('USER ame\n', '').replace('RUN echo build', 'USER ame'), 'sets no USER'],
    ['a bad instruction argument', GOOD.replace('VOLUME', 'EXPOSE 8080/xyz\nVOLUME'), 'Invalid proto: xyz'],
    ['an unknown instruction', GOOD.replace('VOLUME', 'RUNN echo\nVOLUME'), 'RUNN'],
  ])('finds %s', (_name, text, message) => {
    const findings = lintDockerfile(text);
    expect(findings.map((f) => f.message).join('\n')).toContain(message);
  });

  it('reports the line of each finding', () => {
    expect(policyFindings(GOOD.replace('USER ame', 'USER root'))).toEqual([{ line: 10, message: 'USER root runs as root' }]);
    expect(instructions('FROM a \\\n  AS b\n# c\nRUN x')).toEqual([
      { line: 1, keyword: 'FROM', args: 'a AS b' },
      { line: 4, keyword: 'RUN', args: 'x' },
    ]);
  });

  it('fails the lint step (exit 1, file and line named) on a bad Dockerfile, and passes the real ones', () => {
    const bad = join(tmp, 'Dockerfile.bad');
    writeFileSync(bad, GOOD.replace('USER ame', 'USER root'));
    const failed = lintCli(join(repoRoot, 'Dockerfile.arm64'), bad);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain(`${bad}:10: USER root runs as root`);
    expect(failed.stderr).not.toContain('Dockerfile.arm64:');
    expect(lintCli(join(repoRoot, 'Dockerfile.arm64'), join(repoRoot, 'Dockerfile.amd64')).status).toBe(0);
  });
});
