#!/usr/bin/env bash
# Spark's GPU discovery script (spark.executor.resource.gpu.discoveryScript): prints the executor's GPUs as the
# ResourceInformation JSON Spark expects, e.g. {"name": "gpu", "addresses": ["0", "1"]}. Spark then gives each
# pretrain replica (one task with spark.task.resource.gpu.amount=1) its own GPU address.
set -euo pipefail
# nvidia-smi failing ("No devices were found", no driver) prints its message on stdout: keep only the indices
ids=$(nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null | tr -d ' ' | grep -E '^[0-9]+$' | paste -sd, - || true)
printf '{"name": "gpu", "addresses": [%s]}\n' "$(echo "$ids" | sed -E 's/([0-9]+)/"\1"/g')"
