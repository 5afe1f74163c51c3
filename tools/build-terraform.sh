#!/usr/bin/env bash
# Builds a newer terraform from the Go module proxy, for the tests that need
# one (resource identity needs Terraform 1.12 or later; the machine's is 1.11).
#   tools/build-terraform.sh VERSION OUT
# `go install github.com/hashicorp/terraform@VERSION` refuses the module: its
# go.mod replaces the remote-state backends (azure, consul, cos, gcs,
# kubernetes, oci, oss, pg, s3) and internal/legacy with nested modules that
# the module's zip does not contain. This copies the module, drops those
# backends (unused by tests, which keep state locally) and builds it.
set -euo pipefail
version=$1 out=$2
src=$(go mod download -json "github.com/hashicorp/terraform@${version}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
test -n "$src" || { echo "cannot download github.com/hashicorp/terraform@${version} from the Go module proxy" >&2; exit 1; }
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cp -r "$src/." "$work/"
chmod -R u+w "$work"
cd "$work"
nested='internal/backend/remote-state/(azure|consul|cos|gcs|kubernetes|oci|oss|pg|s3)|internal/legacy'
sed -E -i "\#github.com/hashicorp/terraform/(${nested})( |\$)#d" go.mod
# The backends' registrations in the backend registry.
sed -E -i "\#remote-state/(azure|consul|cos|gcs|kubernetes|oci|oss|pg|s3)\"#d; /backend(Azure|Consul|Cos|GCS|Kubernetes|OCI|OSS|Pg|S3)\./d" internal/backend/init/init.go
CGO_ENABLED=0 go build -mod=mod -trimpath -ldflags='-s -w -X github.com/hashicorp/terraform/version.dev=no' -o "$out" .
v=$(TF_CLI_CONFIG_FILE=/dev/null "$out" version 2>/dev/null) && echo "${v%%$'\n'*}"
