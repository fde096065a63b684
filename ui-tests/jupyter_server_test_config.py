"""The Jupyter server the Galata tests drive: no token, a throwaway root and data dir."""

import os
import tempfile

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821 (c is the config object Jupyter passes in)

c.ServerApp.port = int(os.environ.get("ND_UI_TEST_PORT", "8890"))  # noqa: F821
c.ServerApp.allow_root = True  # noqa: F821
c.ServerApp.root_dir = os.environ.get("ND_UI_TEST_ROOT") or tempfile.mkdtemp(prefix="nd-ui-root-")  # noqa: F821
c.LabApp.expose_app_in_browser = True  # noqa: F821
