#!/bin/bash
# usage: .tmp-e2e.sh PATTERN [PKG]
cd /work/h5
ip link set lo up
export TMPDIR=/work/h5/.tmp/ns; mkdir -p $TMPDIR .tmp/tfacc
make $PWD/.tmp/terraformrc >/dev/null
TF_ACC=1 TF_ACC_TERRAFORM_PATH=$(command -v terraform) TF_ACC_PROVIDER_NAMESPACE=manualapproval TF_ACC_TEMP_DIR=$PWD/.tmp/tfacc TF_CLI_CONFIG_FILE=$PWD/.tmp/terraformrc CHECKPOINT_DISABLE=1 KUMO_BIN=$PWD/bin/kumo BOOTSTRAP_HOST_BIN=$PWD/bin/bootstrap-host go test -count=1 -timeout 20m -v -run "$1" ${2:-./internal/e2e/} 2>&1
