#!/usr/bin/env bash
# Ctrl-C during neon train, for real: SIGINT at a moment that differs every round (while
# a minibatch runs, between minibatches, or while the epoch's checkpoint is written),
# then a second SIGINT soon after, which usually lands in the slow (NEON_TEST_SLOW_WRITES)
# write of the interrupt's own checkpoint (NEON_TEST_SLOW_STEPS pauses after each
# minibatch, so the first one lands inside an epoch however fast training is). The run
# exits 130 with a checkpoint of where it stopped, inside an epoch; --resume continues
# from that minibatch and logs exactly the train costs and test accuracies of an
# uninterrupted run.
source tools/training_test_env.sh "$1" "$2" 320 96

common=(--backend=cpu --threads=1 --data-dir "$data" --batch-size 32 --seed 3)
max_epochs=6
"$neon" train "${common[@]}" --epochs "$max_epochs" --save "$dir/full.safetensors" --log "$dir/full.csv" >/dev/null 2>&1 \
  || fail "the uninterrupted run exited $?"
costs() { cut -d, -f1-3 "$1" | head -n "$2"; }

inside=0
for round in 1 2 3 4; do
  rm -f "$dir/part.safetensors" "$dir/part.csv"
  NEON_TEST_SLOW_WRITES=1 NEON_TEST_SLOW_STEPS=1 "$neon" train "${common[@]}" --epochs 10000 --save "$dir/part.safetensors" \
    --log "$dir/part.csv" >"$dir/out" 2>&1 &
  pid=$!
  # Each round waits for a later minibatch of epoch 2 before the first Ctrl-C.
  for _ in $(seq 1 1200); do
    grep -q "^epoch 2/10000  batch $((2 * round))/10 " "$dir/out" && break
    sleep 0.05
  done
  kill -INT "$pid"
  sleep 0.02
  kill -INT "$pid" 2>/dev/null
  wait "$pid"
  code=$?
  [ "$code" -eq 130 ] || fail "round $round: the interrupted run exited $code: $(tail -3 "$dir/out")"
  stopped=$(grep -o '^interrupted after [0-9]* epochs and [0-9]* minibatches' "$dir/out") \
    || fail "round $round: no 'interrupted' line: $(tail -3 "$dir/out")"
  read -r epochs minibatches < <(awk '{print $3, $6}' <<<"$stopped")
  [ "$epochs" -lt "$max_epochs" ] || fail "round $round: stopped only after $epochs epochs"
  [ "$minibatches" -gt 0 ] && inside=$((inside + 1))

  out=$("$neon" train --backend=cpu --threads=1 --data-dir "$data" --resume "$dir/part.safetensors" \
    --epochs "$((epochs + 1))" --log "$dir/part.csv" 2>&1) || fail "round $round: resume exited $?: $out"
  if [ "$minibatches" -gt 0 ]; then
    grep -q "resuming .* after epoch $epochs and minibatch $minibatches of epoch $((epochs + 1))" <<<"$out" \
      || fail "round $round: resume did not say where: $out"
  fi
  [ "$(costs "$dir/part.csv" "$((epochs + 2))")" = "$(costs "$dir/full.csv" "$((epochs + 2))")" ] \
    || fail "round $round (stopped after $epochs epochs and $minibatches minibatches): resumed losses differ:
$(cat "$dir/part.csv")
uninterrupted:
$(cat "$dir/full.csv")"
done
# Most rounds stop inside an epoch; all stopping at its end would test nothing new.
[ "$inside" -ge 2 ] || fail "only $inside of 4 rounds stopped inside an epoch"
echo "PASS ($inside of 4 rounds stopped inside an epoch)"
