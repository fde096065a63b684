"""The package's version, written once (``package.json``) and read here by everything that
reports it: ``__version__``, the comm's ``ready`` message and the widget's module version."""

from __future__ import annotations

import json
import os


def package_version() -> str | None:
    """The build's version (``_version.py``, generated from ``package.json``), else
    ``package.json`` itself in a source tree that was never built; None if neither exists."""
    try:
        from ._version import __version__

        return __version__
    except ImportError:
        pass
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        with open(os.path.join(os.path.dirname(here), "package.json"), encoding="utf-8") as f:
            version = json.load(f).get("version")
    except (OSError, ValueError):
        return None
    return version if isinstance(version, str) else None
