# Shell functions (POSIX sh) that provide Node.js >= 24 and an installed node_modules.
# Sourced by scripts/run.sh and bin/ame; defines functions and variables only.
#
# Environment:
#   AME_NODE_CACHE   where Node 24 is cached (default: ${XDG_CACHE_HOME:-$HOME/.cache}/ame)
#   AME_NODE_MAJOR   the Node major version to fetch when the system one is too old (default 24)
#   AME_QUIET=1      no progress messages

AME_NODE_MAJOR=${AME_NODE_MAJOR:-24}

ame_say() {
  [ "${AME_QUIET:-}" = 1 ] || printf 'ame: %s\n' "$*" >&2
}

ame_arch() {
  case "$(uname -m)" in
    x86_64 | amd64) echo x64 ;;
    aarch64 | arm64) echo arm64 ;;
    *) ame_say "unsupported CPU architecture $(uname -m): only x86-64 and arm64 are built"; return 1 ;;
  esac
}

# Major version of a node binary, or 0 when it does not run.
ame_node_major() {
  "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

# Serialises installs between concurrent runs (two test runners starting at once) with flock on fd 9.
ame_lock() {
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$1"
    flock 9
  fi
}

ame_unlock() {
  exec 9>&-
}

ame_node_cached() {
  [ -x "$pkg/bin/node" ] && [ -f "$npm_cli" ] && [ "$(ame_node_major "$pkg/bin/node")" = "$AME_NODE_MAJOR" ]
}

# Sets AME_NODE (a node >= 24) and AME_NPM (a command that runs npm with it), and puts that node first on PATH.
ame_ensure_node24() {
  sys_node=$(command -v node 2>/dev/null || true)
  if [ -n "$sys_node" ] && [ "$(ame_node_major "$sys_node")" -ge "$AME_NODE_MAJOR" ]; then
    AME_NODE=$sys_node
    AME_NPM=npm
    return 0
  fi
  arch=$(ame_arch)
  cache=${AME_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ame}/node$AME_NODE_MAJOR-linux-$arch
  pkg=$cache/node_modules/node-linux-$arch
  npm_cli=$cache/node_modules/npm/bin/npm-cli.js
  if ! ame_node_cached; then
    mkdir -p "$cache"
    ame_lock "$cache/.lock"
  fi
  # Checked again under the lock: another process may have fetched it while this one waited.
  if ! ame_node_cached; then
    if ! command -v npm >/dev/null 2>&1; then
      ame_unlock
      ame_say "Node $AME_NODE_MAJOR is needed and no npm is here to fetch it: install any Node.js with npm first"
      return 1
    fi
    ame_say "fetching Node $AME_NODE_MAJOR ($arch) and npm 11 into $cache (once)"
    [ -f "$cache/package.json" ] || printf '{"private":true}\n' >"$cache/package.json"
    # --force: the arm64 package declares cpu: arm64, and a cache may be prepared on another machine.
    (cd "$cache" && npm install --no-audit --no-fund --loglevel=error --force \
      "node-linux-$arch@$AME_NODE_MAJOR" "npm@11" >&2) || { ame_unlock; ame_say "could not fetch Node $AME_NODE_MAJOR"; return 1; }
  fi
  ame_unlock
  AME_NODE=$pkg/bin/node
  AME_NPM="$AME_NODE $npm_cli"
  # node-gyp builds native addons against the headers shipped beside this binary, not downloaded ones.
  export npm_config_nodedir="$pkg"
  export PATH="$pkg/bin:$PATH"
}

# What node_modules must have been installed for: the lockfile, the Node ABI and the CPU.
ame_modules_key() {
  lock=$1/package-lock.json
  [ -f "$lock" ] || lock=$1/package.json
  abi=$("$AME_NODE" -p 'process.versions.modules + "-" + process.arch + "-" + process.platform')
  printf '%s %s\n' "$(sha256sum "$lock" | cut -d' ' -f1)" "$abi"
}

# Installs node_modules with the Node from ame_ensure_node24 when the lockfile or the Node ABI changed,
# so native addons are never loaded by a Node they were not built for.
ame_ensure_modules() {
  root=$1
  stamp=$root/node_modules/.ame-install-stamp
  want=$(ame_modules_key "$root")
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  # The lock lives outside node_modules, which npm ci deletes.
  mkdir -p "$root/.cache"
  ame_lock "$root/.cache/install.lock"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    ame_unlock
    return 0
  fi
  if [ -d "$root/node_modules" ] && [ -f "$stamp" ]; then
    ame_say "lockfile or Node ABI changed since the last install: reinstalling node_modules"
  else
    ame_say "installing node_modules with Node $("$AME_NODE" --version)"
  fi
  t0=$(date +%s)
  # The npm that runs the outer script may point node-gyp at its own copy; use the one of this npm.
  unset npm_config_node_gyp
  if [ -f "$root/package-lock.json" ]; then
    (cd "$root" && $AME_NPM ci --no-audit --no-fund --loglevel=error >&2) || { ame_unlock; ame_say "npm ci failed"; return 1; }
  else
    (cd "$root" && $AME_NPM install --no-audit --no-fund --loglevel=error >&2) || { ame_unlock; ame_say "npm install failed"; return 1; }
    want=$(ame_modules_key "$root")
  fi
  mkdir -p "$root/node_modules"
  printf '%s\n' "$want" >"$stamp"
  ame_unlock
  ame_say "node_modules installed in $(($(date +%s) - t0)) s"
}
