"""The Jupyter server extension: routes under /near-duplicates/ on the Jupyter server."""

from .backend import Backend, NearDuplicates, redact_url
from .handlers import setup_handlers
from .upstream import Upstream


def _load_jupyter_server_extension(server_app):
    settings = NearDuplicates(parent=server_app)
    backend = Backend(settings, log=server_app.log)
    backend.publish()
    upstream = Upstream()
    setup_handlers(server_app.web_app, backend, upstream)
    server_app.web_app.settings["near_duplicates_backend"] = backend
    server_app.web_app.settings["near_duplicates_upstream"] = upstream
    _stop_with_server(server_app, backend, upstream)
    if backend.kind == "embedded":
        _warm_up(server_app, backend)
    embedded = f"embedded Qdrant in {settings.embedded_data_dir} (started on first use)"
    if backend.kind == "remote":
        where = f"remote Qdrant at {redact_url(settings.qdrant_url)} (default), {embedded}"
    else:
        where = embedded
    server_app.log.info("jupyterlab_near_duplicates: server extension loaded; backends: %s", where)


def _stop_with_server(server_app, backend, upstream):
    import atexit

    atexit.register(backend.stop)
    # jupyter_server >= 2 has no unload hook for a plain server extension: wrap its
    # cleanup. The atexit hook also covers servers stopped by a signal.
    original = getattr(server_app, "_cleanup", None)
    if original is None:
        return

    async def cleanup(*args, **kwargs):
        backend.stop()
        await upstream.aclose()
        return await original(*args, **kwargs)

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
