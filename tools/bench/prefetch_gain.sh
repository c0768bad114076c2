#!/usr/bin/env bash
# Training images per second with the prefetching iterator (neon train's default) and
# without (--no-prefetch), alternating runs so that load on a shared machine hits both alike.
#
# usage: tools/bench/prefetch_gain.sh NEON BACKEND [MODEL] [SUBSET] [REPS]
#   e.g. tools/bazel build //tools:neon && tools/bench/prefetch_gain.sh bazel-bin/tools/neon cpu mlp 6000 2
# Prints one line per run and the median images/s of each mode and their ratio. The time is
# the CSV log's training seconds of the one epoch (evaluation excluded); images are the
# epoch's minibatches times the batch size (128).
set -euo pipefail
neon="$1"
backend="$2"
model="${3:-mlp}"
subset="${4:-6000}"
reps="${5:-2}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
images=$(( (subset + 127) / 128 * 128 ))

declare -A rates
for rep in $(seq 1 "$reps"); do
  for mode in prefetch no-prefetch; do
    flag=()
    [ "$mode" = no-prefetch ] && flag=(--no-prefetch)
    "$neon" train --model "$model" --subset "$subset" --epochs 1 --backend="$backend" "${flag[@]}" \
      --save "$dir/model.safetensors" --log "$dir/log.csv" >/dev/null
    seconds=$(tail -n 1 "$dir/log.csv" | cut -d, -f4)
    rate=$(awk -v n="$images" -v s="$seconds" 'BEGIN { printf "%.1f", n / s }')
    rates[$mode]+="$rate "
    echo "$backend $model $mode run $rep: $seconds s, $rate images/s (load $(cut -d' ' -f1 /proc/loadavg))"
  done
done
median() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
with=$(median "${rates[prefetch]}")
without=$(median "${rates[no-prefetch]}")
echo "$backend $model: prefetch $with images/s, no-prefetch $without images/s, ratio $(awk -v a="$with" -v b="$without" 'BEGIN { printf "%.3f", a / b }')"
