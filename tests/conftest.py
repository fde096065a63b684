"""Shared pytest setup: a real Jupyter server (pytest-jupyter) with this extension loaded."""

import pytest

# The shared fixtures (a live embedded backend, groups sent to the kernel for a plan, the
# scan's Node bundle, real Qdrant servers, a recording upstream) are plugins, so a test names
# them as arguments and imports nothing.
pytest_plugins = [
    "pytest_jupyter.jupyter_server",
    "embedded_fixtures",
    "plan_fixtures",
    "real_qdrant",
    "recording_upstream",
    "scan_fixtures",
]


@pytest.fixture
def jp_server_config(jp_server_config):
    return {"ServerApp": {"jpserver_extensions": {"jupyterlab_near_duplicates": True}}}
