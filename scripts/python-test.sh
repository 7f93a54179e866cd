#!/usr/bin/env bash
# Builds the Python package `stackel` (stackel-py, pyo3 + maturin, abi3
# wheel) with the dev profile into the workspace's target folder, installs it
# into a fresh virtual environment with numpy and pytest, and runs its tests.
#
#   scripts/python-test.sh            (PYTHON=python3.11 to choose the interpreter)
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-python3}
venv=${STACKEL_PY_VENV:-target/python-venv}
rm -rf "$venv" target/wheels-test
"$py" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q "maturin>=1.5,<2" numpy pytest
"$venv/bin/maturin" build -q -m stackel-py/Cargo.toml -i "$venv/bin/python" -o target/wheels-test
"$venv/bin/python" -m pip install -q --no-index --find-links target/wheels-test stackel
"$venv/bin/python" -m pytest -q stackel-py/tests
