#!/usr/bin/env bash
# Runs an example program; it asserts its own values and exits non-zero on a mismatch.
set -euo pipefail
"$@"
