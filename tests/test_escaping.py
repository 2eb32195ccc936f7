"""Every string from a file is escaped on every page (issue #26): markup planted in every text field
of the policy, monitor, sources and indicator files (and a municipality's name) never reaches a
page as markup — the target reports (rendered from notebook output), the scorecard, the year
index, the overview and the monitor page alike."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from conftest import ivb

PAYLOAD = '<img src=x onerror=alert(1)><script>alert("ivb")</script>'
RAW = re.compile(r"<img src=x onerror|<script>alert", re.I)


def _plant(value, keys: set[str]):
    """Append the payload to every text field named in `keys`, at any depth."""
    if isinstance(value, dict):
        return {k: (v + " " + PAYLOAD if k in keys and isinstance(v, str) else _plant(v, keys)) for k, v in value.items()}
    if isinstance(value, list):
        return [_plant(v, keys) for v in value]
    return value


def _rewrite(path: Path, keys: set[str]) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    path.write_text(yaml.safe_dump(_plant(doc, keys), allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")


def test_markup_in_every_text_field_is_escaped_on_every_page(data_copy, tmp_path):
    _rewrite(data_copy / "targets" / "ivb-2020-2023.yaml",
             {"title", "where", "name", "quote", "note", "document_note", "reading", "account", "needs"})
    _rewrite(data_copy / "monitor" / "ivb-2024-2027.yaml",
             {"title", "where", "name", "goal_2027", "reading", "needs", "no_indicator"})
    _rewrite(data_copy / "sources.yaml", {"title", "publisher", "note", "title_nl", "note_nl", "document"})
    _rewrite(data_copy / "indicators.yaml", {"label_nl", "definition", "text_nl"})
    codes = data_copy / "municipalities.csv"
    codes.write_text(codes.read_text(encoding="utf-8").replace("GM1969,Westerkwartier,", f"GM1969,\"Westerkwartier {PAYLOAD}\",", 1),
                     encoding="utf-8")
    check = ivb(["--data", str(data_copy), "check"])
    assert check.returncode == 0, check.stderr   # markup in text is allowed as text; it is escaped where shown
    out = tmp_path / "out"
    run = ivb(["--data", str(data_copy), "run", "--year", "2022", "--jobs", "2", "--quiet", "--output", str(out)], timeout=900)
    assert run.returncode == 0, run.stderr
    mon = ivb(["--data", str(data_copy), "monitor", "--year", "2024", "--output", str(out)])
    assert mon.returncode == 0, mon.stderr
    pages = sorted(out.rglob("*.html"))
    names = {p.name for p in pages}
    assert {"index.html", "scorecard.html", "sociaal-verward-gedrag.html", "verkeer-ongevallen.html"} <= names
    assert any("monitor" in p.parts for p in pages)
    planted = 0
    for page in pages:
        text = page.read_text(encoding="utf-8")
        hit = RAW.search(text)
        assert hit is None, f"{page.relative_to(out)}: raw markup from a data file: …{text[max(0, hit.start() - 80):hit.end() + 40]}…"
        planted += text.count("&lt;img src=x onerror") + text.count("&lt;script&gt;alert")
    assert planted > 20   # the planted strings are on the pages, as text
    # the CSVs carry them as text too (a spreadsheet shows them, never runs them)
    assert any("<img src=x onerror=alert(1)>" in p.read_text(encoding="utf-8-sig") for p in out.rglob("*.csv"))
