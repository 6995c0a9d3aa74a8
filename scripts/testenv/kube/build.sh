#!/usr/bin/env bash
# Builds the Kubernetes API server and etcd that the tests run
# (internal/testenv.Kube) into scripts/testenv/kube/bin/, from source through
# the Go module proxy: kube-apiserver from k8s.io/kubernetes (this
# directory's module, go.mod written by gen-gomod.sh) and etcd from
# go.etcd.io/etcd/server/v3's embed package (etcd/). A cold build takes
# about 10 minutes on 2 cores and 3 GB of memory; it is skipped when bin/
# holds binaries built from the same go.mod, go.sum and sources with the
# same Go (bin/.stamp records their hash).
#
# Usage: scripts/testenv/kube/build.sh   (or make kube-testenv)
set -euo pipefail
cd "$(dirname "$0")"
GO="${GO:-go}"
# -trimpath and the stripped symbols keep the binaries reproducible and
# small (kube-apiserver is about 120 MB stripped); nothing debugs them.
BUILD=(build -trimpath -ldflags=-s\ -w)

stamp=$({ "$GO" version; cat go.mod go.sum etcd/go.mod etcd/go.sum etcd/main.go build.sh; } | sha256sum | cut -d' ' -f1)
if [ -x bin/kube-apiserver ] && [ -x bin/etcd ] && [ "$(cat bin/.stamp 2>/dev/null)" = "$stamp" ]; then
  echo "kube-testenv: bin/ is up to date"
  exit 0
fi
mkdir -p bin
rm -f bin/.stamp
start=$SECONDS
# etcd is a module of its own: its version need not be the one
# k8s.io/kubernetes requires for its client.
(cd etcd && "$GO" "${BUILD[@]}" -o ../bin/etcd .)
"$GO" "${BUILD[@]}" -o bin/kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver
echo "$stamp" > bin/.stamp
echo "kube-testenv: built kube-apiserver and etcd in $((SECONDS - start)) s"
