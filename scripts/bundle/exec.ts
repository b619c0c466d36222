/** Runs the build's child processes: output captured, stderr passed through, failures as typed errors. */
import { spawn } from 'node:child_process';
import { BundleBuildError } from './errors.ts';

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Bytes written to the child's standard input, then closed. */
  readonly input?: Uint8Array;
  /** What to tell the person when the program is not installed (a Debian package, say). */
  readonly missingHint?: string;
}

export type Runner = (command: string, args: readonly string[], options?: RunOptions) => Promise<Buffer>;

/** Resolves with the child's stdout; the child's stderr goes to ours so npm and node-gyp stay readable. */
export const runCommand: Runner = (command, args, options = {}) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input ? 'pipe' : 'ignore', 'pipe', 'inherit'],
    });
    const chunks: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        const hint = options.missingHint ? `: install ${options.missingHint}` : '';
        reject(new BundleBuildError('TOOL_MISSING', `${command} is not installed${hint}`, { cause: err }));
      } else reject(new BundleBuildError('COMMAND_FAILED', `${command} could not start: ${err.message}`, { cause: err }));
    });
    child.on('close', (code, signal) => {
      if (code === 0) resolve(Buffer.concat(chunks));
      else {
        const how = signal ? `was killed by ${signal}` : `exited with ${code}`;
        reject(new BundleBuildError('COMMAND_FAILED', `${command} ${args.join(' ')} ${how}`));
      }
    });
    if (options.input && child.stdin) child.stdin.end(options.input);
  });
