# Sourced by the `neon train` shell tests with their arguments (the neon binary,
# tools/tiny_mnist.py) and the dataset's size: sets $neon, fail, a scratch $dir and an
# MNIST-format dataset in $data of TRAIN training and TEST test images.
# Usage: source tools/training_test_env.sh NEON TINY_MNIST TRAIN TEST
set -uo pipefail
neon="$1"
fail() { echo "FAIL: $*" >&2; exit 1; }
dir="${TEST_TMPDIR:-$(mktemp -d)}"
data="$dir/data"
mkdir -p "$data"
python3 "$2" "$data" "$3" "$4" || fail "cannot write the dataset"
