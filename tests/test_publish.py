"""The one way to publish (issue #30, publish/staged.py): a product's files appear together or not
at all, its freshness record is emptied first and written last."""
from __future__ import annotations

import pytest

from ivbtools.publish.staged import INPUTS, StagedSet, up_to_date


def test_a_staged_set_replaces_the_files_only_when_published(tmp_path):
    out, dest = tmp_path / "out", tmp_path / "out" / "thing"
    with StagedSet(out, dest, "thing") as s:
        s.text("a.txt", "one")
        s.data("sub/b.bin", b"\x00\x01")
        assert not dest.exists()                     # nothing in place before publish
        s.publish(inputs="digest-1")
    assert (dest / "a.txt").read_text() == "one" and (dest / "sub" / "b.bin").read_bytes() == b"\x00\x01"
    assert up_to_date(dest, "digest-1", ("a.txt", "sub/b.bin")) and not up_to_date(dest, "digest-2", ("a.txt",))
    assert not up_to_date(dest, "digest-1", ("a.txt", "missing.csv")) and not up_to_date(dest, "", ("a.txt",))
    # a failure while staging leaves the published set and its record as they were, and no staging folder
    with pytest.raises(RuntimeError):
        with StagedSet(out, dest, "thing") as s:
            s.text("a.txt", "two")
            raise RuntimeError("render failed")
    assert (dest / "a.txt").read_text() == "one" and (dest / INPUTS).read_text() == "digest-1"
    assert [p.name for p in out.iterdir()] == ["thing"]


def test_the_freshness_record_is_emptied_before_the_files_move_and_written_after(tmp_path, monkeypatch):
    """A set cut off halfway is never taken for up to date: while files move, the record is empty."""
    from ivbtools import atomic
    from ivbtools.publish import staged

    out, dest = tmp_path / "out", tmp_path / "out" / "thing"
    with StagedSet(out, dest, "thing") as s:
        s.text("a.txt", "one")
        s.publish(inputs="old")
    seen = []
    real = atomic.move_into_place

    def move(src, target):
        seen.append((target.name, (dest / INPUTS).read_text()))
        if target.name == "b.txt":
            raise OSError("cut off")
        real(src, target)
    monkeypatch.setattr(staged.atomic, "move_into_place", move)
    with pytest.raises(OSError):
        with StagedSet(out, dest, "thing") as s:
            s.text("a.txt", "two")
            s.text("b.txt", "two")
            s.publish(inputs="new")
    assert seen == [("a.txt", ""), ("b.txt", "")]
    assert not up_to_date(dest, "old", ("a.txt",)) and not up_to_date(dest, "new", ("a.txt", "b.txt"))
