"""Shared fixtures. Figures that tests add are made by hand here and exist only in tmp folders."""
from __future__ import annotations

import hashlib
import shutil
import textwrap
from pathlib import Path

import pytest

import ivbtools

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SHARED = ROOT.parent / "shared"

TEST_SOURCE = textwrap.dedent("""\
    sources:
      - id: test-fixture
        kind: analyst_supplied
        publisher: ivb test suite
        title: Hand-made test figure (not a real figure)
        document: tests/conftest.py
        retrieved: 2026-11-28
""")


def copy_project_data(dest: Path, src: Path = DATA) -> Path:
    """A copy of the project's data folder as the checkout ships it: without anything a user's
    runs wrote into it (the download cache, the fetch log: ivbtools.data.cache.USER_STATE) and
    without an analyst's files in local/ — whatever `make report` or an analyst left behind."""
    from ivbtools.data.cache import USER_STATE

    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(*USER_STATE))
    for f in (dest / "local").glob("*"):
        if f.name != "README.md":
            if f.is_dir() and not f.is_symlink():
                shutil.rmtree(f)
            else:
                f.unlink()
    return dest


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A private copy of the project's data folder that a test may add local figures to."""
    return copy_project_data(tmp_path / "data")


def add_local(data_dir: Path, rows: str, name: str = "test.csv", header: bool = True) -> Path:
    """Write hand-made analyst figures (source id test-fixture) into data_dir/local/."""
    (data_dir / "local" / "sources.yaml").write_text(TEST_SOURCE, encoding="utf-8")
    text = ("indicator,area_code,area_name,year,value,source_id\n" if header else "") + textwrap.dedent(rows)
    path = data_dir / "local" / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def ds():
    return ivbtools.load(DATA)


def digest(folder: Path) -> dict[str, str]:
    """sha256 of every file below `folder`: compare before and after to prove nothing changed."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def stub_notebooks(tmp_path: Path, target_body: str) -> Path:
    """A notebooks folder whose target.ipynb runs `target_body` (the scorecard just prints)."""
    import nbformat

    nbs = tmp_path / "nbs"
    nbs.mkdir(exist_ok=True)
    for name in ("target.ipynb", "scorecard.ipynb"):
        nb = nbformat.v4.new_notebook(cells=[
            nbformat.v4.new_code_cell("target_id = ''\nyear = 0\nmunicipality = ''\ndata_dir = ''", metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell(target_body if name == "target.ipynb" else "print('ok')"),
        ])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, nbs / name)
    return nbs


@pytest.fixture(scope="session")
def batch_2022(tmp_path_factory):
    """One real batch (`ivb run --years 2022-2023`) on the embedded data, shared by the tests that
    read its outputs. Tests that change outputs work on a copy."""
    import os
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("outputs")
    # a relative --output, as `make report` passes it (the kernels run in notebooks/, not here)
    proc = subprocess.run([sys.executable, "-m", "ivbtools.cli", "run", "--years", "2022-2023", "--jobs", "2", "--quiet",
                           "--output", os.path.relpath(out, ROOT)], cwd=ROOT, capture_output=True, text=True)
    return out, proc


@pytest.fixture
def server(monkeypatch):
    """The local replay server of the police/CBS OData services and the BRON download (tests/replay.py)."""
    from replay import Replay

    with Replay() as r:
        monkeypatch.setenv("IVB_POLICE_URL", r.url)
        monkeypatch.setenv("IVB_CBS_URL", r.url)
        monkeypatch.setenv("IVB_BRON_URL", r.url + "/bron")
        yield r


def ivb(args, **kw):
    """Run the `ivb` command in a subprocess (with this process's environment, e.g. the replay URLs)."""
    import os
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "ivbtools.cli"] + args, cwd=ROOT, capture_output=True, text=True,
                          env=os.environ.copy(), **kw)


class FakeExecutor:
    """An executor that runs no notebook: it writes a small stand-in notebook and HTML for each
    job and records which jobs it was given (for the incremental-batch tests)."""

    def __init__(self, fail: set[str] = frozenset()):
        self.ran: list[str] = []
        self.fail = set(fail)

    def run(self, jobs):
        from ivbtools.batch.tasks import TaskResult

        for j in jobs:
            self.ran.append(j.key)
            ok = j.key not in self.fail
            Path(j.output_notebook).write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
            if ok:
                Path(j.output_html).write_text(f"<html>{j.key}</html>")
            yield TaskResult(j.key, ok, "" if ok else "RuntimeError: boom")

    def stop(self):
        pass


def comparable(path: Path) -> list:
    """A notebook's code-cell outputs and execution counts, after the nbval sanitizers
    (addresses, timings, paths): equal for two runs that produced the same report."""
    import json
    import re

    cfg = (ROOT / "tests" / "nbval_sanitize.cfg").read_text()
    subs = re.findall(r"regex: (.*)\nreplace: (.*)", cfg)

    def clean(v):
        if isinstance(v, str):
            for rx, rep in subs:
                v = re.sub(rx, rep, v)
            return v
        if isinstance(v, list):
            return [clean(x) for x in v]
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items() if k != "metadata"}
        return v
    return [(c.get("execution_count"), clean(c.get("outputs", [])))
            for c in json.loads(Path(path).read_text())["cells"] if c["cell_type"] == "code"]


def fetch_stand_ins(data: Path, later: bool = False):
    """A copy of the project's data in `data` whose cache holds Westerkwartier's and the
    all-municipality fetch from the replay of tests/panel_fixture.py (`later`: as served in December
    2026); the environment is restored afterwards. Returns the municipality fetch's report."""
    import os

    from ivbtools.live.fetch import fetch, fetch_panel

    import panel_fixture as pf
    from replay import Replay

    copy_project_data(data)
    keys = ("IVB_POLICE_URL", "IVB_CBS_URL", "IVB_BRON_URL")
    saved = {k: os.environ.get(k) for k in keys}
    try:
        with Replay(tables=pf.tables(later=later), bron=pf.bron_files_all(), page=10_000) as r:
            os.environ["IVB_POLICE_URL"] = os.environ["IVB_CBS_URL"] = r.url
            os.environ["IVB_BRON_URL"] = r.url + "/bron"
            got = fetch(data, ["GM1969"], quiet=True, timeout=30, source_timeout=300)
            fetch_panel(data, quiet=True, timeout=30, source_timeout=300)
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    return got


def shared_once(tmp_path_factory, name: str, build):
    """Made once per test session and shared by every xdist worker (issue #30): the first worker to
    ask builds it in a folder of the session's common temporary root under a file lock; the others
    wait for the lock and read what it left (`build(folder)` returns a picklable value). Users of
    the folder read it, or copy it before they change anything."""
    import fcntl
    import os
    import pickle

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent          # pytest-of-<user>/pytest-N/: common to the session's workers
    folder, done = root / f"shared-{name}", root / f"shared-{name}.pickle"
    with open(root / f"shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            value = build(folder)
            done.write_bytes(pickle.dumps(value))
    return folder, pickle.loads(done.read_bytes())


@pytest.fixture(scope="session")
def through_october(tmp_path_factory):
    """A data folder whose cache holds the stand-in fetch (tests/panel_fixture.py `later`: whole
    years to 2025, the nuisance table's months to October 2026, Westerkwartier's E33 doubled from
    January 2026), the municipality and the all-municipality panel, and `ivb monitor --year 2026`
    written from it. Made once per session for all workers; tests copy it before changing it."""
    def build(base: Path):
        got = fetch_stand_ins(base / "data", later=True)
        proc = ivb(["--data", str(base / "data"), "monitor", "--year", "2026", "--output", str(base / "outputs")])
        assert proc.returncode == 0, proc.stderr
        return got

    base, got = shared_once(tmp_path_factory, "monitor2026", build)
    return base / "data", base / "outputs" / "monitor" / "2026", got
