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
