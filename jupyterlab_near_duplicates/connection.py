"""``nd.client()``: a qdrant-client connected to the backend the panel scans."""

from __future__ import annotations

import json
import os
import time
import warnings

CONNECTION_FILE_ENV = "NEAR_DUPLICATES_CONNECTION_FILE"  # kept equal to server.backend's


class BackendNotConfiguredError(RuntimeError):
    """No Qdrant backend could be found for this kernel."""


def connection_info(wait_s: float = 30.0) -> dict:
    """``{"kind", "url", "api_key"}`` of the backend this kernel should use."""
    path = os.environ.get(CONNECTION_FILE_ENV)
    if path:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                with open(path) as f:
                    return json.load(f)
            except (FileNotFoundError, ValueError):
                if time.monotonic() >= deadline:
                    break
                time.sleep(0.2)
        raise BackendNotConfiguredError(
            f"The Jupyter server's Qdrant backend did not start within {wait_s:.0f} s "
            f"(no connection file at {path}). Check the Jupyter server's log for "
            "'jupyterlab_near_duplicates', then run nd.client() again."
        )
    url = os.environ.get("QDRANT_URL")
    if url:
        return {"kind": "remote", "url": url, "api_key": os.environ.get("QDRANT_API_KEY") or None}
    raise BackendNotConfiguredError(
        "No Qdrant backend is configured for this kernel. Run the notebook in a "
        "JupyterLab where jupyterlab_near_duplicates is installed (its server starts an "
        "embedded Qdrant), or set QDRANT_URL (and QDRANT_API_KEY) in the environment "
        "before starting Python."
    )


def client(**kwargs):
    """A ``qdrant_client.QdrantClient`` connected to the same backend the panel scans.

    Keyword arguments go to ``QdrantClient`` (``timeout=...``, for example).
    """
    from qdrant_client import QdrantClient

    info = connection_info()
    kwargs.setdefault("timeout", 120)
    with warnings.catch_warnings():
        if info.get("kind") == "embedded":
            # The embedded backend listens on loopback only: plain http is not exposed.
            warnings.filterwarnings("ignore", message="Api key is used with an insecure connection")
        return QdrantClient(url=info["url"], api_key=info.get("api_key"), **kwargs)
