"""The Jupyter server the Galata tests drive: no token, a throwaway root and embedded
backend seeded with planted duplicates (see seed.py)."""

import os
import shutil
import sys
import tempfile

from jupyterlab.galata import configure_jupyter_server

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seed  # noqa: E402

configure_jupyter_server(c)  # noqa: F821 (c is the config object Jupyter passes in)
# Galata turns the XSRF check off; a user's server has it on, and with it the 403 for a
# cookie-authenticated /files/ GET without a Referer. Specs use ./fixtures, whose own
# requests carry XSRF.
c.ServerApp.disable_check_xsrf = False  # noqa: F821

root = os.environ.get("ND_UI_TEST_ROOT") or tempfile.mkdtemp(prefix="nd-ui-root-")
data = os.environ.get("ND_UI_TEST_DATA") or tempfile.mkdtemp(prefix="nd-ui-qdrant-")
os.environ.pop("QDRANT_URL", None)
os.environ.pop("QDRANT_API_KEY", None)
down_port = os.environ.get("ND_UI_TEST_REMOTE_DOWN")
if down_port:
    # A "remote" Qdrant that is not running: the panel must say what failed and what to do.
    c.NearDuplicates.qdrant_url = f"http://127.0.0.1:{down_port}"  # noqa: F821
    c.NearDuplicates.qdrant_api_key = "not-a-real-key"  # noqa: F821
else:
    seed.seed(data, root)
    # The demo notebook and its library, as a user has them: under examples/ in the root.
    examples = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples")
    os.makedirs(os.path.join(root, "examples"), exist_ok=True)
    for name in ("near-duplicates.ipynb", "demo_dataset.py", "demo_features.py", "demo_originals.py"):
        shutil.copy(os.path.join(examples, name), os.path.join(root, "examples", name))

c.ServerApp.port = int(os.environ.get("ND_UI_TEST_PORT", "8890"))  # noqa: F821
c.ServerApp.allow_root = True  # noqa: F821
c.ServerApp.root_dir = root  # noqa: F821
c.LabApp.expose_app_in_browser = True  # noqa: F821
c.NearDuplicates.embedded_data_dir = data  # noqa: F821
