"""The kernel side of the panel-to-notebook channel, with a mock comm standing in for
JupyterLab: `nd.selection`, `nd.on_select` callbacks (one raising), `nd.groups()`, and the
comm target in a real ipykernel."""

from __future__ import annotations

import importlib
import json
import math
import queue
import sys
import types
import uuid

import pytest

# The module itself: with the package wired, `jupyterlab_near_duplicates.selection` is the live
# group, so the module is reached by name.
sel = importlib.import_module("jupyterlab_near_duplicates.selection")
comm_module = importlib.import_module("jupyterlab_near_duplicates.comm")


class MockComm:
    """Records what the kernel sends; `deliver` plays a message from the front end."""

    def __init__(self):
        self.sent: list[dict] = []
        self._on_msg = None

    def on_msg(self, fn):
        self._on_msg = fn

    def send(self, data):
        self.sent.append(data)

    def deliver(self, data):
        self._on_msg({"content": {"comm_id": "c", "data": data}})
        return self.sent[-1]


def group(sample_ids=("a", "b", "c"), index=0, **extra):
    n = len(sample_ids)
    g = {
        "sample_ids": list(sample_ids),
        "point_ids": list(range(100, 100 + n)),
        "scores": [0.99, 0.98, 0.97][:n] + [0.96] * max(0, n - 3),
        "representative": sample_ids[0],
        "size": n,
        "group_index": index,
        "threshold": 0.95,
        "distance": "Cosine",
        "collection": "planted",
        "scan_id": "planted@2025-01-02T03:04:05.000Z",
    }
    g.update(extra)
    return g


@pytest.fixture(autouse=True)
def fresh_state():
    sel._reset()
    yield
    sel._reset()


@pytest.fixture
def comm():
    c = MockComm()
    hello = {"type": "hello", "protocol": 1}
    comm_module._on_comm_open(c, {"content": {"comm_id": "c", "target_name": comm_module.COMM_TARGET, "data": hello}})
    return c


def test_open_answers_ready_with_the_protocol(comm):
    assert comm.sent[0]["type"] == "ready"
    assert comm.sent[0]["protocol"] == comm_module.PROTOCOL == 2


def test_selection_is_none_until_a_group_arrives(comm):
    assert sel.current() is None
    ack = comm.deliver({"type": "select", "seq": 7, "group": group()})
    assert ack == {"type": "ack", "seq": 7, "of": "select", "grids": 0, "callback_errors": []}
    s = sel.current()
    assert s.sample_ids == ["a", "b", "c"]
    assert s.point_ids == [100, 101, 102]
    assert s.scores == [0.99, 0.98, 0.97]
    assert (s.threshold, s.collection, s.size, s.group_index) == (0.95, "planted", 3, 0)
    assert s.representative == "a" and s.distance == "Cosine"
    assert list(s) == ["a", "b", "c"] and len(s) == 3 and "b" in s


def test_each_click_replaces_the_selection(comm):
    comm.deliver({"type": "select", "seq": 1, "group": group(["a", "b"])})
    comm.deliver({"type": "select", "seq": 2, "group": group(["x", "y", "z"], index=3)})
    assert sel.current().sample_ids == ["x", "y", "z"]
    assert sel.current().group_index == 3


def test_repr_says_what_the_group_is():
    s = sel.Selection.from_message(group([f"s{i}" for i in range(9)], index=1))
    assert repr(s) == (
        "Selection(9 samples, group 2 of 'planted' similarity > 0.95: "
        "['s0', 's1', 's2', 's3', 's4', 's5', ... (+3)])"
    )
    d = sel.Selection.from_message(group(["p", "q"], distance="Euclid", threshold=0.3))
    assert "distance < 0.3" in repr(d)
    assert not d.is_similarity


def test_callbacks_run_in_order_and_one_raising_does_not_stop_the_others(comm, capsys):
    seen = []

    def first(s):
        seen.append(("first", s.size))

    def broken(s):
        raise ZeroDivisionError("division by zero")

    def last(s):
        seen.append(("last", s.sample_ids))

    for fn in (first, broken, last):
        sel.on_select(fn)
    ack = comm.deliver({"type": "select", "seq": 1, "group": group(["a", "b"])})
    assert seen == [("first", 2), ("last", ["a", "b"])]
    assert len(ack["callback_errors"]) == 1
    assert "broken" in ack["callback_errors"][0]
    assert "ZeroDivisionError: division by zero" in ack["callback_errors"][0]
    err = capsys.readouterr().err
    assert "Traceback" in err and "ZeroDivisionError" in err and "broken" in err
    assert sel.current().sample_ids == ["a", "b"]


def test_a_removed_callback_is_not_called(comm):
    calls = []
    handle = sel.on_select(calls.append)
    comm.deliver({"type": "select", "seq": 1, "group": group()})
    assert handle.active
    handle.remove()
    handle.remove()  # twice is fine
    comm.deliver({"type": "select", "seq": 2, "group": group()})
    assert len(calls) == 1
    assert not handle.active and "removed" in repr(handle)


def test_on_select_works_as_a_decorator_and_a_context_manager(comm):
    calls = []

    @sel.on_select
    def remember(s):
        calls.append(s.size)
        return "called"

    assert remember(sel.Selection(["q"])) == "called"  # the handle still calls the function
    with sel.on_select(lambda s: calls.append("ctx")):
        comm.deliver({"type": "select", "seq": 1, "group": group()})
    comm.deliver({"type": "select", "seq": 2, "group": group()})
    assert calls == [1, 3, "ctx", 3]


def test_on_select_rejects_what_it_cannot_call():
    with pytest.raises(TypeError, match="callable"):
        sel.on_select("print")


def test_groups_holds_the_last_scans_groups_as_dicts(comm):
    assert sel.groups() == []
    ack = comm.deliver(
        {
            "type": "groups",
            "seq": 3,
            "scan_id": "s",
            "collection": "planted",
            "threshold": 0.95,
            "distance": "Cosine",
            "groups": [group(["a", "b", "c"], 0), group(["d", "e"], 1)],
        }
    )
    assert ack["of"] == "groups" and ack["seq"] == 3
    rows = sel.groups()
    assert [r["sample_ids"] for r in rows] == [["a", "b", "c"], ["d", "e"]]
    assert [r["group_index"] for r in rows] == [0, 1]
    assert rows[1]["size"] == 2 and rows[1]["collection"] == "planted"
    rows[0]["sample_ids"].append("mutated")  # callers get copies
    assert sel.groups()[0]["sample_ids"] == ["a", "b", "c"]
    # A click does not change the groups, and new groups replace the old ones.
    comm.deliver({"type": "select", "seq": 4, "group": group(["z"])})
    assert len(sel.groups()) == 2
    comm.deliver({"type": "groups", "seq": 5, "groups": []})
    assert sel.groups() == []


def test_groups_as_frame_needs_pandas(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if not installed
    with pytest.raises(ImportError, match=r"needs pandas.*pip install pandas.*nd.groups\(\)"):
        sel.groups(as_frame=True)


def test_groups_as_frame_makes_one_row_per_group(comm, monkeypatch):
    made = {}

    class FakeDataFrame:
        def __init__(self, rows, columns):
            made["rows"], made["columns"] = rows, columns

    monkeypatch.setitem(sys.modules, "pandas", types.SimpleNamespace(DataFrame=FakeDataFrame))
    comm.deliver({"type": "groups", "seq": 1, "groups": [group(["a", "b"])]})
    frame = sel.groups(as_frame=True)
    assert isinstance(frame, FakeDataFrame)
    assert made["columns"][:3] == ["group_index", "size", "sample_ids"]
    assert made["rows"][0]["sample_ids"] == ["a", "b"]


@pytest.mark.parametrize(
    "message",
    [
        {"type": "select", "seq": 1},
        {"type": "select", "seq": 1, "group": {"sample_ids": "abc"}},
        {"type": "select", "seq": 1, "group": group(["a", "b"], scores=[0.9])},
        {"type": "groups", "seq": 1, "groups": "all"},
        {"type": "rename", "seq": 1},
        "not a dict",
    ],
)
def test_a_message_the_kernel_cannot_read_gets_an_error_reply(comm, message):
    comm.deliver({"type": "select", "seq": 0, "group": group(["kept"])})
    reply = comm.deliver(message)
    assert reply["type"] == "error"
    assert reply["message"]
    assert sel.current().sample_ids == ["kept"]


def _nested(depth: int):
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    "message, says",
    [
        ({"type": "select", "seq": 1, "group": group(threshold=10**400)}, "group.threshold is too large"),
        ({"type": "select", "seq": 1, "group": group(scores=[10**400, 1, 1])}, "group.scores[0] is too large"),
        ({"type": "select", "seq": 1, "group": group(threshold=float("nan"))}, "group.threshold must be a finite"),
        ({"type": "select", "seq": 1, "group": group(threshold=float("inf"))}, "group.threshold must be a finite"),
        ({"type": "select", "seq": 1, "group": group(group_index=2**64)}, "group.group_index must be between"),
        ({"type": "select", "seq": 1, "group": group(point_ids=[2**65, 1, 2])}, "group.point_ids[0] must be between"),
        ({"type": "select", "seq": 1, "group": group(sample_ids=[1, 2, 3])}, "group.sample_ids[0] must be a string"),
        ({"type": "select", "seq": 1, "group": group(sample_ids=_nested(100_000))}, "group.sample_ids[0] must be a string"),
        ({"type": "select", "seq": 1, "group": group(size=5)}, "group.size is 5"),
        ({"type": "select", "seq": 1, "group": group(distance="Hamming")}, "group.distance must be one of"),
        ({"type": "select", "seq": 1, "group": group(representative=["a"])}, "group.representative must be a string"),
        ({"type": "select", "seq": 1, "group": group(collection=7)}, "group.collection must be a string"),
        ({"type": "select", "seq": 1, "group": group(group_index=True)}, "group.group_index must be an integer"),
        ({"type": "groups", "seq": 1, "groups": [group(), group(scores="high")]}, "groups[1].scores must be a list"),
        ({"type": "groups", "seq": 1, "groups": [group()], "threshold": 10**400}, "threshold is too large"),
        ({"type": "part", "seq": 1, "transfer": "t", "part": 3, "parts": 2, "text": ""}, "part must be between 0 and 1"),
        ({"type": "part", "seq": 1, "transfer": "t", "part": 0, "parts": 10**400, "text": ""}, "parts must be between"),
        ({"type": "commit", "seq": 1, "transfer": "never-sent", "parts": 1}, "no parts of"),
        ({"type": 7, "seq": 1}, "unknown message type 7"),
        ([1, 2, 3], "a message must be an object"),
        (None, "a message must be an object"),
        (10**400, "a message must be an object"),
    ],
    ids=lambda v: v if isinstance(v, str) else type(v).__name__,
)
def test_the_kernel_answers_every_bad_message_with_an_error_naming_the_field(comm, message, says):
    comm.deliver({"type": "select", "seq": 0, "group": group(["kept"])})
    comm.deliver({"type": "groups", "seq": 0, "groups": [group(["g1"])]})
    reply = comm.deliver(message)
    assert reply["type"] == "error"
    assert says in reply["message"]
    assert reply["seq"] == (1 if isinstance(message, dict) else None)
    assert sel.current().sample_ids == ["kept"]
    assert [g["sample_ids"] for g in sel.groups()] == [["g1"]]


def test_a_seq_the_panel_cannot_have_sent_is_not_echoed(comm):
    for seq in (10**400, -1, 2**53, 1.5, "7", float("nan")):
        reply = comm.deliver({"type": "select", "seq": seq, "group": group()})
        assert reply["type"] == "ack" and reply["seq"] is None


def test_unknown_fields_are_ignored(comm):
    reply = comm.deliver({"type": "select", "seq": 4, "later": {"x": 1}, "group": group(["a"], colour="red")})
    assert reply == {"type": "ack", "seq": 4, "of": "select", "grids": 0, "callback_errors": []}
    assert sel.current().sample_ids == ["a"]


def test_a_score_the_panel_sent_as_null_reads_as_nan(comm):
    comm.deliver({"type": "select", "seq": 1, "group": group(["a", "b"], scores=[0.99, None])})
    assert sel.current().scores[0] == 0.99 and math.isnan(sel.current().scores[1])


def test_a_handler_that_raises_anything_still_answers(comm, monkeypatch):
    def broken(data, seq):
        raise MemoryError("out of memory")

    monkeypatch.setattr(comm_module, "_apply", broken)
    reply = comm.deliver({"type": "select", "seq": 9, "group": group()})
    assert reply == {"type": "error", "seq": 9, "message": "MemoryError: out of memory"}


def test_a_reply_the_comm_cannot_send_is_replaced_by_an_error(monkeypatch):
    class PickyComm(MockComm):
        def send(self, data):
            if data.get("type") == "ack":
                raise ValueError("Out of range float values are not JSON compliant")
            super().send(data)

    c = PickyComm()
    comm_module._on_comm_open(c, {"content": {"data": {"type": "hello"}}})
    reply = c.deliver({"type": "select", "seq": 3, "group": group()})
    assert reply["type"] == "error" and reply["seq"] == 3
    assert "could not be sent" in reply["message"]


def test_callback_errors_are_capped_so_the_ack_stays_small(comm, capsys):
    for _ in range(50):
        sel.on_select(lambda s: 1 / 0)
    ack = comm.deliver({"type": "select", "seq": 1, "group": group()})
    assert len(ack["callback_errors"]) == 21
    assert ack["callback_errors"][-1] == "... and 30 more (see the log console)"


# Big messages, in parts.


def _parts(message: dict, size: int) -> list[str]:
    text = json.dumps(message)
    return [text[i : i + size] for i in range(0, len(text), size)]


def _send_in_parts(comm, message: dict, size: int, transfer: str = "t1", seq: int = 10, skip=()) -> list[dict]:
    texts = _parts(message, size)
    replies = []
    for i, text in enumerate(texts):
        if i in skip:
            continue
        replies.append(comm.deliver({"type": "part", "seq": seq + i, "transfer": transfer, "part": i, "parts": len(texts), "text": text}))
    replies.append(comm.deliver({"type": "commit", "seq": seq + len(texts), "transfer": transfer, "parts": len(texts)}))
    return replies


def _many_groups(n: int, tag: str = "") -> dict:
    return {
        "type": "groups",
        "scan_id": "s",
        "collection": "photos",
        "threshold": 0.95,
        "distance": "Cosine",
        "groups": [group([f"images/train/photo_{i:06d}{tag}_a.jpg", f"images/train/photo_{i:06d}{tag}_b.jpg"], index=i) for i in range(n)],
    }


def test_forty_thousand_groups_in_parts_arrive_whole_and_only_at_the_commit(comm):
    comm.deliver({"type": "groups", "seq": 1, "groups": [group(["old"])]})
    message = _many_groups(40_000)
    texts = _parts(message, 1 << 20)
    assert len(json.dumps(message)) > 10 * 1024 * 1024  # over the websocket's default limit
    for i, text in enumerate(texts):
        ack = comm.deliver({"type": "part", "seq": 10 + i, "transfer": "t1", "part": i, "parts": len(texts), "text": text})
        assert ack == {"type": "ack", "seq": 10 + i, "of": "part", "grids": 0, "callback_errors": []}
        assert [g["sample_ids"] for g in sel.groups()] == [["old"]]  # never half a set
    done = comm.deliver({"type": "commit", "seq": 99, "transfer": "t1", "parts": len(texts)})
    assert done == {"type": "ack", "seq": 99, "of": "groups", "grids": 0, "callback_errors": []}
    got = sel.groups()
    assert len(got) == 40_000
    assert got[-1]["sample_ids"] == ["images/train/photo_039999_a.jpg", "images/train/photo_039999_b.jpg"]
    assert [g["group_index"] for g in got] == list(range(40_000))


def test_a_select_in_parts_sets_the_selection_at_the_commit(comm):
    big = group([f"s{i}" for i in range(5000)], scores=[0.9] * 5000, point_ids=list(range(5000)))
    replies = _send_in_parts(comm, {"type": "select", "group": big}, 4096)
    assert replies[-1]["of"] == "select"
    assert sel.current().size == 5000


def test_a_transfer_with_a_missing_part_changes_nothing(comm):
    comm.deliver({"type": "groups", "seq": 1, "groups": [group(["old"])]})
    replies = _send_in_parts(comm, _many_groups(500), 2000, skip={3})
    assert replies[-1]["type"] == "error"
    assert "1 of" in replies[-1]["message"] and "send again" in replies[-1]["message"]
    assert [g["sample_ids"] for g in sel.groups()] == [["old"]]
    # The commit ended the transfer: committing again finds nothing.
    again = comm.deliver({"type": "commit", "seq": 50, "transfer": "t1", "parts": 1})
    assert again["type"] == "error"


def test_a_new_transfer_replaces_an_unfinished_one(comm):
    first = _parts(_many_groups(300, "x"), 1000)
    comm.deliver({"type": "part", "seq": 1, "transfer": "abandoned", "part": 0, "parts": len(first), "text": first[0]})
    replies = _send_in_parts(comm, _many_groups(300, "y"), 1000, transfer="second")
    assert replies[-1]["type"] == "ack"
    assert sel.groups()[0]["sample_ids"][0].endswith("y_a.jpg")


def test_parts_that_join_into_a_bad_message_get_an_error(comm):
    for text, says in (
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"type": "groups", "groups": [', "do not join into JSON"),
        ('{"type": "part"}', "the parts must join into a select"),
        ('{"type": "groups", "groups": "all"}', "groups must be a list"),
    ):
        comm.deliver({"type": "part", "seq": 1, "transfer": text[:8], "part": 0, "parts": 1, "text": text})
        reply = comm.deliver({"type": "commit", "seq": 2, "transfer": text[:8], "parts": 1})
        assert reply["type"] == "error" and says in reply["message"], (text[:20], reply)


def test_every_following_grid_filters_and_a_broken_one_does_not_stop_callbacks(comm, capsys):
    class Grid:
        def __init__(self):
            self.filtered = None

        def _follow_selection(self, s):
            self.filtered = s.sample_ids
            return True

    class BrokenGrid:
        def _follow_selection(self, s):
            raise RuntimeError("closed")

    grids = [Grid(), BrokenGrid(), Grid()]
    for g in grids:
        sel._register_follower(g)
    calls = []
    sel.on_select(calls.append)
    ack = comm.deliver({"type": "select", "seq": 1, "group": group(["a", "b"])})
    assert grids[0].filtered == grids[2].filtered == ["a", "b"]
    assert ack["grids"] == 2
    assert len(calls) == 1
    assert "RuntimeError: closed" in ack["callback_errors"][0]


def test_registration_is_skipped_outside_a_kernel(monkeypatch):
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    assert comm_module.register_comm_target() is False


def test_registration_uses_the_kernels_comm_manager(monkeypatch):
    registered = {}

    class Manager:
        def register_target(self, name, fn):
            registered[name] = fn

    shell = types.SimpleNamespace(kernel=types.SimpleNamespace(comm_manager=Manager()))
    fake_ipython = types.ModuleType("IPython")
    fake_ipython.get_ipython = lambda: shell
    monkeypatch.setitem(sys.modules, "IPython", fake_ipython)
    assert comm_module.register_comm_target() is True
    assert registered == {"jupyterlab-near-duplicates": comm_module._on_comm_open}


def test_the_package_exposes_a_live_selection():
    nd = importlib.import_module("jupyterlab_near_duplicates")
    if "__getattr__" not in vars(nd):
        pytest.skip("the package's __init__ does not expose nd.selection yet")
    assert nd.selection is None
    c = MockComm()
    comm_module._on_comm_open(c, {"content": {"data": {"type": "hello"}}})
    c.deliver({"type": "select", "seq": 1, "group": group(["a"])})
    assert nd.selection.sample_ids == ["a"]
    assert callable(nd.on_select) and callable(nd.groups)
    assert nd.SampleGrid.__name__ == "SampleGrid"


# A real ipykernel: the comm target exists after the import, and not before.


def _comm_roundtrip(kc, data: dict, timeout: float = 20.0) -> list[dict]:
    """Opens a comm on the target from the client side; returns comm messages the kernel sent back."""
    comm_id = uuid.uuid4().hex
    msg = kc.session.msg(
        "comm_open", {"comm_id": comm_id, "target_name": "jupyterlab-near-duplicates", "data": {"type": "hello", "protocol": 1}}
    )
    kc.shell_channel.send(msg)
    replies = []
    # Then one select, as the panel does once `ready` arrives.
    sent_select = False
    while True:
        try:
            m = kc.get_iopub_msg(timeout=timeout)
        except queue.Empty:
            return replies
        kind = m["header"]["msg_type"]
        if kind in ("comm_msg", "comm_close") and m["content"].get("comm_id") == comm_id:
            replies.append({"kind": kind, **m["content"].get("data", {})})
            if kind == "comm_close":
                return replies
            if m["content"]["data"].get("type") == "ready" and not sent_select:
                sent_select = True
                kc.shell_channel.send(
                    kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
                )
            elif m["content"]["data"].get("type") in ("ack", "error"):
                return replies


def test_a_real_kernel_registers_the_target_on_import():
    jupyter_client = pytest.importorskip("jupyter_client")
    km = jupyter_client.KernelManager(kernel_name="python3")
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        # Before the import: the kernel closes the comm (the panel then says "Run import ...").
        before = _comm_roundtrip(kc, {"type": "select", "seq": 1, "group": group()})
        assert before and before[-1]["kind"] == "comm_close"

        # (The package's __init__ imports .comm, which registers the target.)
        kc.execute_interactive(
            "import jupyterlab_near_duplicates as nd\nfrom jupyterlab_near_duplicates.selection import current",
            timeout=60,
        )
        after = _comm_roundtrip(kc, {"type": "select", "seq": 2, "group": group(["k1", "k2"])})
        assert [r.get("type") for r in after] == ["ready", "ack"]
        assert after[1]["seq"] == 2

        out = []
        kc.execute_interactive(
            "print(current().sample_ids)",
            output_hook=lambda m: out.append(m["content"].get("text", "")) if m["header"]["msg_type"] == "stream" else None,
            timeout=60,
        )
        assert "['k1', 'k2']" in "".join(out)

        # A number no float holds: the kernel still answers, and keeps the selection it had.
        overflow = _comm_roundtrip(kc, {"type": "select", "seq": 3, "group": group(["x"], threshold=10**400)})
        assert [r.get("type") for r in overflow] == ["ready", "error"]
        assert overflow[1]["seq"] == 3 and "group.threshold is too large" in overflow[1]["message"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_groups_carry_the_scans_recall_estimate(comm):
    """nd.groups() says how complete the scan was (issue 12): the panel's estimate, per row."""
    recall = {"estimate": 0.999, "low": 0.997, "high": 1.0, "sampled": 500, "route": "sure"}
    comm.deliver(
        {
            "type": "groups",
            "seq": 1,
            "scan_id": "s",
            "collection": "planted",
            "threshold": 0.95,
            "distance": "Cosine",
            "groups": [group(["a", "b"], 0)],
            "recall": recall,
        }
    )
    rows = sel.groups()
    assert rows[0]["recall"] == recall
    rows[0]["recall"]["estimate"] = 0  # callers get copies
    assert sel.groups()[0]["recall"]["estimate"] == 0.999
    # From a panel without the audit: no estimate, not an error.
    comm.deliver({"type": "groups", "seq": 2, "groups": [group(["a", "b"], 0)]})
    assert sel.groups()[0]["recall"] is None
