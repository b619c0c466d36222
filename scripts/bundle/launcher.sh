#!/bin/sh
# The `ame` command of a release bundle: runs the CLI with the Node runtime the bundle carries, whatever Node the
# system has (or none). Symbolic links to it (/usr/local/bin/ame) are followed to find the bundle.
set -eu
self=$0
while [ -L "$self" ]; do
  link=$(readlink "$self")
  case "$link" in /*) self=$link ;; *) self=$(dirname "$self")/$link ;; esac
done
here=$(CDPATH= cd -- "$(dirname -- "$self")/.." && pwd)
exec "$here/runtime/bin/node" "$here/app/cli/main.ts" "$@"
