#!/usr/bin/env bash
# Makes bench/.venv-peers: the peer methods of the scale benchmark (bench/scale.py) and its
# plot, the `bench` extra of pyproject.toml (only those packages, not the project itself).
# Separate from the project's .venv on purpose: the tests must not depend on them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python3}"
test -x "$here/.venv-peers/bin/python" || "$python" -m venv "$here/.venv-peers"
"$here/.venv-peers/bin/python" -m pip install --quiet --upgrade pip
mapfile -t reqs < <("$here/.venv-peers/bin/python" - "$here/../pyproject.toml" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
block = re.search(r"^bench = \[(.*?)^\]", text, re.S | re.M).group(1)
for line in block.splitlines():
    m = re.match(r'\s*"([^"]+)"', line)
    if m:
        print(m.group(1))
PY
)
"$here/.venv-peers/bin/python" -m pip install --quiet "${reqs[@]}"
"$here/.venv-peers/bin/python" -c "import sklearn, semhash, usearch, matplotlib; print('peers ready')"
