"""Bad input through the public entry points: one clear line, non-zero exit, nothing changed.

Each case runs the `ivb` command (or papermill on the notebooks) against a private copy of
the data folder and a pre-existing good output folder, and checks that neither changed.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, TEST_SOURCE, digest, stub_notebooks

IVB = [sys.executable, "-m", "ivbtools.cli"]
HEADER = "indicator,area_code,area_name,year,value,source_id\n"
GOOD = "traffic_accidents,GM1969,Westerkwartier,2023,250,test-fixture\n"


@pytest.fixture
def world(data_copy, tmp_path):
    """A data folder with analyst sources, and an output folder holding a 'previous good' report."""
    (data_copy / "local" / "sources.yaml").write_text(TEST_SOURCE, encoding="utf-8")
    out = tmp_path / "outputs"
    (out / "2022").mkdir(parents=True)
    (out / "2022" / "sociaal-verward-gedrag.html").write_text("<p>previous good report</p>")
    return data_copy, out


def assert_clean_failure(proc, data_dir: Path, out: Path, before: tuple, expect: str) -> str:
    assert proc.returncode != 0, proc.stdout
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert expect in lines[0], lines[0]
    assert (digest(data_dir), digest(out)) == before
    return lines[0]


CSV_CASES = {
    "missing column": (HEADER.replace(",area_name", "") + "traffic_accidents,GM1969,2023,250,test-fixture\n", "x.csv:1: missing column(s) area_name"),
    "extra column": (HEADER.replace("\n", ",remark\n") + GOOD.replace("\n", ",hi\n"), "x.csv:1: unknown column(s) remark"),
    "decimal comma": (HEADER + GOOD.replace("250", '"12,5"'), "x.csv:2: value '12,5' is not a whole number"),
    "n.v.t.": (HEADER + GOOD.replace("250", "n.v.t."), "x.csv:2: value 'n.v.t.' is not a number"),
    "empty value": (HEADER + GOOD.replace("250", ""), "x.csv:2: value is empty"),
    "negative": (HEADER + GOOD.replace("250", "-4"), "x.csv:2: value '-4' is negative"),
    "1e9": (HEADER + GOOD.replace("250", "1e9"), "x.csv:2: value '1e9' is not a whole number"),
    "huge": (HEADER + GOOD.replace("250", "1000000000"), "x.csv:2: value 1000000000 is implausibly large"),
    "duplicate": (HEADER + GOOD + GOOD, "x.csv:3: duplicate of line 2"),
    "year 1899": (HEADER + GOOD.replace("2023", "1899"), "x.csv:2: year '1899' is not a year between 1990"),
    "year 2100": (HEADER + GOOD.replace("2023", "2100"), "x.csv:2: year '2100' is not a year between 1990"),
    "unknown indicator": (HEADER + GOOD.replace("traffic_accidents", "ongevallen"), "x.csv:2: unknown indicator 'ongevallen'"),
    "unknown source": (HEADER + GOOD.replace("test-fixture", "krant"), "x.csv:2: unknown source id 'krant'"),
    "not csv": ("%PDF-1.7 binary\x00\x01", "x.csv: not a text file"),
    "prose": ("Dit is geen tabel.\n", "x.csv:1: does not look like an observations CSV"),
    "comma in ; file": (HEADER.replace(",", ";") + "traffic_accidents;GM1969;Westerkwartier;2023;12,5;test-fixture\n",
                        "x.csv:2: value '12,5' is not a whole number"),
    "partly empty row": (HEADER + GOOD + "traffic_accidents,,Westerkwartier,,250,test-fixture\n",
                         "x.csv:3: a partly empty row (area_code, year empty) — fill in the missing fields, or delete the row"),
    "more than the country": (HEADER + "confused_person_e33,GM1969,Westerkwartier,2022,900000,test-fixture\n",
                              "x.csv:2: 900,000 for confused_person_e33 in Westerkwartier is more than the national figure for 2022"),
    "more than its inhabitants": (HEADER + "population,GM1969,Westerkwartier,2022,65000,test-fixture\n"
                                  "confused_person_e33,GM1969,Westerkwartier,2022,90000,test-fixture\n",
                                  "x.csv:3: 90,000 for confused_person_e33 is more than the 65,000 inhabitants of Westerkwartier (2022)"),
}


@pytest.mark.parametrize("case", list(CSV_CASES))
def test_bad_observation_csv(world, case):
    data_dir, out = world
    text, expect = CSV_CASES[case]
    (data_dir / "local" / "x.csv").write_bytes(text.encode("utf-8"))
    before = (digest(data_dir), digest(out))
    proc = subprocess.run(IVB + ["--data", str(data_dir), "run", "--year", "2022", "--output", str(out)],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2
    assert_clean_failure(proc, data_dir, out, before, expect)


def test_a_spreadsheet_dropped_into_data_local_is_named(world):
    data_dir, out = world
    (data_dir / "local" / "cijfers.xlsx").write_bytes(b"PK\x03\x04")
    before = (digest(data_dir), digest(out))
    proc = subprocess.run(IVB + ["--data", str(data_dir), "run", "--year", "2022", "--output", str(out)],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2
    assert_clean_failure(proc, data_dir, out, before, "cijfers.xlsx: only .csv files are read in data/local/")


def test_a_dutch_excel_export_with_empty_rows_and_columns_loads(world):
    """Dutch Excel saves ';'-separated, with empty columns after the last one and empty rows
    (';;;;;') below the data: both are skipped like blank lines."""
    data_dir, out = world
    text = (HEADER.replace(",", ";").replace("\n", ";;\n") + GOOD.replace(",", ";").replace("\n", ";;\n")
            + ";;;;;;;;\n" * 3 + ",,,,,\n")
    (data_dir / "local" / "x.csv").write_bytes(text.replace("\n", "\r\n").encode("cp1252"))
    proc = subprocess.run(IVB + ["--data", str(data_dir), "check"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("data ok: 106 rows"), proc.stderr


@pytest.mark.parametrize("kind", ["share not mounted", "loop"])
def test_a_file_link_that_leads_nowhere_is_named(world, kind):
    data_dir, out = world
    link = data_dir / "local" / "cijfers.csv"
    if kind == "loop":
        other = data_dir / "local" / "ander.csv"
        os.symlink(other, link)
        os.symlink(link, other)
    else:
        os.symlink("/mnt/gemeente-share/veiligheid/cijfers.csv", link)
    before = (digest(data_dir), digest(out))
    proc = subprocess.run(IVB + ["--data", str(data_dir), "run", "--year", "2022", "--output", str(out)],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2
    line = assert_clean_failure(proc, data_dir, out, before, "a symbolic link that leads nowhere")
    assert ("cijfers.csv" in line or "ander.csv" in line) and "remove the link" in line


def test_bom_semicolon_and_crlf_are_accepted(world):
    data_dir, out = world
    text = "\ufeff" + (HEADER + GOOD).replace(",", ";").replace("\n", "\r\n")
    (data_dir / "local" / "x.csv").write_bytes(text.encode("utf-8"))
    proc = subprocess.run(IVB + ["--data", str(data_dir), "check"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("data ok: 106 rows")


TARGET = (ROOT / "data" / "targets" / "ivb-2020-2023.yaml").read_text(encoding="utf-8")
YAML_CASES = {
    "syntax error": (TARGET.replace("  - id: verkeer\n", "  - id: [verkeer\n", 1), "YAML syntax error"),
    "unknown rule kind": (TARGET.replace("kind: below_baseline", "kind: lower_than", 1), "unknown rule kind 'lower_than'"),
    "baseline after target": (TARGET.replace("baseline_year: 2018, target_year: 2023", "baseline_year: 2024, target_year: 2023"),
                              "baseline_year 2024 is not before target_year 2023"),
    "20 instead of 0.2": (TARGET.replace("target_year: 2023, change: -0.20}", "target_year: 2023, change: -20}", 1), "write -0.20 for '20% lower'"),
    "duplicate id": (TARGET.replace("id: verkeer-slachtoffers", "id: verkeer-ongevallen"), "target 'verkeer-ongevallen': id is used twice"),
    "unknown indicator": (TARGET.replace("indicator: burglary_home", "indicator: inbraak"), "unknown indicator 'inbraak'"),
    "0.2 in a '20% lager' target": (TARGET.replace("target_year: 2023, change: -0.20}", "target_year: 2023, change: 0.2}", 1),
                                    "change 0.2 allows a rise of up to 20% (ten hoogste 1.2 keer het basisjaar), but the "
                                    "target says 'lager' — for '20% lager' write change: -0.2"),
}


@pytest.mark.parametrize("case", list(YAML_CASES))
def test_bad_targets_yaml(world, case):
    data_dir, out = world
    text, expect = YAML_CASES[case]
    assert text != TARGET
    (data_dir / "targets" / "ivb-2020-2023.yaml").write_text(text, encoding="utf-8")
    before = (digest(data_dir), digest(out))
    proc = subprocess.run(IVB + ["--data", str(data_dir), "run", "--year", "2022", "--output", str(out)],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2
    assert_clean_failure(proc, data_dir, out, before, expect)


def test_target_whose_indicator_has_no_data_is_reported_not_guessed(world):
    data_dir, _ = world
    proc = subprocess.run(IVB + ["--data", str(data_dir), "check"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0
    assert "warning: target verkeer-slachtoffers: no figures at all for traffic_casualties" in proc.stdout


# Through papermill end to end: one case per check of the first cell, and the two papermill-specific
# ones (-p turns 0014 into 14; a misspelt name). Every message of those checks is tested in-process in
# tests/test_params.py (bad years, codes without GM, codes not in the list, codes without figures).
PAPERMILL_CASES = {
    "unknown target": (["-p", "target_id", "nope"], "unknown target id 'nope' — valid ids: verkeer-ongevallen"),
    "year outside": (["-p", "year", "2031"], "parameter year 2031 is outside the data (2012–2023)"),
    "municipality GM9999": (["-r", "municipality", "GM9999"], "GM9999 is not a municipality in the code list"),
    "papermill int coercion": (["-p", "municipality", "0014"], "pass it as text: -r municipality GM0014"),
    "misspelt parameter": (["-p", "target", "sociaal-woninginbraak"],
                           "parameter target unknown — this notebook's parameters are target_id, year, municipality, data_dir"),
}


@pytest.mark.parametrize("case", list(PAPERMILL_CASES))
def test_bad_notebook_parameters_stop_in_the_first_cell(tmp_path, case):
    args, expect = PAPERMILL_CASES[case]
    out_nb = tmp_path / "x.ipynb"
    proc = subprocess.run([sys.executable, "-m", "papermill", "notebooks/target.ipynb", str(out_nb), "--cwd", "notebooks",
                           "--no-progress-bar", "--log-level", "ERROR"] + args, cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode != 0
    # papermill prints its own traceback; the notebook's error is one line, and it is the last
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("IvbError: parameter") and expect in last, last
    import nbformat
    nb = nbformat.read(out_nb, as_version=4)
    errors = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
              and any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    first_code_after_params = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code"
                                   and "parameters" not in c.metadata.get("tags", []) and "injected-parameters" not in c.metadata.get("tags", []))
    assert errors == [first_code_after_params]


@pytest.mark.parametrize("body, timeout, expect", [
    ("import os\nif target_id == 'jeugd-overlast': os._exit(1)", 60, "FAILED 2022 jeugd-overlast: DeadKernelError"),
    ("import time\nif target_id == 'jeugd-overlast': time.sleep(120)", 3, "FAILED 2022 jeugd-overlast: CellTimeoutError"),
])
def test_dying_or_hanging_notebook_fails_alone(world, tmp_path, body, timeout, expect):
    data_dir, out = world
    proc = subprocess.run(IVB + ["--data", str(data_dir), "run", "--year", "2022", "--quiet", "--jobs", "2",
                                 "--timeout", str(timeout), "--output", str(out), "--notebooks", str(stub_notebooks(tmp_path, body))],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1
    assert expect in proc.stderr and "Traceback" not in proc.stderr
    assert "6 of 7 notebooks ok" in proc.stdout
    assert (out / "2022" / "sociaal-verward-gedrag.html").exists()
    assert not list(out.glob(".staging-*"))
    # as the README says: the notebook of the failed report is kept, saying what stopped it
    kept = (out / "2022" / "_failed" / "jeugd-overlast.ipynb").read_text(encoding="utf-8")
    assert "Niet voltooid" in kept and expect.split(": ")[1] in kept


def _batch_processes(out: Path, nbs: Path) -> list[str]:
    """Worker processes (named by the batch's staging folder under `out`) and kernels (working folder `nbs`)."""
    found = []
    for proc_dir in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc_dir / "cmdline").read_bytes()
            cwd = os.path.realpath(proc_dir / "cwd")
        except OSError:
            continue
        if b"ivbtools.batch.worker" in cmdline and str(out).encode() in cmdline:
            found.append("runner")
        elif cwd == os.path.realpath(nbs):
            found.append("kernel")
    return found


@pytest.mark.parametrize("wait_for, then", [("runner", 0.3), ("runner", 2.5), ("kernel", 1.0)],
                         ids=["workers starting", "kernels starting", "cells running"])
def test_ctrl_c_mid_batch_keeps_the_previous_report(world, tmp_path, wait_for, then):
    """Ctrl-C at three moments: no output changes and no process is left, kernels included
    (jupyter_client starts them in a session of their own: the batch ends them by name)."""
    data_dir, out = world
    before = digest(out)
    nbs = stub_notebooks(tmp_path, "import time\ntime.sleep(60)")
    # as from a terminal: Ctrl-C delivered by default. A test process may run with SIGINT ignored (a pytest-xdist
    # worker after some tests), and an ignored signal stays ignored in every child, so the batch would never see it.
    proc = subprocess.Popen(IVB + ["--data", str(data_dir), "run", "--years", "2021-2022", "--quiet", "--jobs", "2",
                                   "--output", str(out), "--notebooks", str(nbs)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 90
    while time.time() < deadline and wait_for not in _batch_processes(out, nbs):
        time.sleep(0.1)
    time.sleep(then)
    running = _batch_processes(out, nbs)
    assert "runner" in running, "the check below would not see them"
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=240)   # generous: a loaded CI machine ends kernels slowly
    assert proc.returncode == 130
    assert "interrupted — years published: none" in stderr and "Traceback" not in stderr
    assert digest(out) == before
    assert not list(out.glob(".staging-*"))
    time.sleep(1)
    assert _batch_processes(out, nbs) == [], "runner or kernel processes left behind"


@pytest.mark.parametrize("case", ["n.v.t.", "unknown source"])
def test_bad_csv_through_papermill_names_file_and_line(world, tmp_path, case):
    data_dir, _ = world
    text, expect = CSV_CASES[case]
    (data_dir / "local" / "x.csv").write_text(text, encoding="utf-8")
    before = digest(data_dir)
    proc = subprocess.run([sys.executable, "-m", "papermill", "notebooks/target.ipynb", str(tmp_path / "o.ipynb"),
                           "-r", "data_dir", str(data_dir), "--no-progress-bar", "--log-level", "ERROR"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("IvbError: ") and expect in last
    assert digest(data_dir) == before


def test_a_kernel_in_a_session_of_its_own_is_found_and_ended():
    """The worker's kernels lead their own sessions (jupyter_client), so killing the worker's
    process group misses them; they carry JPY_PARENT_PID, by which the executor ends them."""
    from ivbtools.batch.executors import _alive, end_processes, kernels_of

    parent = 4_000_000 + os.getpid() % 100_000   # no real process has this id: only our stand-in names it
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True,
                             env={**os.environ, "JPY_PARENT_PID": str(parent)})
    try:
        deadline = time.time() + 10
        while time.time() < deadline and child.pid not in kernels_of(parent):
            time.sleep(0.05)
        assert kernels_of(parent) == [child.pid]
        end_processes(kernels_of(parent))
        child.wait(timeout=10)
        assert not _alive(child.pid) and kernels_of(parent) == []
    finally:
        child.kill()
