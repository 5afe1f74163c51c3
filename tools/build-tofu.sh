#!/usr/bin/env bash
# Builds OpenTofu from the Go module proxy, for the tests that run the
# provider and the module under tofu as well as terraform.
#   tools/build-tofu.sh VERSION OUT
# `go install github.com/opentofu/opentofu/cmd/tofu@VERSION` refuses the
# module (its go.mod has a replace directive), so this builds it in a copy.
set -euo pipefail
version=$1 out=$2
src=$(go mod download -json "github.com/opentofu/opentofu@${version}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
test -n "$src" || { echo "cannot download github.com/opentofu/opentofu@${version} from the Go module proxy" >&2; exit 1; }
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cp -r "$src/." "$work/"
chmod -R u+w "$work"
cd "$work"
CGO_ENABLED=0 go build -mod=mod -trimpath -ldflags="-s -w -X github.com/opentofu/opentofu/version.dev=no" -o "$out" ./cmd/tofu
v=$(TF_CLI_CONFIG_FILE=/dev/null "$out" version 2>/dev/null) && echo "${v%%$'\n'*}"
