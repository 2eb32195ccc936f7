"""A warm, reused kernel gives the same outputs as a fresh kernel per notebook, and a dying
kernel fails only its own job."""
from __future__ import annotations

import nbformat
import papermill as pm

from ivbtools.batch.tasks import Task
from ivbtools.batch.worker import Worker

from conftest import ROOT, stub_notebooks
from conftest import comparable as _comparable

NOTEBOOKS = ROOT / "notebooks"


def _job(key, nb, out, params, timeout=120):
    return Task(key, str(nb), str(out / f"{key}.ipynb"), str(out / f"{key}.html"), params, str(nb.parent), timeout)


def test_reused_kernel_outputs_equal_fresh_kernel_outputs(tmp_path, monkeypatch):
    monkeypatch.setenv("IVB_EMBEDDED_ONLY", "*")
    # a notebook that leaves state behind: variables, pandas options, an open figure
    messy = tmp_path / "messy.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import pandas as pd, matplotlib.pyplot as plt\npd.set_option('display.max_colwidth', 5)\n"
        "ds = 'stale'\nev = None\nplt.figure()\nx = 1")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, messy)
    w = Worker()
    try:
        params = {"target_id": "sociaal-verward-gedrag", "year": 2022, "municipality": "GM1969", "data_dir": ""}
        card = {"year": 2022, "municipality": "GM1969", "data_dir": ""}
        assert w.run(_job("messy", messy, tmp_path, {})).ok
        assert w.run(_job("target", NOTEBOOKS / "target.ipynb", tmp_path, params)).ok
        assert w.run(_job("scorecard", NOTEBOOKS / "scorecard.ipynb", tmp_path, card)).ok
        kernel_pid = w.kernel.pid
        assert kernel_pid
    finally:
        w.drop_kernel()
    for name, nb_path, p in (("target", "target.ipynb", params), ("scorecard", "scorecard.ipynb", card)):
        pm.execute_notebook(str(NOTEBOOKS / nb_path), str(tmp_path / f"fresh-{name}.ipynb"), parameters=p,
                            cwd=str(NOTEBOOKS), kernel_name="python3", progress_bar=False)
        assert _comparable(tmp_path / f"{name}.ipynb") == _comparable(tmp_path / f"fresh-{name}.ipynb"), name
        html = (tmp_path / f"{name}.html").read_text()
        assert "Oordeel" in html and "ds = ivbtools.load" not in html


def test_a_dying_kernel_fails_only_its_own_job(tmp_path):
    nbs = stub_notebooks(tmp_path, "import os\nif target_id == 'die': os._exit(1)\nprint('fine', target_id)")
    w = Worker()
    try:
        common = {"year": 2022, "municipality": "GM1969", "data_dir": ""}
        r1 = w.run(_job("a", nbs / "target.ipynb", tmp_path, {"target_id": "x", **common}))
        r2 = w.run(_job("b", nbs / "target.ipynb", tmp_path, {"target_id": "die", **common}))
        r3 = w.run(_job("c", nbs / "target.ipynb", tmp_path, {"target_id": "y", **common}))
    finally:
        w.drop_kernel()
    assert r1.ok and r3.ok and not r2.ok and "DeadKernelError" in r2.error
    assert "fine y" in (tmp_path / "c.ipynb").read_text()


def test_a_worker_killed_mid_report_is_a_crash_with_its_exit_code_not_a_time_out(tmp_path):
    """Issue #30: a worker process that dies while its report runs (here: the notebook's kernel kills
    its worker with SIGKILL) is reported as a crash with the exit code, never as 'timed out'; the
    next job gets a new worker and runs."""
    from ivbtools.batch.executors import LocalExecutor

    nbs = stub_notebooks(tmp_path, "import os, signal\nif target_id == 'kill': os.kill(int(os.environ['JPY_PARENT_PID']), "
                                   "signal.SIGKILL)\nprint('fine', target_id)")
    common = {"year": 2022, "municipality": "GM1969", "data_dir": ""}
    jobs = [_job("k", nbs / "target.ipynb", tmp_path, {"target_id": "kill", **common}, timeout=600),
            _job("after", nbs / "target.ipynb", tmp_path, {"target_id": "after", **common})]
    ex = LocalExecutor(1, "crash-test", tmp_path / "logs")
    try:
        results = {r.key: r for r in ex.run(jobs)}
    finally:
        ex.stop()
    crashed = results["k"]
    assert not crashed.ok and "crashed (exit code -9, SIGKILL)" in crashed.error, crashed.error
    assert "timed out" not in crashed.error
    assert results["after"].ok and "fine after" in (tmp_path / "after.ipynb").read_text()


def test_each_kernel_runs_its_numeric_libraries_on_one_thread_unless_told(tmp_path, monkeypatch):
    """Issue #30: a report's kernel starts with the BLAS/OpenMP/Arrow pools sized to one thread, so N
    workers on N cores do not start N machine-sized pools; a value the user set is kept."""
    from ivbtools.batch.worker import kernel_environment

    monkeypatch.setenv("OMP_NUM_THREADS", "4")
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    nbs = stub_notebooks(tmp_path, "import os\nprint('threads', os.environ['OPENBLAS_NUM_THREADS'], os.environ['OMP_NUM_THREADS'],"
                                   " os.environ['ARROW_NUM_THREADS'])")
    assert kernel_environment({"PATH": "/bin"})["MKL_NUM_THREADS"] == "1"
    w = Worker()
    try:
        r = w.run(_job("t", nbs / "target.ipynb", tmp_path, {"target_id": "x", "year": 2022, "municipality": "GM1969",
                                                             "data_dir": ""}))
    finally:
        w.drop_kernel()
    assert r.ok and "threads 1 4 1" in (tmp_path / "t.ipynb").read_text()


def test_a_batch_process_validates_notebooks_without_the_slow_iri_checker():
    """Batch processes skip jsonschema's `rfc3987_syntax` import (2-3 s CPU per process, issue #30),
    and nbformat still validates: a notebook with a wrong cell type is refused, a good one passes."""
    import subprocess
    import sys

    code = """
import sys
import ivbtools.batch.worker, papermill, nbformat
from nbconvert import HTMLExporter
assert 'rfc3987_syntax' not in sys.modules or sys.modules['rfc3987_syntax'] is None
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1')])
nbformat.validate(nb)
nb.cells[0]['cell_type'] = 'not-a-type'
try:
    nbformat.validate(nb)
except nbformat.ValidationError:
    print('refused')
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "refused"
