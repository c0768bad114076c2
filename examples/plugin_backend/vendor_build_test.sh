#!/usr/bin/env bash
# The example plugin as a vendor builds it: the one-line command documented in
# example_backend.c (no Bazel), exporting only the entry symbol, loadable by neon.
set -uo pipefail
bazel_built="$1"
neon="$2"
fail() { echo "FAIL: $*" >&2; exit 1; }
out_dir=$(mktemp -d)
trap 'rm -rf "$out_dir"' EXIT

# The command is taken from the file's own comment, so the documentation cannot drift from it.
command=$(sed -n '/^ \*   cc /,/-o libneon_example_backend.so$/p' examples/plugin_backend/example_backend.c |
          sed -e 's/^ \*  *//' -e 's/\\$//' | tr '\n' ' ')
[[ "$command" == cc\ * ]] || fail "no build command found in example_backend.c"
(eval "$command") || fail "the documented command failed: $command"
mv libneon_example_backend.so "$out_dir/" || fail "the command made no libneon_example_backend.so"

for library in "$out_dir/libneon_example_backend.so" "$bazel_built"; do
  # __bss_start, _edata, _end, _init, _fini: section markers some linkers add, not code.
  exported=$(nm -D --defined-only "$library" | awk '$2 ~ /^[TDBR]$/ {print $3}' |
             grep -vxE '__bss_start|_edata|_end|_init|_fini' | sort | tr '\n' ' ')
  [ "$exported" = "neon_backend_get_api_v1 " ] || fail "$library exports '$exported', expected only neon_backend_get_api_v1"
done

out=$("$neon" --backend=plugin:"$out_dir/libneon_example_backend.so" devices 2>&1) || fail "neon devices exited $?: $out"
grep -q '^selected (--backend=plugin:.*): plugin:example$' <<<"$out" || fail "the plugin was not selected: $out"
# Plugins on $NEON_BACKEND_PATH are listed by `neon devices` with what they declare.
out=$(NEON_BACKEND_PATH="/no/such/dir:$out_dir" "$neon" --backend=reference devices 2>&1) || fail "devices exited $?: $out"
grep -qF "plugin:example: example host-memory plugin ($out_dir/libneon_example_backend.so) [cpu, 1.0 GiB, 1 compute units, float64]" <<<"$out" ||
  fail "the plugin on NEON_BACKEND_PATH is not listed: $out"
echo "PASS"
