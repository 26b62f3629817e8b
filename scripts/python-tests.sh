#!/usr/bin/env bash
# Builds the Python package (PyO3 bindings in crates/py, by maturin, release) into a
# virtual environment and runs its tests (python/tests, pytest; the distributed test
# starts a Dask local cluster of two worker processes). Installs what is missing first:
# the environment lives in ~/.cache/supplycast/pyenv, the build in $CARGO_TARGET_DIR/python.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${SUPPLYCAST_PYENV:-$HOME/.cache/supplycast/pyenv}"
REQS=("maturin>=1.5,<2" "numpy>=1.21" "pandas>=1.5" "dask[dataframe]>=2024.1" "distributed>=2024.1" "pytest>=7")
if [[ ! -x "$VENV/bin/python" ]]; then
  python3 -m venv "$VENV"
fi
stamp="$VENV/.supplycast-reqs"
if [[ "$(cat "$stamp" 2>/dev/null)" != "${REQS[*]}" ]]; then
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "${REQS[@]}"
  printf '%s' "${REQS[*]}" >"$stamp"
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/supplycast/target}/python"
wheels="$CARGO_TARGET_DIR/wheels"
rm -f "$wheels"/supplycast-*.whl
"$VENV/bin/maturin" build --release --locked --quiet --interpreter "$VENV/bin/python" --out "$wheels"
"$VENV/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps "$wheels"/supplycast-*.whl
cd python/tests
exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
