#!/usr/bin/env bash
# The command line as a user meets it: device listing, and one-line errors with exit code 2.
set -uo pipefail
neon="$1"
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$("$neon" --backend=reference devices 2>&1) || fail "devices exited $?: $out"
grep -q '^reference: ' <<<"$out" || fail "devices does not list reference: $out"
grep -q '^selected (--backend=reference): reference$' <<<"$out" || fail "no selected line: $out"

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
echo "PASS"
