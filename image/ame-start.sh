#!/bin/sh
# The launcher of an installed box (image/install.sh puts it at /opt/ame/libexec/ame-start; the systemd unit runs
# `ame-start device`): runs the release the device's update agent last committed — the running slot named by
# <dataDir>/update/state.json (device/update/slots.ts runningSlot) — or, when it names none, the release
# install.sh installed (/opt/ame/current). The agent exits with 75 to be started again in a new slot; systemd's
# Restart= does the starting, this script only chooses. Exit 78 (EX_CONFIG) when the genesis file is missing: the
# unit does not restart on 78, so a box without a genesis waits for its owner instead of looping.
set -eu
prefix=${AME_PREFIX:-/opt/ame}
base=$prefix/current
data=${AME_DATA_DIR:-/var/lib/ame}
if [ ! -x "$base/bin/ame" ]; then
  echo "ame-start: no installed release at $base (run install.sh install BUNDLE)" >&2
  exit 78
fi
if [ "${1:-}" = device ] && [ -n "${AME_GENESIS:-}" ] && [ ! -r "$AME_GENESIS" ]; then
  echo "ame-start: the genesis file $AME_GENESIS is missing: copy the network's genesis there (docs/image.md), then start ame again" >&2
  exit 78
fi
release=$base
if [ -f "$data/update/state.json" ]; then
  # The installed release's own code reads the state file, so this never disagrees with the agent about it.
  slot=$("$base/runtime/bin/node" --input-type=module -e '
    const [modulePath, dataDir] = process.argv.slice(1);
    const { runningSlot } = await import(modulePath);
    process.stdout.write(runningSlot(dataDir) ?? "");
  ' "$base/app/device/update/slots.ts" "$data") || {
    echo "ame-start: $data/update/state.json does not read back; starting the installed release" >&2
    slot=
  }
  if [ -n "$slot" ]; then
    if [ -x "$slot/bin/ame" ]; then
      release=$slot
    else
      echo "ame-start: the running slot $slot is missing; starting the installed release" >&2
    fi
  fi
fi
exec "$release/bin/ame" "$@"
