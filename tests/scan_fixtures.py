"""The worker's scan code bundled for Node (bench/scan_harness.py), built once per session.

Import it where a test runs real scans: ``from scan_fixtures import bundle``.
``ND_SCAN_VARIANT=<name>`` bundles a scanner variant instead (bench/variants.json: each variant a set of scan policies).
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench"))

import scan_harness as sh  # noqa: E402


@pytest.fixture(scope="session")
def bundle(tmp_path_factory) -> str:
    try:
        sh.node_executable()
    except sh.NodeMissing as e:
        pytest.fail(str(e))
    variant = os.environ.get("ND_SCAN_VARIANT") or None
    return sh.build_bundle(str(tmp_path_factory.mktemp("scan-bundle") / "scan_node.cjs"), variant=variant)
