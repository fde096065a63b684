"""Find near-duplicate samples in a Qdrant collection from JupyterLab.

In a notebook: ``import jupyterlab_near_duplicates as nd``. The Jupyter server side
(status, backend discovery, the Qdrant proxy) lives in ``.server`` and is loaded by
Jupyter, not by kernels.
"""

try:
    from ._version import __version__
except ImportError:  # running from a source tree that was never built
    import warnings

    warnings.warn(
        "Importing 'jupyterlab_near_duplicates' outside a proper installation.",
        stacklevel=2,
    )
    __version__ = "dev"

from .connection import BackendNotConfiguredError, client

__all__ = ["BackendNotConfiguredError", "client"]


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "jupyterlab-near-duplicates"}]


def _jupyter_server_extension_points():
    return [{"module": "jupyterlab_near_duplicates.server"}]
