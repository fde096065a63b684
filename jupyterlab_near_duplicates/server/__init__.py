"""The Jupyter server extension: routes under /near-duplicates/ on the Jupyter server."""

from .backend import Backend, NearDuplicates
from .handlers import setup_handlers


def _load_jupyter_server_extension(server_app):
    settings = NearDuplicates(parent=server_app)
    backend = Backend(settings, log=server_app.log)
    backend.publish()
    setup_handlers(server_app.web_app, backend)
    server_app.web_app.settings["near_duplicates_backend"] = backend
    _stop_with_server(server_app, backend)
    if backend.kind == "embedded":
        _warm_up(server_app, backend)
    where = f"remote Qdrant at {settings.qdrant_url}" if backend.kind == "remote" else (
        f"embedded Qdrant in {settings.embedded_data_dir} (started on first use)"
    )
    server_app.log.info("jupyterlab_near_duplicates: server extension loaded; backend: %s", where)


def _stop_with_server(server_app, backend):
    import atexit

    atexit.register(backend.stop)
    # jupyter_server >= 2 awaits extension hooks on shutdown through the extension manager;
    # the atexit hook also covers servers stopped by a signal.
    original = getattr(server_app, "_cleanup", None)
    if original is None:
        return

    def cleanup(*args, **kwargs):
        backend.stop()
        return original(*args, **kwargs)

    server_app._cleanup = cleanup


def _warm_up(server_app, backend):
    """Start the embedded backend in the background now, so the panel's first request and
    a kernel's ``nd.client()`` find it running instead of waiting for it to start."""
    import threading

    def start():
        try:
            backend.connection()
        except Exception as error:  # the first request will retry and report it
            server_app.log.warning("jupyterlab_near_duplicates: embedded backend did not start: %s", error)

    threading.Thread(target=start, name="near-duplicates-embedded-start", daemon=True).start()
