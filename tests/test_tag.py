"""plan.tag() / plan.untag(): the plan written into the payload and taken out again, on the
real embedded backend (idempotent, exact undo, dry run, another scan's tags kept), and
refusals by a real Qdrant server (a read-only API key; a write rate limit that stops the
writes part-way): each says how many points were written and how to finish or undo."""

from __future__ import annotations

import pytest
from embedded_fixtures import make_client
from plan_fixtures import COLLECTION, GROUPS, sent_rows, upload

import jupyterlab_near_duplicates as nd
from jupyterlab_near_duplicates.tagging import TagError

ALL = sum(len(g) for g in GROUPS)


def payloads(client, name: str = COLLECTION) -> dict:
    points, offset = [], None
    while True:
        batch, offset = client.scroll(name, limit=100, offset=offset, with_payload=True)
        points.extend(batch)
        if offset is None:
            return {p.id: p.payload for p in points}


def test_tag_writes_each_member_once_and_untag_restores_the_payload(sent, client):
    before = payloads(client)
    plan = nd.plan(prefer_split=["test", "train"], client=client)

    dry = plan.tag(dry_run=True)
    assert payloads(client) == before  # a dry run writes nothing
    assert dry.written == ALL and dry.keep == 3
    assert str(dry).startswith(f"Would write 'near_duplicate' on {ALL} points of 'plan-groups' (3 keep, 6 drop; scan scan-1)")

    first = plan.tag()
    assert first.written == ALL and str(first).startswith("Wrote 'near_duplicate' on 9 points")
    tagged = payloads(client)
    assert tagged[12]["near_duplicate"] == {
        "group": 0, "keep": True, "scan": "scan-1", "threshold": 0.9, "weakest_link": pytest.approx(0.98, abs=1e-5)
    }
    assert tagged[10]["near_duplicate"]["keep"] is False
    assert tagged[21]["near_duplicate"]["weakest_link"] == pytest.approx(0.97, abs=1e-5)
    assert tagged[32]["near_duplicate"]["weakest_link"] == pytest.approx(0.95, abs=1e-5)
    assert all("near_duplicate" not in tagged[p] for p in tagged if p >= 100)  # no member, no tag
    # everything else in the payload is untouched
    assert all({k: v for k, v in tagged[p].items() if k != "near_duplicate"} == before[p] for p in before)

    again = plan.tag()  # idempotent: the same payload, nothing written
    assert payloads(client) == tagged
    assert again.written == 0 and again.unchanged == ALL

    assert plan.untag(dry_run=True).written == ALL and payloads(client) == tagged
    removed = plan.untag()
    assert removed.written == ALL
    assert payloads(client) == before  # exactly as before the tag
    assert plan.untag().written == 0  # nothing left of this scan


def test_a_pin_changes_the_tag_and_untag_keeps_another_scans_tags(sent, client):
    plan = nd.plan(client=client)
    plan.tag()
    plan.pin(11)  # the user changes their mind: only group 0 changes
    report = plan.tag()
    assert report.written == 2 and report.unchanged == ALL - 2  # 10 no longer kept, 11 kept
    assert payloads(client)[11]["near_duplicate"]["keep"] is True

    # A later scan (another id) tags group 0 again; untag of the first scan leaves its tags.
    later = nd.plan(sent_rows_of_scan(client, "scan-2")[:1], client=client)
    report = later.tag()
    assert report.replaced == 3 and "3 of them replace a tag of another scan" in str(report)
    assert plan.untag().written == ALL - 3
    after = payloads(client)
    assert [after[p]["near_duplicate"]["scan"] for p in GROUPS[0]] == ["scan-2"] * 3
    assert all("near_duplicate" not in after[p] for g in GROUPS[1:] for p in g)
    later.untag()


def sent_rows_of_scan(client, scan_id: str) -> list[dict]:
    from plan_fixtures import vectors

    return sent_rows(vectors(), scan_id=scan_id)


def test_groups_marked_not_duplicates_are_not_tagged(sent, client):
    plan = nd.plan(client=client).not_duplicates(1)
    assert plan.tag().written == ALL - 2
    assert "near_duplicate" not in payloads(client)[20]
    with pytest.warns(UserWarning, match="drops nothing now"):
        plan.not_duplicates(0).not_duplicates(2)
    with pytest.warns(UserWarning, match="no groups to tag: every group is marked not duplicates"):
        assert plan.tag().written == 0
    plan.untag()


def test_points_deleted_after_the_plan_stop_the_tag_before_any_write(sent, client):
    from qdrant_client import models

    plan = nd.plan(client=client)
    client.delete(COLLECTION, points_selector=models.PointIdsList(points=[33]), wait=True)
    before = payloads(client)
    with pytest.raises(RuntimeError, match="no longer in collection 'plan-groups'.*Run Detect again"):
        plan.tag()
    assert payloads(client) == before


@pytest.fixture(scope="module")
def read_only_server():
    """A real Qdrant server with an admin key and a read-only key (skips without the binary)."""
    import qdrant_server

    reason = qdrant_server.unavailable_reason()
    if reason:
        pytest.skip(f"needs a real Qdrant server: {reason}")
    server = qdrant_server.QdrantServer(env={"QDRANT__SERVICE__READ_ONLY_API_KEY": "nd-test-read-only"}).start()
    yield server
    server.stop()


def test_a_read_only_key_is_refused_and_says_so(read_only_server):
    admin = make_client(read_only_server.url, read_only_server.api_key)
    reader = make_client(read_only_server.url, "nd-test-read-only")
    try:
        rows = sent_rows(upload(admin))
        before = payloads(admin)
        plan = nd.plan(rows, client=reader)  # reading works with the read-only key
        with pytest.raises(TagError) as info:
            plan.tag()
        text = str(info.value)
        assert "HTTP 403" in text and f"0 of {ALL} points were written" in text
        assert "may not write" in text and "plan.tag(client=QdrantClient(url, api_key=...))" in text
        assert info.value.written == 0 and payloads(admin) == before
        assert plan.tag(client=admin).written == ALL  # with a key that may write
        plan.untag(client=admin)
    finally:
        admin.close()
        reader.close()


def test_a_refusal_part_way_says_how_many_were_written_and_how_to_finish(read_only_server):
    from qdrant_client import models

    admin = make_client(read_only_server.url, read_only_server.api_key)
    name = "plan-rate-limited"
    try:
        rows = sent_rows(upload(admin, name), name=name)
        plan = nd.plan(rows, client=admin)
        # Strict mode: 4 points may be written per minute; the tag writes 9, value by value.
        admin.update_collection(name, strict_mode_config=models.StrictModeConfig(enabled=True, write_rate_limit=4))
        with pytest.raises(TagError) as info:
            plan.tag()
        error = info.value
        assert 0 < error.written < ALL and error.total == ALL
        text = str(error)
        assert f"{error.written} of {ALL} points were written before the refusal" in text
        assert "Rate limit" in text or "rate limit" in text
        assert "run plan.tag() again (it skips points already tagged)" in text and "plan.untag()" in text
        tagged = [p for p, pl in payloads(admin, name).items() if "near_duplicate" in pl]
        assert len(tagged) == error.written  # what it says is what is there
        # Finishing as the message says: the rest is written, nothing twice.
        admin.update_collection(name, strict_mode_config=models.StrictModeConfig(enabled=False))
        report = plan.tag()
        assert report.written == ALL - error.written and report.unchanged == error.written
        assert sum("near_duplicate" in pl for pl in payloads(admin, name).values()) == ALL
    finally:
        admin.close()


def test_a_group_of_one_is_tagged_with_no_weakest_link(sent, client):
    # A group built by hand may hold one member: it is kept, and its tag has no link (JSON has no NaN).
    row = {"point_ids": [105], "sample_ids": ["s105"], "collection": COLLECTION, "scan_id": "by-hand", "threshold": 0.9}
    with pytest.warns(UserWarning, match="drops nothing: every group has a single member"):
        plan = nd.plan([row], client=client)
    assert plan.tag().written == 1
    assert client.retrieve(COLLECTION, ids=[105])[0].payload["near_duplicate"] == {
        "group": 0, "keep": True, "scan": "by-hand", "threshold": 0.9, "weakest_link": None
    }
    assert plan.untag().written == 1


def test_a_key_the_embedded_backend_does_not_accept_stops_before_any_write(sent, client, backend):
    # As after a restart of Jupyter gave the embedded backend a new key: the plan's old client is refused.
    plan = nd.plan(client=client)
    before = payloads(client)
    stale = make_client(backend.url, "a-key-from-before-the-restart")
    try:
        for action in (plan.tag, plan.untag):
            with pytest.raises(TagError) as info:
                action(client=stale)
            text = str(info.value)
            assert "Qdrant answered HTTP 401, Invalid API key" in text and "Nothing was written." in text
            assert f"plan.{action.__name__}(client=nd.client())" in text and info.value.written == 0
    finally:
        stale.close()
    assert payloads(client) == before
