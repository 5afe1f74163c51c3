#!/usr/bin/env bash
# Prints the registry host that a Terraform-compatible CLI gives a provider
# source without one ("manualapproval/manualapproval"). terraform-plugin-testing
# names the provider under test <host>/manualapproval/manualapproval
# (TF_ACC_PROVIDER_HOST) and OpenTofu's default host is not terraform's: ask
# the CLI rather than hard-code it.
#   tools/provider-host.sh CLI
set -euo pipefail
cli=$(command -v "$1" || true)
case $1 in */*) cli=$(cd "$(dirname "$1")" && pwd)/$(basename "$1");; esac
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf 'terraform {\n  required_providers {\n    manualapproval = { source = "manualapproval/manualapproval" }\n  }\n}\n' > "$dir/main.tf"
# `providers` reads the configuration only: no init, no network.
line=$(cd "$dir" && TF_CLI_CONFIG_FILE=/dev/null "$cli" providers -no-color 2>/dev/null | grep -o 'provider\[[^]]*manualapproval/manualapproval\]' | head -1)
host=${line#provider[}
host=${host%%/*}
test -n "$host" || { echo "cannot tell the provider host of $cli" >&2; exit 1; }
echo "$host"
