#!/usr/bin/env bash
# Installs the wheel offline (pip --no-index) into a fresh venv and runs the seed's
# logistic snippet there. numpy comes from Debian (python3-numpy) through
# --system-site-packages, the way the README tells users to install it.
set -euo pipefail
wheel="$1"; snippet="$2"; backend="$3"
venv="${TEST_TMPDIR:-$(mktemp -d)}/venv"
/usr/bin/python3 -m venv --system-site-packages "$venv"
"$venv/bin/pip" install --quiet --no-index --no-cache-dir "$wheel"
cd "$venv"  # away from any source tree with a neon/ folder
"$venv/bin/python" -c 'import neon, sys; assert "site-packages" in neon.__file__, neon.__file__'
"$venv/bin/python" "$OLDPWD/$snippet" "$backend"
