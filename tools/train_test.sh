#!/usr/bin/env bash
# neon train / eval end to end on a tiny MNIST-format dataset the test writes: a resumed
# run logs exactly the losses of an uninterrupted one, eval loads the model on another
# backend, progress and CSV are written, bad input is one line on stderr and exit code 2.
source tools/training_test_env.sh "$1" "$2" 320 96

common=(--threads=1 --data-dir "$data" --batch-size 32 --seed 3)
out=$("$neon" --backend=cpu train "${common[@]}" --epochs 3 --save "$dir/full.safetensors" --log "$dir/full.csv" 2>&1) \
  || fail "train exited $?: $out"
grep -q '^epoch 1/3  batch 10/10 ' <<<"$out" || fail "no plain progress lines off a terminal: $out"
grep -q '^epoch 3: train cost [0-9.]*, test accuracy [0-9.]*%' <<<"$out" || fail "no epoch summary: $out"
grep -q '^done: test accuracy ' <<<"$out" || fail "no final line: $out"
[ "$(head -1 "$dir/full.csv")" = "epoch,train_cost,test_accuracy,seconds" ] || fail "CSV header: $(cat "$dir/full.csv")"
[ "$(wc -l <"$dir/full.csv")" -eq 4 ] || fail "CSV rows: $(cat "$dir/full.csv")"

# Interrupted after epoch 1, resumed (global flag after the subcommand this time) to epoch 3.
"$neon" --backend=cpu train "${common[@]}" --epochs 1 --save "$dir/part.safetensors" --log "$dir/part.csv" >/dev/null 2>&1 \
  || fail "first part exited $?"
out=$("$neon" train --backend=cpu --threads=1 --data-dir "$data" --resume "$dir/part.safetensors" --epochs 3 \
  --log "$dir/part.csv" 2>&1) || fail "resume exited $?: $out"
grep -q 'resuming .* after epoch 1' <<<"$out" || fail "resume did not say so: $out"
costs() { cut -d, -f1-3 "$1"; }
[ "$(costs "$dir/full.csv")" = "$(costs "$dir/part.csv")" ] \
  || fail "resumed losses differ: $(cat "$dir/full.csv") vs $(cat "$dir/part.csv")"

# The model travels: eval on reference.
out=$("$neon" --backend=reference eval --load "$dir/full.safetensors" --data-dir "$data" 2>&1) || fail "eval exited $?: $out"
grep -q 'on reference: test accuracy [0-9.]*% (96 images)' <<<"$out" || fail "eval line: $out"
[ "$(grep -c '^ *[0-9]\+\( \+[0-9]\+\)\{9\}$' <<<"$out")" -eq 10 ] || fail "no 10 x 10 confusion matrix: $out"

# The log drawn as an SVG: two panels, one point per epoch.
out=$("$neon" plot --log "$dir/full.csv" --out "$dir/curves.svg" 2>&1) || fail "plot exited $?: $out"
grep -q '^<svg ' "$dir/curves.svg" || fail "not an SVG: $(head -c 200 "$dir/curves.svg")"
[ "$(grep -c '<polyline .* points="[0-9.]*,[0-9.]* [0-9.]*,[0-9.]* [0-9.]*,[0-9.]* "' "$dir/curves.svg")" -eq 2 ] \
  || fail "expected two curves of three points: $(cat "$dir/curves.svg")"

# Bad input: one line on stderr, exit code 2.
expect_error() {
  local pattern="$1"; shift
  local err code
  err=$("$neon" "$@" 2>&1 >/dev/null); code=$?
  [ "$code" -eq 2 ] || fail "$* exited $code, expected 2: $err"
  [ "$(wc -l <<<"$err")" -eq 1 ] || fail "$*: expected one line on stderr, got: $err"
  grep -q -- "$pattern" <<<"$err" || fail "$*: message lacks '$pattern': $err"
}
expect_error "no train-images-idx3-ubyte\[.gz\]" train --data-dir "$dir/nowhere"
expect_error "unknown model 'resnet'" train --data-dir "$data" --model resnet --save "$dir/x.safetensors"
expect_error "unknown optimizer 'magic'" train --data-dir "$data" --optimizer magic
printf 'not a model' >"$dir/garbage.safetensors"
expect_error "garbage.safetensors: not a valid safetensors file" eval --load "$dir/garbage.safetensors" --data-dir "$data"
expect_error "garbage.safetensors: not a valid safetensors file" train --resume "$dir/garbage.safetensors" --data-dir "$data"
[ "$(cat "$dir/garbage.safetensors")" = "not a model" ] || fail "a failed resume changed the file"
expect_error "garbage.safetensors: line 1 is not the header" plot --log "$dir/garbage.safetensors" --out "$dir/x.svg"
printf 'epoch,train_cost,test_accuracy,seconds\n1,0.5,oops,2\n' >"$dir/bad.csv"
expect_error "bad.csv: line 2 is not four numbers" plot --log "$dir/bad.csv" --out "$dir/x.svg"
echo "PASS"
