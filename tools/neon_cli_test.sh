#!/usr/bin/env bash
# The command line as a user meets it: device listing, and one-line errors with exit code 2.
set -uo pipefail
# A PoCL cache no parallel test shares, kept across runs (see backends/opencl/pocl_test_env.cc).
if [ -n "${TEST_TMPDIR:-}" ]; then
  output_base="${PWD%%/sandbox/*}"
  POCL_CACHE_DIR="/tmp/neon-pocl-cache/$(echo "${output_base%%/execroot/*}|${TEST_TARGET:-}" | md5sum | cut -c1-16)"
  export POCL_CACHE_DIR
fi
neon="$1"
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$("$neon" --backend=reference devices 2>&1) || fail "devices exited $?: $out"
grep -q '^reference: ' <<<"$out" || fail "devices does not list reference: $out"
grep -q '^selected (--backend=reference): reference$' <<<"$out" || fail "no selected line: $out"
grep -q '^native optional ops: .*batch_norm_fprop' <<<"$out" || fail "no native ops line: $out"
grep -q "^device activation layout (float32): none (neon's)$" <<<"$out" || fail "no device layout line: $out"
out=$("$neon" --backend=cpu devices 2>&1) || fail "cpu devices exited $?: $out"
grep -Eq '^device activation layout \(float32\): its own, channels in blocks of (8|16)$' <<<"$out" ||
  fail "cpu has no device layout line: $out"

err=$("$neon" --backend=nonsense devices 2>&1 >/dev/null); code=$?
[ "$code" -eq 2 ] || fail "--backend=nonsense exited $code, expected 2"
[ "$(wc -l <<<"$err")" -eq 1 ] || fail "expected one line on stderr, got: $err"
grep -q "unknown backend 'nonsense' (valid: reference, " <<<"$err" || fail "message does not name the valid backends: $err"

err=$(NEON_BACKEND=nonsense "$neon" devices 2>&1 >/dev/null); code=$?
[ "$code" -eq 2 ] || fail "NEON_BACKEND=nonsense exited $code, expected 2"

err=$("$neon" --no-such-flag devices 2>&1 >/dev/null); code=$?
[ "$code" -eq 2 ] || fail "an unknown flag exited $code, expected 2"
[ "$(wc -l <<<"$err")" -eq 1 ] || fail "expected one line on stderr, got: $err"

err=$("$neon" --backend=opencl:99 devices 2>&1 >/dev/null); code=$?
[ "$code" -eq 2 ] || fail "--backend=opencl:99 exited $code, expected 2"
[ "$(wc -l <<<"$err")" -eq 1 ] || fail "expected one line on stderr, got: $err"
err=$("$neon" --backend=plugin: devices 2>&1 >/dev/null); code=$?
[ "$code" -eq 2 ] || fail "--backend=plugin: exited $code, expected 2"
grep -q "missing library path" <<<"$err" || fail "empty plugin path not named: $err"
out=$("$neon" --backend=cpu --threads=1 devices 2>&1) || fail "--threads=1 exited $?: $out"
grep -q '^cpu: .*, 1 compute units' <<<"$out" || fail "--threads=1 not applied: $out"
err=$("$neon" --threads=0 devices 2>&1 >/dev/null); code=$?
[ "$code" -eq 2 ] || fail "--threads=0 exited $code, expected 2"

# expect_error EXPECTED_TEXT ARGS...: exit code 2, and EXPECTED_TEXT on the first line of stderr.
expect_error() {
  local expected="$1"; shift
  local err code
  err=$("$neon" "$@" 2>&1 >/dev/null); code=$?
  [ "$code" -eq 2 ] || fail "'$*' exited $code, expected 2"
  grep -qF -- "$expected" <<<"$(head -n 1 <<<"$err")" || fail "'$*' does not say '$expected': $err"
}
expect_error "no command given" --backend=reference
grep -q "devices" <<<"$("$neon" 2>&1)" || fail "no command: the usage does not list the commands"
expect_error "unknown command 'foo' (commands: devices, check, train, eval, plot)" foo
[ "$("$neon" foo 2>&1 | wc -l)" -eq 1 ] || fail "an unknown command is not one line"
expect_error "unknown command 'foo'" --backend reference foo
expect_error "--backend= needs a value" --backend= devices
expect_error "--threads= needs a value" --threads= devices
expect_error "--backend needs a value" --backend "" devices
expect_error "--threads='abc' is not a number; expected a whole number of threads in [1, 4096]" --threads=abc devices
expect_error "--threads='5000' is out of range; expected a whole number of threads in [1, 4096]" --threads=5000 devices
err=$(NEON_NUM_THREADS=0 "$neon" --backend=cpu devices 2>&1 >/dev/null); code=$?
[ "$code" -eq 2 ] || fail "NEON_NUM_THREADS=0 exited $code, expected 2"
grep -qF "NEON_NUM_THREADS='0' is out of range; expected a whole number of threads in [1, 4096]" <<<"$err" ||
  fail "NEON_NUM_THREADS=0 does not name the range: $err"
if [ -w /dev/full ]; then
  err=$("$neon" --backend=reference devices 2>&1 >/dev/full); code=$?
  [ "$code" -eq 2 ] || fail "devices > /dev/full exited $code, expected 2"
  grep -q "cannot write to standard output" <<<"$err" || fail "devices > /dev/full: $err"
fi
echo "PASS"
