#!/bin/sh
# Runs a command with Node.js >= 24 and an installed, matching node_modules.
#
#   sh scripts/run.sh <command> [args...]
#
# Machines here ship an older Node, so when the system one is older than 24 this fetches Node 24
# (the npm registry's node-linux-<arch> package, which carries the binary and its C headers) and npm 11
# into a cache, installs the lockfile with that Node, builds native addons against its headers, and
# runs the command with that Node first on PATH. Everything is idempotent; the second run costs a few
# milliseconds. See docs/toolchain.md.
set -eu

root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
. "$root/scripts/node24.sh"

ame_ensure_node24
ame_ensure_modules "$root"

export PATH="$root/node_modules/.bin:$PATH"
exec "$@"
