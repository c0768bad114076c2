#!/usr/bin/env bash
# `neon check` as a vendor meets it: tables and exit 0 on a good backend, exit 1 with the
# crashing case named on a bad one, a JSON report, and one-line usage errors with exit 2.
set -uo pipefail
neon="$1"
crashing="$2"
example="$3"
fail() { echo "FAIL: $*" >&2; exit 1; }
json=$(mktemp)
trap 'rm -f "$json"' EXIT

out=$("$neon" check --backend=reference --cases='exp_*' --json="$json" 2>&1) || fail "check on reference exited $?: $out"
grep -qE '^unary +6 +6 +0 +0 ' <<<"$out" && grep -qE '^range_limit +1 +1 +0 +0 ' <<<"$out" &&
  grep -qE '^view +2 +2 +0 +0 ' <<<"$out" || fail "no unary (6), range_limit (1) and view (2) table rows: $out"
grep -q '^neon check: 9 cases, 9 passed, 0 failed, 0 skipped on reference$' <<<"$out" || fail "no summary: $out"
python3 - "$json" <<'PY' || fail "bad JSON report"
import json, sys
report = json.load(open(sys.argv[1]))
cases = report["cases"]
assert len(cases) == 9 and all(c["status"] == "passed" for c in cases), cases
assert {"case", "family", "inputs", "dtype", "nmse", "nan_position_mismatch", "sentinel_damage"} <= set(cases[0]), cases[0]
PY

# Under --config=asan / ubsan / tsan the sanitizer would catch the plugin's deliberate SIGSEGV
# and exit 1 itself: let the signal kill the case's process, as it does in a plain build.
no_segv_handler() {
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0" UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}handle_segv=0" \
    TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}handle_segv=0" "$@"
}
out=$(no_segv_handler "$neon" --backend=plugin:"$crashing" check --cases='arg' 2>&1); code=$?
[ "$code" -eq 1 ] || fail "a crashing backend exited $code, expected 1: $out"
grep -q '^FAIL argmax_axis0_127x129: crashed the process: signal 11' <<<"$out" || fail "the crashing case is not named: $out"
grep -q 'reproduce: neon check --backend=plugin:.* --cases=argmax_axis0_127x129$' <<<"$out" || fail "no reproduce line: $out"
grep -qE '^reduction +[0-9]+ +[0-9]+ +[1-9]' <<<"$out" || fail "no failures counted in the reduction table: $out"
grep -qE '^FAIL argmin_' <<<"$out" && fail "argmin cases failed after an argmax crash: $out"

# The example plugin passes everything; without float64 it passes every other case.
out=$("$neon" check --backend=plugin:"$example" 2>&1) || fail "check on the example plugin exited $?: $out"
grep -qE '^neon check: [0-9]+ cases, [0-9]+ passed, 0 failed, 0 skipped on plugin:' <<<"$out" || fail "no clean summary: $out"
out=$("$neon" check --backend=plugin:"$example":no-float64 2>&1) || fail "check without float64 exited $?: $out"
grep -qE '^neon check: [0-9]+ cases, [0-9]+ passed, 0 failed, [1-9][0-9]* skipped on plugin:' <<<"$out" ||
  fail "float64 cases not skipped, or failures, without float64: $out"

err=$("$neon" --backend=reference check --cases='no_such_case' 2>&1 >/dev/null); code=$?
[ "$code" -eq 2 ] || fail "--cases matching nothing exited $code, expected 2"
[ "$(wc -l <<<"$err")" -eq 1 ] || fail "expected one line on stderr, got: $err"
err=$("$neon" --backend=nonsense check 2>&1 >/dev/null); code=$?
[ "$code" -eq 2 ] || fail "--backend=nonsense check exited $code, expected 2"
[ "$(wc -l <<<"$err")" -eq 1 ] || fail "expected one line on stderr, got: $err"
echo "PASS"
