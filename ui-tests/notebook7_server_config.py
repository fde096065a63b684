"""Notebook 7 for the UI test that checks the extension loads there too: no token,
a throwaway root, and an empty embedded backend in a throwaway data dir."""

import os
import tempfile

c.ServerApp.port = int(os.environ.get("ND_NB7_PORT", "8892"))  # noqa: F821
c.ServerApp.allow_root = True  # noqa: F821
c.ServerApp.open_browser = False  # noqa: F821
c.IdentityProvider.token = ""  # noqa: F821
c.ServerApp.disable_check_xsrf = True  # noqa: F821
c.ServerApp.root_dir = tempfile.mkdtemp(prefix="nd-nb7-root-")  # noqa: F821
c.JupyterNotebookApp.expose_app_in_browser = True  # noqa: F821
c.NearDuplicates.embedded_data_dir = tempfile.mkdtemp(prefix="nd-nb7-qdrant-")  # noqa: F821
