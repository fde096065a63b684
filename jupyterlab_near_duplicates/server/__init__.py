"""The Jupyter server extension: routes under /near-duplicates/ on the Jupyter server."""

from .handlers import setup_handlers


def _load_jupyter_server_extension(server_app):
    setup_handlers(server_app.web_app)
    server_app.log.info("jupyterlab_near_duplicates: server extension loaded")
