#!/usr/bin/env bash
# Build etcd, etcdctl and etcdutl of one release from etcd's Go modules.
# `build.sh VERSION OUTDIR`. etcd's modules carry `replace` directives, so
# `go install module@version` refuses them; a throwaway module of our own that
# requires the three at VERSION builds their main packages instead. Go's module
# and build caches make a second build of the same version take seconds.
set -euo pipefail
version=${1:?usage: build.sh VERSION OUTDIR}
outdir=${2:?usage: build.sh VERSION OUTDIR}
modules=(go.etcd.io/etcd/server/v3 go.etcd.io/etcd/etcdctl/v3 go.etcd.io/etcd/etcdutl/v3)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
go mod init quorum-etcd-lab/etcd-build >/dev/null 2>&1
go get "${modules[@]/%/@v$version}" > "$work/get.log" 2>&1 || { cat "$work/get.log" >&2; exit 1; }
mkdir -p "$outdir"
# Static binaries like etcd's own release builds; the Git SHA names the source.
ldflags="-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=go-module-v$version"
export CGO_ENABLED=0
go build -trimpath -ldflags "$ldflags" -o "$outdir/etcd" go.etcd.io/etcd/server/v3
go build -trimpath -ldflags "$ldflags" -o "$outdir/etcdctl" go.etcd.io/etcd/etcdctl/v3
go build -trimpath -ldflags "$ldflags" -o "$outdir/etcdutl" go.etcd.io/etcd/etcdutl/v3
# The whole output is read: `| head -n1` closes the pipe early, and etcd, killed by
# SIGPIPE on its next line, failed this script under pipefail now and then.
version_line=$("$outdir/etcd" --version)
echo "${version_line%%$'\n'*}"
