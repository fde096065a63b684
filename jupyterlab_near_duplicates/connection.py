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
    """``{"kind", "url", "api_key"}`` of the backend this kernel should use by default;
    from a Jupyter server, also ``available`` and ``backends`` (each kind's url and key)."""
    path = os.environ.get(CONNECTION_FILE_ENV)
    if path:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                with open(path) as f:
                    info = json.load(f)
                if "url" in info:  # the default backend is known (an embedded one has started)
                    return info
                raise ValueError("no default backend yet")
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


def client(backend: str = "auto", **kwargs):
    """A ``qdrant_client.QdrantClient`` connected to a backend of the Jupyter server.

    ``backend``: ``"auto"`` (the server's default, which the panel scans unless its
    ``backend`` setting says otherwise), ``"embedded"`` or ``"remote"``. Other keyword
    arguments go to ``QdrantClient`` (``timeout=...``, for example).
    """
    from qdrant_client import QdrantClient

    info = backend_info(backend)
    kwargs.setdefault("timeout", 120)
    if info.get("api_key_withheld"):
        warnings.warn(
            "The Jupyter server does not share its Qdrant API key with kernels "
            "(c.NearDuplicates.share_api_key_with_kernels = False, and no kernel_api_key): "
            "this client sends no key, so a Qdrant that requires one will refuse it. "
            "Pass api_key=... yourself, or ask for a kernel key to be configured.",
            stacklevel=2,
        )
    with warnings.catch_warnings():
        if info.get("kind") == "embedded":
            # The embedded backend listens on loopback only: plain http is not exposed.
            warnings.filterwarnings("ignore", message="Api key is used with an insecure connection")
        kwargs.setdefault("api_key", info.get("api_key"))
        return QdrantClient(url=info["url"], **kwargs)


def backend_info(backend: str = "auto") -> dict:
    """``{"kind", "url", "api_key"}`` of ``backend`` as the Jupyter server offers it."""
    if backend not in ("auto", "embedded", "remote"):
        raise ValueError(f"backend must be 'auto', 'embedded' or 'remote', not {backend!r}.")
    info = connection_info()
    backends = info.get("backends")
    if backend == "auto":
        return {"kind": info["kind"], **backends[info["kind"]]} if backends else info
    if backends is None:  # no server: QDRANT_URL from the environment
        if info.get("kind") == backend:
            return info
        raise BackendNotConfiguredError(
            f"There is no {backend} Qdrant backend here: outside Jupyter only QDRANT_URL "
            "is used. Call nd.client() for it."
        )
    if backend in backends:
        return {"kind": backend, **backends[backend]}
    available = info.get("available") or []
    if backend in available:  # offered, but not started yet
        raise BackendNotConfiguredError(
            f"The {backend} Qdrant backend of this Jupyter server has not been started yet. "
            "It starts when the Near Duplicates panel uses it (Settings \u2192 Near "
            f"Duplicates \u2192 backend: {backend}); then call nd.client(backend={backend!r}) "
            "again. nd.client() gives the server's default backend."
        )
    raise BackendNotConfiguredError(
        f"This Jupyter server offers no {backend} Qdrant backend (it offers: "
        f"{', '.join(available) or 'none'}). For a remote one, set QDRANT_URL (and "
        "QDRANT_API_KEY) in the Jupyter server's environment and restart it; nd.client() "
        "gives the server's default backend."
    )
