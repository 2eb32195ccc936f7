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
