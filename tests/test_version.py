"""The package version is written once (package.json) and read from there by everything
that reports it: ``nd.__version__``, the comm's ``ready`` message, the widget's module."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil

import jupyterlab_near_duplicates as nd
from jupyterlab_near_duplicates import version
from jupyterlab_near_duplicates.widgets import MODULE_VERSION

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_every_reported_version_is_package_json_s():
    with open(os.path.join(ROOT, "package.json"), encoding="utf-8") as f:
        expected = json.load(f)["version"]
    assert nd.__version__ == version.package_version() == expected
    assert MODULE_VERSION == f"^{expected}"


def test_a_source_tree_that_was_never_built_reads_package_json(tmp_path):
    # A copy of the module beside a package.json of another version, with no _version.py:
    # what a checkout that was never built looks like.
    pkg = tmp_path / "jupyterlab_near_duplicates"
    pkg.mkdir()
    shutil.copy(version.__file__, pkg / "version.py")
    (tmp_path / "package.json").write_text(json.dumps({"name": "x", "version": "9.8.7"}), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("unbuilt_version", pkg / "version.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.package_version() == "9.8.7"
    (tmp_path / "package.json").unlink()
    assert module.package_version() is None  # the package says "dev" then, and warns
