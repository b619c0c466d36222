/**
 * Typed errors of the release bundle build. A build that cannot promise a correct, reproducible bundle for the
 * target stops with a BundleBuildError: the code says which step refused, the message names the file, package or
 * tool, so CI and the Dockerfiles fail with a line a person can act on.
 */
import { AmeError } from '../../node/crypto/index.ts';

export type BundleBuildErrorCode =
  | 'BAD_ARGUMENT' // an unknown option, architecture or version on the command line
  | 'TOOL_MISSING' // a program the build needs (git, tar, the aarch64 cross compiler, npm) is not installed
  | 'COMMAND_FAILED' // a step's child process (git archive, npm ci, tar) exited non-zero
  | 'RUNTIME_MISMATCH' // the Node runtime package is not the pinned version or its bytes do not match the pinned hash
  | 'WRONG_ARCH' // a native binary (ELF or .node addon) in the staging folder is not built for the target CPU
  | 'UNSUPPORTED_ENTRY'; // a symbolic link or special file that a bundle cannot carry

export const BUNDLE_BUILD_ERROR_CODES: readonly BundleBuildErrorCode[] = [
  'BAD_ARGUMENT',
  'TOOL_MISSING',
  'COMMAND_FAILED',
  'RUNTIME_MISMATCH',
  'WRONG_ARCH',
  'UNSUPPORTED_ENTRY',
];

export class BundleBuildError extends AmeError {
  declare readonly code: BundleBuildErrorCode;

  constructor(code: BundleBuildErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
