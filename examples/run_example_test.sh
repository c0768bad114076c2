#!/usr/bin/env bash
# Runs an example program on each backend named after it; the program asserts its
# own values and exits non-zero on a mismatch.
set -euo pipefail
# A PoCL cache no parallel test shares, kept across runs (see backends/opencl/pocl_test_env.cc).
if [ -n "${TEST_TMPDIR:-}" ]; then
  output_base="${PWD%%/sandbox/*}"
  POCL_CACHE_DIR="/tmp/neon-pocl-cache/$(echo "${output_base%%/execroot/*}|${TEST_TARGET:-}" | md5sum | cut -c1-16)"
  export POCL_CACHE_DIR
fi
program="$1"
shift
for backend in "$@"; do
  echo "== --backend=$backend"
  "$program" --backend="$backend"
done
