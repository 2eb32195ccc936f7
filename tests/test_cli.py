"""The `ivb` command and papermill runs: clear errors, a real batch, atomic outputs."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from test_outputs import BAD, labels_for, rows_by_first_cell, visible_text

from ivbtools.verdict.rules import qualifier_label

from conftest import ROOT, add_local, stub_notebooks

IVB = [sys.executable, "-m", "ivbtools.cli"]


def run(args, cwd=ROOT, **kw):
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, **kw)


def _one_line_error(proc):
    assert proc.returncode != 0
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


@pytest.mark.parametrize("args, message", [
    (["run", "--year", "2023a"], "--year '2023a' is not a year — write 2023"),
    (["run", "--year", "2023.0"], "--year '2023.0' is not a year — write 2023"),
    (["run", "--years", "2020.0-2023"], "--years '2020.0-2023' is not a year or range"),
    (["run", "--year", "1850"], "year 1850 is outside the data (2012–2023) — choose a year in that range; figures are "
                                "accepted for 1990–"),
    (["run", "--years", "2023-2020"], "runs backwards"),
    (["run", "--year", "2031"], "year 2031 is outside the data"),
    (["run", "--year", "2022", "--municipality", "GM9999"], "GM9999 is not a municipality in the code list"),
    (["run", "--year", "2022", "--municipality", "GM0363"], "GM0363: no figures for this municipality"),
    (["run", "--year", "2022", "--municipality", "0014"], "lacks the GM prefix — write GM0014"),
    (["--data", "nowhere", "targets"], "data folder nowhere not found"),
])
def test_user_mistakes_give_one_line_and_exit_2(tmp_path, args, message):
    proc = run(IVB + args + (["--output", str(tmp_path / "out")] if args[0] == "run" else []))
    line = _one_line_error(proc)
    assert proc.returncode == 2 and message in line
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_bad_data_file_names_file_and_line(data_copy, tmp_path):
    add_local(data_copy, "traffic_accidents,GM1969,Westerkwartier,2023,n.v.t.,test-fixture\n")
    line = _one_line_error(run(IVB + ["--data", str(data_copy), "check"]))
    assert "test.csv:2: value 'n.v.t.' is not a number" in line


def test_targets_and_check(tmp_path):
    out = run(IVB + ["targets"]).stdout
    assert "sociaal-verward-gedrag" in out and "kwalitatief" in out
    assert run(IVB + ["check"]).stdout.startswith("data ok: 105 rows")


def test_papermill_unknown_target_gives_one_line_naming_valid_ids(tmp_path):
    proc = run([sys.executable, "-m", "papermill", "notebooks/target.ipynb", str(tmp_path / "x.ipynb"),
                "-p", "target_id", "nope", "-p", "year", "2022", "--cwd", "notebooks", "--no-progress-bar"])
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("IvbError: parameter target_id: unknown target id 'nope' — valid ids: verkeer-ongevallen")


def test_batch_writes_reports_html_scorecard_and_index(batch_2022, ds):
    out, proc = batch_2022
    assert proc.returncode == 0, proc.stderr
    year = out / "2022"
    assert (out / "2023" / "scorecard.html").exists()
    for pid in ds.policy.measurable_ids() + ["scorecard"]:
        assert (year / f"{pid}.ipynb").stat().st_size > 0 and (year / f"{pid}.html").stat().st_size > 0
    html = (year / "sociaal-verward-gedrag.html").read_text(encoding="utf-8")
    assert "TUSSENSTAND: BOVEN HET VEREISTE NIVEAU" in html and "onbeslist: reeksbreuk" in html
    assert "p &lt; 0,001" in html and "Overdispersie" in html and "Kantelpunt" in html
    assert "83.611" in html and "138.807" in html and "maart 2020" in html
    assert "ds = ivbtools.load" not in html  # code cells are left out
    # a Dutch page titled with the target, the municipality and the year (was lang="en", "Notebook")
    part = ds.policy.part("sociaal-verward-gedrag")
    assert '<html lang="nl">' in html and f"<title>{part.title} — Westerkwartier, 2022</title>" in html
    assert "<title>Scorekaart: alle doelen — Westerkwartier, 2022</title>" in (year / "scorecard.html").read_text()
    card = json.loads((year / "scorecard.json").read_text(encoding="utf-8"))
    assert {p["doel_id"] for p in card["parts"]} == {p.id for p in ds.policy.parts}
    csv = pd.read_csv(year / "scorecard.csv", sep=";", decimal=",", encoding="utf-8-sig", dtype={"doel_id": str})
    assert len(csv) == len(ds.policy.parts) and list(csv.columns[:3]) == ["thema", "doel_id", "doel"]
    assert (year / "scorecard.csv").read_bytes().startswith("\ufeff".encode()), "Excel needs the BOM to read UTF-8"
    # the same tables for a council memo: one workbook, a sheet per table, Dutch headers, numbers as numbers
    import openpyxl
    wb = openpyxl.load_workbook(year / "ivb-2022.xlsx")
    assert wb.sheetnames == ["scorekaart 2022", "cijfers en bronnen", "uitspraken"]
    sheet = wb["scorekaart 2022"]
    assert [c.value for c in sheet[1]][:3] == ["thema", "doel_id", "doel"] and sheet.max_row == len(csv) + 1
    figures = wb["cijfers en bronnen"]
    head = [c.value for c in figures[1]]
    assert head[:6] == ["indicator", "omschrijving", "gebied", "gebiedscode", "jaar", "aantal"]
    rows = {(r[0], r[3], r[4]): r for r in figures.iter_rows(min_row=2, values_only=True)}
    e33 = rows[("confused_person_e33", "NL01", 2017)]   # the national E33 count of 2017, as in the report
    assert e33[5] == 83611 and isinstance(e33[5], (int, float)) and "Politie" in e33[6]
    assert "ivb-2022.xlsx" in (year / "index.html").read_text(encoding="utf-8")
    assert "sociaal-verward-gedrag.html" in (year / "index.html").read_text(encoding="utf-8")
    assert '2022/index.html' in (out / "index.html").read_text(encoding="utf-8")
    assert not [p for p in out.rglob("*") if ".tmp-" in p.name or p.name.startswith(".staging")]


def test_failed_notebooks_keep_the_previous_good_report(batch_2022, tmp_path):
    out = tmp_path / "outputs"
    shutil.copytree(batch_2022[0], out)   # the shared batch stays as it was for the other tests
    report = out / "2022" / "sociaal-verward-gedrag.html"
    before = report.read_bytes()
    proc = run(IVB + ["run", "--year", "2022", "--jobs", "2", "--quiet", "--output", str(out),
                      "--notebooks", str(stub_notebooks(tmp_path, "raise RuntimeError('boom in ' + str(target_id))"))])
    assert proc.returncode == 1
    assert "FAILED 2022 sociaal-verward-gedrag: RuntimeError: boom in sociaal-verward-gedrag" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert report.read_bytes() == before
    runinfo = json.loads((out / "2022" / "run.json").read_text())
    part = runinfo["parts"]["sociaal-verward-gedrag"]
    assert part["status"] == "failed" and part["stale"] is True and part["produced_at"]
    assert runinfo["parts"]["scorecard"]["status"] == "ok"
    index = (out / "2022" / "index.html").read_text(encoding="utf-8")
    assert "MISLUKT — de vorige versie van" in index
    # dates as a reader writes them, not ISO timestamps
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", visible_text(index))
    assert re.search(r"gemaakt op \d{1,2} (januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|"
                     r"november|december) 20\d\d, \d{1,2}\.\d\d uur", visible_text(index))
    assert (out / "2022" / "_failed" / "sociaal-verward-gedrag.ipynb").exists()


def test_unwritable_output_folder(tmp_path):
    out = tmp_path / "not-a-folder"
    out.write_text("a file where the output folder should be")  # unwritable even for root
    line = _one_line_error(run(IVB + ["run", "--year", "2022", "--output", str(out)]))
    assert f"{out} is a file, not a folder" in line and out.read_text().startswith("a file")


def test_papermill_from_the_project_folder_without_cwd(tmp_path):
    """The issue's exact command: no --cwd, the notebook finds data/ itself."""
    out_nb = tmp_path / "x.ipynb"
    proc = run([sys.executable, "-m", "papermill", "notebooks/target.ipynb", str(out_nb),
                "-p", "target_id", "sociaal-verward-gedrag", "-p", "year", "2022", "--no-progress-bar"])
    assert proc.returncode == 0, proc.stderr
    text = out_nb.read_text(encoding="utf-8")
    assert "Oordeel: TUSSENSTAND: BOVEN HET VEREISTE NIVEAU" in text and "83.611" in text and "138.807" in text


# What a reader sees in the batch's HTML (helpers in test_outputs.py)

def test_batch_reports_hold_no_nan_none_and_every_verdict_is_on_the_scorecard(batch_2022, ds):
    out, proc = batch_2022
    assert proc.returncode == 0, proc.stderr
    pages = sorted(out.rglob("*.html"))
    assert len(pages) == 2 * (len(ds.policy.measurable_ids()) + 2) + 1   # reports + scorecard + index per year, overview
    for page in pages:
        text = visible_text(page.read_text(encoding="utf-8"))
        hits = sorted({m.group(0) for m in BAD.finditer(text)})
        assert not hits, f"{page.relative_to(out)} shows {hits}"
    labels = labels_for(ds)
    for year in (2022, 2023):
        rows = rows_by_first_cell((out / str(year) / "scorecard.html").read_text(encoding="utf-8"))
        card = {p["doel_id"]: p for p in json.loads((out / str(year) / "scorecard.json").read_text())["parts"]}
        for pid in ds.policy.measurable_ids():
            part = ds.policy.part(pid)
            oordeel, zekerheid = rows[part.title][1], rows[part.title][2]
            assert oordeel in labels and oordeel == card[pid]["oordeel"]
            report = " ".join(visible_text((out / str(year) / f"{pid}.html").read_text(encoding="utf-8")).split())
            # the verdict opens 'Kort', right under the title; the statistics' verdict line is in the folded part
            kort = report[report.index(" Kort ") + 6:]
            assert kort.startswith(oordeel[:1].upper() + oordeel[1:]), kort[:120]
            assert report.index(" Kort ") < report.index("Voor analisten") < report.index(f"Oordeel: {oordeel.upper()}")
            q = qualifier_label(card[pid]["status"], part.rule, card[pid]["kwalificatie"])
            assert zekerheid == (q or "–")


def test_overview_grid_links_every_part_and_year_to_its_report(batch_2022, ds):
    out, _ = batch_2022
    page = (out / "index.html").read_text(encoding="utf-8")
    for year in (2022, 2023):
        for pid in ds.policy.measurable_ids():
            assert f'href="{year}/{pid}.html"' in page and (out / str(year) / f"{pid}.html").exists()
        assert f'href="{year}/scorecard.html"' in page
    # the E33 progress note of 2022 is marked as a break, not as clear
    cell = re.search(r'<td class="([\w-]+)"[^>]*><a href="2022/sociaal-verward-gedrag.html">', page)
    assert cell and cell.group(1) == "break"
    assert "onvoldoende gegevens" in visible_text(page)
