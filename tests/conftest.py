"""Shared pytest setup: a real Jupyter server (pytest-jupyter) with this extension loaded."""

import pytest

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture
def jp_server_config(jp_server_config):
    return {"ServerApp": {"jpserver_extensions": {"jupyterlab_near_duplicates": True}}}
