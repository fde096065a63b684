"""The worker's scan through the Jupyter server's proxy, as the browser runs it (issue 11).

The scan code of the browser's worker (src/scan, bundled for Node by bench/build.mjs) reaches
Qdrant only through ``<base_url>near-duplicates/qdrant`` with Jupyter's token and the
panel's backend header (``proxyConnection`` in src/api.ts), never with a Qdrant key. Two
real Jupyter servers (``jupyter server`` processes on loopback, a base URL like
JupyterHub's): one with a real Qdrant 1.18.3 server as its remote, one with nothing
configured, so ``auto`` means its embedded backend. Each holds collections with the names
of issue 11 (``my photos``, ``фото``, ``a#b``, ``a%41``, ``x+y``), each with its own
planted duplicate groups; the scan's groups must equal numpy's exact answer for that very
collection, and no API key may appear in anything the Node process sent, received or
printed (a loopback relay between Node and Jupyter keeps every byte). Skips, saying why,
where the Qdrant server binary is absent; the embedded half needs nothing but this repo.
"""

from __future__ import annotations

import glob
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import quote

import numpy as np
import pytest
from embedded_fixtures import make_client
from real_qdrant import qdrant_server

from jupyterlab_near_duplicates.embedded import EmbeddedBackend

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import scan_harness as sh  # noqa: E402

NAMES = ["my photos", "фото", "a#b", "a%41", "x+y"]
NAME_IDS = ["my photos", "cyrillic", "a#b", "a%41", "x+y"]
# These collections are scanned by the sure route (each point's vector fetched and sent back
# as text, by the scan's own requests rather than the client's), so that path and its
# encoding of odd names go through the proxy too; the others by id.
SURE_ROUTE = {"фото", "a%41"}
BACKENDS = ["remote", "embedded"]
# As on JupyterHub, where the user's server lives under /user/<name>/.
BASE_URL = "/user/nd-test/"
PROXY_PREFIX = BASE_URL + "near-duplicates/qdrant"
D = 16
THRESHOLD = 0.95
# Group sizes (some past the scan's limit of 8), then background points up to N.
GROUPS = [2, 3, 4, 6, 9, 12]
N = 200
# Small pages and batches, so every collection takes many requests through the proxy.
SCAN = {"limit": 8, "batchSize": 16, "inFlight": 2, "sampleIdField": "sample_id"}
# No pair may score this close to the threshold: the test checks the path, not rounding.
MARGIN = 1e-3


def planted(seed: int) -> np.ndarray:
    """N unit vectors in d=16: planted groups of near and exact copies among random points."""
    rng = np.random.default_rng(seed)

    def unit(X: np.ndarray) -> np.ndarray:
        return (X / np.linalg.norm(X, axis=-1, keepdims=True)).astype(np.float32)

    rows = []
    for k, size in enumerate(GROUPS):
        centre = unit(rng.standard_normal((1, D)))
        members = unit(centre + 0.08 * rng.standard_normal((size, D)) / np.sqrt(D))
        if k % 2:
            members[:] = centre  # exact copies
        rows.append(members)
    rows.append(unit(rng.standard_normal((N - sum(GROUPS), D))))
    X = np.concatenate(rows)
    X = X[rng.permutation(len(X))]
    S = X.astype(np.float64) @ X.astype(np.float64).T
    close = np.abs(S[np.triu_indices(N, 1)] - THRESHOLD) < MARGIN
    assert not close.any(), f"test data: {int(close.sum())} pairs within {MARGIN} of the threshold"
    return X


def point_ids() -> list[int]:
    return [1000 + 7 * k for k in range(N)]  # sparse integer ids, not row numbers


def load(url: str, api_key: str, seed_of: dict) -> None:
    """Creates each collection through qdrant-client (which encodes the names itself)."""
    from qdrant_client import models

    client = make_client(url, api_key)
    try:
        for name, seed in seed_of.items():
            client.create_collection(name, vectors_config=models.VectorParams(size=D, distance=models.Distance.COSINE))
            X = planted(seed)
            client.upsert(
                name,
                [
                    models.PointStruct(id=p, vector=X[k].tolist(), payload={"sample_id": f"{name}/{k}"})
                    for k, p in enumerate(point_ids())
                ],
                wait=True,
            )
    finally:
        client.close()


def seeds(backend: str) -> dict:
    """Each collection on each backend gets its own data, so groups that match the exact
    answer show the scan read that very collection of that very backend."""
    offset = 100 if backend == "remote" else 200
    return {name: offset + k for k, name in enumerate(NAMES)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterServer:
    """``jupyter server`` with this extension, on a free loopback port, with a token and
    its own config, data and runtime dirs; ``env`` configures the Near Duplicates backend."""

    def __init__(self, home: str, env: dict[str, str]):
        self.home = home
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        self.log_path = os.path.join(home, "jupyter.log")
        config_dir = os.path.join(home, "config")
        os.makedirs(config_dir)
        with open(os.path.join(config_dir, "jupyter_server_config.json"), "w") as f:
            # Only this extension: the scan needs no other, and each costs start-up time.
            others = ["jupyterlab", "notebook", "notebook_shim", "jupyter_lsp", "jupyter_server_terminals"]
            extensions = {"jupyterlab_near_duplicates": True, **{name: False for name in others}}
            json.dump({"ServerApp": {"jpserver_extensions": extensions}}, f)
        root = os.path.join(home, "root")
        os.makedirs(root)
        self.runtime_dir = os.path.join(home, "runtime")
        base = {k: v for k, v in os.environ.items() if not k.startswith(("QDRANT_", "NEAR_DUPLICATES_", "JUPYTER_"))}
        self.env = {
            **base,
            "JUPYTER_CONFIG_DIR": config_dir,
            "JUPYTER_DATA_DIR": os.path.join(home, "data"),
            "JUPYTER_RUNTIME_DIR": self.runtime_dir,
            "JUPYTER_TOKEN": self.token,
            **env,
        }
        self.root = root
        self.process: subprocess.Popen | None = None
        #: The Qdrant API keys behind this server, which nothing the scan sees may contain.
        self.secrets: list[str] = []

    def start(self) -> JupyterServer:
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root", "--ip=127.0.0.1",
                    f"--port={self.port}", "--ServerApp.port_retries=0",
                    f"--ServerApp.base_url={BASE_URL}", f"--ServerApp.root_dir={self.root}",
                ],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        return self

    def wait_ready(self, timeout_s: float = 90) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter server exited with {self.process.returncode}: {self.log()[-3000:]}")
            try:
                self.get("api/status")
                return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        raise RuntimeError(f"jupyter server did not answer within {timeout_s:.0f} s: {self.log()[-3000:]}")

    def get(self, path: str) -> dict:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{BASE_URL}{path}", headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def log(self) -> str:
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def embedded_key(self) -> str | None:
        """The embedded backend's key, from the connection file this server writes for kernels."""
        for path in glob.glob(os.path.join(self.runtime_dir, "near-duplicates-*.json")):
            with open(path) as f:
                return json.load(f).get("backends", {}).get("embedded", {}).get("api_key")
        return None

    def stop(self) -> None:
        qdrant_server.stop_process(self.process, timeout_s=20)


class Relay:
    """A loopback TCP relay in front of the Jupyter server that keeps every byte the scan
    sends and receives, one buffer per connection and direction."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sent: list[bytearray] = []
        self.received: list[bytearray] = []
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self._sockets += [client, upstream]
            sent, received = bytearray(), bytearray()
            self.sent.append(sent)
            self.received.append(received)
            threading.Thread(target=self._pump, args=(client, upstream, sent), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, received), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket, record: bytearray) -> None:
        try:
            while data := src.recv(65536):
                record += data
                dst.sendall(data)
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self) -> None:
        self.listener.close()
        for s in self._sockets:
            s.close()


@pytest.fixture(scope="module")
def remote_jupyter(tmp_path_factory):
    """A Jupyter server whose remote is a real Qdrant server holding the odd names."""
    reason = qdrant_server.unavailable_reason()
    if reason:
        pytest.skip(f"needs a real Qdrant server: {reason}")
    qdrant = qdrant_server.QdrantServer().start()
    server = None
    try:
        load(qdrant.url, qdrant.api_key, seeds("remote"))
        home = str(tmp_path_factory.mktemp("jupyter-remote"))
        server = JupyterServer(
            home,
            {
                "QDRANT_URL": qdrant.url,
                "QDRANT_API_KEY": qdrant.api_key,
                "NEAR_DUPLICATES_DATA_DIR": os.path.join(home, "embedded"),
            },
        ).start()
        server.wait_ready()
        server.secrets = [qdrant.api_key]
        yield server
    finally:
        if server is not None:
            server.stop()
        qdrant.stop()


@pytest.fixture(scope="module")
def embedded_jupyter(tmp_path_factory):
    """A Jupyter server with no remote (the default: its embedded backend), whose data dir
    already holds the odd names (loaded by an embedded backend of our own, then stopped)."""
    home = str(tmp_path_factory.mktemp("jupyter-embedded"))
    data_dir = os.path.join(home, "embedded")
    loader = EmbeddedBackend(data_dir)
    url, api_key = loader.ensure_running()
    try:
        load(url, api_key, seeds("embedded"))
    finally:
        loader.stop()
    server = JupyterServer(home, {"NEAR_DUPLICATES_DATA_DIR": data_dir}).start()
    try:
        server.wait_ready()
        server.secrets = [api_key]
        yield server
    finally:
        server.stop()


@pytest.fixture
def jupyter(request):
    return request.getfixturevalue(f"{request.param}_jupyter")


@pytest.mark.parametrize("jupyter", BACKENDS, indirect=True)
def test_auto_is_the_backend_the_server_offers(jupyter):
    """The setup the scans rely on: the panel's default (auto) means the remote where one
    is configured, the embedded backend where none is, and every odd name is listed."""
    info = jupyter.get("near-duplicates/api/backend?kind=auto")
    expected = "remote" if "QDRANT_URL" in jupyter.env else "embedded"
    assert info["kind"] == expected
    assert {c["name"]: c.get("points_count") for c in info["collections"]} == {n: N for n in NAMES}


@pytest.mark.parametrize("name", NAMES, ids=NAME_IDS)
@pytest.mark.parametrize("jupyter", BACKENDS, indirect=True)
def test_scan_through_the_proxy_finds_exactly_the_planted_groups(jupyter, name, bundle):
    backend = "remote" if "QDRANT_URL" in jupyter.env else "embedded"
    X = planted(seeds(backend)[name])
    ids = point_ids()
    index_of = {p: k for k, p in enumerate(ids)}
    truth = sh.exact_pairs(X, THRESHOLD, "Cosine")
    assert not truth.borderline

    relay = Relay(jupyter.port)
    try:
        # What the browser's worker gets (proxyConnection in src/api.ts), and no Qdrant key.
        out = sh.run_scan(
            bundle, "ours", f"http://127.0.0.1:{relay.port}", "", name, THRESHOLD, timeout=120,
            prefix=PROXY_PREFIX,
            headers={"Authorization": f"token {jupyter.token}", "X-Near-Duplicates-Backend": "auto"},
            **SCAN,
            **({"cure": "always"} if name in SURE_ROUTE else {}),
        )
    finally:
        relay.close()

    assert out["phases"][-1] == "complete", out["phases"]
    assert out["audit"]["route"] == ("sure" if name in SURE_ROUTE else "by-id")
    assert sorted(out["ids"]) == ids, "the scan listed other points"
    comparison = sh.compare(out, truth, index_of)
    assert not comparison.missed and not comparison.extra, (
        f"{len(comparison.missed)} of {comparison.truth_pairs} pairs missed, {len(comparison.extra)} extra"
    )
    truth_groups = {frozenset(ids[k] for k in g) for g in truth.groups()}
    found_groups = [frozenset(g) for g in out["groups"]]
    assert len(found_groups) == len(set(found_groups)) == len(GROUPS)
    assert set(found_groups) == truth_groups
    assert sorted(map(len, found_groups)) == GROUPS
    # Payloads came through the proxy too (the details phase's retrieve): each paired point's
    # sample id names this collection; the points in no pair are never read, nor shown.
    paired = set(out["pairs"]["a"]) | set(out["pairs"]["b"])
    assert paired and len(paired) < len(ids)
    assert dict(zip(out["ids"], out["sample_ids"])) == {
        p: f"{name}/{k}" if p in paired else "" for k, p in enumerate(ids)
    }

    # Every request went to the proxy's route for this collection, the name encoded once.
    sent = [bytes(b) for b in relay.sent]
    received = [bytes(b) for b in relay.received]
    route = f"{PROXY_PREFIX}/collections/{quote(name, safe='')}".encode()
    # A request line can follow the last byte of the body before it on a kept-alive connection.
    targets = [m.group(2) for b in sent for m in re.finditer(rb"(GET|POST) (\S+) HTTP/1\.1\r\n", b)]
    strays = [t for t in targets if t != route and not t.startswith((route + b"/", route + b"?"))]
    assert targets and not strays, strays[:5]
    # The scan's four kinds of request: the collection's info, a scroll, query batches, and
    # the paired points' payload by id (POST .../points).
    assert route in targets
    assert any(t.startswith(route + b"/points/scroll") for t in targets)
    assert any(t.startswith(route + b"/points/query/batch") for t in targets)
    assert any(t == route + b"/points" or t.startswith(route + b"/points?") for t in targets)
    assert not any(b"content-encoding:" in b.lower() for b in received), "compressed answers: the key check could not read them"

    # No Qdrant key (the remote's, or the embedded backend's this server started) reached
    # the scan, nor the Jupyter server's log.
    embedded_key = jupyter.embedded_key()
    assert (embedded_key is not None) == (backend == "embedded")
    everything = b"".join(sent + received) + out["printed"].encode() + json.dumps(out).encode()
    log = jupyter.log()
    for key in [*jupyter.secrets, *([embedded_key] if embedded_key else [])]:
        assert key.encode() not in everything, "a Qdrant API key reached the scan"
        assert key not in log, "a Qdrant API key reached the Jupyter server's log"
