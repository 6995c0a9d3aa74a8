#!/usr/bin/env bash
# Builds Headroom's release binaries: static linux/amd64 and linux/arm64
# executables named headroom_<version>_linux_<arch>, and SHA256SUMS over
# them, into DIST (default dist/), then prints the sums.
#
#   scripts/release.sh                 # version from git describe  (make release)
#   VERSION=v1.2.3 DIST=/tmp/out scripts/release.sh
#
# The flags are deploy/Dockerfile's (internal/deploytest keeps them equal):
# CGO_ENABLED=0 for a binary that needs no libc, -trimpath so that builds
# reproduce, -s -w to drop the symbol table and DWARF, and -X main.version
# so that `headroom version` names the release.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
GO=${GO:-go}
DIST=${DIST:-$root/dist}
VERSION=${VERSION:-$(git -C "$root" describe --tags --always --dirty 2>/dev/null || echo dev)}
ARCHES=(amd64 arm64)

# The version goes into file names and into -ldflags, which splits on
# spaces: allow only what a tag or git describe produces.
if [[ ! $VERSION =~ ^[A-Za-z0-9][A-Za-z0-9._+-]*$ ]]; then
  echo "release: VERSION \"$VERSION\": want letters, digits and . _ + - only" >&2
  exit 2
fi

if command -v sha256sum >/dev/null; then
  sha256() { sha256sum "$@"; }
elif command -v shasum >/dev/null; then
  sha256() { shasum -a 256 "$@"; }
else
  echo "release: neither sha256sum nor shasum found" >&2
  exit 1
fi

mkdir -p "$DIST"
DIST=$(cd "$DIST" && pwd)

names=()
for arch in "${ARCHES[@]}"; do
  name="headroom_${VERSION}_linux_${arch}"
  echo "release: building $name" >&2
  (cd "$root" && CGO_ENABLED=0 GOOS=linux GOARCH="$arch" "$GO" build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o "$DIST/$name" ./cmd/headroom)
  names+=("$name")
done

# Sums over this version's binaries only, with bare names, so that
# `sha256sum -c SHA256SUMS` works in the directory they are published in.
(cd "$DIST" && sha256 "${names[@]}") >"$DIST/SHA256SUMS.tmp"
mv "$DIST/SHA256SUMS.tmp" "$DIST/SHA256SUMS"
cat "$DIST/SHA256SUMS"
