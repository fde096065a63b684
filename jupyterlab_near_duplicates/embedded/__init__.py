"""The embedded Qdrant backend: Qdrant's REST API served from Qdrant Edge in a child process.

Only the launcher is imported here; the engine (``qdrant_edge``) is loaded by the child.
"""

from .launcher import EmbeddedBackend, EmbeddedBackendError

__all__ = ["EmbeddedBackend", "EmbeddedBackendError"]
