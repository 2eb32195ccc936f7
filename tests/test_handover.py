"""A batch's kernels load one data state once between them (issue #30): the first leaves the loaded
data set in the batch's handover folder, the others read it — and get what a load of their own
would have given. Only a file named by the state a process computed itself is ever read."""
from __future__ import annotations

import os
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


def test_shared_makes_a_value_once_per_name_and_writes_no_file_for_an_unsafe_name(tmp_path, monkeypatch):
    made = []

    def make(v):
        made.append(v)
        return v

    monkeypatch.setenv(dataset.HANDOVER, str(tmp_path))
    assert dataset.shared("a-1", lambda: make(1)) == 1
    assert dataset.shared("a-1", lambda: make(2)) == 1            # the first one's value, read back
    assert dataset.shared("b-1", lambda: make(3)) == 3
    assert made == [1, 3] and dataset.handed_over(tmp_path, "a-1") == 1 and dataset.handed_over(tmp_path, "c") is None
    # a name that would leave the folder (or not be a plain file name) is made, never written or read
    assert dataset.shared("../x", lambda: make(4)) == 4 and dataset.handed_over(tmp_path, "../x") is None
    assert sorted(p.name for p in tmp_path.glob("*.pickle")) == ["a-1.pickle", "b-1.pickle"]
    assert not (tmp_path.parent / "x.pickle").exists()


class ScorecardKernel:
    """Stands in for the kernels: writes each report as FakeExecutor does, and for the scorecard
    notebook works out the scorecard as that notebook does (`scorecard(load(data_dir), …)`, with the
    batch's handover folder in HANDOVER) — or, with `leave=False`, leaves nothing."""

    def __init__(self, leave: bool = True):
        from conftest import FakeExecutor

        self.fake, self.leave = FakeExecutor(), leave

    def run(self, jobs):
        from pathlib import Path

        from ivbtools.verdict.scorecard import scorecard

        for spec in jobs:
            if self.leave and spec.key.endswith("/scorecard"):
                stage_root = Path(spec.output_notebook).parents[2]       # <stage>/<municipality>/<year>/<name>.ipynb
                os.environ[dataset.HANDOVER] = str(stage_root / "handover")
                try:
                    p = spec.parameters
                    scorecard(dataset.load(p["data_dir"]), p["year"], p["municipality"])
                finally:
                    del os.environ[dataset.HANDOVER]
            yield from self.fake.run([spec])

    def stop(self):
        pass


@pytest.mark.parametrize("leave, parent_works_it_out", [(True, 0), (False, 1)])
def test_the_batch_publishes_the_scorecard_its_notebook_worked_out(fresh, data_copy, tmp_path, monkeypatch,
                                                                   leave, parent_works_it_out):
    """The year's scorecard is worked out once per batch: by the scorecard notebook, which leaves it
    in the handover folder; the batch publishes that one (and works it out itself only when the
    notebook left none). The published scorecard equals one worked out directly."""
    import shutil

    import ivbtools
    from ivbtools.batch import run as batch
    from ivbtools.present.csvout import nl_csv
    from ivbtools.verdict import scorecard as sc

    nbs = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", nbs)
    direct = nl_csv(sc._scorecard(dataset.load(data_copy), 2022, "GM1969"))
    calls = []
    real = sc._scorecard
    # who works it out: a kernel (the batch's handover folder in its environment) or the batch itself
    monkeypatch.setattr(sc, "_scorecard", lambda ds, year, area: calls.append(
        "kernel" if os.environ.get(dataset.HANDOVER) else "batch") or real(ds, year, area))
    out = tmp_path / "out"
    res = batch.run_batch(ivbtools.load(data_copy), [2022], "GM1969", data_copy, nbs, out, quiet=True,
                          executor=ScorecardKernel(leave))
    assert not res.failed
    assert calls == (["kernel"] if leave else []) + ["batch"] * parent_works_it_out
    assert (out / "2022" / "scorecard.csv").read_bytes().decode("utf-8-sig") == direct.lstrip("\ufeff")
