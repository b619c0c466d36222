#!/bin/sh
# eslint, then dependency-cruiser for the layering of SPEC.md §2 over the source folders that exist so far, then the
# image Dockerfiles (dockerfile-utils from the npm registry plus the image rules of SPEC §11, docs/image.md).
set -eu
cd "$(dirname "$0")/.."
eslint .
dirs=
for d in cli hal node device fleet image; do
  [ -d "$d" ] && dirs="$dirs $d"
done
# shellcheck disable=SC2086 # word splitting of the folder list is intended
depcruise --config .dependency-cruiser.cjs $dirs
node scripts/bundle/dockerfile-lint.ts Dockerfile.arm64 Dockerfile.amd64
