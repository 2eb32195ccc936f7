"""A batch's kernels load one data state once between them (issue #30): the first leaves the loaded
data set in the batch's handover folder, the others read it — and get what a load of their own
would have given. Only a file named by the state a process computed itself is ever read."""
from __future__ import annotations

import pickle
import subprocess
import sys

import pytest

from ivbtools.data import dataset

from conftest import DATA, ROOT


@pytest.fixture
def fresh():
    """Loads in this process start from nothing (the in-process cache emptied before and after)."""
    dataset._LOADED.clear()
    yield
    dataset._LOADED.clear()


def _same(a, b) -> None:
    assert a.observations.table.equals(b.observations.table)
    assert a.observations.all_rows.equals(b.observations.all_rows)
    assert (a.indicators, a.sources, a.policy, a.monitor) == (b.indicators, b.sources, b.policy, b.monitor)
    assert vars(a.municipalities) == vars(b.municipalities)
    assert (a.root, a.snapshot_version, a.providers, a.warnings, a.state) == (b.root, b.snapshot_version, b.providers,
                                                                            b.warnings, b.state)
    assert a.months.table.equals(b.months.table)


def test_the_second_load_of_a_state_reads_the_first_and_equals_a_load_of_its_own(fresh, tmp_path, monkeypatch):
    own = dataset.load(DATA)                     # no handover: a load of its own
    dataset._LOADED.clear()
    monkeypatch.setenv(dataset.HANDOVER, str(tmp_path))
    first = dataset.load(DATA)
    left = list(tmp_path.glob("*.pickle"))
    assert [p.stem for p in left] == [first.state]      # named by the data state
    dataset._LOADED.clear()
    calls = []
    monkeypatch.setattr(dataset, "_load", lambda *a: calls.append(a))
    second = dataset.load(DATA)
    assert calls == []                                   # read, not loaded
    _same(second, own)
    _same(first, own)


def test_a_file_under_another_name_is_never_read(fresh, tmp_path, monkeypatch):
    """A pickle in the handover folder that is not named by this process's own data state (another
    state, or planted) is not opened: the data are loaded as without a handover."""
    marker = tmp_path / "opened"
    bomb = pickle.dumps(type("Bomb", (), {"__reduce__": lambda self: (open, (str(marker), "w"))})())
    (tmp_path / "0123456789abcdef.pickle").write_bytes(bomb)
    monkeypatch.setenv(dataset.HANDOVER, str(tmp_path))
    ds = dataset.load(DATA)
    assert not marker.exists() and ds.observations.table is not None
    assert (tmp_path / f"{ds.state}.pickle").is_file()


def test_without_the_variable_or_its_folder_nothing_is_written_or_read(fresh, tmp_path, monkeypatch):
    monkeypatch.delenv(dataset.HANDOVER, raising=False)
    dataset.load(DATA)
    dataset._LOADED.clear()
    monkeypatch.setenv(dataset.HANDOVER, str(tmp_path / "gone"))    # the batch ended: its folder is gone
    dataset.load(DATA)
    assert not (tmp_path / "gone").exists() and list(tmp_path.iterdir()) == []


def test_two_processes_at_once_load_once(tmp_path):
    """Two kernels starting together: one loads, the other waits for it and reads what it left."""
    code = ("import sys, ivbtools; from ivbtools.data import dataset\n"
            "calls = []\norig = dataset._load\n"
            "dataset._load = lambda *a: calls.append(1) or orig(*a)\n"
            f"ds = ivbtools.load({str(DATA)!r})\nprint(len(calls), ds.state)")
    env = {**__import__("os").environ, dataset.HANDOVER: str(tmp_path)}
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
             for _ in range(2)]
    got = sorted(p.communicate(timeout=120)[0].split() for p in procs)
    assert [g[0] for g in got] == ["0", "1"] and got[0][1] == got[1][1]
