#!/bin/sh
# Installs the AME device agent from a release bundle (scripts/bundle, docs/image.md) on Debian or Raspberry Pi OS,
# or into a root folder (a debootstrap root, a mounted SD card image) without running anything there.
#
#   install.sh [--root DIR] [--boot DIR] [--no-start] install BUNDLE     first install
#   install.sh [--root DIR] [--no-start] upgrade BUNDLE                  switch to another release, keep the last one
#   install.sh [--root DIR] [--no-start] rollback                        switch back to the kept release
#   install.sh [--root DIR] uninstall [--purge]                          remove; --purge also data, settings, user
#
# The kit is this folder: install.sh, ame-start.sh, systemd/ame.service and boot/ame.json travel together.
# Errors print `install.sh: CODE: message` on stderr and exit with the code's number (docs/image.md "install.sh").
set -eu

prog=install.sh
kit=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
PREFIX=/opt/ame
DATA=/var/lib/ame
CACHE=/var/cache/ame
UNIT=/etc/systemd/system/ame.service
WANTS=/etc/systemd/system/multi-user.target.wants/ame.service
DEFAULTS=/etc/default/ame
LINK=/usr/local/bin/ame
USAGE="usage: $prog [--root DIR] [--boot DIR] [--no-start] install BUNDLE | upgrade BUNDLE | rollback | uninstall [--purge]"

fail() { # fail CODE MESSAGE: the stable codes and their exit statuses are listed in docs/image.md
  case $1 in
    USAGE) status=2 ;; NOT_ROOT) status=3 ;; NO_BUNDLE) status=4 ;; BAD_BUNDLE) status=5 ;; WRONG_ARCH) status=6 ;;
    NOT_INSTALLED) status=7 ;; ALREADY_INSTALLED) status=8 ;; BAD_ROOT) status=9 ;; KIT_INCOMPLETE) status=10 ;;
    BUSY) status=11 ;; *) status=1 ;;
  esac
  echo "$prog: $1: $2" >&2
  exit "$status"
}
say() { echo "$prog: $*"; }

root=/
boot=
start=yes
purge=no
while [ $# -gt 0 ]; do
  case $1 in
    --root) [ $# -ge 2 ] || fail USAGE "--root needs a folder"; root=$2; shift 2 ;;
    --root=*) root=${1#--root=}; shift ;;
    --boot) [ $# -ge 2 ] || fail USAGE "--boot needs a folder"; boot=$2; shift 2 ;;
    --boot=*) boot=${1#--boot=}; shift ;;
    --no-start) start=no; shift ;;
    --purge) purge=yes; shift ;;
    -h | --help) echo "$USAGE"; exit 0 ;;
    -*) fail USAGE "unknown option $1
$USAGE" ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || fail USAGE "name a command
$USAGE"
command=$1
shift
case $command in
  install | upgrade)
    [ $# -ge 1 ] || fail USAGE "$command needs a bundle (ame-<version>-<arch>.tar.gz from npm run build:bundle)"
    bundle=$1
    shift ;;
  rollback | uninstall) ;;
  *) fail USAGE "unknown command $command
$USAGE" ;;
esac
while [ $# -gt 0 ]; do
  case $1 in
    --purge) [ "$command" = uninstall ] || fail USAGE "--purge is an option of uninstall"; purge=yes; shift ;;
    --no-start) start=no; shift ;;
    *) fail USAGE "unexpected \"$1\"
$USAGE" ;;
  esac
done
[ "$purge" = no ] || [ "$command" = uninstall ] || fail USAGE "--purge is an option of uninstall"

[ "$(id -u)" = 0 ] || fail NOT_ROOT "run as root (sudo $prog …): it creates a user and writes /opt, /etc and /var/lib"
[ -d "$root" ] || fail BAD_ROOT "the root $root is not a folder"
root=$(CDPATH='' cd -- "$root" && pwd -P)
[ -f "$root/etc/passwd" ] || fail BAD_ROOT "$root has no etc/passwd: not a Debian root"
R=${root%/}   # "" for the running system, so "$R/opt/ame" is always right
live=no
# Only on the running system with systemd as init are units reloaded and started; a root folder is only written.
[ "$root" = / ] && [ -d /run/systemd/system ] && live=yes

# ---- architecture ----------------------------------------------------------------------------------------------

elf_arch() { # elf_arch FILE: x64, arm64, or "other (e_machine N)" from a 64-bit little-endian ELF header
  set -- $(od -An -tu1 -N20 "$1" 2>/dev/null)
  if [ $# -lt 20 ] || [ "$1 $2 $3 $4" != "127 69 76 70" ]; then echo "not an ELF file"; return; fi
  [ "$5" = 2 ] || { echo "32-bit"; return; }
  machine=$((${19} + 256 * ${20}))
  case $machine in 62) echo x64 ;; 183) echo arm64 ;; *) echo "other (e_machine $machine)" ;; esac
}

root_arch() { # the CPU the root's programs are built for (a foreign debootstrap root differs from the machine)
  for f in "$R/usr/bin/env" "$R/bin/env" "$R/usr/bin/dpkg"; do
    if [ -f "$f" ] && [ ! -L "$f" ]; then elf_arch "$f"; return; fi
  done
  echo "unknown (no usr/bin/env)"
}

# ---- the bundle ------------------------------------------------------------------------------------------------

# A portable name, as node/update's manifest rule (NAME_PATTERN): it becomes part of a folder name here.
P='[A-Za-z0-9][A-Za-z0-9._+-]*'
manifest_field() { # manifest_field NAME FILE: arch, name or version of a canonical manifest.json (one line, sorted keys)
  case $1 in
    arch) sed -n "s/^{\"arch\":\"\($P\)\",\"files\":\[.*/\1/p" "$2" ;;
    name) sed -n "s/.*\],\"format\":\"ame-bundle\/1\",\"name\":\"\($P\)\",\"version\":\"$P\"}\$/\1/p" "$2" ;;
    version) sed -n "s/.*\],\"format\":\"ame-bundle\/1\",\"name\":\"$P\",\"version\":\"\($P\)\"}\$/\1/p" "$2" ;;
  esac
}

work=
locked=no
cleanup() {
  if [ -n "$work" ]; then rm -rf "$work"; fi
  if [ "$locked" = yes ]; then rmdir "$R$PREFIX/.lock" 2>/dev/null || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

lock() { # one install.sh at a time on a root
  mkdir -p "$R$PREFIX"
  mkdir "$R$PREFIX/.lock" 2>/dev/null || fail BUSY "another $prog is working on $root (else remove $R$PREFIX/.lock)"
  locked=yes
}

# unpack BUNDLE: verified into $R$PREFIX/releases/<name>, its name in $release (reused when already there)
unpack() {
  [ -e "$1" ] || fail NO_BUNDLE "no bundle at $1"
  [ -f "$1" ] && [ -r "$1" ] || fail NO_BUNDLE "$1 is not a readable file"
  mkdir -p "$R$PREFIX/releases"
  # Staged beside the releases (one file system), so the verified tree becomes a release by one rename.
  work=$(mktemp -d "$R$PREFIX/releases/.stage.XXXXXX")
  t=$work/tree
  mkdir "$t"
  if ! gzip -dc <"$1" 2>/dev/null | tar -xf - -C "$t" --no-same-owner 2>"$work/err"; then
    fail BAD_BUNDLE "$1 is not a gzip'd tar bundle ($(head -c 300 "$work/err"))"
  fi
  m=$t/manifest.json
  [ -f "$m" ] || fail BAD_BUNDLE "$1 has no manifest.json: not a release bundle (npm run build:bundle makes one)"
  arch=$(manifest_field arch "$m"); name=$(manifest_field name "$m"); version=$(manifest_field version "$m")
  [ -n "$arch" ] && [ -n "$version" ] || fail BAD_BUNDLE "the manifest of $1 is not an ame-bundle/1 manifest"
  [ "$name" = ame ] || fail BAD_BUNDLE "$1 is a bundle of \"$name\", not of ame"
  want=$(root_arch)
  [ "$arch" = "$want" ] || fail WRONG_ARCH "$1 is built for $arch but the programs of $root are $want: build it with npm run build:bundle -- --arch ${want%% *}"
  # Every file the manifest lists, with its SHA-256, and nothing else (no links, devices or extra files).
  odd=$(find "$t" ! -type f ! -type d | head -n 3)
  [ -z "$odd" ] || fail BAD_BUNDLE "$1 holds entries that are not regular files: $odd"
  # (echo: the manifest has no final newline, and sed keeps a last line without one, which wc -l would not count)
  { tr '{' '\n' <"$m"; echo; } | sed -n 's/^"mode":[0-9]*,"path":"\([^"\\]*\)","sha256":"\([0-9a-f]\{64\}\)","size":[0-9]*}.*/\2  \1/p' >"$work/sums"
  listed=$(wc -l <"$work/sums")
  found=$(find "$t" -type f ! -path "$t/manifest.json" | wc -l)
  if [ "$listed" -eq 0 ] || [ "$listed" -ne "$found" ] || ! (cd "$t" && sha256sum --quiet --strict -c "$work/sums" >"$work/err" 2>&1); then
    fail BAD_BUNDLE "$1 does not match its manifest ($listed files listed, $found present; $(head -n 3 "$work/err" | tr '\n' ' '))"
  fi
  [ -x "$t/bin/ame" ] && [ -x "$t/runtime/bin/node" ] || fail BAD_BUNDLE "$1 has no bin/ame or runtime/bin/node"
  sum=$(sha256sum <"$m" | cut -c1-12)
  release=ame-$version-$arch-$sum
  if [ ! -d "$R$PREFIX/releases/$release" ]; then
    chmod 0755 "$t"
    mv "$t" "$R$PREFIX/releases/$release"
  fi
  rm -rf "$work"
  work=
}

current_release() { # the release the current (or previous) link names, empty when none
  l=$(readlink "$R$PREFIX/${1:-current}" 2>/dev/null || true)
  echo "${l#releases/}"
}

point() { # point LINK RELEASE: replaces the link in one rename, so a power cut leaves the old or the new one
  ln -sfn "releases/$2" "$R$PREFIX/.$1.new"
  mv -Tf "$R$PREFIX/.$1.new" "$R$PREFIX/$1"
}

prune() { # every release but current and previous goes
  keep_c=$(current_release current); keep_p=$(current_release previous)
  for d in "$R$PREFIX/releases"/*; do
    [ -d "$d" ] || continue
    b=${d##*/}
    [ "$b" = "$keep_c" ] || [ "$b" = "$keep_p" ] || rm -rf "$d"
  done
}

# ---- the system around it --------------------------------------------------------------------------------------

uid_of() { awk -F: -v n="$1" '$1 == n { print $3 }' "$R/etc/passwd"; }
gid_of() { awk -F: -v n="$1" '$1 == n { print $3 }' "$R/etc/group"; }

ensure_user() {
  if [ -z "$(gid_of ame)" ]; then groupadd --root "$root" --system ame; fi
  if [ -z "$(uid_of ame)" ]; then
    useradd --root "$root" --system --gid ame --home-dir "$DATA" --no-create-home --shell /usr/sbin/nologin \
      --comment "AME device agent" ame
  fi
  # GPIO (/dev/gpiochip*, Raspberry Pi OS's gpio group) and the UART (dialout), where the root has those groups;
  # systemd gives the service the user's groups, so the unit names none that might be missing.
  for g in gpio dialout; do
    if [ -n "$(gid_of "$g")" ] && ! awk -F: -v g="$g" '$1 == g { exit !("," $4 "," ~ /,ame,/) }' "$R/etc/group"; then
      usermod --root "$root" -a -G "$g" ame
    fi
  done
}

owned_dir() { # owned_dir PATH MODE: a folder of the ame user (numeric ids: the names are the root's, not ours)
  mkdir -p "$R$1"
  chown "$(uid_of ame):$(gid_of ame)" "$R$1"
  chmod "$2" "$R$1"
}

boot_dir() { # where the first-boot file goes: --boot, else what an earlier install chose, else what the root has
  if [ -n "$boot" ]; then echo "$boot"; return; fi
  if [ -f "$R$DEFAULTS" ]; then
    b=$(sed -n 's/^AME_BOOT_DIR=//p' "$R$DEFAULTS" | tail -n 1)
    if [ -n "$b" ]; then echo "$b"; return; fi
  fi
  if [ -d "$R/boot/firmware" ]; then echo /boot/firmware; else echo /boot; fi
}

check_kit() { # before anything is changed
  for f in ame-start.sh systemd/ame.service boot/ame.json; do
    [ -f "$kit/$f" ] || fail KIT_INCOMPLETE "$kit/$f is missing: copy the whole image/ folder with $prog"
  done
}

install_kit() { # the launcher and the unit from this kit (refreshed on every install and upgrade)
  mkdir -p "$R$PREFIX/libexec" "$R/etc/systemd/system/multi-user.target.wants" "$R/usr/local/bin"
  cp "$kit/ame-start.sh" "$R$PREFIX/libexec/.ame-start.new"
  chmod 0755 "$R$PREFIX/libexec/.ame-start.new"
  mv -f "$R$PREFIX/libexec/.ame-start.new" "$R$PREFIX/libexec/ame-start"
  cp "$kit/systemd/ame.service" "$R$UNIT.new"
  chmod 0644 "$R$UNIT.new"
  mv -f "$R$UNIT.new" "$R$UNIT"
  # Enabled the way `systemctl enable` would, by the link its [Install] section asks for: no systemd needed.
  ln -sfn "$UNIT" "$R$WANTS"
  ln -sfn "$PREFIX/current/bin/ame" "$R$LINK"
}

install_settings() { # /etc/default/ame and the example first-boot file, each only if there is none
  b=$(boot_dir)
  if [ ! -f "$R$DEFAULTS" ]; then
    mkdir -p "$R/etc/default"
    cat >"$R$DEFAULTS" <<EOF
# Settings of the ame service (docs/image.md). The device config itself is <boot>/ame.json, $DATA/config.json
# and AME_* variables here (docs/device.md "Config").
AME_DATA_DIR=$DATA
AME_BOOT_DIR=$b
AME_GENESIS=$b/ame-genesis.cbor
EOF
    chmod 0644 "$R$DEFAULTS"
  fi
  mkdir -p "$R$b"
  if [ ! -e "$R$b/ame.json" ]; then
    cp "$kit/boot/ame.json" "$R$b/ame.json"
    # It may hold the provisioning token: readable by the agent, not by everyone (a FAT partition ignores this).
    chmod 0640 "$R$b/ame.json" 2>/dev/null || true
    chown "0:$(gid_of ame)" "$R$b/ame.json" 2>/dev/null || true
    say "wrote the example first-boot file $b/ame.json: set the payout account, fleet URL and token there"
  fi
}

systemctl_live() { if [ "$live" = yes ]; then systemctl "$@"; fi; }

started() {
  systemctl_live daemon-reload
  if [ "$start" = yes ] && [ "$live" = yes ]; then systemctl "$1" ame.service; fi
}

# ---- commands --------------------------------------------------------------------------------------------------

do_install() {
  check_kit
  lock
  old=$(current_release current)
  unpack "$bundle"
  if [ -n "$old" ] && [ "$old" != "$release" ]; then
    [ "$release" = "$(current_release previous)" ] || rm -rf "$R$PREFIX/releases/$release"
    fail ALREADY_INSTALLED "$old is installed: use $prog upgrade $bundle"
  fi
  ensure_user
  owned_dir "$DATA" 0750
  owned_dir "$CACHE" 0750
  [ -n "$old" ] || point current "$release"
  install_kit
  install_settings
  started start
  say "installed $release in $root (data $DATA, unit $UNIT, enabled)"
}

do_upgrade() {
  check_kit
  lock
  old=$(current_release current)
  [ -n "$old" ] || fail NOT_INSTALLED "nothing is installed in $root: use $prog install $bundle"
  unpack "$bundle"
  ensure_user
  install_kit
  if [ "$old" = "$release" ]; then
    say "$release is already the current release"
  else
    point previous "$old"
    point current "$release"
    prune
    say "upgraded $old -> $release (kept $old for rollback)"
  fi
  if [ -f "$R$DATA/update/state.json" ] && grep -q '"running":{' "$R$DATA/update/state.json"; then
    say "note: the update agent runs a release of its own ($DATA/update/state.json); it goes on running that one"
  fi
  started try-restart
}

do_rollback() {
  lock
  cur=$(current_release current); prev=$(current_release previous)
  [ -n "$cur" ] || fail NOT_INSTALLED "nothing is installed in $root"
  [ -n "$prev" ] && [ -d "$R$PREFIX/releases/$prev" ] || fail NOT_INSTALLED "no previous release is kept in $root"
  point previous "$cur"
  point current "$prev"
  started try-restart
  say "rolled back $cur -> $prev"
}

do_uninstall() {
  lock
  if [ "$live" = yes ] && [ -f "$UNIT" ]; then systemctl stop ame.service || true; fi
  rm -f "$R$WANTS" "$R$UNIT" "$R$LINK"
  rmdir "$R$PREFIX/.lock"
  rm -rf "$R$PREFIX"
  systemctl_live daemon-reload
  if [ "$purge" = yes ]; then
    rm -rf "$R$DATA" "$R$CACHE" "$R$DEFAULTS"
    if [ -n "$(uid_of ame)" ]; then userdel --root "$root" ame; fi
    if [ -n "$(gid_of ame)" ]; then groupdel --root "$root" ame; fi
    say "removed ame, its data $DATA, settings and user from $root (the first-boot file on the boot partition stays)"
  else
    say "removed ame from $root; kept its data $DATA, $DEFAULTS and the user ame (uninstall --purge removes them)"
  fi
}

case $command in
  install) do_install ;;
  upgrade) do_upgrade ;;
  rollback) do_rollback ;;
  uninstall) do_uninstall ;;
esac
