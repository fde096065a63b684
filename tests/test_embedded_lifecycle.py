"""The embedded backend's process lifecycle: runtime file, restarts, crashes, ownership."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from embedded_fixtures import authed, make_client
from qdrant_client import models

from jupyterlab_near_duplicates.embedded import EmbeddedBackend, EmbeddedBackendError
from jupyterlab_near_duplicates.embedded.datadir import pid_alive
from jupyterlab_near_duplicates.embedded.launcher import OWNER_NAME
from jupyterlab_near_duplicates.embedded.names import directory_name


def _gone(pid: int, timeout: float) -> bool:
    """True once pid has exited (a zombie counts as exited)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def dirs(tmp_path):
    return str(tmp_path / "data"), str(tmp_path / "rt" / "embedded.json")


def test_runtime_file_is_private_and_removed_on_stop(dirs):
    data, rt = dirs
    b = EmbeddedBackend(data, rt)
    try:
        url, key = b.ensure_running()
        assert url.startswith("http://127.0.0.1:") and key
        assert (b.url, b.api_key) == (url, key)
        st = os.stat(rt)
        assert stat.S_IMODE(st.st_mode) == 0o600
        with open(rt) as f:
            info = json.load(f)
        assert info == {"url": url, "api_key": key, "pid": b.pid, "data_dir": os.path.abspath(data)}
        # the key is never on the command line nor in the log
        if os.path.exists(f"/proc/{b.pid}/cmdline"):
            with open(f"/proc/{b.pid}/cmdline", "rb") as f:
                assert key.encode() not in f.read()
        assert authed(b, "GET", "/collections")[0] == 200
        assert b.ensure_running() == (url, key)  # idempotent
        pid = b.pid
    finally:
        b.stop()
    assert not os.path.exists(rt)
    assert not os.path.exists(os.path.join(data, OWNER_NAME))
    assert _gone(pid, 10)
    assert b.url is None and b.api_key is None
    with open(os.path.join(data, "embedded.log"), encoding="utf-8") as f:
        assert key not in f.read()


def test_data_survives_a_restart(dirs):
    data, rt = dirs
    X = np.random.default_rng(1).standard_normal((500, 16)).astype(np.float32)
    b = EmbeddedBackend(data, rt)
    url, key = b.ensure_running()
    c = make_client(url, key)
    c.create_collection("keep", vectors_config=models.VectorParams(size=16, distance=models.Distance.COSINE))
    c.upsert("keep", points=models.Batch(ids=list(range(500)), vectors=X.tolist(), payloads=[{"i": i} for i in range(500)]))
    c.set_payload("keep", payload={"tag": "x"}, points=[3])
    before = c.query_points("keep", query=3, limit=5).points
    c.close()
    b.stop()

    b2 = EmbeddedBackend(data, rt)
    try:
        url2, key2 = b2.ensure_running()
        c2 = make_client(url2, key2)
        assert c2.get_collection("keep").points_count == 500
        assert c2.retrieve("keep", ids=[3])[0].payload == {"i": 3, "tag": "x"}
        after = c2.query_points("keep", query=3, limit=5).points
        assert [p.id for p in after] == [p.id for p in before]
        c2.close()
    finally:
        b2.stop()


def test_kill9_during_upserts_keeps_acknowledged_data_and_restarts(dirs):
    data, rt = dirs
    b = EmbeddedBackend(data, rt)
    url, key = b.ensure_running()
    c = make_client(url, key)
    c.create_collection("crash", vectors_config=models.VectorParams(size=32, distance=models.Distance.DOT))
    rng = np.random.default_rng(2)
    acked: list[int] = []
    errors: list[Exception] = []

    def writer() -> None:
        i = 0
        while True:
            ids = list(range(i, i + 250))
            try:
                c.upsert("crash", points=models.Batch(ids=ids, vectors=rng.standard_normal((250, 32)).tolist()), wait=True)
            except Exception as e:  # the connection drops when the child is killed
                errors.append(e)
                return
            acked.extend(ids)
            i += 250

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    deadline = time.monotonic() + 30
    while len(acked) < 2500 and time.monotonic() < deadline:
        time.sleep(0.01)
    pid = b.pid
    os.kill(pid, signal.SIGKILL)
    t.join(30)
    assert not t.is_alive() and errors, "the writer should have seen the crash"
    assert _gone(pid, 10)
    n_acked = len(acked)
    assert n_acked >= 2500

    url2, key2 = b.ensure_running()  # restarts the dead child ...
    deadline = time.monotonic() + 10
    while b.pid == pid:  # (a killed process can linger a moment while its threads exit)
        assert time.monotonic() < deadline
        time.sleep(0.05)
        url2, key2 = b.ensure_running()
    try:
        assert (url2, key2) == (url, key)  # ... on the same port with the same key
        assert c.count("crash").count >= n_acked  # so the old client works again
        got = c.retrieve("crash", ids=acked, with_payload=False)
        assert len(got) == n_acked
        with open(rt) as f:
            assert json.load(f)["pid"] == b.pid
    finally:
        c.close()
        b.stop()


def test_child_exits_when_its_parent_dies(tmp_path):
    script = (
        "import sys, time\n"
        "from jupyterlab_near_duplicates.embedded import EmbeddedBackend\n"
        f"b = EmbeddedBackend({str(tmp_path / 'data')!r})\n"
        "b.ensure_running()\n"
        "print(b.pid, flush=True)\n"
        "time.sleep(120)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        child_pid = int(parent.stdout.readline())
        assert pid_alive(child_pid)
        parent.kill()  # no atexit, no stop(): the child must notice by itself
        parent.wait(10)
        assert _gone(child_pid, 10), "the embedded child outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()


def test_a_second_launcher_reuses_the_live_child_or_fails_clearly(dirs, tmp_path):
    data, rt = dirs
    b1 = EmbeddedBackend(data, rt)
    try:
        url, key = b1.ensure_running()
        b2 = EmbeddedBackend(data, rt)
        assert b2.ensure_running() == (url, key)
        assert not b2.owned and b2.pid == b1.pid
        b3 = EmbeddedBackend(data)  # no runtime file given: found via the data dir's owner file
        assert b3.ensure_running() == (url, key)
        b2.stop()
        b3.stop()
        assert pid_alive(b1.pid) and authed(b1, "GET", "/")[0] == 200  # still serving

        # a child started directly on a data dir in use exits at once (code 3)
        env = dict(os.environ, ND_EMBEDDED_API_KEY="k")
        proc = subprocess.run(
            [sys.executable, "-m", "jupyterlab_near_duplicates.embedded", "--data-dir", data, "--ready-file", str(tmp_path / "r.json")],
            env=env, capture_output=True, text=True, timeout=60,
        )
        assert proc.returncode == 3 and "in use" in proc.stderr
    finally:
        b1.stop()

    other = str(tmp_path / "other")
    owner = EmbeddedBackend(other)  # no runtime file: nobody else can learn its key
    try:
        owner.ensure_running()
        with pytest.raises(EmbeddedBackendError, match="in use by another process") as e:
            EmbeddedBackend(other).ensure_running()
        assert other not in str(e.value)  # the panel shows this message: no server path
    finally:
        owner.stop()


def _optimizer_pids(data_dir: str) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    cmd = f.read().split(b"\0")
            except OSError:
                continue
            if b"--optimize-shard" in cmd and any(data_dir.encode() in c for c in cmd):
                pids.append(int(entry))
    return pids


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill9_during_a_background_index_build(dirs):
    data, rt = dirs
    b = EmbeddedBackend(data, rt)
    url, key = b.ensure_running()
    c = make_client(url, key)
    try:
        c.create_collection(
            "building",
            vectors_config=models.VectorParams(size=64, distance=models.Distance.COSINE),
            optimizers_config=models.OptimizersConfigDiff(indexing_threshold=10),
            hnsw_config=models.HnswConfigDiff(m=32, ef_construct=400),
        )
        X = np.random.default_rng(3).standard_normal((6000, 64))
        c.upsert("building", points=models.Batch(ids=list(range(6000)), vectors=X.tolist()))
        c.query_batch_points("building", [models.QueryRequest(query=1, limit=3)])  # starts the build
        deadline = time.monotonic() + 20
        while not (opt := _optimizer_pids(os.path.abspath(data))):
            assert time.monotonic() < deadline, "no background build started"
            time.sleep(0.02)
        assert c.get_collection("building").status == models.CollectionStatus.YELLOW
        pid = b.pid
        os.kill(pid, signal.SIGKILL)
        assert all(_gone(p, 10) for p in opt), "the index builder outlived the backend"
        deadline = time.monotonic() + 10
        while b.ensure_running() and b.pid == pid:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert c.count("building").count == 6000
        assert not os.path.exists(os.path.join(data, "collections", directory_name("building"), "build"))
    finally:
        c.close()
        b.stop()
