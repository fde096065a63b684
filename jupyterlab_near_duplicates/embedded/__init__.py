"""The embedded Qdrant backend: Qdrant's REST API served from Qdrant Edge in a child process.

Only the launcher is imported here; the engine (``qdrant_edge``) is loaded by the child.

By job: ``launcher`` starts, finds and stops the child, ``datadir`` holds what both share
(the lock, atomic JSON files); in the child, ``__main__`` runs ``app`` (the REST routes, on
one engine thread) over ``store`` (every collection of a data dir) and ``collection`` (one
shard, with its ``reads``, ``writes`` and ``index_build``; ``query_plan`` plans its
queries). The REST layer: ``errors`` (Qdrant's statuses and wording), ``rest_body``
(request JSON -> engine objects), ``collection_config``, ``limits`` and ``names``.
"""

from .launcher import EmbeddedBackend, EmbeddedBackendError

__all__ = ["EmbeddedBackend", "EmbeddedBackendError"]
