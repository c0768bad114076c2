#!/usr/bin/env bash
# Runs an example program on each backend named after it; the program asserts its
# own values and exits non-zero on a mismatch.
set -euo pipefail
program="$1"
shift
for backend in "$@"; do
  echo "== --backend=$backend"
  "$program" --backend="$backend"
done
