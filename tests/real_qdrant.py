"""Fixtures for tests that need a real Qdrant server (``bench/qdrant_server.py``).

Loaded as a plugin by conftest.py: a test names ``real_qdrant`` as an argument. Tests using it skip, saying
why, where the server binary is absent (a fresh clone without ``../shared/qdrant/``).
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench"))

import qdrant_server  # noqa: E402


@pytest.fixture(scope="session")
def real_qdrant():
    """A real Qdrant server on loopback with an API key, shared by the whole session."""
    reason = qdrant_server.unavailable_reason()
    if reason:
        pytest.skip(f"needs a real Qdrant server: {reason}")
    server = qdrant_server.QdrantServer().start()
    yield server
    server.stop()
