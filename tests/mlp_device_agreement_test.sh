#!/usr/bin/env bash
# Cross-device agreement on the real data: `neon train --model mlp` for 1 epoch from one
# seed on the first 2,000 Fashion-MNIST training images (Debian's dataset-fashion-mnist,
# found where neon train finds it; tools/bazel installs it), on reference, cpu and opencl.
# The test accuracies on the first 2,000 test images lie within 0.5 points (10 images) of
# each other. Measured (2026-12-02): 71.35% on all three (1,427 of 2,000 images); CPU time
# cpu 6 s, opencl 21 s (cold PoCL cache), reference 11 s; wall time 262 s for the whole
# test at load 17 on the 2-core machine (sized large in BUILD).
set -uo pipefail
neon="$1"
fail() { echo "FAIL: $*" >&2; exit 1; }
dir="${TEST_TMPDIR:-$(mktemp -d)}"
declare -A pids

backends=(cpu opencl reference)
# In parallel: the wall time is the slowest run's (reference's, or opencl's when cold).
for backend in "${backends[@]}"; do
  "$neon" --backend="$backend" train --model mlp --epochs 1 --seed 1 --subset 2000 \
    --save "$dir/mlp_$backend.safetensors" >"$dir/$backend.out" 2>&1 &
  pids[$backend]=$!
done
declare -A accuracy
for backend in "${backends[@]}"; do
  wait "${pids[$backend]}"
  code=$?
  out=$(cat "$dir/$backend.out")
  if [ "$code" -ne 0 ]; then
    grep -q "no train-images-idx3-ubyte" <<<"$out" \
      && fail "Fashion-MNIST is missing: install Debian's dataset-fashion-mnist (tools/bazel does): $out"
    fail "$backend: neon train exited $code: $out"
  fi
  accuracy[$backend]=$(sed -n 's/^done: test accuracy \([0-9.]*\)%.*/\1/p' <<<"$out")
  [ -n "${accuracy[$backend]}" ] || fail "$backend: no final accuracy line: $out"
  echo "$backend: test accuracy ${accuracy[$backend]}%"
done
for pair in "cpu opencl" "cpu reference" "opencl reference"; do
  read -r a b <<<"$pair"
  awk -v x="${accuracy[$a]}" -v y="${accuracy[$b]}" 'BEGIN { d = x - y; exit !(d <= 0.5 && d >= -0.5) }' \
    || fail "$a ${accuracy[$a]}% and $b ${accuracy[$b]}% differ by more than 0.5 points"
done
echo "PASS"
