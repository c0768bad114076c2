#!/usr/bin/env bash
# kill -9 during training, many times at random moments: the checkpoint is rewritten after
# every epoch of a tiny dataset, slowly (NEON_TEST_SLOW_WRITES pauses between 64 KiB chunks),
# so many kills land inside a write. The last checkpoint always loads, because it is written
# to a temporary file, fsynced and renamed (writing in place fails this test).
source tools/training_test_env.sh "$1" "$2" 64 32
checkpoint="$dir/ckpt.safetensors"
RANDOM=7
kills=0
for round in $(seq 1 25); do
  NEON_TEST_SLOW_WRITES=1 "$neon" --backend=cpu --threads=1 train --data-dir "$data" --batch-size 32 --epochs 10000 --save "$checkpoint" \
    >/dev/null 2>&1 &
  pid=$!
  if [ "$round" -eq 1 ]; then
    # The first kill waits for a checkpoint: a sanitizer build starts and trains many times slower.
    for _ in $(seq 1 1200); do [ -e "$checkpoint" ] && break; sleep 0.1; done
  fi
  sleep "$(printf '0.%03d' $((RANDOM % 1000)))"
  sleep "$((round % 3))"
  kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
  wait "$pid" 2>/dev/null
  [ -e "$checkpoint" ] || continue
  out=$("$neon" --backend=cpu --threads=1 eval --load "$checkpoint" --data-dir "$data" 2>&1) \
    || fail "round $round: the checkpoint left by kill -9 does not load: $out"
done
[ "$kills" -ge 20 ] || fail "only $kills of 25 runs were killed while training"
[ -e "$checkpoint" ] || fail "no checkpoint was ever written"
echo "PASS ($kills kills)"
