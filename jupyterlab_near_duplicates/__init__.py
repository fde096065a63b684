"""Find near-duplicate samples in a Qdrant collection from JupyterLab.

In a notebook: ``import jupyterlab_near_duplicates as nd``. The Jupyter server side
(status, backend discovery, the Qdrant proxy) lives in ``.server`` and is loaded by
Jupyter, not by kernels.
"""

from .version import package_version

__version__ = package_version()
if __version__ is None:  # neither built nor in a source tree
    import warnings

    warnings.warn(
        "Importing 'jupyterlab_near_duplicates' outside a proper installation.",
        stacklevel=2,
    )
    __version__ = "dev"

# Importing .comm registers the comm target when this runs inside an IPython kernel.
from . import comm  # noqa: F401
from .connection import BackendNotConfiguredError, client
from .export_files import export
from .planning import Plan, plan
from .selection import CallbackHandle, Selection, groups, labels, on_select
from .split_leakage import leakage
from .tagging import TagError

# Importing the submodule bound the name `selection` to it; drop it, so that `nd.selection`
# reaches __getattr__ below and is the live group, not the module. (pop: a reload finds it gone.)
globals().pop("selection", None)

# Not `selection`: a star import would copy its value once, and it changes on every click.
__all__ = [
    "BackendNotConfiguredError",
    "CallbackHandle",
    "Plan",
    "SampleGrid",
    "Selection",
    "TagError",
    "client",
    "export",
    "groups",
    "labels",
    "leakage",
    "on_select",
    "plan",
]


def __getattr__(name):
    # `nd.selection` is the last group clicked in the panel, read at each access.
    if name == "selection":
        from .selection import current

        return current()
    # SampleGrid imports ipywidgets; the Jupyter server process imports this package too
    # and has no use for it.
    if name == "SampleGrid":
        from .widgets import SampleGrid

        return SampleGrid
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | {"selection", "SampleGrid"})


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "jupyterlab-near-duplicates"}]


def _jupyter_server_extension_points():
    return [{"module": "jupyterlab_near_duplicates.server"}]
