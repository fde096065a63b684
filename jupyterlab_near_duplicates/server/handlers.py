"""HTTP handlers of the server extension, all behind Jupyter's authentication."""

import json

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

from .. import __version__

API_PREFIX = "near-duplicates/api"


class StatusHandler(APIHandler):
    """``GET /near-duplicates/api/status``: is the extension loaded, and which version."""

    @web.authenticated
    def get(self):
        self.finish(json.dumps({"name": "jupyterlab-near-duplicates", "version": __version__}))


def setup_handlers(web_app):
    base_url = web_app.settings["base_url"]
    web_app.add_handlers(
        ".*$",
        [(url_path_join(base_url, API_PREFIX, "status"), StatusHandler)],
    )
