#!/usr/bin/env bash
# Makes bench/.venv-peers: the peer methods of the scale benchmark (bench/scale.py) and its
# plot. Separate from the project's .venv on purpose: the tests must not depend on them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python3}"
test -x "$here/.venv-peers/bin/python" || "$python" -m venv "$here/.venv-peers"
"$here/.venv-peers/bin/python" -m pip install --quiet --upgrade pip
"$here/.venv-peers/bin/python" -m pip install --quiet -r "$here/requirements.txt"
"$here/.venv-peers/bin/python" -c "import sklearn, semhash, usearch, matplotlib; print('peers ready')"
