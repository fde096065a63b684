#!/usr/bin/env python
"""Build the demo collection: real images with planted near-duplicates, into Qdrant.

    python examples/build_demo.py                      # the backend nd.client() finds, else
                                                       # the default embedded data dir
    python examples/build_demo.py --data-dir DIR       # start the embedded Qdrant on DIR,
                                                       # upload, stop it (scripts/demo does this)
    python examples/build_demo.py --url URL [--api-key KEY]   # any Qdrant

It writes the thumbnails the panel shows (examples/demo_data/thumbs/*.png, paths relative
to the Jupyter root in the payload) and the planted ground truth
(examples/demo_data/planted.json), then (re)creates the collection (default
``demo-images``). Running it again replaces both. See demo_dataset.py for the data and the
feature extractor.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import demo_dataset as demo  # noqa: E402


class DataDirBusy(RuntimeError):
    """The embedded data dir is held by a process whose API key we cannot know."""


def default_data_dir() -> str:
    """The data dir the Jupyter server's embedded backend uses when nothing is configured."""
    env = os.environ.get("NEAR_DUPLICATES_DATA_DIR")
    if env:
        return env
    from jupyter_core.paths import jupyter_data_dir

    return os.path.join(jupyter_data_dir(), "near_duplicates", "embedded")


def _client(url: str, api_key: str | None):
    from qdrant_client import QdrantClient

    return QdrantClient(url=url, api_key=api_key, timeout=120, check_compatibility=False)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--collection", default=demo.DEFAULT_COLLECTION, help="collection to (re)create")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--url", help="a Qdrant URL (server, cluster, Qdrant Cloud)")
    where.add_argument("--data-dir", help="start the embedded Qdrant on this data dir, upload, stop it")
    where.add_argument("--no-upload", action="store_true", help="only write the thumbnails and planted.json")
    p.add_argument("--api-key", default=os.environ.get("QDRANT_API_KEY"), help="API key for --url")
    p.add_argument("--out-dir", type=Path, default=demo.DEFAULT_OUT_DIR, help="thumbnails and planted.json")
    p.add_argument("--root", type=Path, default=demo.REPO_ROOT, help="the Jupyter root (thumbnail paths)")
    p.add_argument("--digits", type=int, default=None, help="use only this many digits (quick builds)")
    p.add_argument("--faces", type=int, default=None, help="use only this many faces (quick builds)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    args = p.parse_args(argv)
    try:
        return _run(args)
    except DataDirBusy as e:
        print(f"build_demo.py: {e}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    warnings.filterwarnings("ignore", message="Api key is used with an insecure connection")
    backend = None
    client = None
    log = (lambda _msg: None) if args.json else (lambda msg: print(msg, flush=True))
    try:
        if args.no_upload:
            pass
        elif args.url:
            client = _client(args.url, args.api_key)
            log(f"Qdrant at {args.url}")
        elif args.data_dir:
            backend, client = _embedded(args.data_dir, log)
        else:
            from jupyterlab_near_duplicates.connection import BackendNotConfiguredError, connection_info

            try:  # what nd.client() connects to: the Jupyter server's backend, or QDRANT_URL
                info = connection_info(wait_s=5)
                client = _client(info["url"], info.get("api_key"))
                log(f"Qdrant at {info['url']} (the backend nd.client() finds)")
            except BackendNotConfiguredError:
                backend, client = _embedded(default_data_dir(), log)
        t0 = time.perf_counter()
        report = demo.build(
            client,
            collection=args.collection,
            out_dir=args.out_dir,
            root=args.root,
            n_digits=args.digits,
            n_faces=args.faces,
            log=log,
        )
        log(f"thumbnails in {args.out_dir / 'thumbs'}, ground truth in {args.out_dir / 'planted.json'}")
        if args.json:
            out = {k: report[k] for k in ("stats", "evaluation", "times")}
            out["times"]["wall"] = time.perf_counter() - t0
            print(json.dumps(out, indent=1))
    finally:
        if client is not None:
            client.close()
        if backend is not None:
            backend.stop()
    return 0


def _embedded(data_dir: str, log):
    """Start (or reuse) the embedded backend on ``data_dir``; stop() only stops one we started."""
    from jupyterlab_near_duplicates.embedded import EmbeddedBackend, EmbeddedBackendError

    backend = EmbeddedBackend(data_dir)
    try:
        url, api_key = backend.ensure_running()
    except EmbeddedBackendError as e:
        if "in use" not in str(e):
            raise
        raise DataDirBusy(
            f"{e}\nA running JupyterLab probably serves it. Build the demo from inside that JupyterLab "
            "instead: run examples/near-duplicates.ipynb, or this script in one of its terminals "
            "(without --data-dir: it then finds the backend as nd.client() does). Or stop it first."
        ) from None
    log(f"embedded Qdrant on {backend.data_dir} ({url}{'' if backend.owned else ', already running'})")
    return backend, _client(url, api_key)


if __name__ == "__main__":
    sys.exit(main())
